/**
 * The activities of tuneWorkflow (workflows/tune.ts), on the ML task queue:
 *   openStudy  creates the study or resumes it by name (refusing a changed space, direction or objective);
 *   askTrial   marks stale running trials failed, samples the next trial's params, stores it (idempotent by ask key);
 *   runTrial   runs the named objective, heartbeating (to Temporal and to trial.heartbeat_at),
 *              storing intermediate values and honouring the pruner;
 *   tellTrial  writes the trial's end (the first tell wins) and returns it as stored;
 *   finishStudy records the study's status.
 * Bad input is a non-retryable InvalidInput naming the field; a study resumed with another spec is a
 * non-retryable StudyMismatch naming the first differing field.
 */
import { hostname } from 'node:os';
import { ApplicationFailure, CancelledFailure, Context, activityInfo } from '@temporalio/activity';
import { DomainError } from '../../domain/errors';
import { parseSearchSpace } from '../../domain/ml/tpe/space';
import type { Pruner, Sampler, SearchSpace } from '../../domain/ml/tpe/types';
import type {
  AskTrialInput,
  AskTrialResult,
  OpenStudyInput,
  OpenStudyResult,
  RunTrialInput,
  RunTrialResult,
  StudySpec,
  TellTrialInput,
  TellTrialResult,
} from '../../schemas/tune';
import type { ActivityDeps } from '../index';
import { OBJECTIVES, TrialPruned, resolveObjective, type ObjectiveContext, type ObjectiveRegistry } from './objectives';
import { prunerFor, samplerFor } from './samplers';
import { bestTrial, createOrGetStudy, getStudy, PgStudyStorage, setStudyStatus, storedSpec, studyCounts } from './study-store';
import { firstDifference } from './spec-diff';

/** Failure types of these activities that retrying cannot fix. */
export const TUNE_NON_RETRYABLE = ['InvalidInput', 'StudyMismatch'];

const invalid = (message: string) => ApplicationFailure.create({ type: 'InvalidInput', nonRetryable: true, message });

/** The parts of a spec checked before anything is written: space, objective, sampler and pruner options. */
export function checkStudySpec(spec: StudySpec, registry: ObjectiveRegistry = OBJECTIVES): { space: SearchSpace; sampler: Sampler; pruner: Pruner | undefined } {
  const space = parseSearchSpace(spec.space, 'space');
  resolveObjective(spec.objective, space, registry);
  return { space, sampler: samplerFor(spec.sampler), pruner: prunerFor(spec.pruner) };
}

/** The first field in which a stored study differs from the spec given to resume it, as one line; undefined when the same. */
export function studyMismatch(stored: Omit<StudySpec, 'study'>, given: StudySpec): string | undefined {
  for (const field of ['space', 'direction', 'objective'] as const) {
    const d = firstDifference(stored[field], given[field], field);
    if (d) return `study ${JSON.stringify(given.study)} exists with another ${field}: ${d.path} is ${d.stored} there, ${d.given} here (use another study name)`;
  }
  return undefined;
}

export interface TuneActivityOptions {
  /** Objectives by name (default: OBJECTIVES). */
  objectives?: ObjectiveRegistry;
}

