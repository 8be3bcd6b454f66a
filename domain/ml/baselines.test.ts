import { describe, expect, it } from 'vitest';
import { buildLadder, type Bracket } from '../brackets';
import {
  climatologyProba,
  fitForecastNormal,
  forecastNormalProba,
  impliedMoments,
  marketImpliedProba,
  normalBracketMass,
  normalCdf,
} from './baselines';

// <80 (..79), 80-81, 82-83, 84-85, 86-87, >87 (88..)
const BRACKETS: Bracket[] = [
  { ticker: 'T80', strikeType: 'less', cap: 80 },
  { ticker: 'B80', strikeType: 'between', floor: 80, cap: 81 },
  { ticker: 'B82', strikeType: 'between', floor: 82, cap: 83 },
  { ticker: 'B84', strikeType: 'between', floor: 84, cap: 85 },
  { ticker: 'B86', strikeType: 'between', floor: 86, cap: 87 },
  { ticker: 'T87', strikeType: 'greater', floor: 87 },
];
const LADDER = buildLadder(BRACKETS);
const K = 6;

function expectRowsAreDistributions(proba: Float64Array): void {
  for (let r = 0; r < proba.length / K; r++) {
    let s = 0;
    for (let j = 0; j < K; j++) {
      expect(proba[r * K + j]!).toBeGreaterThanOrEqual(0);
      s += proba[r * K + j]!;
    }
    expect(s).toBeCloseTo(1, 12);
  }
}

describe('normalCdf', () => {
  it('matches tabulated values well within 1e-7', () => {
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(1)).toBeCloseTo(0.841344746068543, 12);
    expect(normalCdf(-3)).toBeCloseTo(0.00134989803163009, 14);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 12);
    expect(normalCdf(Infinity)).toBe(1);
    expect(normalCdf(-Infinity)).toBe(0);
  });
});

describe('normalBracketMass', () => {
  it('integrates each bracket over its half-degree-widened integer range', () => {
    const out = new Float64Array(K);
    normalBracketMass(LADDER, 83, 2, out);
    // 82-83 holds T in [81.5, 83.5): Φ(0.25) − Φ(−0.75).
    expect(out[2]).toBeCloseTo(0.5987063256829237 - 0.2266273523768682, 10);
    // "< 80" holds T < 79.5: Φ(−1.75); "> 87" holds T ≥ 87.5: 1 − Φ(2.25).
    expect(out[0]).toBeCloseTo(0.0400591568638171, 10);
    expect(out[5]).toBeCloseTo(1 - 0.9877755273449553, 10);
    expectRowsAreDistributions(out);
  });
  it('is mirror-symmetric about the ladder centre', () => {
    const out = new Float64Array(K);
    normalBracketMass(BRACKETS, 83.5, 3, out);
    for (let j = 0; j < 3; j++) expect(out[j]).toBeCloseTo(out[K - 1 - j]!, 14);
  });
  it('writes at an offset and rejects a non-positive sd', () => {
    const out = new Float64Array(2 * K);
    normalBracketMass(LADDER, 83, 2, out, K);
    expect(out.subarray(0, K).every((v) => v === 0)).toBe(true);
    expect(() => normalBracketMass(LADDER, 83, 0, out)).toThrow('sd > 0');
  });
});

describe('impliedMoments', () => {
  it('uses bin middles and tails one degree beyond their edge', () => {
    expect(impliedMoments([0, 0, 1, 0, 0, 0], LADDER)).toEqual({ mean: 82.5, sd: 0, skew: 0 });
    const two = impliedMoments([0, 0.5, 0, 0.5, 0, 0], LADDER);
    expect(two.mean).toBeCloseTo(82.5, 12);
    expect(two.sd).toBeCloseTo(2, 12);
    expect(two.skew).toBeCloseTo(0, 12);
    expect(impliedMoments([1, 0, 0, 0, 0, 0], LADDER).mean).toBe(78); // "< 80" = ..79, centre 78
    expect(impliedMoments([0, 0, 0, 0, 0, 2], LADDER).mean).toBe(89); // unnormalised input; "> 87" = 88.., centre 89
  });
  it('has positive skew for a long right tail', () => {
    // mass 0.8 at 82.5 and 0.2 at 89
    expect(impliedMoments([0, 0, 0.8, 0, 0, 0.2], LADDER).skew).toBeGreaterThan(0);
  });
});

describe('marketImpliedProba', () => {
  it('clips mids to [0.5, 99.5] cents, floors a missing mid at 0.5 cents and normalises', () => {
    const mids = [NaN, 10, 40, 30, 15, 5, /* row 2 */ 0, 100, 0, 0, 0, 0];
    const { proba, fallback } = marketImpliedProba(mids, [LADDER, LADDER]);
    const s1 = 0.5 + 10 + 40 + 30 + 15 + 5;
    expect(Array.from(proba.subarray(0, K))).toEqual([0.5, 10, 40, 30, 15, 5].map((m) => m / s1));
    const s2 = 0.5 * 5 + 99.5;
    expect(proba[K + 1]).toBeCloseTo(99.5 / s2, 14);
    expect(proba[K]).toBeCloseTo(0.5 / s2, 14);
    expect(Array.from(fallback)).toEqual([0, 0]);
    expectRowsAreDistributions(proba);
  });
  it('falls back to uniform when too few brackets are quoted', () => {
    const mids = [NaN, NaN, NaN, NaN, NaN, NaN, NaN, 20, 50, NaN, NaN, NaN];
    const { proba, fallback } = marketImpliedProba(mids, [LADDER, LADDER], { minQuoted: 3 });
    expect(Array.from(proba)).toEqual(new Array(2 * K).fill(1 / K));
    expect(Array.from(fallback)).toEqual([1, 1]);
    expect(() => marketImpliedProba(mids, [LADDER, LADDER], { minQuoted: 0 })).toThrow('minQuoted');
    expect(() => marketImpliedProba(mids.slice(1), [LADDER, LADDER])).toThrow('11 mids');
  });
});

