/**
 * Quantile binning of raw features into small integers, fitted on (a sample of) the training rows
 * as LightGBM does (200k-row sample, min_data_in_bin, at most max_bin value bins).
 *
 * Every comparison is made on float32 values: bin b of a feature holds the values v with
 * fround(v) <= upperEdges[b] (and above the previous edge), and the edges themselves are float32.
 * A split "bins 0..t go left" is then stored as threshold upperEdges[t], and model.ts's rule
 * `fround(x) <= threshold` sends every value exactly where the bin split sent it, for training rows
 * and new rows alike. Missing values (NaN) get one extra bin after the value bins.
 */
import type { Binning } from './model';
import { type Rng, sampleSorted } from '../rng';

export const BIN_SAMPLE_ROWS = 200_000;

export interface BinMapper {
  features: number;
  /** Per feature: float32 upper edges of the value bins, increasing; the last is +Infinity. */
  edges: Float64Array[];
  /** Per feature: value bins + 1 (the NaN bin is index edges[f].length). */
  numBins: Int32Array;
  /** Start of each feature's bins in a histogram (sum of numBins before it). */
  offset: Int32Array;
  totalBins: number;
  maxBins: number;
  /** offset[f] = f * 256 (all features fit uint8 bins). */
  stride256: boolean;
}

/**
 * Sorts float32 values (no NaN) in place: an LSD radix sort on order-preserving integer keys,
 * three 11-bit passes (Float32Array.prototype.sort took about 30 ms per 100k values in Node 20,
 * most of the binning time).
 */
export function sortFloat32(a: Float32Array): Float32Array {
  const n = a.length;
  const bits = new Uint32Array(a.buffer, a.byteOffset, n);
  let src = new Uint32Array(n);
  let dst = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const v = bits[i]!;
    // Negative: flip all bits; positive: set the sign bit. Unsigned order = float order.
    src[i] = (v & 0x80000000) !== 0 ? ~v >>> 0 : (v | 0x80000000) >>> 0;
  }
  const count = new Uint32Array(2048);
  for (let shift = 0; shift < 32; shift += 11) {
    count.fill(0);
    for (let i = 0; i < n; i++) {
      const d = (src[i]! >>> shift) & 2047;
      count[d] = count[d]! + 1;
    }
    let sum = 0;
    for (let d = 0; d < 2048; d++) {
      const c = count[d]!;
      count[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const k = src[i]!;
      const d = (k >>> shift) & 2047;
      dst[count[d]!] = k;
      count[d] = count[d]! + 1;
    }
    const t = src;
    src = dst;
    dst = t;
  }
  for (let i = 0; i < n; i++) {
    const k = src[i]!;
    bits[i] = (k & 0x80000000) !== 0 ? (k & 0x7fffffff) >>> 0 : ~k >>> 0;
  }
  return a;
}

/** Edges for one feature from its sorted float32 sample values (NaN removed). */
export function featureEdges(sorted: Float32Array, maxBins: number, minDataInBin: number): Float64Array {
  const n = sorted.length;
  if (n === 0) return Float64Array.of(Infinity);
  const vals = new Float64Array(n);
  const counts = new Int32Array(n);
  let d = 0;
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && sorted[j] === sorted[i]) j++;
    vals[d] = sorted[i]!;
    counts[d] = j - i;
    d++;
    i = j;
  }
  const edges: number[] = [];
  // Edge between two consecutive distinct float32 values a < b: the float32 midpoint, or a itself
  // if rounding pushed the midpoint onto b (a then still goes left and b right).
  const cut = (i: number) => {
    const a = vals[i]!;
    const b = vals[i + 1]!;
    const m = Math.fround(a / 2 + b / 2);
    edges.push(m >= b || m < a ? a : m);
  };
  let cur = 0;
  if (d <= maxBins) {
    for (let i = 0; i < d - 1; i++) {
      cur += counts[i]!;
      if (cur >= minDataInBin) {
        cut(i);
        cur = 0;
      }
    }
  } else {
    // Greedy equal-count bins: the target size is re-computed from what is left, so a heavy value
    // (e.g. many zeros) takes its own bin without starving the rest.
    let remaining = n;
    let binsLeft = maxBins;
    let target = Math.max(minDataInBin, remaining / binsLeft);
    for (let i = 0; i < d - 1 && binsLeft > 1; i++) {
      cur += counts[i]!;
      const next = counts[i + 1]!;
      // Close before a heavy next value, or when the bin is full.
      if (cur >= target || (cur >= minDataInBin && next >= target)) {
        cut(i);
        remaining -= cur;
        cur = 0;
        binsLeft--;
        target = Math.max(minDataInBin, remaining / binsLeft);
      }
    }
  }
  edges.push(Infinity);
  return Float64Array.from(edges);
}

