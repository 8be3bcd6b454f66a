/**
 * Probabilistic scores shared by the trainer (early stopping), the benchmarks, the CLI and the
 * model reports. Probabilities are row-major [rows × K]; labels are class indices 0..K-1 (0/1 for
 * binary scores). Pure functions over typed arrays.
 */

import { rngFor } from './rng';

const EPS = 1e-15;

function checkShape(name: string, proba: ArrayLike<number>, y: ArrayLike<number>, K: number): number {
  if (!Number.isInteger(K) || K < 2) throw new RangeError(`${name}: numClasses must be an integer >= 2, got ${K}`);
  const rows = y.length;
  if (proba.length !== rows * K) throw new RangeError(`${name}: proba has ${proba.length} values, want rows*K = ${rows}*${K}`);
  if (rows === 0) throw new RangeError(`${name}: no rows`);
  return rows;
}

function label(name: string, y: ArrayLike<number>, r: number, K: number): number {
  const c = y[r]!;
  if (!Number.isInteger(c) || c < 0 || c >= K) throw new RangeError(`${name}: y[${r}] must be a class in 0..${K - 1}, got ${c}`);
  return c;
}

/** Mean negative log-likelihood of the observed class, probabilities clipped at 1e-15. */
export function logLoss(proba: ArrayLike<number>, y: ArrayLike<number>, numClasses: number): number {
  const rows = checkShape('logLoss', proba, y, numClasses);
  let s = 0;
  for (let r = 0; r < rows; r++) {
    const p = proba[r * numClasses + label('logLoss', y, r, numClasses)]!;
    s -= Math.log(Math.min(1, Math.max(EPS, p)));
  }
  return s / rows;
}

/**
 * Area under the ROC curve of `scores` for the positive class (y = 1): the Mann-Whitney statistic,
 * tied scores counted as half (average ranks). NaN when only one class is present.
 */
export function auc(scores: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = y.length;
  if (scores.length !== n) throw new RangeError(`auc: ${scores.length} scores for ${n} labels`);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => scores[a]! - scores[b]!);
  let pos = 0;
  let rankSumPos = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!]! === scores[order[i]!]!) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) {
      const c = y[order[t]!]!;
      if (c !== 0 && c !== 1) throw new RangeError(`auc: y[${order[t]}] must be 0 or 1, got ${c}`);
      if (c === 1) {
        pos++;
        rankSumPos += avgRank;
      }
    }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return NaN;
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** Mean over rows of sum_{k<K-1} (P(y<=k) - 1[obs<=k])^2 / (K-1). */
export function rankedProbabilityScore(proba: ArrayLike<number>, y: ArrayLike<number>, K: number): number {
  const rows = checkShape('rankedProbabilityScore', proba, y, K);
  let s = 0;
  for (let r = 0; r < rows; r++) {
    const c = label('rankedProbabilityScore', y, r, K);
    let cdf = 0;
    let row = 0;
    for (let k = 0; k < K - 1; k++) {
      cdf += proba[r * K + k]!;
      const d = cdf - (c <= k ? 1 : 0);
      row += d * d;
    }
    s += row / (K - 1);
  }
  return s / rows;
}

/** Multiclass Brier score: mean over rows of sum_k (p_k - 1[obs = k])^2. */
export function brierScore(proba: ArrayLike<number>, y: ArrayLike<number>, K: number): number {
  const rows = checkShape('brierScore', proba, y, K);
  let s = 0;
  for (let r = 0; r < rows; r++) {
    const c = label('brierScore', y, r, K);
    for (let k = 0; k < K; k++) {
      const d = proba[r * K + k]! - (k === c ? 1 : 0);
      s += d * d;
    }
  }
  return s / rows;
}

/** Share of rows whose most likely class (first on ties) is the observed one. */
export function accuracy(proba: ArrayLike<number>, y: ArrayLike<number>, K: number): number {
  const rows = checkShape('accuracy', proba, y, K);
  let hits = 0;
  for (let r = 0; r < rows; r++) {
    const c = label('accuracy', y, r, K);
    let best = 0;
    for (let k = 1; k < K; k++) if (proba[r * K + k]! > proba[r * K + best]!) best = k;
    if (best === c) hits++;
  }
  return hits / rows;
}

