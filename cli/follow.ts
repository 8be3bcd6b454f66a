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
 * gRPC status codes (grpc/status.h) of a query that no worker answered in time, or a server briefly
 * out of reach: CANCELLED 1, DEADLINE_EXCEEDED 4, RESOURCE_EXHAUSTED 8, FAILED_PRECONDITION 9 ("no
 * poller seen for task queue recently"), ABORTED 10, UNAVAILABLE 14.
 */
const TRANSIENT_CODES = new Set<number>([1, 4, 8, 9, 10, 14]);

/**
 * Whether a failed progress query is worth retrying. The SDK wraps the gRPC error in a ServiceError
 * whose message is only "Failed to query Workflow": the reason is the cause's status code.
 */
export function isTransientQueryFailure(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number' && TRANSIENT_CODES.has(code)) return true;
  }
  return false;
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
    let progress: P | undefined;
    try {
      progress = await handle.query(opts.query);
    } catch (err) {
      // The query needs a worker: while none polls (not started yet, killed and restarting), it fails
      // or times out. The run goes on regardless and its result decides; keep following.
      if (!isTransientQueryFailure(err)) throw err;
    }
    if (progress !== undefined) await opts.show(progress);
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
