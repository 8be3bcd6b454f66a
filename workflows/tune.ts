import {
  ApplicationFailure,
  continueAsNew,
  defineQuery,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { TuneActivities } from '../activities/ml/tune';
import { TuneInputSchema, type BestTrial, type RunTrialResult, type TellTrialResult, type TuneInput, type TuneProgress, type TuneState } from '../schemas/tune';
import { CITY, STAGE, STUDY } from './search-attributes';
import { rootMessage } from './errors';

/** Trials done, running and failed, and the best so far. */
export const tuneProgressQuery = defineQuery<TuneProgress>('tuneProgress');

/** Failure types of the tune activities that retrying cannot fix (activities/ml/tune.ts TUNE_NON_RETRYABLE). */
const NON_RETRYABLE = ['InvalidInput', 'StudyMismatch'];

const now = () => new Date().toISOString(); // deterministic inside workflows

/**
 * Runs a study's trials, `parallelism` at a time, each as activities on the ML task queue:
 * askTrial (params stored as a running trial), runTrial (the objective; heartbeats; intermediate
 * values; pruning), tellTrial (its end, first write wins). The study lives in PostgreSQL, so this
 * workflow holds only counts: re-running a study name resumes it (openStudy counts what it has), and
 * it continues as new every `continueAsNewEvery` trials with nothing but its ask sequence.
 *
 * A trial whose run fails for any reason (its worker died and the heartbeat timed out, the objective
 * threw) is told 'fail' and its budget is issued again as a new trial; complete and pruned trials
 * count. Since tellTrial returns the stored state, a trial is counted exactly once, as what the
 * database holds. Trials left running by an earlier run (its workflow was terminated) are marked
 * failed by askTrial once their heartbeat is stale.
 */
export async function tuneWorkflow(raw: TuneInput): Promise<TuneProgress> {
  const parsed = TuneInputSchema.safeParse(raw);
  if (!parsed.success) {
    throw ApplicationFailure.create({
      type: 'InvalidInput',
      nonRetryable: true,
      message: `tune input: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    });
  }
  const input = parsed.data;
  const info = workflowInfo();
  const state: TuneState = input.state ?? { askSeq: 0, failures: 0, runs: 0 };
  const maxFailed = input.maxFailedTrials ?? Math.max(10, input.trials);

  const { openStudy, askTrial, tellTrial, finishStudy } = proxyActivities<TuneActivities>({
    startToCloseTimeout: '2 minutes',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 30, nonRetryableErrorTypes: NON_RETRYABLE },
  });
  // One attempt: a trial whose run is lost is failed and re-issued as a new trial (Optuna's semantics),
  // never silently re-run under the same number.
  const { runTrial } = proxyActivities<TuneActivities>({
    startToCloseTimeout: `${input.trialTimeoutSeconds} seconds`,
    heartbeatTimeout: `${input.heartbeatTimeoutSeconds} seconds`,
    retry: { maximumAttempts: 1 },
  });

  upsertSearchAttributes([
    { key: STAGE, value: 'tune' },
    { key: STUDY, value: input.study },
    ...(input.city ? [{ key: CITY, value: input.city }] : []),
  ]);

  const progress: TuneProgress = {
    workflowId: info.workflowId,
    study: input.study,
    status: 'running',
    requested: input.trials,
    done: 0,
    complete: 0,
    pruned: 0,
    failed: 0,
    running: 0,
    best: null,
    startedAt: now(),
    runs: state.runs,
  };
  setHandler(tuneProgressQuery, () => progress);

  const opened = await openStudy({
    study: input.study,
    space: input.space,
    direction: input.direction,
    objective: input.objective,
    sampler: input.sampler,
    pruner: input.pruner,
    trials: input.trials,
  });
  const { studyId } = opened;
  progress.studyId = studyId;
  progress.complete = opened.counts.complete;
  progress.pruned = opened.counts.pruned;
  progress.failed = opened.counts.fail;
  progress.done = opened.counts.complete + opened.counts.pruned;
  progress.best = opened.best;

  const better = (a: BestTrial | null, value: number) => !a || (input.direction === 'minimize' ? value < a.value : value > a.value);
  const owned = new Set<number>();
  let inFlight = 0;
  let issued = 0;
  let fatal: string | undefined;

  const count = (t: TellTrialResult) => {
    if (t.state === 'complete' || t.state === 'pruned') {
      progress.done += 1;
      if (t.state === 'complete') progress.complete += 1;
      else progress.pruned += 1;
      if (t.state === 'complete' && t.value !== null && better(progress.best, t.value)) progress.best = { number: t.number, value: t.value, params: t.params };
    } else {
      progress.failed += 1;
      state.failures += 1;
    }
  };

  /** Runs a trial and tells its end: the objective's outcome, or 'fail' when the run failed or was lost. */
  const runAndTell = async (number: number): Promise<TellTrialResult> => {
    let ran: RunTrialResult;
    try {
      ran = await runTrial({ studyId, number });
    } catch (err) {
      return tellTrial({ studyId, number, state: 'fail', error: failureMessage(err) });
    }
    return tellTrial({ studyId, number, state: ran.state, ...(ran.value !== undefined ? { value: ran.value } : {}) });
  };

  const slot = async (): Promise<void> => {
    // The server suggests continuing as new when the history grows large (e.g. big parameter maps).
    while (!fatal && progress.done + inFlight < input.trials && issued < input.continueAsNewEvery && !workflowInfo().continueAsNewSuggested) {
      if (state.failures >= maxFailed) {
        fatal = `${state.failures} trials failed (maxFailedTrials ${maxFailed})`;
        return;
      }
      inFlight += 1;
      issued += 1;
      const askKey = `${info.workflowId}/${info.firstExecutionRunId}#${state.askSeq++}`;
      let number: number;
      try {
        const asked = await askTrial({ studyId, askKey, owned: [...owned], staleAfterSeconds: input.staleAfterSeconds });
        number = asked.number;
        progress.failed += asked.markedStale.length;
      } catch (err) {
        inFlight -= 1;
        fatal = `ask: ${failureMessage(err)}`;
        return;
      }
      owned.add(number);
      progress.running += 1;
      try {
        count(await runAndTell(number));
      } catch (err) {
        fatal = `tell of trial ${number}: ${failureMessage(err)}`;
      } finally {
        progress.running -= 1;
        inFlight -= 1;
        owned.delete(number);
      }
    }
  };
  await Promise.all(Array.from({ length: input.parallelism }, slot));

  if (fatal) {
    progress.status = 'failed';
    progress.error = fatal;
    progress.finishedAt = now();
    await finishStudy({ studyId, status: 'failed' });
    throw ApplicationFailure.create({ type: 'StudyFailed', nonRetryable: true, message: `study ${input.study}: ${fatal}`, details: [progress] });
  }
  if (progress.done < input.trials) {
    // Every trial of this run is told by now; the next run reads the study back from PostgreSQL.
    await continueAsNew<typeof tuneWorkflow>({ ...raw, state: { ...state, runs: state.runs + 1 } });
  }
  await finishStudy({ studyId, status: 'complete' });
  progress.status = 'done';
  progress.finishedAt = now();
  return progress;
}

/** The activity's own message (and type) once, else the innermost cause. */
function failureMessage(err: unknown): string {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e instanceof ApplicationFailure) return e.type ? `${e.message} [${e.type}]` : e.message;
  }
  return rootMessage(err);
}