/** -log p of the observed class per row (clipped as logLoss), for the bootstraps below. */
export function perRowLogLoss(proba: ArrayLike<number>, y: ArrayLike<number>, K: number): Float64Array {
  const rows = checkShape('perRowLogLoss', proba, y, K);
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) out[r] = -Math.log(Math.min(1, Math.max(EPS, proba[r * K + label('perRowLogLoss', y, r, K)]!)));
  return out;
}

export interface CalibrationBin {
  /** Bin edges on the predicted probability: [lo, hi), the last bin including 1. */
  lo: number;
  hi: number;
  count: number;
  /** Mean predicted probability and share of the pairs that happened; NaN for an empty bin. */
  meanPredicted: number;
  observedFrequency: number;
}

/**
 * Reliability table over all (row, class) pairs: each predicted probability, in equal-width bins, against
 * how often that class was the observed one.
 */
export function calibrationTable(proba: ArrayLike<number>, y: ArrayLike<number>, K: number, options: { bins?: number } = {}): CalibrationBin[] {
  const rows = checkShape('calibrationTable', proba, y, K);
  const bins = options.bins ?? 10;
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`calibrationTable: bins must be an integer >= 1, got ${bins}`);
  const count = new Float64Array(bins);
  const sumP = new Float64Array(bins);
  const hits = new Float64Array(bins);
  for (let r = 0; r < rows; r++) {
    const c = label('calibrationTable', y, r, K);
    for (let k = 0; k < K; k++) {
      const p = proba[r * K + k]!;
      if (!(p >= 0 && p <= 1)) throw new RangeError(`calibrationTable: proba[${r * K + k}] must be in [0, 1], got ${p}`);
      const b = Math.min(bins - 1, Math.floor(p * bins));
      count[b] = count[b]! + 1;
      sumP[b] = sumP[b]! + p;
      if (k === c) hits[b] = hits[b]! + 1;
    }
  }
  return Array.from(count, (n, b) => ({
    lo: b / bins,
    hi: (b + 1) / bins,
    count: n,
    meanPredicted: n > 0 ? sumP[b]! / n : NaN,
    observedFrequency: n > 0 ? hits[b]! / n : NaN,
  }));
}

export interface BootstrapOptions {
  /** Resamples (default 1000). */
  reps?: number;
  /** Seed of the resampling stream (default 1); the same seed gives the same interval. */
  seed?: number;
  /** Central interval level (default 0.95), percentile method. */
  level?: number;
}

export interface BootstrapInterval {
  /** The statistic on the data as given. */
  estimate: number;
  lo: number;
  hi: number;
  reps: number;
  groups: number;
}

/** 'mean' (row mean, via per-group sums: O(groups) per resample) or any statistic of the resampled rows. */
export type BootstrapStat = 'mean' | ((sample: Float64Array) => number);

interface GroupedRows {
  /** Rows of group g: order[start[g] .. start[g + 1]). */
  order: Int32Array;
  start: Int32Array;
  sum: Float64Array;
}

function groupRows(name: string, values: ArrayLike<number>, groups: ArrayLike<number> | readonly (string | number)[]): GroupedRows {
  const n = values.length;
  if (groups.length !== n) throw new RangeError(`${name}: ${groups.length} groups for ${n} values`);
  if (n === 0) throw new RangeError(`${name}: no rows`);
  const id = new Map<string | number, number>();
  const groupOf = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    if (!Number.isFinite(values[r]!)) throw new RangeError(`${name}: value ${r} must be finite, got ${values[r]}`);
    const key = groups[r]!;
    let g = id.get(key);
    if (g === undefined) id.set(key, (g = id.size));
    groupOf[r] = g;
  }
  const G = id.size;
  const start = new Int32Array(G + 1);
  for (let r = 0; r < n; r++) start[groupOf[r]! + 1] = start[groupOf[r]! + 1]! + 1;
  for (let g = 0; g < G; g++) start[g + 1] = start[g + 1]! + start[g]!;
  const fill = start.slice(0, G);
  const order = new Int32Array(n);
  const sum = new Float64Array(G);
  for (let r = 0; r < n; r++) {
    const g = groupOf[r]!;
    order[fill[g]!] = r;
    fill[g] = fill[g]! + 1;
    sum[g] = sum[g]! + values[r]!;
  }
  return { order, start, sum };
}

