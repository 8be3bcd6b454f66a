import { describe, expect, it } from 'vitest';
import { binMatrix, binOf, featureEdges, fitBinMapper, sortFloat32 } from './binning';
import { leafOf, type Tree } from './model';
import { mulberry32 } from '../rng';

/** Values that stress float32 rounding: float64 values between and on float32 neighbours, duplicates, negatives. */
function awkwardValues(n: number, seed: number): Float64Array {
  const rng = mulberry32(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng();
    const base = Math.fround((rng() - 0.5) * 200);
    if (u < 0.3) out[i] = base; // exactly float32
    else if (u < 0.5) out[i] = base + (rng() - 0.5) * Math.abs(base) * 2 ** -23; // within one float32 ulp
    else if (u < 0.6) out[i] = Math.round(rng() * 10); // heavy duplicates
    else if (u < 0.65) out[i] = NaN;
    else out[i] = (rng() - 0.5) * 1e-3;
  }
  return out;
}

describe('binning', () => {
  it('the stored float32 threshold reproduces every bin split exactly for every training value', () => {
    for (const [maxBins, seed] of [[255, 1], [16, 2], [1000, 3]] as const) {
      const x = awkwardValues(20000, seed);
      const m = fitBinMapper(x, x.length, 1, maxBins, 3, mulberry32(seed));
      const edges = m.edges[0]!;
      expect(edges.length).toBeLessThanOrEqual(maxBins);
      const bins = binMatrix(m, x, x.length);
      // Each value sits in (edges[b-1], edges[b]] as float32, so "fround(x) <= edges[t]" holds exactly for t >= b.
      for (let i = 0; i < x.length; i++) {
        const b = bins[i]!;
        if (Number.isNaN(x[i]!)) {
          expect(b).toBe(edges.length);
          continue;
        }
        const fx = Math.fround(x[i]!);
        if (!(fx <= edges[b]! && (b === 0 || fx > edges[b - 1]!))) throw new Error(`value ${x[i]} in bin ${b} outside (${edges[b - 1]}, ${edges[b]}]`);
      }
      // And through model.ts's own rule, on a spread of thresholds.
      for (let t = 0; t < edges.length - 1; t += Math.max(1, Math.floor(edges.length / 40))) {
        const thr = edges[t]!;
        expect(Math.fround(thr)).toBe(thr);
        const tree: Tree = { output: 0, splitFeature: [0], threshold: [thr], defaultLeft: [false], left: [-1], right: [-2], gain: [1], leafValue: [0, 1] };
        for (let i = 0; i < x.length; i++) {
          if (Number.isNaN(x[i]!)) continue;
          if (bins[i]! <= t !== (leafOf(tree, x, i) === 0)) throw new Error(`value ${x[i]} bin ${bins[i]} threshold ${thr} (bin ${t}) disagrees`);
        }
      }
    }
  });

  it('fits quantile bins with at most maxBins value bins and min_data_in_bin per bin (but the last)', () => {
    const rng = mulberry32(5);
    const v = Float32Array.from({ length: 10000 }, () => Math.fround(rng() * 100)).sort();
    const e = featureEdges(v, 32, 3);
    expect(e.length).toBe(32);
    const counts = new Int32Array(e.length);
    for (const x of v) counts[binOf(e, x)] = counts[binOf(e, x)]! + 1;
    // Equal-count bins: every bin within 2x of the mean size.
    for (const c of counts) expect(c).toBeGreaterThan(10000 / 32 / 2);
    // Few distinct values: one bin per value, merged only below min_data_in_bin.
    const few = Float32Array.from([1, 1, 1, 2, 3, 3, 3, 4, 4, 4, 4]);
    expect(Array.from(featureEdges(few, 255, 3))).toEqual([1.5, 3.5, Infinity]);
    expect(Array.from(featureEdges(new Float32Array(0), 255, 3))).toEqual([Infinity]);
  });

  it('sorts float32 values like a numeric sort (negatives, zeros, denormals, infinities)', () => {
    const rng = mulberry32(8);
    const v = Float32Array.from({ length: 5000 }, (_, i) => (i % 7 === 0 ? -0 : i % 11 === 0 ? 1e-42 : i % 13 === 0 ? -Infinity : i % 17 === 0 ? Infinity : (rng() - 0.5) * 10 ** Math.floor(rng() * 10 - 5)));
    const expected = Array.from(v).sort((a, b) => a - b);
    const got = Array.from(sortFloat32(Float32Array.from(v)));
    expect(got.map((x) => (Object.is(x, -0) ? 0 : x))).toEqual(expected.map((x) => (Object.is(x, -0) ? 0 : x)));
  });

  it('puts NaN in its own bin after the value bins, and uses uint16 above 256 bins', () => {
    const x = Float64Array.from([NaN, 1, 2, 3, NaN, 4, 5, 6]);
    const m = fitBinMapper(x, 4, 2, 255, 1, mulberry32(1));
    const b = binMatrix(m, x, 4);
    expect(b).toBeInstanceOf(Uint8Array);
    expect(b[0]).toBe(m.numBins[0]! - 1);
    expect(b[4]).toBe(m.numBins[0]! - 1);
    const wide = Float64Array.from({ length: 2000 }, (_, i) => i);
    const mw = fitBinMapper(wide, 2000, 1, 1000, 1, mulberry32(1));
    expect(binMatrix(mw, wide, 2000)).toBeInstanceOf(Uint16Array);
  });
});