/** Fits the bins of every feature on up to 200k sampled training rows. */
export function fitBinMapper(x: ArrayLike<number>, rows: number, features: number, maxBins: number, minDataInBin: number, rng: Rng): BinMapper {
  let sample: Uint32Array;
  if (rows > BIN_SAMPLE_ROWS) {
    sample = new Uint32Array(BIN_SAMPLE_ROWS);
    sampleSorted(rows, BIN_SAMPLE_ROWS, rng, sample);
  } else {
    sample = new Uint32Array(rows);
    for (let i = 0; i < rows; i++) sample[i] = i;
  }
  // One pass over the rows into per-feature columns (a strided pass per feature would read the
  // whole matrix once per feature), NaN dropped.
  const m = sample.length;
  const cols = Array.from({ length: features }, () => new Float32Array(m));
  const lens = new Int32Array(features);
  for (let i = 0; i < m; i++) {
    const o = sample[i]! * features;
    for (let f = 0; f < features; f++) {
      const v = x[o + f]!;
      if (v === v) {
        cols[f]![lens[f]!] = v;
        lens[f] = lens[f]! + 1;
      }
    }
  }
  const edges: Float64Array[] = [];
  for (let f = 0; f < features; f++) edges.push(featureEdges(sortFloat32(cols[f]!.subarray(0, lens[f]!)), maxBins, minDataInBin));
  return mapperFromEdges(edges, maxBins);
}

export function mapperFromEdges(edges: Float64Array[], maxBins: number): BinMapper {
  const features = edges.length;
  const numBins = new Int32Array(features);
  const offset = new Int32Array(features);
  let total = 0;
  let maxNb = 0;
  for (let f = 0; f < features; f++) {
    numBins[f] = edges[f]!.length + 1;
    maxNb = Math.max(maxNb, numBins[f]!);
  }
  // With uint8 bins every feature gets 256 histogram slots (offset f << 8): the histogram kernel
  // then computes the slot without loading an offset, about 20% faster.
  const stride256 = maxNb <= 256;
  for (let f = 0; f < features; f++) {
    offset[f] = stride256 ? f << 8 : total;
    total += stride256 ? 256 : numBins[f]!;
  }
  return { features, edges, numBins, offset, totalBins: total, maxBins, stride256 };
}

/** Bin of one value: the NaN bin for NaN, else the first edge >= fround(v). */
export function binOf(edges: Float64Array, v: number): number {
  if (v !== v) return edges.length;
  const fv = Math.fround(v);
  let lo = 0;
  let hi = edges.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (fv <= edges[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Row-major bins (uint8 when every feature has at most 256 bins, NaN bin included). */
export function binMatrix(m: BinMapper, x: ArrayLike<number>, rows: number): Uint8Array | Uint16Array {
  const F = m.features;
  let maxNb = 0;
  for (let f = 0; f < F; f++) maxNb = Math.max(maxNb, m.numBins[f]!);
  const out = maxNb <= 256 ? new Uint8Array(rows * F) : new Uint16Array(rows * F);
  for (let f = 0; f < F; f++) {
    const e = m.edges[f]!;
    for (let r = 0; r < rows; r++) out[r * F + f] = binOf(e, x[r * F + f]!);
  }
  return out;
}

export function binningToJson(m: BinMapper): Binning {
  return {
    maxBins: m.maxBins,
    upperEdges: m.edges.map((e) => Array.from(e, (v) => (v === Infinity ? null : v))),
  };
}
