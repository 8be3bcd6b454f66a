import { describe, expect, it } from 'vitest';
import { MedianPruner, NopPruner, PercentilePruner } from './median-pruner';
import { createStudy, TrialPruned } from './study';
import { RandomSampler } from './random-sampler';
import type { Direction, FrozenTrial } from './types';

/** A finished trial whose curve is `level + 1/(step+1)` (a typical decreasing loss). */
const curve = (level: number, steps: number): Record<number, number> =>
  Object.fromEntries(Array.from({ length: steps }, (_, s) => [s, level + 1 / (s + 1)]));

const complete = (number: number, level: number, steps = 10): FrozenTrial => ({
  number,
  state: 'complete',
  params: {},
  value: level,
  intermediate: curve(level, steps),
});

const running = (number: number, intermediate: Record<number, number>): FrozenTrial => ({ number, state: 'running', params: {}, intermediate });

describe('MedianPruner', () => {
  const finished = [1, 2, 3, 4, 5].map((level, i) => complete(i, level));

  it('prunes a clearly worse trial and keeps a good one', () => {
    const pruner = new MedianPruner();
    const bad = running(5, { 0: 20, 1: 19 });
    const good = running(6, { 0: 1.5, 1: 1.2 });
    expect(pruner.shouldPrune(bad, [...finished, bad], 'minimize')).toBe(true);
    expect(pruner.shouldPrune(good, [...finished, good], 'minimize')).toBe(false);
  });

  it('compares with the median of completed trials at the same step, using the trial’s best value so far', () => {
    const pruner = new MedianPruner();
    // Median at step 2 of levels 1..5 is 3 + 1/3.
    const justBelow = running(5, { 0: 9, 1: 9, 2: 3.3 });
    const justAbove = running(6, { 0: 9, 1: 9, 2: 3.34 });
    expect(pruner.shouldPrune(justBelow, [...finished, justBelow], 'minimize')).toBe(false);
    expect(pruner.shouldPrune(justAbove, [...finished, justAbove], 'minimize')).toBe(true);
    // An earlier good value keeps it alive (best over steps, as Optuna).
    const recovered = running(7, { 0: 0.1, 1: 9, 2: 9 });
    expect(pruner.shouldPrune(recovered, [...finished, recovered], 'minimize')).toBe(false);
  });

  it('mirrors for maximisation', () => {
    const pruner = new MedianPruner();
    const neg = (t: FrozenTrial): FrozenTrial => ({ ...t, value: -t.value!, intermediate: Object.fromEntries(Object.entries(t.intermediate).map(([k, v]) => [k, -v])) });
    const negFinished = finished.map(neg);
    const bad = running(5, { 0: -20, 1: -19 });
    const good = running(6, { 0: -1.5, 1: -1.2 });
    expect(pruner.shouldPrune(bad, [...negFinished, bad], 'maximize')).toBe(true);
    expect(pruner.shouldPrune(good, [...negFinished, good], 'maximize')).toBe(false);
  });

  it('does nothing before n_startup_trials trials are complete (pruned, failed and running ones do not count)', () => {
    const pruner = new MedianPruner();
    const others: FrozenTrial[] = [
      ...finished.slice(0, 4),
      { number: 10, state: 'pruned', params: {}, intermediate: { 0: 1 } },
      { number: 11, state: 'fail', params: {}, intermediate: { 0: 1 } },
      running(12, { 0: 1 }),
    ];
    const bad = running(13, { 0: 100 });
    expect(pruner.shouldPrune(bad, [...others, bad], 'minimize')).toBe(false);
    expect(new MedianPruner({ nStartupTrials: 4 }).shouldPrune(bad, [...others, bad], 'minimize')).toBe(true);
  });

  it('does nothing during warm-up steps, then prunes at the first step after', () => {
    const pruner = new MedianPruner({ nWarmupSteps: 3 });
    const bad: Record<number, number> = { 0: 100, 1: 100, 2: 100 };
    expect(pruner.shouldPrune(running(5, bad), [...finished, running(5, bad)], 'minimize')).toBe(false);
    const later = running(5, { ...bad, 3: 100 });
    expect(pruner.shouldPrune(later, [...finished, later], 'minimize')).toBe(true);
  });

  it('checks only at interval steps after the warm-up', () => {
    const pruner = new MedianPruner({ nWarmupSteps: 2, intervalSteps: 3 });
    const judged = (steps: number[]) => {
      const t = running(5, Object.fromEntries(steps.map((s) => [s, 100])));
      return pruner.shouldPrune(t, [...finished, t], 'minimize');
    };
    expect(judged([0, 1, 2])).toBe(true);
    expect(judged([0, 1, 2, 3])).toBe(false);
    expect(judged([0, 1, 2, 3, 4])).toBe(false);
    expect(judged([0, 1, 2, 3, 4, 5])).toBe(true);
    // A checkpoint skipped by the objective is judged at the next report.
    expect(judged([0, 1, 2, 6])).toBe(true);
  });

  it('prunes a trial that reported only NaN, and does not judge steps no completed trial reached', () => {
    const pruner = new MedianPruner();
    const nan = running(5, { 0: NaN });
    expect(pruner.shouldPrune(nan, [...finished, nan], 'minimize')).toBe(true);
    const beyond = running(6, { 50: 100 });
    expect(pruner.shouldPrune(beyond, [...finished, beyond], 'minimize')).toBe(false);
  });

  it('a percentile pruner keeps only its top share', () => {
    const p25 = new PercentilePruner(25);
    const mid = running(5, { 0: 3.5 });
    expect(new MedianPruner().shouldPrune(mid, [...finished, mid], 'minimize')).toBe(false);
    expect(p25.shouldPrune(mid, [...finished, mid], 'minimize')).toBe(true);
    expect(() => new PercentilePruner(101)).toThrow(/percentile/);
    expect(() => new MedianPruner({ intervalSteps: 0 })).toThrow(/intervalSteps/);
  });

  it('NopPruner never prunes', () => {
    expect(new NopPruner().shouldPrune()).toBe(false);
  });
});

