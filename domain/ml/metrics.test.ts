import { describe, expect, it } from 'vitest';
import {
  accuracy,
  auc,
  bootstrapByGroup,
  brierScore,
  calibrationTable,
  logLoss,
  pairedBootstrapDiff,
  perRowLogLoss,
  rankedProbabilityScore,
} from './metrics';
import { mulberry32 } from './rng';

describe('logLoss', () => {
  it('is the mean -log p of the observed class', () => {
    const proba = [0.8, 0.2, 0.3, 0.7];
    expect(logLoss(proba, [0, 1], 2)).toBeCloseTo(-(Math.log(0.8) + Math.log(0.7)) / 2, 12);
  });
  it('clips zero probabilities at 1e-15', () => {
    expect(logLoss([1, 0], [1], 2)).toBeCloseTo(-Math.log(1e-15), 9);
  });
  it('names a bad label and a bad shape', () => {
    expect(() => logLoss([0.5, 0.5], [2], 2)).toThrow('logLoss: y[0] must be a class in 0..1, got 2');
    expect(() => logLoss([0.5, 0.5, 1], [0], 2)).toThrow('proba has 3 values');
  });
});

describe('auc', () => {
  it('is 1 for a perfect ranking and 0 for a reversed one', () => {
    expect(auc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(auc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
  });
  it('counts ties as half', () => {
    // pairs (pos, neg): (0.5 vs 0.5) tie = 0.5, (0.5 vs 0.1) = 1 -> 1.5 / 2
    expect(auc([0.5, 0.5, 0.1], [1, 0, 0])).toBeCloseTo(0.75, 12);
  });
  it('matches the pairwise count on a small mixed case', () => {
    const s = [0.3, 0.1, 0.4, 0.35, 0.8, 0.4];
    const y = [0, 0, 1, 1, 1, 0];
    let wins = 0;
    let pairs = 0;
    for (let i = 0; i < s.length; i++) for (let j = 0; j < s.length; j++) {
      if (y[i] === 1 && y[j] === 0) {
        pairs++;
        wins += s[i]! > s[j]! ? 1 : s[i] === s[j] ? 0.5 : 0;
      }
    }
    expect(auc(s, y)).toBeCloseTo(wins / pairs, 12);
  });
  it('is NaN with one class', () => {
    expect(auc([0.1, 0.2], [1, 1])).toBeNaN();
  });
});

describe('rankedProbabilityScore', () => {
  it('is 0 for a certain correct forecast and 1 for a certain forecast at the far end', () => {
    expect(rankedProbabilityScore([0, 1, 0], [1], 3)).toBe(0);
    expect(rankedProbabilityScore([1, 0, 0], [2], 3)).toBe(1);
  });
  it('sums squared CDF differences over K-1 cut points', () => {
    // cdf pred (0.2, 0.7), obs class 1: cdf obs (0, 1) -> (0.04 + 0.09) / 2
    expect(rankedProbabilityScore([0.2, 0.5, 0.3], [1], 3)).toBeCloseTo(0.065, 12);
  });
});

describe('brierScore and accuracy', () => {
  it('brier sums squared errors over classes', () => {
    expect(brierScore([0.2, 0.5, 0.3], [1], 3)).toBeCloseTo(0.04 + 0.25 + 0.09, 12);
  });
  it('accuracy counts argmax hits', () => {
    expect(accuracy([0.2, 0.5, 0.3, 0.6, 0.3, 0.1], [1, 2], 3)).toBe(0.5);
  });
});

describe('perRowLogLoss', () => {
  it('gives -log p of each observed class, averaging to logLoss', () => {
    const proba = [0.8, 0.2, 0.3, 0.7, 1, 0];
    const per = perRowLogLoss(proba, [0, 1, 1], 2);
    expect(per[0]).toBeCloseTo(-Math.log(0.8), 14);
    expect(per[1]).toBeCloseTo(-Math.log(0.7), 14);
    expect(per[2]).toBeCloseTo(-Math.log(1e-15), 9);
    expect((per[0]! + per[1]! + per[2]!) / 3).toBeCloseTo(logLoss(proba, [0, 1, 1], 2), 14);
  });
});

describe('calibrationTable', () => {
  it('bins every (row, class) pair with its outcome', () => {
    // pairs (p, happened): (0.05, 0) (0.95, 1) (0.35, 1) (0.65, 0)
    const t = calibrationTable([0.05, 0.95, 0.35, 0.65], [1, 0], 2);
    expect(t).toHaveLength(10);
    expect(t.map((b) => b.count)).toEqual([1, 0, 0, 1, 0, 0, 1, 0, 0, 1]);
    expect(t[0]).toEqual({ lo: 0, hi: 0.1, count: 1, meanPredicted: 0.05, observedFrequency: 0 });
    expect(t[3]!.observedFrequency).toBe(1);
    expect(t[9]!.meanPredicted).toBe(0.95);
    expect(t[1]!.meanPredicted).toBeNaN();
  });
  it('puts p = 1 in the last bin and averages within a bin', () => {
    const t = calibrationTable([1, 0, 0.1, 0.9, 0.2, 0.8], [0, 1, 1], 2, { bins: 2 });
    // pairs: (1, hit) (0, miss) | (0.1, miss) (0.9, hit) | (0.2, miss) (0.8, hit)
    expect(t[0]).toMatchObject({ lo: 0, hi: 0.5, count: 3, observedFrequency: 0 });
    expect(t[0]!.meanPredicted).toBeCloseTo(0.1, 14);
    expect(t[1]!.count).toBe(3);
    expect(t[1]!.meanPredicted).toBeCloseTo(0.9, 14);
    expect(t[1]!.observedFrequency).toBe(1);
    expect(() => calibrationTable([0.5, 0.5], [0], 2, { bins: 0 })).toThrow('bins');
  });
});

/** Rows for G groups: each group has its own level (shared by its rows) plus row noise. */
function groupedData(G: number, rowsPerGroup: number, seed: number): { values: Float64Array; groups: Int32Array } {
  const rng = mulberry32(seed);
  const values = new Float64Array(G * rowsPerGroup);
  const groups = new Int32Array(G * rowsPerGroup);
  for (let g = 0; g < G; g++) {
    const level = rng() * 2;
    for (let i = 0; i < rowsPerGroup; i++) {
      values[g * rowsPerGroup + i] = level + 0.1 * rng();
      groups[g * rowsPerGroup + i] = g;
    }
  }
  return { values, groups };
}

describe('bootstrapByGroup', () => {
  it('resamples whole groups, not rows', () => {
    // Group A: three rows of 0, group B: one row of 1. Group resamples are AA -> 0, AB/BA -> 1/4, BB -> 1,
    // so the 95% interval reaches both 0 and 1; a row bootstrap would almost never draw four 1s.
    const r = bootstrapByGroup([0, 0, 0, 1], ['A', 'A', 'A', 'B'], 'mean', { reps: 2000, seed: 3 });
    expect(r.estimate).toBe(0.25);
    expect(r.lo).toBe(0);
    expect(r.hi).toBe(1);
    expect(r.groups).toBe(2);
  });
  it('is a point when every group has the same values', () => {
    const r = bootstrapByGroup([2, 3, 2, 3, 2, 3], [0, 0, 1, 1, 2, 2], 'mean', { reps: 200 });
    expect([r.estimate, r.lo, r.hi]).toEqual([2.5, 2.5, 2.5]);
  });
  it('contains the estimate, shrinks with more groups and is reproducible from its seed', () => {
    const few = groupedData(20, 5, 1);
    const many = groupedData(500, 5, 1);
    const a = bootstrapByGroup(few.values, few.groups, 'mean', { seed: 7 });
    const b = bootstrapByGroup(many.values, many.groups, 'mean', { seed: 7 });
    for (const r of [a, b]) {
      expect(r.lo).toBeLessThanOrEqual(r.estimate);
      expect(r.hi).toBeGreaterThanOrEqual(r.estimate);
    }
    // sd of the mean goes as 1/sqrt(G): 25x the groups -> about a fifth of the width.
    expect(b.hi - b.lo).toBeLessThan((a.hi - a.lo) / 3);
    expect(bootstrapByGroup(few.values, few.groups, 'mean', { seed: 7 })).toEqual(a);
    expect(bootstrapByGroup(few.values, few.groups, 'mean', { seed: 8 })).not.toEqual(a);
  });
  it('takes any statistic of the resampled rows, matching the mean fast path', () => {
    const { values, groups } = groupedData(30, 4, 2);
    const mean = (xs: Float64Array): number => xs.reduce((s, v) => s + v, 0) / xs.length;
    const fast = bootstrapByGroup(values, groups, 'mean', { seed: 5, reps: 300 });
    const slow = bootstrapByGroup(values, groups, mean, { seed: 5, reps: 300 });
    expect(slow.estimate).toBeCloseTo(fast.estimate, 12);
    expect(slow.lo).toBeCloseTo(fast.lo, 12);
    expect(slow.hi).toBeCloseTo(fast.hi, 12);
    const max = bootstrapByGroup(values, groups, (xs) => Math.max(...xs), { reps: 100 });
    expect(max.hi).toBeLessThanOrEqual(max.estimate);
  });
  it('rejects bad options and inputs', () => {
    expect(() => bootstrapByGroup([1, 2], [0], 'mean')).toThrow('1 groups for 2 values');
    expect(() => bootstrapByGroup([1, NaN], [0, 1], 'mean')).toThrow('value 1 must be finite');
    expect(() => bootstrapByGroup([1, 2], [0, 1], 'mean', { level: 1 })).toThrow('level');
    expect(() => bootstrapByGroup([1, 2], [0, 1], 'mean', { reps: 1 })).toThrow('reps');
  });
});

describe('pairedBootstrapDiff', () => {
  it('cancels the day-to-day level both sides share', () => {
    const { values, groups } = groupedData(50, 4, 4);
    // b is a plus a constant 0.05: the difference is exactly -0.05 on every row, whatever the day.
    const b = values.map((v) => v + 0.05);
    const r = pairedBootstrapDiff(values, b, groups, { reps: 300 });
    expect(r.estimate).toBeCloseTo(-0.05, 12);
    expect(r.lo).toBeCloseTo(-0.05, 12);
    expect(r.hi).toBeCloseTo(-0.05, 12);
    expect(r.shareBelowZero).toBe(1);
    // Unpaired, the same data gives an interval for b's mean wider than the whole effect.
    const unpaired = bootstrapByGroup(b, groups, 'mean', { reps: 300 });
    expect(unpaired.hi - unpaired.lo).toBeGreaterThan(0.1);
  });
  it('is the mean row difference with an interval around it', () => {
    const a = [1, 2, 3, 4];
    const b = [1, 1, 1, 1];
    const r = pairedBootstrapDiff(a, b, [0, 0, 1, 1], { reps: 500, seed: 2 });
    expect(r.estimate).toBe(1.5);
    // Group diffs: day 0 -> mean 0.5, day 1 -> mean 2.5; resample means are 0.5, 1.5 or 2.5.
    expect(r.lo).toBe(0.5);
    expect(r.hi).toBe(2.5);
    expect(r.shareBelowZero).toBe(0);
    expect(() => pairedBootstrapDiff([1], [1, 2], [0])).toThrow('1 values in a, 2 in b');
  });
});
