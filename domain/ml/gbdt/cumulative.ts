/**
 * Frank & Hall's ordinal baseline: K-1 binary models of "y > k" on the same rows, turned into
 * class probabilities. Each model is fitted alone, so the curves P(y > k) can cross (a higher k
 * more likely than a lower one); a per-row isotonic fit (pool adjacent violators) makes them
 * non-increasing in k before they are differenced, so every P(y = k) is >= 0 and they sum to one.
 */
import type { GbdtDataset } from './dataset';
import { validateGbdtDataset } from './dataset';
import type { HistogramBackend } from './histogram';
import { type GbdtModel, predictProba } from './model';
import { type GbdtParamsInput, InvalidGbdtParamsError } from './params';
import { type TrainOptions, trainGbdt } from './train';

export interface CumulativeBinaries {
  numClasses: number;
  /** models[k] predicts P(y > k). */
  models: GbdtModel[];
}

/** Trains the K-1 "y > k" binary models; params are binary params plus numClasses = K. */
export function trainCumulativeBinaries(
  train: GbdtDataset,
  params: Omit<GbdtParamsInput, 'objective' | 'numClasses'> & { numClasses: number },
  /** histogram: a fresh backend per model (a backend is closed when its training ends). */
  opts: Pick<TrainOptions, 'valid'> & { histogram?: () => HistogramBackend } = {},
): CumulativeBinaries {
  const K = params.numClasses;
  if (!Number.isInteger(K) || K < 3) throw new InvalidGbdtParamsError(`params.numClasses: must be an integer >= 3, got ${K}`);
  validateGbdtDataset(train, K, 'train');
  if (opts.valid) validateGbdtDataset(opts.valid, K, 'valid');
  const { numClasses: _k, ...rest } = params;
  const above = (y: ArrayLike<number>, k: number) => Float64Array.from(y as ArrayLike<number>, (c) => (c > k ? 1 : 0));
  const models: GbdtModel[] = [];
  for (let k = 0; k < K - 1; k++) {
    const valid = opts.valid ? { ...opts.valid, y: above(opts.valid.y, k) } : undefined;
    const r = trainGbdt({ ...train, y: above(train.y, k) }, { ...rest, objective: 'binary' }, { ...(valid ? { valid } : {}), ...(opts.histogram ? { histogram: opts.histogram() } : {}) });
    models.push(r.model);
  }
  return { numClasses: K, models };
}

/**
 * Class probabilities [rows × K] from P(y > k) [rows × (K-1)]: per row, the non-increasing
 * least-squares fit of the K-1 exceedance probabilities (pool adjacent violators), then
 * P(y=0) = 1 - q0, P(y=k) = q(k-1) - q(k), P(y=K-1) = q(K-2). With minProb > 0 every class gets
 * at least about that mass (floored, then renormalised).
 */
export function cumulativeToClassProba(greater: ArrayLike<number>, rows: number, K: number, minProb = 0): Float64Array {
  if (!(minProb >= 0 && minProb * K < 1)) throw new RangeError(`cumulativeToClassProba: minProb must be in [0, 1/K), got ${minProb}`);
  const m = K - 1;
  if (greater.length !== rows * m) throw new RangeError(`cumulativeToClassProba: ${greater.length} values for ${rows} rows of ${m} cut points`);
  const out = new Float64Array(rows * K);
  const val = new Float64Array(m);
  const cnt = new Int32Array(m);
  const q = new Float64Array(m);
  for (let r = 0; r < rows; r++) {
    // PAVA for a non-increasing sequence: merge blocks while a later block is above an earlier one.
    let nb = 0;
    for (let k = 0; k < m; k++) {
      val[nb] = Math.min(1, Math.max(0, greater[r * m + k]!));
      cnt[nb] = 1;
      nb++;
      while (nb > 1 && val[nb - 1]! > val[nb - 2]!) {
        const c = cnt[nb - 2]! + cnt[nb - 1]!;
        val[nb - 2] = (val[nb - 2]! * cnt[nb - 2]! + val[nb - 1]! * cnt[nb - 1]!) / c;
        cnt[nb - 2] = c;
        nb--;
      }
    }
    let k = 0;
    for (let b = 0; b < nb; b++) for (let j = 0; j < cnt[b]!; j++) q[k++] = val[b]!;
    out[r * K] = 1 - q[0]!;
    for (let j = 1; j < m; j++) out[r * K + j] = Math.max(0, q[j - 1]! - q[j]!);
    out[r * K + m] = q[m - 1]!;
    if (minProb > 0) {
      // A pooled block gives the classes inside it exactly zero mass; one such observed class
      // costs 34.5 nats at the usual 1e-15 clip. Floor, then renormalise.
      let sum = 0;
      for (let j = 0; j < K; j++) sum += out[r * K + j] = Math.max(minProb, out[r * K + j]!);
      for (let j = 0; j < K; j++) out[r * K + j] = out[r * K + j]! / sum;
    }
  }
  return out;
}

/** P(y = k) [rows × K] of the cumulative binaries on raw rows (minProb: see cumulativeToClassProba). */
export function predictCumulativeBinaries(cb: CumulativeBinaries, x: ArrayLike<number>, rows: number, minProb = 0): Float64Array {
  const m = cb.numClasses - 1;
  const greater = new Float64Array(rows * m);
  cb.models.forEach((model, k) => {
    const p = predictProba(model, x, rows);
    for (let r = 0; r < rows; r++) greater[r * m + k] = p[r * 2 + 1]!;
  });
  return cumulativeToClassProba(greater, rows, cb.numClasses, minProb);
}
