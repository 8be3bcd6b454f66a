import { describe, expect, it } from 'vitest';
import { logLoss, rankedProbabilityScore } from '../metrics';
import { cumulativeToClassProba, predictCumulativeBinaries, trainCumulativeBinaries } from './cumulative';
import { parseModel, predictProba } from './model';
import { initialThresholds, ordinalNll, ordinalRow, refitThresholds } from './ordinal';
import { ordinalSet } from './synthetic';
import { trainGbdt } from './train';

describe('ordinal objective pieces', () => {
  it('gradient and hessian match finite differences of -log P(y = c)', () => {
    const theta = Float64Array.from([-1.2, -0.1, 0.7, 2.0]);
    const out = new Float64Array(3);
    const nll = (c: number, f: number) => {
      ordinalRow(theta, c, f, out);
      return -Math.log(out[0]!);
    };
    for (let c = 0; c < 5; c++) {
      for (const f of [-2, -0.3, 0.4, 1.9]) {
        const h = 1e-4;
        const g = (nll(c, f + h) - nll(c, f - h)) / (2 * h);
        const hh = (nll(c, f + h) - 2 * nll(c, f) + nll(c, f - h)) / (h * h);
        ordinalRow(theta, c, f, out);
        expect(out[1]).toBeCloseTo(g, 6);
        expect(out[2]).toBeCloseTo(hh, 4);
        expect(out[2]).toBeGreaterThan(0);
      }
    }
  });

  it('refitting the cut points lowers the likelihood and keeps them strictly increasing', () => {
    const s = ordinalSet(2000, 3, 5);
    const f = new Float64Array(s.rows); // latent 0: the fit must match the class frequencies
    const theta = initialThresholds(s.y, undefined, 5);
    const before = ordinalNll(theta, s.y, f, undefined);
    const shifted = Float64Array.from(theta, (t, k) => t + 0.5 - 0.2 * k);
    refitThresholds(shifted, s.y, f, undefined, 10);
    for (let k = 1; k < 4; k++) expect(shifted[k]!).toBeGreaterThan(shifted[k - 1]!);
    // The maximum-likelihood cut points at f = 0 are the logits of the cumulative frequencies.
    expect(ordinalNll(shifted, s.y, f, undefined)).toBeLessThanOrEqual(before + 1e-4);
  });
});

describe('trainGbdt: ordinal', () => {
  it('gives valid probabilities for every row (>= 0, summing to 1), with NaN features among them', () => {
    const train = ordinalSet(1500, 1);
    const test = ordinalSet(500, 2);
    for (let i = 0; i < test.x.length; i += 7) test.x[i] = NaN;
    const { model } = trainGbdt(train, { objective: 'ordinal', numClasses: 6, numIterations: 60, numLeaves: 15 });
    const back = parseModel(JSON.parse(JSON.stringify(model)));
    const th = back.ordinalThresholds!;
    expect(th).toHaveLength(5);
    for (let k = 1; k < 5; k++) expect(th[k]!).toBeGreaterThan(th[k - 1]!);
    const p = predictProba(back, test.x, test.rows);
    for (let r = 0; r < test.rows; r++) {
      let sum = 0;
      for (let k = 0; k < 6; k++) {
        expect(p[r * 6 + k]!).toBeGreaterThanOrEqual(0);
        sum += p[r * 6 + k]!;
      }
      expect(sum).toBeCloseTo(1, 12);
    }
  });

  it('the trainer\'s own losses equal the saved model\'s, with early stopping on the cut points of the best round', () => {
    const train = ordinalSet(1500, 4);
    const valid = ordinalSet(600, 5);
    const { model, evals } = trainGbdt(train, { objective: 'ordinal', numClasses: 6, numIterations: 300, learningRate: 0.3, earlyStoppingRounds: 5 }, { valid });
    expect(model.bestIteration).toBeLessThan(300);
    const best = evals[model.bestIteration - 1]!;
    expect(logLoss(predictProba(model, valid.x, valid.rows), valid.y, 6)).toBeCloseTo(best.valid!, 10);
  });

  it('beats multiclass softmax and the cumulative binaries on ordered data at small sample sizes (log loss and RPS)', () => {
    const wins = { ll: 0, rps: 0, llFh: 0 };
    const seeds = [1, 2, 3, 4, 5];
    const rows: string[] = [];
    for (const seed of seeds) {
      const train = ordinalSet(300, 100 + seed);
      const test = ordinalSet(3000, 200 + seed);
      const common = { numIterations: 60, learningRate: 0.05, numLeaves: 7, minDataInLeaf: 10 };
      const ord = predictProba(trainGbdt(train, { objective: 'ordinal', numClasses: 6, ...common }).model, test.x, test.rows);
      const mc = predictProba(trainGbdt(train, { objective: 'multiclass', numClasses: 6, ...common }).model, test.x, test.rows);
      const fh = predictCumulativeBinaries(trainCumulativeBinaries(train, { numClasses: 6, ...common }), test.x, test.rows);
      const s = {
        ord: [logLoss(ord, test.y, 6), rankedProbabilityScore(ord, test.y, 6)],
        mc: [logLoss(mc, test.y, 6), rankedProbabilityScore(mc, test.y, 6)],
        fh: [logLoss(fh, test.y, 6), rankedProbabilityScore(fh, test.y, 6)],
      };
      rows.push(`seed ${seed}: ordinal ${s.ord.map((v) => v.toFixed(4))} multiclass ${s.mc.map((v) => v.toFixed(4))} cumulative-binaries ${s.fh.map((v) => v.toFixed(4))}`);
      if (s.ord[0]! < s.mc[0]!) wins.ll++;
      if (s.ord[1]! < s.mc[1]!) wins.rps++;
      if (s.ord[0]! < s.fh[0]!) wins.llFh++;
    }
    console.log(`(log loss, RPS) on 3000 held-out rows, 300 training rows:\n${rows.join('\n')}`);
    expect(wins.ll).toBe(seeds.length);
    expect(wins.rps).toBe(seeds.length);
    expect(wins.llFh).toBeGreaterThanOrEqual(seeds.length - 1);
  });
});

describe('cumulativeToClassProba', () => {
  it('fixes crossing exceedance curves into valid probabilities', () => {
    // Row 0 ordered; row 1 crosses (P(y>1) > P(y>0)).
    const q = Float64Array.from([0.8, 0.5, 0.2, 0.4, 0.6, 0.1]);
    const p = cumulativeToClassProba(q, 2, 4);
    expect(Array.from(p.subarray(0, 4)).map((v) => +v.toFixed(12))).toEqual([0.2, 0.3, 0.3, 0.2]);
    // Pool 0.4 and 0.6 to 0.5: P = [0.5, 0, 0.4, 0.1].
    expect(Array.from(p.subarray(4, 8)).map((v) => +v.toFixed(12))).toEqual([0.5, 0, 0.4, 0.1]);
    // A floor keeps every class possible and the rows summing to one.
    const floored = cumulativeToClassProba(q, 2, 4, 0.01);
    expect(floored[5]!).toBeGreaterThan(0.009);
    expect(floored[4]! + floored[5]! + floored[6]! + floored[7]!).toBeCloseTo(1, 12);
    expect(() => cumulativeToClassProba(q, 2, 4, 0.3)).toThrow('minProb must be in [0, 1/K), got 0.3');
  });
});
