import { describe, expect, it } from 'vitest';
import reference from './fixtures/optuna-parzen.json';
import { ParzenEstimator, defaultWeights } from './parzen';
import { parseSearchSpace } from './space';

// Optuna's own _ParzenEstimator on the same observations (fixtures/optuna-parzen.py wrote the file).
describe(`Parzen estimator parity with Optuna ${reference.optuna}`, () => {
  for (const c of reference.cases) {
    it(c.name, () => {
      const space = parseSearchSpace(c.space);
      const names = Object.keys(space);
      const obs = c.observations as Record<string, number[]>;
      const pts = c.points as Record<string, number[]>;
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
