/**
 * GBDT training runs on worker threads, so that the caller's event loop stays free (an
 * activity's heartbeats are timers: a synchronous trainer on the activity's thread would starve them
 * and the trial would be declared dead). The rows travel as typed arrays over SharedArrayBuffers, so
 * K trials of one process share one copy of the data set. Every `reportEvery` rounds the thread posts
 * the validation loss; the caller's `onProgress` may answer "stop" (a pruner), and an aborted signal
 * stops the run too: either terminates the thread at once (the trainer never yields, so terminating
 * is the only way to stop it mid-round). Threads that finished their job are kept for the next one.
 */
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
import type { GbdtParams } from '../domain/ml/gbdt/params';
import type { GbdtModel } from '../domain/ml/gbdt/model';
import type { TrainResult } from '../domain/ml/gbdt/train';

type FeatureImportance = TrainResult['importance'];

export interface SharedRows {
  /** Row-major rows × features (NaN = missing), ideally over a SharedArrayBuffer. */
  x: Float64Array;
  rows: number;
  /** Class index per row. */
  y: Int32Array;
}

export interface TrainJob {
  train: SharedRows;
  valid: SharedRows;
  featureNames: string[];
  params: GbdtParams;
  /** Post the validation loss every this many rounds (step = round / reportEvery - 1). */
  reportEvery: number;
  /** Held-out metric of the final model on `valid`. */
  metric: 'logloss' | 'rps';
  /** Also send back the final model's probabilities on `valid` (rows × classes), for a caller's own metric (e.g. the bracket objective's log loss over each ladder). */
  returnProba?: boolean;
  /** Also send back the trained model (the training activity keeps it; a trial needs only its value). */
  returnModel?: boolean;
}

export type TrainOutcome =
  | { kind: 'done'; value: number; bestIteration: number; iterations: number; proba?: Float64Array; model?: GbdtModel; importance?: FeatureImportance }
  | { kind: 'stopped'; step: number };

/** A failure inside the thread, with the name of the error thrown there (e.g. InvalidGbdtParamsError). */
export class TrainThreadError extends Error {
  constructor(
    message: string,
    readonly originalName: string,
  ) {
    super(message);
    this.name = 'TrainThreadError';
  }
}

type ThreadMessage =
  | { kind: 'progress'; iteration: number; valid: number }
  | { kind: 'done'; value: number; bestIteration: number; iterations: number; proba?: Float64Array; model?: GbdtModel; importance?: FeatureImportance }
  | { kind: 'error'; name: string; message: string };

const BOOT = new URL('./train-worker-boot.mjs', import.meta.url);

export interface TrainInThreadOptions {
  /** Called in order for each reported step; resolving true stops the run (outcome 'stopped'). */
  onProgress?: (step: number, value: number, iteration: number) => Promise<boolean>;
  signal?: AbortSignal;
}

/**
 * Idle training threads kept for the next trial: starting one (tsx in the thread, the trainer's
 * modules) costs about half a second, more than a small trial's training. A thread is reused only
 * after it posted its job's last message; one stopped mid-job is terminated instead. Idle threads are
 * unref'd so they never keep the process alive.
 */
const MAX_IDLE = 4;
const idle: Worker[] = [];

function acquire(): Worker {
  const thread = idle.pop();
  if (thread) {
    thread.ref();
    return thread;
  }
  const fresh = new Worker(BOOT);
  const forget = () => {
    const i = idle.indexOf(fresh);
    if (i >= 0) idle.splice(i, 1);
  };
  fresh.on('exit', forget);
  // While a job runs its own listener fails the job; an idle thread that dies has no job to fail and is
  // only dropped from the pool (the next trial starts a new one).
  fresh.on('error', forget);
  return fresh;
}

function release(thread: Worker): void {
  thread.removeAllListeners('message');
  if (idle.length >= MAX_IDLE) {
    void thread.terminate();
    return;
  }
  thread.unref();
  idle.push(thread);
}

