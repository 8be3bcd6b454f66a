import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSearchSpace, toInternal } from './space';
import { TPESampler } from './tpe-sampler';
import type { Direction, FrozenTrial, Params } from './types';

// Optuna's TPESampler internals on the same trials (fixtures/optuna-tpe.py wrote the file): its
// good/bad split (_split_trials, constant liar on) and log l(x) - log g(x) at fixed points.
interface Case {
  name: string;
  direction: Direction;
  space: unknown;
  trials: (Omit<FrozenTrial, 'intermediate'> & { intermediate: Record<string, number> })[];
  below: number[];
  above: number[];
  points: Params[];
  acquisition: number[];
}
const reference = JSON.parse(readFileSync(new URL('./fixtures/optuna-tpe.json', import.meta.url), 'utf8')) as { optuna: string; cases: Case[] };

describe(`TPE split and acquisition parity with Optuna ${reference.optuna}`, () => {
  for (const c of reference.cases) {
    it(c.name, () => {
      const space = parseSearchSpace(c.space);
      const names = Object.keys(space);
      const trials: FrozenTrial[] = c.trials.map((t) => ({ ...t, intermediate: Object.fromEntries(Object.entries(t.intermediate).map(([k, v]) => [Number(k), v])) }));
      const { below, above, l, g } = new TPESampler().estimators(space, names, trials, c.direction);
      expect(below.map((t) => t.number)).toEqual(c.below);
      expect(above.map((t) => t.number)).toEqual(c.above);
      const points = names.map((n) => Float64Array.from(c.points, (p) => toInternal(space[n]!, p[n]!)));
      const ll = l.logPdf(points);
      const lg = g.logPdf(points);
      c.acquisition.forEach((want, i) => expect(ll[i]! - lg[i]!).toBeCloseTo(want, 9));
    });
  }
});
