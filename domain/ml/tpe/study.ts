/**
 * An Optuna-style study over any StudyStorage: ask a trial (the sampler reads every trial so far,
 * running ones included), let the objective report intermediate values and consult the pruner, tell
 * the result; `optimize` runs that loop with several objective calls in flight.
 */
import { DomainError } from '../../errors';
import { MedianPruner } from './median-pruner';
import { parseSearchSpace } from './space';
import { InMemoryStudyStorage, type StudyStorage } from './storage';
import { TPESampler } from './tpe-sampler';
import type { Direction, FrozenTrial, Params, Pruner, Sampler, SearchSpace } from './types';

/** Thrown by an objective to stop its trial as pruned (Optuna's TrialPruned). */
export class TrialPruned extends Error {
  constructor(message = 'trial pruned') {
    super(message);
    this.name = 'TrialPruned';
  }
}

export class StudyError extends DomainError {}

export interface TrialHandle {
  readonly number: number;
  readonly params: Params;
  /** Records an intermediate value (e.g. validation loss after `step` boosting rounds). */
  report(step: number, value: number): Promise<void>;
  /** Asks the pruner whether this trial should stop, given what it has reported so far. */
  shouldPrune(): Promise<boolean>;
}

/** A finished objective value, or an explicit end state. */
export type TellResult = number | { state: 'pruned' | 'fail'; value?: number };

export type Objective = (trial: TrialHandle) => number | Promise<number>;

export interface OptimizeOptions {
  /** Trials to run in this call. */
  trials: number;
  /** Objective calls in flight at once (1 = sequential). */
  parallel?: number;
  /**
   * When true, an objective that throws (other than TrialPruned) fails its trial and the run goes
   * on; when false (Optuna's default) the run stops asking, lets the trials in flight finish and
   * rethrows the first error. The failed trial is recorded either way.
   */
  continueOnError?: boolean;
}

export interface StudyOptions {
  space: SearchSpace | unknown;
  direction?: Direction;
  sampler?: Sampler;
  pruner?: Pruner;
  storage?: StudyStorage;
}

export interface Study {
  readonly space: SearchSpace;
  readonly direction: Direction;
  readonly sampler: Sampler;
  readonly pruner: Pruner;
  readonly storage: StudyStorage;
  /**
   * Starts a trial. With `number`, resumes that running trial instead: its stored parameters when it
   * has them, otherwise it is sampled now (the same parameters a first ask would have got, given the
   * same history).
   */
  ask(options?: { number?: number }): Promise<TrialHandle>;
  tell(number: number, result: TellResult): Promise<FrozenTrial>;
  /**
   * Runs `trials` more trials and returns every trial of the study. With parallel 1 the study is a
   * pure function of the seed and the objective; with more lanes the history each ask sees depends
   * on which objective calls finished first, as in Optuna with n_jobs > 1.
   */
  optimize(objective: Objective, options: OptimizeOptions): Promise<FrozenTrial[]>;
  bestTrial(): Promise<FrozenTrial | undefined>;
  trials(): Promise<FrozenTrial[]>;
}

/** The best complete trial (the earliest among equals), or undefined when none is complete. */
export function bestOf(trials: readonly FrozenTrial[], direction: Direction): FrozenTrial | undefined {
  let best: FrozenTrial | undefined;
  for (const t of trials) {
    if (t.state !== 'complete' || t.value === undefined) continue;
    if (best === undefined || (direction === 'minimize' ? t.value < best.value! : t.value > best.value!)) best = t;
  }
  return best;
}

function lastIntermediate(t: FrozenTrial): number | undefined {
  const steps = Object.keys(t.intermediate).map(Number);
  return steps.length === 0 ? undefined : t.intermediate[Math.max(...steps)];
}

