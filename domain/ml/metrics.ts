/**
 * Probabilistic scores shared by the trainer (early stopping), the benchmarks, the CLI and the
 * model reports. Probabilities are row-major [rows × K]; labels are class indices 0..K-1 (0/1 for
 * binary scores). Pure functions over typed arrays.
 */

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
