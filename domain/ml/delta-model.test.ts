import { describe, expect, it } from 'vitest';
import { buildDataset } from '../features/build';
import { DATE, fixtureInput, ladder } from '../features/test-fixture';
import {
  BASE_FRACTION,
  deltaClass,
  deltaClasses,
  deltaFeatureNames,
  deltaMatrix,
  deltaRows,
  DeltaSpecSchema,
  deltaToBrackets,
  integerBaseline,
  isTemperatureFeature,
  predictDelta,
} from './delta-model';
import { trainGbdt } from './gbdt/train';

// The fixture's ladder: <=32 | 33-34 | 35-36 | 37-38 | 39-40 | >=41.
const L = ladder(33);

describe('DeltaSpecSchema', () => {
  it('defaults to the forecast baseline and -8..8', () => {
    expect(DeltaSpecSchema.parse({})).toEqual({ baseline: 'forecast', lo: -8, hi: 8 });
    expect(deltaClasses(DeltaSpecSchema.parse({}))).toBe(17);
  });
  it.each([
    [{ baseline: 'median' }, 'baseline'],
    [{ lo: -2.5 }, 'lo'],
    [{ lo: 3, hi: 4 }, 'hi'],
    [{ lo: -100 }, 'lo'],
    [{ extra: 1 }, ''],
  ])('refuses %j naming %s', (raw, field) => {
    const r = DeltaSpecSchema.safeParse(raw);
    expect(r.success).toBe(false);
    if (field) expect(r.error!.issues[0]!.path).toEqual([field]);
  });
});

describe('baseline and target', () => {
  it('rounds the baseline half up, NaN stays NaN', () => {
    expect(integerBaseline(36.5)).toBe(37);
    expect(integerBaseline(36.49)).toBe(36);
    expect(integerBaseline(-0.5)).toBe(0);
    expect(integerBaseline(NaN)).toBeNaN();
  });
  it('class = clip(high - b, lo, hi) - lo', () => {
    const s = { lo: -2, hi: 2 };
    expect(deltaClass(36, 36, s)).toBe(2); // delta 0 is the middle class
    expect(deltaClass(35, 36, s)).toBe(1);
    expect(deltaClass(38, 36, s)).toBe(4);
    expect(deltaClass(45, 36, s)).toBe(4); // clipped high
    expect(deltaClass(20, 36, s)).toBe(0); // clipped low
    expect(deltaClass(NaN, 36, s)).toBeNaN();
    expect(deltaClass(36, NaN, s)).toBeNaN();
  });
});

describe('deltaToBrackets', () => {
  it('sends each class to the bracket of its integer high, floored and renormalised', () => {
    // b = 36, -2..2: highs 34, 35, 36, 37, 38 -> brackets 1, 2, 2, 3, 3.
    const p = deltaToBrackets([0.1, 0.2, 0.3, 0.25, 0.15], [36], [L], { lo: -2, hi: 2 }, 0.01);
    const raw = [0.01, 0.1, 0.5, 0.4, 0.01, 0.01];
    const s = raw.reduce((a, x) => a + x, 0);
    raw.forEach((x, j) => expect(p[j]).toBeCloseTo(x / s, 12));
  });

  it('puts the clipped end classes in the brackets of b+lo and b+hi (not further out)', () => {
    // b = 36, -4..4: class 0 is "32 or below" -> bracket 0 (<=32); class 8 is "40 or above" -> bracket 4 (39-40):
    // the share of it that would be >= 41 stays in bracket 4 (the documented approximation).
    const K = 9;
    const first = new Float64Array(K);
    first[0] = 1;
    const last = new Float64Array(K);
    last[K - 1] = 1;
    const p = deltaToBrackets([...first, ...last], [36, 36], [L, L], { lo: -4, hi: 4 }, 0);
    expect(Array.from(p.subarray(0, 6))).toEqual([1, 0, 0, 0, 0, 0]);
    expect(Array.from(p.subarray(6, 12))).toEqual([0, 0, 0, 0, 1, 0]);
    // A range wide enough for the ladder: -8..8 from 36 ends at 28 and 44, inside the two tails.
    const wideLast = new Float64Array(17);
    wideLast[16] = 1;
    expect(Array.from(deltaToBrackets(wideLast, [36], [L], { lo: -8, hi: 8 }, 0))).toEqual([0, 0, 0, 0, 0, 1]);
  });

  it('no bracket is exactly 0 and every row sums to one', () => {
    const K = 17;
    const rows = 50;
    const proba = new Float64Array(rows * K);
    const b = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      b[i] = 25 + i; // baselines from far below the ladder to far above it
      let s = 0;
      for (let k = 0; k < K; k++) s += proba[i * K + k] = ((i * 7 + k * 3) % 11) + (k === 8 ? 20 : 0);
      for (let k = 0; k < K; k++) proba[i * K + k] = proba[i * K + k]! / s;
    }
    const p = deltaToBrackets(proba, b, Array.from({ length: rows }, () => L), { lo: -8, hi: 8 });
    for (let i = 0; i < rows; i++) {
      const row = Array.from(p.subarray(i * 6, i * 6 + 6));
      expect(row.every((x) => x > 0)).toBe(true);
      expect(row.reduce((a, x) => a + x, 0)).toBeCloseTo(1, 12);
    }
  });

  it('is monotone: a higher class never lands in a lower bracket', () => {
    const K = 13; // -6..6
    for (let b = 20; b <= 50; b++) {
      let prevBracket = -1;
      for (let k = 0; k < K; k++) {
        const one = new Float64Array(K);
        one[k] = 1;
        const p = deltaToBrackets(one, [b], [L], { lo: -6, hi: 6 }, 0);
        const j = p.indexOf(1);
        expect(j).toBeGreaterThanOrEqual(prevBracket);
        prevBracket = j;
      }
    }
  });

  it('refuses shapes that do not match', () => {
    expect(() => deltaToBrackets([0.5, 0.5], [36], [L], { lo: -1, hi: 1 })).toThrow(/2 probabilities for 1 rows of 3 classes/);
    expect(() => deltaToBrackets([1, 0, 0], [36], [L.slice(0, 5)], { lo: -1, hi: 1 })).toThrow(/5 brackets, want 6/);
  });
});

