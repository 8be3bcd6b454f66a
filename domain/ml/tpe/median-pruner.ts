/**
 * Pruners (Optuna's pruners/_percentile.py, _median.py, _nop.py). The median pruner stops a trial
 * whose best intermediate value so far is worse than the median of the completed trials' values at
 * the same step.
 */
import type { Direction, FrozenTrial, Pruner } from './types';

export interface PercentilePrunerOptions {
  /** Pruning is off until this many trials are complete. */
  nStartupTrials?: number;
  /** Pruning is off while the trial's step is below this. */
  nWarmupSteps?: number;
  /** Steps between pruning checks, counted from the warm-up. */
  intervalSteps?: number;
  /** Fewest completed trials with a value at the step for a judgement. */
  nMinTrials?: number;
}

/** Linear-interpolation percentile of non-NaN values (numpy's nanpercentile default). */
function nanPercentile(values: readonly number[], q: number): number {
  const xs = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (xs.length === 0) return NaN;
  const pos = (q / 100) * (xs.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return xs[lo]! + (xs[hi]! - xs[lo]!) * (pos - lo);
}

/** Optuna's _is_first_in_interval_step: only the first report at or after each checkpoint is judged. */
function isFirstInIntervalStep(step: number, steps: readonly number[], warmup: number, interval: number): boolean {
  const nearestLower = Math.floor((step - warmup) / interval) * interval + warmup;
  let secondLast = -1;
  for (const s of steps) if (s > secondLast && s !== step) secondLast = s;
  return secondLast < nearestLower;
}

export class PercentilePruner implements Pruner {
  private readonly nStartupTrials: number;
  private readonly nWarmupSteps: number;
  private readonly intervalSteps: number;
  private readonly nMinTrials: number;

  constructor(
    private readonly percentile: number,
    options: PercentilePrunerOptions = {},
  ) {
    this.nStartupTrials = options.nStartupTrials ?? 5;
    this.nWarmupSteps = options.nWarmupSteps ?? 0;
    this.intervalSteps = options.intervalSteps ?? 1;
    this.nMinTrials = options.nMinTrials ?? 1;
    if (!(percentile >= 0 && percentile <= 100)) throw new RangeError(`percentile must be in [0, 100], got ${percentile}`);
    if (!(this.nStartupTrials >= 0)) throw new RangeError(`nStartupTrials must be >= 0, got ${this.nStartupTrials}`);
    if (!(this.nWarmupSteps >= 0)) throw new RangeError(`nWarmupSteps must be >= 0, got ${this.nWarmupSteps}`);
    if (!(this.intervalSteps >= 1)) throw new RangeError(`intervalSteps must be >= 1, got ${this.intervalSteps}`);
    if (!(this.nMinTrials >= 1)) throw new RangeError(`nMinTrials must be >= 1, got ${this.nMinTrials}`);
  }

  shouldPrune(trial: FrozenTrial, trials: readonly FrozenTrial[], direction: Direction): boolean {
    const completed = trials.filter((t) => t.state === 'complete' && t.number !== trial.number);
    if (completed.length === 0 || completed.length < this.nStartupTrials) return false;
    const steps = Object.keys(trial.intermediate).map(Number);
    if (steps.length === 0) return false;
    const step = Math.max(...steps);
    if (step < this.nWarmupSteps) return false;
    if (!isFirstInIntervalStep(step, steps, this.nWarmupSteps, this.intervalSteps)) return false;
    const own = Object.values(trial.intermediate).filter((v) => !Number.isNaN(v));
    // A trial that reported only NaN is pruned, as in Optuna.
    if (own.length === 0) return true;
    const best = direction === 'maximize' ? Math.max(...own) : Math.min(...own);
    const atStep = completed.filter((t) => step in t.intermediate).map((t) => t.intermediate[step]!);
    if (atStep.length < this.nMinTrials) return false;
    const p = nanPercentile(atStep, direction === 'maximize' ? 100 - this.percentile : this.percentile);
    if (Number.isNaN(p)) return false;
    return direction === 'maximize' ? best < p : best > p;
  }
}

/** Optuna's MedianPruner: n_startup_trials 5, n_warmup_steps 0, interval_steps 1. */
export class MedianPruner extends PercentilePruner {
  constructor(options: PercentilePrunerOptions = {}) {
    super(50, options);
  }
}

export class NopPruner implements Pruner {
  shouldPrune(): boolean {
    return false;
  }
}
