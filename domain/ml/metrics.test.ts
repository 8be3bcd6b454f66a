import { describe, expect, it } from 'vitest';
import { accuracy, auc, brierScore, logLoss, rankedProbabilityScore } from './metrics';

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
