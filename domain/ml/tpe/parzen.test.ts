import { describe, expect, it } from 'vitest';
import { ParzenEstimator, defaultWeights, type ParzenParameters } from './parzen';
import { rngFor } from '../rng';
import { parseSearchSpace } from './space';
import { erf, erfc, logGaussMass, logNdtr, ndtr, truncnormPpf } from './truncnorm';

const PARAMS: ParzenParameters = { priorWeight: 1, considerMagicClip: true, considerEndpoints: false, weights: defaultWeights };

describe('normal distribution functions', () => {
  it('erf and erfc agree with each other, with symmetry and with the standard quantiles', () => {
    for (let x = -6; x <= 6; x += 0.37) {
      expect(erf(x) + erfc(x)).toBeCloseTo(1, 14);
      expect(erf(-x)).toBe(-erf(x));
    }
    // Textbook quantiles of the standard normal.
    expect(ndtr(1.959963984540054)).toBeCloseTo(0.975, 14);
    expect(ndtr(-2.326347874040841)).toBeCloseTo(0.01, 14);
    expect(ndtr(0)).toBe(0.5);
  });

  it('log Phi stays finite and continuous deep in the tails, where Phi itself underflows', () => {
    expect(ndtr(-40)).toBe(0);
    expect(Number.isFinite(logNdtr(-40))).toBe(true);
    // Mills ratio: log Phi(a) = -a^2/2 - log(-a) - log(sqrt(2 pi)) + log(1 - 1/a^2 + 3/a^4 - ...).
    expect(logNdtr(-40)).toBeCloseTo(-800 - Math.log(40) - 0.5 * Math.log(2 * Math.PI) + Math.log(1 - 1 / 1600 + 3 / 1600 ** 2), 8);
    // Across the branch points the change is the slope (about -a) times the step, nothing more.
    for (const edge of [-20, 6]) expect(logNdtr(edge - 1e-9)).toBeCloseTo(logNdtr(edge + 1e-9), 6);
  });

  it('the truncated normal quantile inverts the truncated CDF, in the centre and far in the tails', () => {
    for (const [a, b] of [
      [-1, 1],
      [-3, 0.5],
      [0.2, 4],
      [5, 6],
      [-40, -38],
      [30, 31],
    ] as const) {
      const logMass = logGaussMass(a, b);
      for (const q of [0.001, 0.1, 0.5, 0.9, 0.999]) {
        const x = truncnormPpf(q, a, b);
        expect(x).toBeGreaterThanOrEqual(a);
        expect(x).toBeLessThanOrEqual(b);
        expect(Math.exp(logGaussMass(a, x) - logMass)).toBeCloseTo(q, 7);
      }
    }
  });
});

/** Trapezoid integral of exp(f) on [lo, hi]. */
function integrate(f: (x: number) => number, lo: number, hi: number, n = 20000): number {
  let sum = 0;
  for (let i = 0; i <= n; i++) {
    const x = lo + ((hi - lo) * i) / n;
    sum += (i === 0 || i === n ? 0.5 : 1) * Math.exp(f(x));
  }
  return (sum * (hi - lo)) / n;
}

