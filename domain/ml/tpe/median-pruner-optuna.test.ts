import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MedianPruner, type PercentilePrunerOptions } from './median-pruner';
import type { Direction, FrozenTrial } from './types';

// Optuna's MedianPruner.prune on the same random studies (fixtures/optuna-pruner.py wrote the file;
// NaN is spelt "NaN" there since JSON has no NaN).
interface Case {
  direction: Direction;
  options: PercentilePrunerOptions;
  trials: { number: number; state: FrozenTrial['state']; value: number | null; intermediate: Record<string, number | 'NaN'> }[];
  prune: boolean;
}
const reference = JSON.parse(readFileSync(new URL('./fixtures/optuna-pruner.json', import.meta.url), 'utf8')) as { optuna: string; cases: Case[] };

const frozen = (t: Case['trials'][number]): FrozenTrial => ({
  number: t.number,
  state: t.state,
  params: {},
  ...(t.value === null ? {} : { value: t.value }),
  intermediate: Object.fromEntries(Object.entries(t.intermediate).map(([k, v]) => [Number(k), v === 'NaN' ? NaN : v])),
});

describe(`MedianPruner decisions match Optuna ${reference.optuna}`, () => {
  it(`on ${reference.cases.length} random studies (${reference.cases.filter((c) => c.prune).length} prune)`, () => {
    const mismatches: string[] = [];
    reference.cases.forEach((c, i) => {
      const trials = c.trials.map(frozen);
      const got = new MedianPruner(c.options).shouldPrune(trials[trials.length - 1]!, trials, c.direction);
      if (got !== c.prune) mismatches.push(`case ${i}: optuna ${c.prune}, ours ${got}`);
    });
    expect(mismatches).toEqual([]);
  });
});