describe('deltaMatrix on the fixture dataset', () => {
  const d = buildDataset(fixtureInput(), { city: 'chicago', from: DATE, to: DATE });
  const all = Int32Array.from({ length: d.features.rows }, (_, r) => r);
  const fc = d.features.column('fc.mean');
  const obsMax = d.features.column('obs.max');

  it('names temperatures relative to the baseline, drops quote prices, adds the residual and the edges', () => {
    const names = deltaFeatureNames(d.features.names);
    expect(names).toContain('rel.fc.mean');
    expect(names).toContain('rel.fc.iem-mos/gfs.high');
    expect(names).toContain('rel.hc.open-meteo/best_match.remaining_max');
    expect(names).toContain('rel.mkt.mean');
    expect(names).toContain('mkt.p3');
    expect(names).toContain('fc.iem-mos/gfs.lead'); // a lead is not a temperature
    expect(names).not.toContain('m2.mid');
    expect(names.slice(-6)).toEqual([BASE_FRACTION, 'edge.0', 'edge.1', 'edge.2', 'edge.3', 'edge.4']);
    expect(isTemperatureFeature('fc.sd')).toBe(false); // a spread is a difference, unchanged by a shift
  });

  it('drops rows without the baseline: obs_max is unknown before the climate day', () => {
    const withObs = deltaRows(d, { baseline: 'obs_max' }, all, true);
    expect(withObs.length).toBe(Array.from(obsMax).filter(Number.isFinite).length);
    expect(withObs.length).toBeLessThan(all.length);
    expect(deltaRows(d, { baseline: 'forecast' }, all, true).length).toBe(all.length);
    const spec = DeltaSpecSchema.parse({ baseline: 'obs_max' });
    expect(() => deltaMatrix(d, spec, all, true)).toThrow(/no obs_max baseline/);
  });

  it('values: relative temperatures, residual, edges, the class of the settled high; NaN stays NaN', () => {
    const spec = DeltaSpecSchema.parse({ baseline: 'forecast', lo: -3, hi: 3 });
    const rows = Int32Array.from([0, 20]);
    const m = deltaMatrix(d, spec, rows, true);
    const at = (i: number, name: string) => m.x[i * m.featureNames.length + m.featureNames.indexOf(name)]!;
    rows.forEach((r, i) => {
      const b = Math.floor(fc[r]! + 0.5);
      expect(m.b[i]).toBe(b);
      expect(at(i, 'rel.fc.mean')).toBeCloseTo(fc[r]! - b, 12);
      expect(at(i, BASE_FRACTION)).toBeCloseTo(fc[r]! - b, 12);
      expect(at(i, 'edge.0')).toBe(32.5 - b); // bracket 0 is "32 or below"
      expect(at(i, 'edge.4')).toBe(40.5 - b); // bracket 4 is 39-40
      expect(at(i, 'mkt.p0')).toBe(d.features.column('mkt.p0')[r]);
      // The settled high is 38.
      expect(m.y[i]).toBe(Math.min(3, Math.max(-3, 38 - b)) + 3);
    });
    // Row 0 is the open, before any quote: the market's columns are NaN there, and stay so.
    expect(at(0, 'mkt.p0')).toBeNaN();
    expect(at(0, 'rel.mkt.mean')).toBeNaN();
    // Row 0 is before the climate day: no observation yet.
    expect(at(0, 'rel.obs.max')).toBeNaN();
    expect(at(1, 'rel.obs.max')).toBeCloseTo(obsMax[20]! - m.b[1]!, 12);
    expect(at(1, 'rel.mkt.mean')).toBeCloseTo(d.features.column('mkt.mean')[20]! - m.b[1]!, 12);
  });

  it('a served model given its own feature names reads absent columns as NaN', () => {
    const spec = DeltaSpecSchema.parse({});
    const m = deltaMatrix(d, spec, Int32Array.from([5]), false, ['rel.fc.mean', 'rel.fc.other/model.high', 'edge.2']);
    expect(m.x[0]).toBeCloseTo(fc[5]! - Math.floor(fc[5]! + 0.5), 12);
    expect(m.x[1]).toBeNaN();
    expect(m.x[2]).toBe(36.5 - m.b[0]!);
  });

  it('predictDelta: a trained ordinal model serves six probabilities summing to one per row', () => {
    const spec = DeltaSpecSchema.parse({ lo: -2, hi: 2 });
    const m = deltaMatrix(d, spec, all, true);
    const { model } = trainGbdt(m, { objective: 'ordinal', numClasses: 5, numIterations: 5, minDataInLeaf: 5, numLeaves: 4 });
    const p = predictDelta(model, d, spec, all);
    expect(p.length).toBe(all.length * 6);
    for (let i = 0; i < all.length; i++) expect(Array.from(p.subarray(i * 6, i * 6 + 6)).reduce((a, x) => a + x, 0)).toBeCloseTo(1, 12);
    expect(() => predictDelta(model, d, DeltaSpecSchema.parse({}), all)).toThrow(/needs ordinal with 17/);
  });
});
