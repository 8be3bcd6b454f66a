/**
 * The Parzen estimator of Optuna 5's TPE (samplers/_tpe/parzen_estimator.py and
 * probability_distributions.py): a mixture with one product kernel per observation plus one prior
 * kernel, sampled and scored jointly over all parameters (multivariate TPE).
 *
 * Numerical parameters get truncated normal kernels in the (log-)transformed range; int and stepped
 * parameters widen the range by step/2 and use the probability mass of their grid cell; categorical
 * parameters get a smoothed one-hot kernel.
 */
import { choiceIndex } from '../rng';
import { logGaussMass, truncnormPpf } from './truncnorm';

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
import type { Distribution, Rng } from './types';

const EPS = 1e-12;

export interface ParzenParameters {
  priorWeight: number;
  considerMagicClip: boolean;
  considerEndpoints: boolean;
  /** Weight of each observation given their count, oldest first (Optuna's `weights`). */
  weights: (n: number) => number[];
}

/** Optuna's default_weights: flat for fewer than 25, else a linear ramp for all but the newest 25. */
export function defaultWeights(n: number): number[] {
  if (n === 0) return [];
  if (n < 25) return new Array<number>(n).fill(1);
  const ramp: number[] = [];
  const m = n - 25;
  for (let i = 0; i < m; i++) ramp.push(m === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (m - 1));
  return [...ramp, ...new Array<number>(25).fill(1)];
}

interface NumericalKernels {
  kind: 'numerical';
  mu: Float64Array;
  sigma: Float64Array;
  /** log of each kernel's mass inside [adaptedLow, adaptedHigh] (the truncation normaliser). */
  logZ: Float64Array;
  /** logZ + log(sigma): the continuous density's normaliser. */
  logNorm: Float64Array;
  /**
   * Kernel -> index of its distinct (mu, sigma) pair. Observations of int parameters repeat, and
   * repeated ones get the same clipped sigma, so grid masses are computed once per pair.
   */
  pairOf: Int32Array;
  pairMu: Float64Array;
  pairSigma: Float64Array;
  adaptedLow: number;
  adaptedHigh: number;
  log: boolean;
  /** 0 for continuous parameters. */
  step: number;
  low: number;
  high: number;
}

interface CategoricalKernels {
  kind: 'categorical';
  /** kernels x choices, rows sum to 1. */
  probs: Float64Array[];
}

type Kernels = NumericalKernels | CategoricalKernels;

function numericalKernels(obs: Float64Array, d: Exclude<Distribution, { type: 'categorical' }>, p: ParzenParameters): NumericalKernels {
  const step = d.type === 'int' ? d.step : (d.step ?? 0);
  let low = d.low - step / 2;
  let high = d.high + step / 2;
  const n = obs.length;
  const mus = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) mus[i] = d.log ? Math.log(obs[i]!) : obs[i]!;
  if (d.log) {
    low = Math.log(low);
    high = Math.log(high);
  }
  const sigmas = new Float64Array(n + 1);
  if (n > 0) {
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => mus[a]! - mus[b]! || a - b);
    const sorted = [low, ...order.map((i) => mus[i]!), high];
    const sortedSigmas = new Float64Array(n);
    for (let j = 0; j < n; j++) sortedSigmas[j] = Math.max(sorted[j + 1]! - sorted[j]!, sorted[j + 2]! - sorted[j + 1]!);
    if (!p.considerEndpoints && sorted.length >= 4) {
      sortedSigmas[0] = sorted[2]! - sorted[1]!;
      sortedSigmas[n - 1] = sorted[n]! - sorted[n - 1]!;
    }
    const maxSigma = high - low;
    const minSigma = p.considerMagicClip ? (high - low) / Math.min(100, 1 + (n + 1)) : EPS;
    for (let j = 0; j < n; j++) sigmas[order[j]!] = Math.min(Math.max(sortedSigmas[j]!, minSigma), maxSigma);
  }
  mus[n] = 0.5 * (low + high);
  sigmas[n] = high - low;
  const logZ = new Float64Array(n + 1);
  for (let k = 0; k <= n; k++) logZ[k] = logGaussMass((low - mus[k]!) / sigmas[k]!, (high - mus[k]!) / sigmas[k]!);
  const logNorm = logZ.map((z, k) => z + Math.log(sigmas[k]!));
  const pairIndex = new Map<string, number>();
  const pairOf = new Int32Array(n + 1);
  const pairMu: number[] = [];
  const pairSigma: number[] = [];
  for (let k = 0; k <= n; k++) {
    const key = `${mus[k]}|${sigmas[k]}`;
    let u = pairIndex.get(key);
    if (u === undefined) {
      u = pairMu.length;
      pairIndex.set(key, u);
      pairMu.push(mus[k]!);
      pairSigma.push(sigmas[k]!);
    }
    pairOf[k] = u;
  }
  return {
    kind: 'numerical',
    mu: mus,
    sigma: sigmas,
    logZ,
    logNorm,
    pairOf,
    pairMu: Float64Array.from(pairMu),
    pairSigma: Float64Array.from(pairSigma),
    adaptedLow: low, adaptedHigh: high, log: d.log, step, low: d.low, high: d.high };
}

function categoricalKernels(obs: Float64Array, nChoices: number, p: ParzenParameters): CategoricalKernels {
  const n = obs.length;
  if (n === 0) return { kind: 'categorical', probs: [new Float64Array(nChoices).fill(1 / nChoices)] };
  const probs: Float64Array[] = [];
  for (let k = 0; k <= n; k++) {
    const row = new Float64Array(nChoices).fill(p.priorWeight / (n + 1));
    if (k < n) row[obs[k]!] = row[obs[k]!]! + 1;
    let sum = 0;
    for (let c = 0; c < nChoices; c++) sum += row[c]!;
    if (sum > 0) for (let c = 0; c < nChoices; c++) row[c] = row[c]! / sum;
    probs.push(row);
  }
  return { kind: 'categorical', probs };
}

