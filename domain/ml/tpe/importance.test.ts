import { describe, expect, it } from 'vitest';
import { paramImportance } from './importance';
import { RandomSampler } from './random-sampler';
import { parseSearchSpace } from './space';
import type { FrozenTrial, Params, SearchSpace } from './types';

function trialsOf(space: SearchSpace, n: number, f: (p: Params) => number, seed = 1): FrozenTrial[] {
  const sampler = new RandomSampler({ seed });
  return Array.from({ length: n }, (_, number) => {
    const params = sampler.sample(space, [], 'minimize', number);
    return { number, state: 'complete', params, value: f(params), intermediate: {} };
  });
}

const space = parseSearchSpace({
  x: { type: 'float', low: 0, high: 1 },
  y: { type: 'float', low: 1e-3, high: 1, log: true },
  z: { type: 'int', low: 0, high: 10 },
  c: { type: 'categorical', choices: ['a', 'b', 'c', 'd'] },
});

describe('paramImportance', () => {
  it('ranks a strong parameter above a weak one above irrelevant ones, summing to 1', () => {
    const imp = paramImportance(trialsOf(space, 200, (p) => 10 * (p.x as number) + Math.log(p.y as number)), space);
    expect(Object.keys(imp)).toEqual(['x', 'y', 'z', 'c']);
    expect(Object.values(imp).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(imp.x!).toBeGreaterThan(imp.y!);
    expect(imp.y!).toBeGreaterThan(0.05);
    expect(imp.z! + imp.c!).toBeLessThan(0.05);
  });

  it('sees a categorical parameter and does not depend on the objective’s scale', () => {
    const f = (p: Params) => (p.c === 'b' ? 1 : 0) + 0.01 * (p.x as number);
    const imp = paramImportance(trialsOf(space, 150, f), space);
    expect(imp.c!).toBeGreaterThan(0.8);
    const scaled = paramImportance(trialsOf(space, 150, (p) => 1000 * f(p) - 7), space);
    for (const name of Object.keys(imp)) expect(scaled[name]!).toBeCloseTo(imp[name]!, 9);
  });

  it('uses complete trials only and is all zero when nothing can be told apart', () => {
    const trials = trialsOf(space, 60, (p) => p.x as number);
    const mixed: FrozenTrial[] = [
      ...trials,
      ...trials.map((t, i) => ({ ...t, number: 60 + i, state: 'fail' as const, value: undefined, params: { ...t.params, x: 1 - (t.params.x as number) } })),
      { number: 200, state: 'running', params: { x: 0.5 }, intermediate: {} },
    ];
    expect(paramImportance(mixed, space)).toEqual(paramImportance(trials, space));
    expect(paramImportance(trials.slice(0, 2), space)).toEqual({ x: 0, y: 0, z: 0, c: 0 });
    expect(paramImportance(trialsOf(space, 50, () => 3), space)).toEqual({ x: 0, y: 0, z: 0, c: 0 });
  });
});
