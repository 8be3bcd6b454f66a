import { describe, expect, it } from 'vitest';
import { RandomSampler } from './random-sampler';
import { BRANIN_ARGMIN, BRANIN_MINIMUM, HARTMANN6_ARGMIN, HARTMANN6_MINIMUM, TEST_PROBLEMS, branin, hartmann6 } from './test-functions';

describe('test functions', () => {
  it('reach their published minima at their published minimisers', () => {
    for (const [x1, x2] of BRANIN_ARGMIN) expect(branin(x1, x2)).toBeCloseTo(BRANIN_MINIMUM, 5);
    expect(hartmann6(HARTMANN6_ARGMIN)).toBeCloseTo(HARTMANN6_MINIMUM, 4);
  });

  it('stay above their minima over random points of their spaces', () => {
    for (const problem of Object.values(TEST_PROBLEMS)) {
      const sampler = new RandomSampler({ seed: problem.name });
      for (let i = 0; i < 2000; i++) expect(problem.evaluate(sampler.sample(problem.space, [], 'minimize', i))).toBeGreaterThan(problem.minimum - 1e-5);
    }
    expect(() => hartmann6([0, 0])).toThrow('hartmann6 takes 6 coordinates, got 2');
  });
});