describe('ParzenEstimator', () => {
  it('applies Optuna’s bandwidth rules: neighbour gaps, endpoints not considered, magic clip, prior kernel', () => {
    const space = parseSearchSpace({ x: { type: 'float', low: 0, high: 1 } });
    const est = new ParzenEstimator([Float64Array.of(0.2, 0.5)], [space.x!], PARAMS);
    // Sorted with endpoints: 0, 0.2, 0.5, 1. Without endpoints both kernels take the 0.3 gap
    // between them; the clip floor is 1 / min(100, 1 + 3) = 0.25, so 0.3 stands. The prior sits at
    // 0.5 with sigma 1. Weights 1, 1, 1 (prior weight 1).
    const truncated = (x: number, mu: number, sigma: number) =>
      Math.exp(-0.5 * ((x - mu) / sigma) ** 2) / (sigma * Math.sqrt(2 * Math.PI)) / (ndtr((1 - mu) / sigma) - ndtr((0 - mu) / sigma));
    for (const x of [0.05, 0.3, 0.77]) {
      const expected = (truncated(x, 0.2, 0.3) + truncated(x, 0.5, 0.3) + truncated(x, 0.5, 1)) / 3;
      expect(Math.exp(est.logPdf([Float64Array.of(x)])[0]!)).toBeCloseTo(expected, 12);
    }
    // Nine observations 1e-4 apart: every gap is 1e-4, so each sigma is clipped up to the floor
    // (high - low) / min(100, 1 + 10 kernels) = 1/11.
    const mus = Array.from({ length: 9 }, (_, i) => 0.5 + i * 1e-4);
    const crowded = new ParzenEstimator([Float64Array.from(mus)], [space.x!], PARAMS);
    for (const x of [0.4, 0.5, 0.9]) {
      const expected = (mus.reduce((sum, mu) => sum + truncated(x, mu, 1 / 11), 0) + truncated(x, 0.5, 1)) / 10;
      expect(Math.exp(crowded.logPdf([Float64Array.of(x)])[0]!)).toBeCloseTo(expected, 12);
    }
  });

  it('is a density over the (log) range, and a probability mass over int grids and choices', () => {
    const space = parseSearchSpace({
      x: { type: 'float', low: -2, high: 3 },
      lr: { type: 'float', low: 1e-3, high: 1, log: true },
      n: { type: 'int', low: 2, high: 20, step: 3 },
      k: { type: 'int', low: 1, high: 64, log: true },
      c: { type: 'categorical', choices: ['a', 'b', 'c'] },
    });
    const obs = {
      x: Float64Array.of(-1.5, 0, 0.1, 2.9),
      lr: Float64Array.of(0.002, 0.01, 0.5, 0.9),
      n: Float64Array.of(2, 8, 8, 20),
      k: Float64Array.of(1, 3, 40, 64),
      c: Float64Array.of(0, 2, 2, 1),
    };
    const one = (name: keyof typeof obs) => new ParzenEstimator([obs[name]], [space[name]!], PARAMS);
    const px = one('x');
    expect(integrate((x) => px.logPdf([Float64Array.of(x)])[0]!, -2, 3)).toBeCloseTo(1, 5);
    // Log parameters are densities in log space.
    const plr = one('lr');
    expect(integrate((u) => plr.logPdf([Float64Array.of(Math.exp(u))])[0]!, Math.log(1e-3), Math.log(1))).toBeCloseTo(1, 5);
    const mass = (est: ParzenEstimator, values: number[]) => values.reduce((s, v) => s + Math.exp(est.logPdf([Float64Array.of(v)])[0]!), 0);
    expect(mass(one('n'), [2, 5, 8, 11, 14, 17, 20])).toBeCloseTo(1, 12);
    expect(mass(one('k'), Array.from({ length: 64 }, (_, i) => i + 1))).toBeCloseTo(1, 12);
    expect(mass(one('c'), [0, 1, 2])).toBeCloseTo(1, 12);
    // Categorical kernel: prior weight / kernels on every choice plus 1 on the observed one.
    const pc = one('c');
    const p = (v: number) => Math.exp(pc.logPdf([Float64Array.of(v)])[0]!);
    expect(p(2)).toBeGreaterThan(p(0));
    expect(p(0)).toBeCloseTo(p(1), 12);
  });

  it('samples inside the range and on the grid, from a joint mixture', () => {
    const space = parseSearchSpace({
      n: { type: 'int', low: 2, high: 20, step: 3 },
      lr: { type: 'float', low: 1e-3, high: 1, log: true },
    });
    // Two clusters of 20 observations: (n 2, lr ~0.001) and (n 20, lr ~0.8).
    const nObs = Float64Array.from({ length: 40 }, (_, i) => (i < 20 ? 2 : 20));
    const lrObs = Float64Array.from({ length: 40 }, (_, i) => (i < 20 ? 0.001 + i * 1e-5 : 0.7 + i * 0.005));
    const est = new ParzenEstimator([nObs, lrObs], [space.n!, space.lr!], PARAMS);
    const [n, lr] = est.sample(rngFor('parzen-test'), 2000);
    for (let i = 0; i < 2000; i++) {
      expect((n![i]! - 2) % 3).toBe(0);
      expect(n![i]!).toBeGreaterThanOrEqual(2);
      expect(n![i]!).toBeLessThanOrEqual(20);
      expect(lr![i]!).toBeGreaterThanOrEqual(1e-3);
      expect(lr![i]!).toBeLessThanOrEqual(1);
    }
    // Joint: small n comes with small lr far more often than with large lr (the kernels pair them).
    let smallSmall = 0;
    let smallLarge = 0;
    for (let i = 0; i < 2000; i++) {
      if (n![i]! <= 5 && lr![i]! < 0.01) smallSmall++;
      if (n![i]! <= 5 && lr![i]! > 0.1) smallLarge++;
    }
    expect(smallSmall).toBeGreaterThan(3 * smallLarge);
  });

  it('weights ramp for more than 25 observations, oldest lightest', () => {
    expect(defaultWeights(0)).toEqual([]);
    expect(defaultWeights(3)).toEqual([1, 1, 1]);
    const w = defaultWeights(30);
    expect(w).toHaveLength(30);
    expect(w[0]).toBeCloseTo(1 / 30, 15);
    expect(w[4]).toBe(1);
    expect(w.slice(5).every((x) => x === 1)).toBe(true);
    for (let i = 1; i < 5; i++) expect(w[i]!).toBeGreaterThan(w[i - 1]!);
  });
});
