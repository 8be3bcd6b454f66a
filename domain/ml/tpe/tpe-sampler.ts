/**
 * Optuna 5's TPESampler (samplers/_tpe/sampler.py) with its defaults: random start-up trials, the
 * good/bad split by gamma, Parzen estimators l(x) and g(x), and the candidate from l(x) with the
 * highest log l(x) - log g(x). Multivariate (one joint estimator over all parameters) and constant
 * liar (running trials join the bad group) are on, as in Optuna 5 for one objective.
 *
 * Deterministic: the random stream of trial N is derived from (seed, N) alone, so asking trial N again
 * with the same history proposes the same parameters.
 */
import { ParzenEstimator, defaultWeights, type ParzenParameters } from './parzen';
import { RandomSampler, sampleUniform } from './random-sampler';
import { rngFor } from '../rng';
import { isSingle, toExternal, toInternal } from './space';
import type { Direction, Distribution, FrozenTrial, Params, Sampler, SearchSpace } from './types';

/** Optuna's default_gamma: the number of trials in the good group out of n finished ones. */
export function defaultGamma(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

export interface TPESamplerOptions {
  seed?: number | string;
  /** Random sampling until this many trials are complete or pruned. */
  nStartupTrials?: number;
  nEiCandidates?: number;
  multivariate?: boolean;
  constantLiar?: boolean;
  priorWeight?: number;
  considerMagicClip?: boolean;
  considerEndpoints?: boolean;
  gamma?: (n: number) => number;
  weights?: (n: number) => number[];
}

/** Optuna's _get_pruned_trial_score: deeper trials first, then by their last intermediate value. */
function prunedScore(t: FrozenTrial, direction: Direction): [number, number] {
  const steps = Object.keys(t.intermediate).map(Number);
  if (steps.length === 0) return [1, 0];
  const step = Math.max(...steps);
  const v = t.intermediate[step]!;
  if (Number.isNaN(v)) return [-step, Infinity];
  return [-step, direction === 'minimize' ? v : -v];
}

/** Optuna's _split_trials for one objective without constraints; both groups come back by number. */
export function splitTrials(trials: readonly FrozenTrial[], nBelow: number, direction: Direction): { below: FrozenTrial[]; above: FrozenTrial[] } {
  // A complete trial without a finite value (a storage bug) cannot be ranked; it is left out.
  const complete = trials.filter((t) => t.state === 'complete' && typeof t.value === 'number' && Number.isFinite(t.value));
  const pruned = trials.filter((t) => t.state === 'pruned');
  const running = trials.filter((t) => t.state === 'running');
  const sign = direction === 'minimize' ? 1 : -1;
  // Stable sorts: ties keep trial order, as Python's sorted does.
  const sortedComplete = [...complete].sort((a, b) => sign * (a.value! - b.value!));
  const nComplete = Math.min(nBelow, sortedComplete.length);
  const rest = Math.max(0, nBelow - nComplete);
  const sortedPruned = [...pruned].sort((a, b) => {
    const [sa, va] = prunedScore(a, direction);
    const [sb, vb] = prunedScore(b, direction);
    return sa - sb || (va === vb ? 0 : va < vb ? -1 : 1);
  });
  const nPruned = Math.min(rest, sortedPruned.length);
  const byNumber = (a: FrozenTrial, b: FrozenTrial) => a.number - b.number;
  const below = [...sortedComplete.slice(0, nComplete), ...sortedPruned.slice(0, nPruned)].sort(byNumber);
  const above = [...sortedComplete.slice(nComplete), ...sortedPruned.slice(nPruned), ...running].sort(byNumber);
  return { below, above };
}

export class TPESampler implements Sampler {
  readonly seed: number | string;
  private readonly nStartupTrials: number;
  private readonly nEiCandidates: number;
  private readonly multivariate: boolean;
  private readonly constantLiar: boolean;
  private readonly gamma: (n: number) => number;
  private readonly parzen: ParzenParameters;
  private readonly startup: RandomSampler;

  constructor(options: TPESamplerOptions = {}) {
    this.seed = options.seed ?? 0;
    this.startup = new RandomSampler({ seed: this.seed });
    this.nStartupTrials = options.nStartupTrials ?? 10;
    this.nEiCandidates = options.nEiCandidates ?? 24;
    this.multivariate = options.multivariate ?? true;
    this.constantLiar = options.constantLiar ?? true;
    this.gamma = options.gamma ?? defaultGamma;
    this.parzen = {
      priorWeight: options.priorWeight ?? 1,
      considerMagicClip: options.considerMagicClip ?? true,
      considerEndpoints: options.considerEndpoints ?? false,
      weights: options.weights ?? defaultWeights,
    };
    if (!(this.nEiCandidates >= 1)) throw new RangeError(`nEiCandidates must be >= 1, got ${this.nEiCandidates}`);
  }

  sample(space: SearchSpace, trials: readonly FrozenTrial[], direction: Direction, number: number): Params {
    const others = trials.filter((t) => t.number !== number);
    const finished = others.filter((t) => t.state === 'complete' || t.state === 'pruned');
    const params: Params = {};
    const names = Object.keys(space);
    // Start-up trials are exactly RandomSampler's for the same seed (as Optuna's TPE delegates to
    // its RandomSampler), so TPE and random search with one seed share their first points.
    if (finished.length < this.nStartupTrials) return this.startup.sample(space, trials, direction, number);
    const searched = names.filter((name) => !isSingle(space[name]!));
    for (const name of names) if (isSingle(space[name]!)) params[name] = sampleUniform(space[name]!, () => 0);
    const groups = this.multivariate ? [searched] : searched.map((name) => [name]);
    for (const group of groups) {
      if (group.length === 0) continue;
      const rng = rngFor(this.seed, 'tpe', number, this.multivariate ? '' : group[0]!);
      const { l, g } = this.estimators(space, group, others, direction);
      const candidates = l.sample(rng, this.nEiCandidates);
      const ll = l.logPdf(candidates);
      const lg = g.logPdf(candidates);
      let best = 0;
      let bestScore = -Infinity;
      for (let i = 0; i < this.nEiCandidates; i++) {
        const score = ll[i]! - lg[i]!;
        if (score > bestScore) {
          bestScore = score;
          best = i;
        }
      }
      group.forEach((name, j) => {
        params[name] = toExternal(space[name]!, candidates[j]![best]!);
      });
    }
    return params;
  }

  /**
   * The good/bad split of the history (the trial being sampled left out by the caller) and the two
   * Parzen estimators over the named parameters: l(x) from the good trials, g(x) from the rest.
   */
  estimators(space: SearchSpace, names: readonly string[], trials: readonly FrozenTrial[], direction: Direction): { below: FrozenTrial[]; above: FrozenTrial[]; l: ParzenEstimator; g: ParzenEstimator } {
    const pool = trials.filter((t) => t.state === 'complete' || t.state === 'pruned' || (this.constantLiar && t.state === 'running'));
    const nFinished = pool.filter((t) => t.state !== 'running').length;
    const { below, above } = splitTrials(pool, this.gamma(nFinished), direction);
    const dists = names.map((name) => space[name]!);
    return {
      below,
      above,
      l: new ParzenEstimator(observations(below, names, dists), dists, this.parzen),
      g: new ParzenEstimator(observations(above, names, dists), dists, this.parzen),
    };
  }
}

/**
 * Internal values of the trials that carry every parameter of the group (Optuna skips the others,
 * e.g. a running trial whose parameters are not written yet), one array per parameter.
 */
function observations(trials: readonly FrozenTrial[], names: readonly string[], dists: readonly Distribution[]): Float64Array[] {
  const usable = trials.filter((t) => names.every((name, j) => name in t.params && isUsable(dists[j]!, t.params[name]!)));
  return names.map((name, j) => Float64Array.from(usable, (t) => toInternal(dists[j]!, t.params[name]!)));
}

/** A stored value outside the current space (the space changed between runs) is left out, not fatal. */
function isUsable(d: Distribution, v: Params[string]): boolean {
  if (d.type === 'categorical') return d.choices.includes(v);
  return typeof v === 'number' && v >= d.low && v <= d.high;
}