describe('median pruning in a study', () => {
  it('prunes the clearly worse trials of a study and none of the good ones', async () => {
    const direction: Direction = 'minimize';
    const study = createStudy({
      space: { level: { type: 'float', low: 0, high: 10 } },
      direction,
      sampler: new RandomSampler({ seed: 5 }),
      pruner: new MedianPruner(),
    });
    await study.optimize(
      async (trial) => {
        const level = trial.params.level as number;
        for (let step = 0; step < 10; step++) {
          await trial.report(step, level + 1 / (step + 1));
          if (await trial.shouldPrune()) throw new TrialPruned();
        }
        return level;
      },
      { trials: 60 },
    );
    const trials = await study.trials();
    const pruned = trials.filter((t) => t.state === 'pruned');
    const done = trials.filter((t) => t.state === 'complete');
    expect(pruned.length).toBeGreaterThan(15);
    // The first five always complete (start-up).
    expect(trials.slice(0, 5).every((t) => t.state === 'complete')).toBe(true);
    // With curves level + 1/(step+1) the pruner's rule reduces to: a trial is pruned exactly when its
    // level is above the median level of the trials completed before it (sequential study).
    const medianOf = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
    };
    for (const t of trials.slice(5)) {
      const before = done.filter((c) => c.number < t.number).map((c) => c.params.level as number);
      const level = t.params.level as number;
      expect({ number: t.number, pruned: t.state === 'pruned' }).toEqual({ number: t.number, pruned: level > medianOf(before) });
    }
    // Pruned trials keep their last intermediate value as value (as Optuna records it).
    for (const t of pruned) expect(t.value).toBe(t.intermediate[Math.max(...Object.keys(t.intermediate).map(Number))]);
  });
});
