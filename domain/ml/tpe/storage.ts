/**
 * Where a study keeps its trials. The study (study.ts) talks to this async interface only, so the
 * in-memory storage below and the PostgreSQL storage (activities/ml/) are interchangeable.
 *
 * One storage instance holds ONE study's trials. Trial numbers are dense from 0 and assigned by the
 * storage (`createTrial`), so concurrent askers (several processes on PostgreSQL) never share a
 * number; the sampler then derives its random stream from the number, which makes re-asking a trial
 * after a crash reproducible.
 */
import { DomainError } from '../../errors';
import type { FrozenTrial, Params, TrialState } from './types';

export class TrialStateError extends DomainError {}

/** A change to one running trial. Fields left out stay as they are. */
export interface TrialUpdate {
  /** Set once, right after sampling. */
  params?: Params;
  /** One reported intermediate value (a later report of the same step replaces it, as in Optuna). */
  intermediate?: { step: number; value: number };
  /** Finishes the trial; a finished trial accepts no further update. */
  state?: Exclude<TrialState, 'running'>;
  /** Objective value: required with 'complete'; with 'pruned' the last intermediate value (as Optuna records it); ignored with 'fail'. */
  value?: number;
}

export interface StudyStorage {
  /** Adds a running trial without params under the next free number and returns that number. */
  createTrial(): Promise<number>;
  /** Applies an update; throws TrialStateError when the trial is unknown or already finished. */
  updateTrial(number: number, update: TrialUpdate): Promise<void>;
  /** Every trial of the study, ordered by number (running ones included). */
  listTrials(): Promise<FrozenTrial[]>;
  getTrial(number: number): Promise<FrozenTrial | undefined>;
}

/** Checks an update against the trial it applies to and returns the trial after it (pure). */
export function applyTrialUpdate(trial: FrozenTrial, update: TrialUpdate): FrozenTrial {
  if (trial.state !== 'running') throw new TrialStateError(`trial ${trial.number}: already ${trial.state}, cannot update`);
  const next: FrozenTrial = { ...trial, params: { ...trial.params }, intermediate: { ...trial.intermediate } };
  if (update.params !== undefined) next.params = { ...update.params };
  if (update.intermediate !== undefined) {
    const { step, value } = update.intermediate;
    if (!Number.isInteger(step) || step < 0) throw new TrialStateError(`trial ${trial.number}: step must be a non-negative integer, got ${step}`);
    next.intermediate[step] = value;
  }
  if (update.state !== undefined) {
    next.state = update.state;
    if (update.state === 'complete') {
      if (typeof update.value !== 'number' || !Number.isFinite(update.value)) {
        throw new TrialStateError(`trial ${trial.number}: complete needs a finite value, got ${String(update.value)}`);
      }
      next.value = update.value;
    } else if (update.state === 'pruned' && typeof update.value === 'number' && Number.isFinite(update.value)) {
      next.value = update.value;
    }
  }
  return next;
}

/** Keeps trials in this process (tests, benchmarks, one-off tuning). */
export class InMemoryStudyStorage implements StudyStorage {
  private readonly trials: FrozenTrial[] = [];

  async createTrial(): Promise<number> {
    const number = this.trials.length;
    this.trials.push({ number, state: 'running', params: {}, intermediate: {} });
    return number;
  }

  async updateTrial(number: number, update: TrialUpdate): Promise<void> {
    const trial = this.trials[number];
    if (trial === undefined) throw new TrialStateError(`trial ${number}: no such trial`);
    this.trials[number] = applyTrialUpdate(trial, update);
  }

  async listTrials(): Promise<FrozenTrial[]> {
    return this.trials.map(copyTrial);
  }

  async getTrial(number: number): Promise<FrozenTrial | undefined> {
    const trial = this.trials[number];
    return trial === undefined ? undefined : copyTrial(trial);
  }
}

function copyTrial(t: FrozenTrial): FrozenTrial {
  return { ...t, params: { ...t.params }, intermediate: { ...t.intermediate } };
}
