import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, type QueryDefinition } from '@temporalio/common';
import { setTimeout as sleep } from 'node:timers/promises';

export interface FollowOptions<P, R> {
  query: QueryDefinition<P>;
  intervalMs: number;
  /** Called with each progress answer (and with the final result). */
  show: (progress: P) => void | Promise<void>;
  /** Turns the final result into what `show` takes. */
  asProgress: (result: R) => P;
  /** The failure type whose details[0] carries the final state (e.g. StageFailed): returned, not thrown. */
  failureType: string;
}

/**
 * Polls a workflow's progress query until its result settles, showing each answer, and returns the
 * result, or the state attached to a failure of `failureType` (so that a failed run is still reported
 * stage by stage). Any other failure is thrown.
 */
export async function followWorkflow<P, R>(handle: WorkflowHandle, result: Promise<R>, opts: FollowOptions<P, R>): Promise<R> {
  let settled = false;
  const final = result.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  void final.then(() => (settled = true));
  while (!settled) {
    try {
      await opts.show(await handle.query(opts.query));
    } catch (err) {
      // The query needs a worker; until one polls, there is nothing to show yet.
      if (!(err instanceof Error) || !/no poller|timeout|deadline/i.test(err.message)) throw err;
    }
    await Promise.race([final, sleep(opts.intervalMs)]);
  }
  const outcome = await final;
  if ('value' in outcome) {
    await opts.show(opts.asProgress(outcome.value));
    return outcome.value;
  }
  const err = outcome.error;
  if (err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure && err.cause.type === opts.failureType && err.cause.details?.[0]) {
    const state = err.cause.details[0] as R;
    await opts.show(opts.asProgress(state));
    return state;
  }
  throw err;
}