/** Linear interpolation between order statistics (type 7) of sorted xs. */
function quantileSorted(xs: Float64Array, q: number): number {
  const h = (xs.length - 1) * q;
  const i = Math.floor(h);
  return i + 1 < xs.length ? xs[i]! + (h - i) * (xs[i + 1]! - xs[i]!) : xs[i]!;
}

function bootstrapCore(name: string, values: ArrayLike<number>, groups: ArrayLike<number> | readonly (string | number)[], stat: BootstrapStat, options: BootstrapOptions): { interval: BootstrapInterval; replicates: Float64Array } {
  const reps = options.reps ?? 1000;
  const seed = options.seed ?? 1;
  const level = options.level ?? 0.95;
  if (!Number.isInteger(reps) || reps < 2) throw new RangeError(`${name}: reps must be an integer >= 2, got ${reps}`);
  if (!Number.isFinite(seed)) throw new RangeError(`${name}: seed must be a finite number, got ${seed}`);
  if (!(level > 0 && level < 1)) throw new RangeError(`${name}: level must be in (0, 1), got ${level}`);
  const { order, start, sum } = groupRows(name, values, groups);
  const G = sum.length;
  const n = values.length;
  const all = Float64Array.from(values);
  const estimate = stat === 'mean' ? all.reduce((s, v) => s + v, 0) / n : stat(all);
  const rng = rngFor('bootstrapByGroup', seed);
  const replicates = new Float64Array(reps);
  const sample = stat === 'mean' ? undefined : new Float64Array(n * 2);
  for (let b = 0; b < reps; b++) {
    if (stat === 'mean') {
      let s = 0;
      let m = 0;
      for (let i = 0; i < G; i++) {
        const g = Math.floor(rng() * G);
        s += sum[g]!;
        m += start[g + 1]! - start[g]!;
      }
      replicates[b] = s / m;
    } else {
      let buf = sample!;
      let m = 0;
      for (let i = 0; i < G; i++) {
        const g = Math.floor(rng() * G);
        const size = start[g + 1]! - start[g]!;
        if (m + size > buf.length) {
          const grown = new Float64Array(Math.max(buf.length * 2, m + size));
          grown.set(buf.subarray(0, m));
          buf = grown;
        }
        for (let t = start[g]!; t < start[g + 1]!; t++) buf[m++] = all[order[t]!]!;
      }
      replicates[b] = stat(buf.subarray(0, m));
    }
  }
  const sorted = replicates.slice().sort();
  const alpha = (1 - level) / 2;
  return { interval: { estimate, lo: quantileSorted(sorted, alpha), hi: quantileSorted(sorted, 1 - alpha), reps, groups: G }, replicates };
}

/**
 * Percentile bootstrap interval of `stat` that resamples whole groups (days) with replacement, so the
 * correlated snapshot rows of one day move together and the interval is not falsely narrow.
 */
export function bootstrapByGroup(
  values: ArrayLike<number>,
  groups: ArrayLike<number> | readonly (string | number)[],
  stat: BootstrapStat = 'mean',
  options: BootstrapOptions = {},
): BootstrapInterval {
  return bootstrapCore('bootstrapByGroup', values, groups, stat, options).interval;
}

/**
 * Mean of a − b per row (e.g. model minus market per-row log loss) with a group bootstrap interval; both
 * sides are resampled together (paired), so day-to-day difficulty shared by both cancels. `shareBelowZero`
 * is the share of resamples in which a's mean is below b's.
 */
export function pairedBootstrapDiff(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  groups: ArrayLike<number> | readonly (string | number)[],
  options: BootstrapOptions = {},
): BootstrapInterval & { shareBelowZero: number } {
  if (a.length !== b.length) throw new RangeError(`pairedBootstrapDiff: ${a.length} values in a, ${b.length} in b`);
  const diff = new Float64Array(a.length);
  for (let r = 0; r < a.length; r++) diff[r] = a[r]! - b[r]!;
  const { interval, replicates } = bootstrapCore('pairedBootstrapDiff', diff, groups, 'mean', options);
  let below = 0;
  for (const v of replicates) if (v < 0) below++;
  return { ...interval, shareBelowZero: below / replicates.length };
}