export function createTuneActivities(deps: ActivityDeps, opts: TuneActivityOptions = {}) {
  const { db, log } = deps;
  const objectives = opts.objectives ?? OBJECTIVES;
  const worker = `${hostname()}:${process.pid}`;

  const domainCheck = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof DomainError) throw invalid(err.message);
      throw err;
    }
  };

  return {
    async openStudy(input: OpenStudyInput): Promise<OpenStudyResult> {
      domainCheck(() => checkStudySpec(input, objectives));
      const { row, created } = await createOrGetStudy(db, input, input.trials);
      if (!created) {
        const mismatch = studyMismatch(storedSpec(row), input);
        if (mismatch) throw ApplicationFailure.create({ type: 'StudyMismatch', nonRetryable: true, message: mismatch });
        await setStudyStatus(db, row.studyId, { status: 'running', requestedTrials: input.trials, sampler: input.sampler, pruner: input.pruner });
      }
      const counts = await studyCounts(db, row.studyId);
      log.info({ study: input.study, studyId: row.studyId, created, counts }, created ? 'study created' : 'study resumed');
      return { studyId: row.studyId, created, counts, best: await bestTrial(db, row.studyId, input.direction) };
    },

    async askTrial(input: AskTrialInput): Promise<AskTrialResult> {
      const study = await getStudy(db, input.studyId);
      const spec = storedSpec(study);
      const space = domainCheck(() => parseSearchSpace(spec.space, 'space'));
      const sampler = domainCheck(() => samplerFor(spec.sampler));
      const storage = new PgStudyStorage(db, input.studyId);
      const asked = await storage.ask(input.askKey, (trials, number) => sampler.sample(space, trials, spec.direction, number), {
        owned: input.owned,
        staleAfterSeconds: input.staleAfterSeconds,
      });
      if (asked.markedStale.length > 0) log.warn({ study: study.name, trials: asked.markedStale }, 'running trials with a stale heartbeat marked failed');
      return { number: asked.number, params: asked.params, markedStale: asked.markedStale };
    },

    async runTrial(input: RunTrialInput): Promise<RunTrialResult> {
      const ctx = Context.current();
      const study = await getStudy(db, input.studyId);
      const spec = storedSpec(study);
      const storage = new PgStudyStorage(db, input.studyId);
      const row = await storage.row(input.number);
      if (!row) throw invalid(`trial ${input.number}: no such trial in study ${study.name}`);
      if (row.state !== 'running') {
        return { state: row.state, ...(row.value !== null ? { value: row.value } : {}), steps: Object.keys(row.intermediateValues).length, alreadyFinished: true };
      }
      const space = domainCheck(() => parseSearchSpace(spec.space, 'space'));
      const objective = domainCheck(() => resolveObjective(spec.objective, space, objectives));
      const pruner = domainCheck(() => prunerFor(spec.pruner));
      await storage.beat(input.number, { worker, attempt: activityInfo().attempt });

      // Between reports a long objective still shows life, to Temporal and in trial.heartbeat_at.
      const beatEveryMs = Math.max(200, Math.floor((activityInfo().heartbeatTimeoutMs ?? 30_000) / 3));
      let beating: Promise<unknown> = Promise.resolve();
      const timer = setInterval(() => {
        ctx.heartbeat({ number: input.number });
        beating = storage.beat(input.number).catch((err: Error) => log.warn({ err: err.message, trial: input.number }, 'trial heartbeat not stored'));
      }, beatEveryMs);
      let steps = 0;
      let last: number | undefined;
      const octx: ObjectiveContext = {
        deps,
        signal: ctx.cancellationSignal,
        heartbeat: () => ctx.heartbeat({ number: input.number }),
        sleep: (ms) => ctx.sleep(ms),
        async report(step, value) {
          ctx.heartbeat({ number: input.number, step });
          const stored = await storage.report(input.number, step, value);
          if (!stored) throw new CancelledFailure(`trial ${input.number} is no longer running in the database`);
          steps += 1;
          last = value;
          if (!pruner) return false;
          const trials = await storage.listTrials();
          const me = trials.find((t) => t.number === input.number)!;
          return pruner.shouldPrune(me, trials, spec.direction);
        },
      };
      try {
        const value = await objective.definition.run(row.params as never, objective.options, octx);
        if (!Number.isFinite(value)) throw ApplicationFailure.create({ type: 'ObjectiveFailed', nonRetryable: true, message: `objective ${objective.name} returned ${value}` });
        return { state: 'complete', value, steps };
      } catch (err) {
        if (err instanceof TrialPruned) return { state: 'pruned', ...(last !== undefined ? { value: last } : {}), steps };
        if (err instanceof DomainError) throw ApplicationFailure.create({ type: 'ObjectiveFailed', nonRetryable: true, message: err.message });
        throw err;
      } finally {
        clearInterval(timer);
        await beating;
      }
    },

    async tellTrial(input: TellTrialInput): Promise<TellTrialResult> {
      const storage = new PgStudyStorage(db, input.studyId);
      return storage.tell(input.number, input.state, input.value, input.error);
    },

    async finishStudy(input: { studyId: number; status: 'complete' | 'failed' }): Promise<void> {
      await setStudyStatus(db, input.studyId, { status: input.status });
    },
  };
}

export type TuneActivities = ReturnType<typeof createTuneActivities>;