describe('fitForecastNormal / forecastNormalProba', () => {
  it('fits the mean error and the latent sd net of the rounding variance', () => {
    const fit = fitForecastNormal([80, 80, 80, 80, NaN], [81, 83, 81, 83, 90]);
    expect(fit.bias).toBe(2);
    expect(fit.n).toBe(4);
    // sample variance 4/3, minus 1/12 for the whole-degree rounding
    expect(fit.sd).toBeCloseTo(Math.sqrt(4 / 3 - 1 / 12), 14);
  });
  it('fits on the given rows only and floors the sd', () => {
    const fit = fitForecastNormal([80, 80, 80, 70], [82, 82, 82, 99], { rows: [0, 1, 2] });
    expect(fit).toEqual({ bias: 2, sd: 0.5, n: 3 });
    expect(() => fitForecastNormal([80], [81])).toThrow('at least 2 rows');
  });
  it('integrates N(forecast + bias, sd) and falls back for a missing forecast', () => {
    const fit = { bias: 1, sd: 2, n: 10 };
    const fallbackRows = Float64Array.from([0.5, 0.1, 0.1, 0.1, 0.1, 0.1, 0, 0, 0, 0, 0, 1]);
    const { proba, fallback } = forecastNormalProba([82, NaN], [LADDER, LADDER], fit, fallbackRows);
    const direct = new Float64Array(K);
    normalBracketMass(LADDER, 83, 2, direct);
    expect(Array.from(proba.subarray(0, K))).toEqual(Array.from(direct));
    expect(Array.from(proba.subarray(K))).toEqual([0, 0, 0, 0, 0, 1]);
    expect(Array.from(fallback)).toEqual([0, 1]);
    expect(Array.from(forecastNormalProba([NaN], [LADDER], fit).proba)).toEqual(new Array(K).fill(1 / K));
  });
});

describe('climatologyProba', () => {
  // Row 0 is the target (2025-07-10); the others are history of various kinds.
  const rowDays = ['2025-07-10', '2024-07-05', '2024-07-05', '2024-07-20', '2023-07-12', '2025-07-09', '2026-07-10', '2022-07-10'];
  const settled = [84, 85, 85, 90, 82, 70, 60, 88];
  const trainRows = [1, 2, 3, 4, 5, 6]; // row 7 (2022) is not a training row
  const ladders = rowDays.map(() => LADDER);

  it('counts earlier years within the window once per day, add-one smoothed', () => {
    const { proba, history, fallback } = climatologyProba({ rowDays, settledHigh: settled, trainRows, ladders });
    // Used: 2024-07-05 (85, doy distance 4, its two snapshot rows once) and 2023-07-12 (82, distance 2).
    // Not: 2024-07-20 (distance 11), 2025-07-09 (same year), 2026-07-10 (later), 2022-07-10 (not training).
    expect(history[0]).toBe(2);
    expect(Array.from(proba.subarray(0, K))).toEqual([1, 1, 2, 2, 1, 1].map((c) => c / 8));
    expect(fallback[0]).toBe(0);
    // 2023-07-12 has no earlier-year history among the training rows.
    expect(history[4]).toBe(0);
    expect(fallback[4]).toBe(1);
    expectRowsAreDistributions(proba);
  });
  it('never reads the same or a later date', () => {
    const base = climatologyProba({ rowDays, settledHigh: settled, trainRows: [0, ...trainRows], ladders }).proba.slice(0, K);
    const changed = settled.slice();
    changed[0] = 50; // the target day itself, now a training row
    changed[5] = 99; // same year, earlier
    changed[6] = 40; // later year
    const again = climatologyProba({ rowDays, settledHigh: changed, trainRows: [0, ...trainRows], ladders }).proba.slice(0, K);
    expect(Array.from(again)).toEqual(Array.from(base));
  });
  it('widens with the window, fits a normal when asked, and keeps groups apart', () => {
    expect(climatologyProba({ rowDays, settledHigh: settled, trainRows, ladders }, { windowDays: 11 }).history[0]).toBe(3);
    const normal = climatologyProba({ rowDays, settledHigh: settled, trainRows, ladders }, { smoothing: 'normal' }).proba.subarray(0, K);
    const direct = new Float64Array(K);
    normalBracketMass(LADDER, 83.5, Math.sqrt(4.5 - 1 / 12), direct); // highs 82 and 85
    for (let j = 0; j < K; j++) expect(normal[j]).toBeCloseTo(direct[j]!, 14);
    const group = ['chi', 'nyc', 'nyc', 'chi', 'chi', 'chi', 'chi', 'chi'];
    expect(climatologyProba({ rowDays, settledHigh: settled, trainRows, ladders, group }).history[0]).toBe(1);
  });
  it('rejects rows of one day that disagree on the settled high', () => {
    const bad = settled.slice();
    bad[2] = 86;
    expect(() => climatologyProba({ rowDays, settledHigh: bad, trainRows, ladders })).toThrow('2024-07-05 disagree');
    expect(() => climatologyProba({ rowDays, settledHigh: settled, trainRows, ladders }, { windowDays: -1 })).toThrow('windowDays');
  });
});