export class ParzenEstimator {
  private readonly weights: Float64Array;
  private readonly logWeights: Float64Array;
  private readonly kernels: Kernels[];

  /**
   * @param observations one array per parameter (internal representation), all of the same length,
   *   ordered oldest first so the weights ramp over the right trials.
   */
  constructor(observations: readonly Float64Array[], dists: readonly Distribution[], p: ParzenParameters) {
    if (!(p.priorWeight >= 0)) throw new RangeError(`priorWeight must be >= 0, got ${p.priorWeight}`);
    const n = observations[0]?.length ?? 0;
    const w = n === 0 ? [1] : [...p.weights(n).slice(0, n), p.priorWeight];
    if (w.some((x) => !(x >= 0) || !Number.isFinite(x))) throw new RangeError(`weights must be finite and >= 0, got ${w.join(', ')}`);
    const total = w.reduce((a, b) => a + b, 0);
    this.weights = Float64Array.from(w, (x) => x / total);
    this.logWeights = this.weights.map(Math.log);
    this.kernels = dists.map((d, i) => (d.type === 'categorical' ? categoricalKernels(observations[i]!, d.choices.length, p) : numericalKernels(observations[i]!, d, p)));
  }

  /** `size` joint samples, one array per parameter (internal representation). */
  sample(rng: Rng, size: number): Float64Array[] {
    const out = this.kernels.map(() => new Float64Array(size));
    for (let s = 0; s < size; s++) {
      const k = choiceIndex(rng, this.weights);
      this.kernels.forEach((kern, i) => {
        if (kern.kind === 'categorical') {
          out[i]![s] = choiceIndex(rng, kern.probs[k]!);
          return;
        }
        const mu = kern.mu[k]!;
        const sigma = kern.sigma[k]!;
        let x = truncnormPpf(rng(), (kern.adaptedLow - mu) / sigma, (kern.adaptedHigh - mu) / sigma) * sigma + mu;
        if (kern.log) x = Math.exp(x);
        if (kern.step !== 0) x = Math.min(Math.max(kern.low + Math.round((x - kern.low) / kern.step) * kern.step, kern.low), kern.high);
        out[i]![s] = x;
      });
    }
    return out;
  }

  /** log density (mass for discrete parameters) of each joint sample under the mixture. */
  logPdf(samples: readonly Float64Array[]): Float64Array {
    const size = samples[0]?.length ?? 0;
    const nk = this.weights.length;
    // terms[s * nk + k]: log weight of kernel k plus its log density at sample s, summed over parameters.
    const terms = new Float64Array(size * nk);
    for (let s = 0; s < size; s++) terms.set(this.logWeights, s * nk);
    this.kernels.forEach((kern, i) => {
      const xs = samples[i]!;
      if (kern.kind === 'categorical') {
        const logProbs = kern.probs.map((row) => row.map(Math.log));
        for (let s = 0; s < size; s++) {
          const x = xs[s]!;
          const base = s * nk;
          for (let k = 0; k < nk; k++) terms[base + k] = terms[base + k]! + logProbs[k]![x]!;
        }
        return;
      }
      const { mu, sigma, logNorm, logZ } = kern;
      if (kern.step === 0) {
        for (let s = 0; s < size; s++) {
          const xt = kern.log ? Math.log(xs[s]!) : xs[s]!;
          const base = s * nk;
          if (!(xt >= kern.adaptedLow && xt <= kern.adaptedHigh)) {
            for (let k = 0; k < nk; k++) terms[base + k] = -Infinity;
            continue;
          }
          for (let k = 0; k < nk; k++) {
            const z = (xt - mu[k]!) / sigma[k]!;
            terms[base + k] = terms[base + k]! - 0.5 * z * z - LOG_SQRT_2PI - logNorm[k]!;
          }
        }
        return;
      }
      // Grid values repeat among candidates: compute each cell's masses once (Optuna dedups too).
      const cells = new Map<number, Float64Array>();
      for (let s = 0; s < size; s++) {
        const x = xs[s]!;
        let cell = cells.get(x);
        if (cell === undefined) {
          const left = kern.log ? Math.log(x - kern.step / 2) : x - kern.step / 2;
          const right = kern.log ? Math.log(x + kern.step / 2) : x + kern.step / 2;
          const { pairMu, pairSigma, pairOf } = kern;
          const perPair = new Float64Array(pairMu.length);
          for (let u = 0; u < pairMu.length; u++) perPair[u] = logGaussMass((left - pairMu[u]!) / pairSigma[u]!, (right - pairMu[u]!) / pairSigma[u]!);
          cell = new Float64Array(nk);
          for (let k = 0; k < nk; k++) cell[k] = perPair[pairOf[k]!]! - logZ[k]!;
          cells.set(x, cell);
        }
        const base = s * nk;
        for (let k = 0; k < nk; k++) terms[base + k] = terms[base + k]! + cell[k]!;
      }
    });
    const out = new Float64Array(size);
    for (let s = 0; s < size; s++) {
      const base = s * nk;
      let max = -Infinity;
      for (let k = 0; k < nk; k++) if (terms[base + k]! > max) max = terms[base + k]!;
      if (max === -Infinity) {
        out[s] = -Infinity;
        continue;
      }
      let sum = 0;
      for (let k = 0; k < nk; k++) sum += Math.exp(terms[base + k]! - max);
      out[s] = Math.log(sum) + max;
    }
    return out;
  }
}
