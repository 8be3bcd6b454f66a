import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ParzenEstimator, defaultWeights } from './parzen';
import { parseSearchSpace } from './space';

// Optuna's own _ParzenEstimator on the same observations (fixtures/optuna-parzen.py wrote the file).
interface Case {
  name: string;
  space: unknown;
  observations: Record<string, number[]>;
  points: Record<string, number[]>;
  logPdf: number[];
}
const reference = JSON.parse(readFileSync(new URL('./fixtures/optuna-parzen.json', import.meta.url), 'utf8')) as { optuna: string; cases: Case[] };

describe(`Parzen estimator parity with Optuna ${reference.optuna}`, () => {
  for (const c of reference.cases) {
    it(c.name, () => {
      const space = parseSearchSpace(c.space);
      const names = Object.keys(space);
      const obs = c.observations;
      const pts = c.points;
      const est = new ParzenEstimator(
        names.map((n) => Float64Array.from(obs[n]!)),
        names.map((n) => space[n]!),
        { priorWeight: 1, considerMagicClip: true, considerEndpoints: false, weights: defaultWeights },
      );
      const got = est.logPdf(names.map((n) => Float64Array.from(pts[n]!)));
      c.logPdf.forEach((want, i) => expect(got[i]!).toBeCloseTo(want, 9));
    });
  }
});