export function createStudy(options: StudyOptions): Study {
  const space = parseSearchSpace(options.space);
  const direction: Direction = options.direction ?? 'minimize';
  if (direction !== 'minimize' && direction !== 'maximize') throw new StudyError(`direction: expected minimize or maximize, got ${JSON.stringify(direction)}`);
  const sampler = options.sampler ?? new TPESampler();
  const pruner = options.pruner ?? new MedianPruner();
  const storage = options.storage ?? new InMemoryStudyStorage();

  function handle(number: number, params: Params): TrialHandle {
    return {
      number,
      params,
      report: (step, value) => storage.updateTrial(number, { intermediate: { step, value } }),
      shouldPrune: async () => {
        const all = await storage.listTrials();
        const trial = all.find((t) => t.number === number);
        if (trial === undefined) throw new StudyError(`trial ${number}: not in the study`);
        return pruner.shouldPrune(trial, all, direction);
      },
    };
  }

  async function sampleInto(number: number): Promise<Params> {
    const all = await storage.listTrials();
    let params: Params;
    try {
      params = sampler.sample(space, all, direction, number);
    } catch (error) {
      // Without params the trial could never run; fail it so it does not stay running forever.
      await storage.updateTrial(number, { state: 'fail' });
      throw error;
    }
    await storage.updateTrial(number, { params });
    return params;
  }

  const study: Study = {
    space,
    direction,
    sampler,
    pruner,
    storage,

    async ask(opts = {}) {
      if (opts.number === undefined) {
        const number = await storage.createTrial();
        return handle(number, await sampleInto(number));
      }
      const existing = await storage.getTrial(opts.number);
      if (existing === undefined) throw new StudyError(`trial ${opts.number}: not in the study`);
      if (existing.state !== 'running') throw new StudyError(`trial ${opts.number}: already ${existing.state}`);
      const sampled = Object.keys(space).every((name) => name in existing.params);
      return handle(opts.number, sampled ? existing.params : await sampleInto(opts.number));
    },

    async tell(number, result) {
      const trial = await storage.getTrial(number);
      if (trial === undefined) throw new StudyError(`trial ${number}: not in the study`);
      if (typeof result === 'number') {
        // Optuna fails a trial whose objective returned NaN or an infinite value.
        if (Number.isFinite(result)) await storage.updateTrial(number, { state: 'complete', value: result });
        else await storage.updateTrial(number, { state: 'fail' });
      } else if (result.state === 'pruned') {
        // Optuna records a pruned trial's last intermediate value as its value.
        const value = result.value ?? lastIntermediate(trial);
        await storage.updateTrial(number, value === undefined ? { state: 'pruned' } : { state: 'pruned', value });
      } else {
        await storage.updateTrial(number, { state: 'fail' });
      }
      const told = await storage.getTrial(number);
      if (told === undefined) throw new StudyError(`trial ${number}: vanished from the storage`);
      return told;
    },

    async optimize(objective, opts) {
      const total = opts.trials;
      const parallel = opts.parallel ?? 1;
      if (!Number.isInteger(total) || total < 0) throw new StudyError(`trials: expected a non-negative integer, got ${total}`);
      if (!Number.isInteger(parallel) || parallel < 1) throw new StudyError(`parallel: expected a positive integer, got ${parallel}`);
      let started = 0;
      let firstError: { error: unknown } | undefined;
      const runOne = async (): Promise<void> => {
        const trial = await study.ask();
        let result: TellResult;
        let thrown: { error: unknown } | undefined;
        try {
          result = await objective(trial);
        } catch (error) {
          if (error instanceof TrialPruned) result = { state: 'pruned' };
          else {
            result = { state: 'fail' };
            thrown = { error };
          }
        }
        await study.tell(trial.number, result);
        if (thrown !== undefined && !opts.continueOnError) firstError ??= thrown;
      };
      const lane = async (): Promise<void> => {
        while (started < total && firstError === undefined) {
          started++;
          try {
            await runOne();
          } catch (error) {
            // A storage failure: stop asking, let the other lanes finish their trials, then rethrow.
            firstError ??= { error };
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(parallel, Math.max(total, 1)) }, lane));
      if (firstError !== undefined) throw firstError.error;
      return storage.listTrials();
    },

    async bestTrial() {
      return bestOf(await storage.listTrials(), direction);
    },

    trials: () => storage.listTrials(),
  };
  return study;
}