/** Trains `job` on a worker thread; resolves with the held-out value, or 'stopped' when onProgress said so. */
export function trainInThread(job: TrainJob, opts: TrainInThreadOptions = {}): Promise<TrainOutcome> {
  const { signal, onProgress } = opts;
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise<TrainOutcome>((resolve, reject) => {
    const thread = acquire();
    let settled = false;
    // Reports are awaited one after another, and the final value only after the last report.
    let chain: Promise<void> = Promise.resolve();
    /** Ends the call; `reusable` when the thread has posted its last message of this job. */
    const finish = (reusable: boolean, fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      thread.off('exit', onExit);
      thread.off('error', onError);
      if (reusable) {
        release(thread);
        fn();
      } else {
        void thread.terminate().finally(fn);
      }
    };
    const onAbort = () => finish(false, () => reject(abortReason(signal!)));
    const onExit = (code: number) => finish(false, () => reject(new Error(`the training thread exited with code ${code} before it finished`)));
    signal?.addEventListener('abort', onAbort, { once: true });
    thread.on('exit', onExit);

    thread.on('message', (m: ThreadMessage) => {
      if (m.kind === 'progress') {
        const step = Math.round(m.iteration / job.reportEvery) - 1;
        chain = chain.then(async () => {
          if (settled || !onProgress) return;
          if (await onProgress(step, m.valid, m.iteration)) finish(false, () => resolve({ kind: 'stopped', step }));
        });
        chain.catch((err: unknown) => finish(false, () => reject(err)));
      } else if (m.kind === 'done') {
        // The thread is idle from here on, whatever the pending reports decide.
        const { kind, value, bestIteration, iterations, proba, model, importance } = m;
        void chain.then(
          () => finish(true, () => resolve({ kind, value, bestIteration, iterations, ...(proba ? { proba } : {}), ...(model ? { model } : {}), ...(importance ? { importance } : {}) })),
          () => undefined,
        );
        // A report that failed or stopped the run has already ended the call (the thread is terminated).
      } else {
        finish(true, () => reject(new TrainThreadError(m.message, m.name)));
      }
    });
    const onError = (err: Error) => finish(false, () => reject(err));
    thread.on('error', onError);
    thread.postMessage(job);
  });
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error(`training cancelled: ${String(signal.reason)}`);
}

/** The thread's side (ml/train-worker-boot.mjs calls it): for each job posted, train, report, post the held-out value. */
export async function threadMain(): Promise<void> {
  if (isMainThread || !parentPort) throw new Error('threadMain runs on a training thread only');
  const port = parentPort;
  const { trainGbdtThreaded } = await import('./parallel/train');
  const { predictProba } = await import('../domain/ml/gbdt/model');
  const { logLoss, rankedProbabilityScore } = await import('../domain/ml/metrics');
  // Jobs run one at a time: the trainer is synchronous, so the next message waits for this one.
  port.on('message', (job: TrainJob) => {
    try {
      const K = job.params.numClasses;
      const set = (s: SharedRows) => ({ x: s.x, rows: s.rows, featureNames: job.featureNames, y: s.y });
      const valid = set(job.valid);
      const trained = trainGbdtThreaded(set(job.train), job.params, {
        valid,
        evalTrain: false,
        onIteration: (e) => {
          if (job.metric === 'logloss' && e.iteration % job.reportEvery === 0) port.postMessage({ kind: 'progress', iteration: e.iteration, valid: e.valid! } satisfies ThreadMessage);
        },
      });
      const proba = predictProba(trained.model, valid.x, valid.rows);
      const value = job.metric === 'rps' ? rankedProbabilityScore(proba, valid.y, K) : logLoss(proba, valid.y, K);
      const done: ThreadMessage = { kind: 'done', value, bestIteration: trained.model.bestIteration, iterations: trained.evals.length, ...(job.returnProba ? { proba } : {}), ...(job.returnModel ? { model: trained.model, importance: trained.importance } : {}) };
      // The probabilities' buffer is the thread's own: moved, not copied.
      port.postMessage(done, job.returnProba ? [proba.buffer as ArrayBuffer] : []);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      port.postMessage({ kind: 'error', name: e.name, message: e.message } satisfies ThreadMessage);
    }
  });
}
