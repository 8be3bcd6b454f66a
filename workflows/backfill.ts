import {
  ApplicationFailure,
  ParentClosePolicy,
  defineQuery,
  defineSignal,
  executeChild,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { BackfillActivities } from '../activities/backfill';
import {
  BackfillCityInputSchema,
  BackfillInputSchema,
  backfillCityWorkflowId,
  monthSlices,
  plannedSourceProgress,
  sumSourceProgress,
  type BackfillCityInput,
  type BackfillCityProgress,
  type BackfillInput,
  type BackfillProgress,
  type BackfillSource,
  type DateSpan,
  type SourceProgress,
} from '../schemas/backfill';
import { CITY, STAGE } from './search-attributes';
import { rootMessage } from './errors';

/** Progress of a backfill (per-city workflow: its sources; parent: every city plus totals per source). */
export const backfillProgressQuery = defineQuery<BackfillCityProgress | BackfillProgress>('backfillProgress');
/** A child's progress, sent to the parent after each slice (only when started by backfillWorkflow). */
export const cityProgressSignal = defineSignal<[BackfillCityProgress]>('backfillCityProgress');

/** Activity failure types that retrying cannot fix (the slice fails at once). */
export const BACKFILL_NON_RETRYABLE = ['InvalidInput', 'InvalidConfig', 'PayloadShape', 'HttpClientError'];

const now = () => new Date().toISOString(); // deterministic inside workflows

/**
 * Stage `backfill` for one city: one activity per (source, calendar month), at most
 * `maxConcurrentSlices` at once (a source's months run in order). Each activity commits its chunks one
 * transaction at a time and heartbeats a checkpoint after each, so a killed worker costs at most one
 * chunk. A failed source does not stop the others; the run then fails with every error listed.
 */
export async function backfillCityWorkflow(raw: BackfillCityInput & { reportTo?: string }): Promise<BackfillCityProgress> {
  const parsed = BackfillCityInputSchema.safeParse(raw);
  if (!parsed.success) {
    throw ApplicationFailure.create({ type: 'InvalidInput', nonRetryable: true, message: `backfill input: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` });
  }
  const input = parsed.data;
  const { backfillSlice } = proxyActivities<BackfillActivities>({
    startToCloseTimeout: '2 hours',
    heartbeatTimeout: `${input.heartbeatTimeoutSeconds} seconds`,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 20, nonRetryableErrorTypes: BACKFILL_NON_RETRYABLE },
  });

  const slices = monthSlices(input.from, input.to);
  const sources = [...new Set(input.sources)];
  const progress: BackfillCityProgress = {
    workflowId: workflowInfo().workflowId,
    city: input.city,
    from: input.from,
    to: input.to,
    status: 'running',
    startedAt: now(),
    sources: Object.fromEntries(sources.map((s): [BackfillSource, SourceProgress] => [s, { ...plannedSourceProgress(s, input.from, input.to), doneSlices: [] }])),
  };
  setHandler(backfillProgressQuery, () => progress);
  const report = async () => {
    if (raw.reportTo) await getExternalWorkflowHandle(raw.reportTo).signal(cityProgressSignal, progress).catch(() => undefined);
  };

  // Months in order, sources interleaved, so that every source advances from the start.
  const queue: Array<{ source: BackfillSource; slice: DateSpan }> = slices.flatMap((slice) => sources.map((source) => ({ source, slice })));
  const activeMs: Partial<Record<BackfillSource, number>> = {};
  const errors: string[] = [];
  const runNext = async (): Promise<void> => {
    for (let task = queue.shift(); task; task = queue.shift()) {
      const state = progress.sources[task.source]!;
      if (state.status === 'failed') continue;
      state.status = 'running';
      try {
        const result = await backfillSlice({
          city: input.city,
          source: task.source,
          from: task.slice.from,
          to: task.slice.to,
          forecastLeadDays: input.forecastLeadDays,
          ...(input.refresh ? { refresh: true } : {}),
          ...(input.minuteCandlesFrom && task.source === 'kalshi' ? { minuteCandlesFrom: input.minuteCandlesFrom } : {}),
        });
        state.slicesDone += 1;
        if (result.skipped) state.slicesSkipped += 1;
        state.chunksDone += result.chunks;
        state.doneSlices?.push(task.slice.from);
        state.rows += result.rows;
        activeMs[task.source] = (activeMs[task.source] ?? 0) + result.ms;
        state.rowsPerSecond = Math.round((state.rows / Math.max(1, activeMs[task.source]!)) * 1000);
        if (state.slicesDone === state.slicesTotal) state.status = 'done';
      } catch (err) {
        state.status = 'failed';
        state.error = `${task.slice.from}..${task.slice.to}: ${failureMessage(err)}`;
        errors.push(`${task.source} ${state.error}`);
      }
      await report();
    }
  };
  await Promise.all(Array.from({ length: Math.min(input.maxConcurrentSlices, Math.max(1, queue.length)) }, runNext));

  progress.finishedAt = now();
  progress.status = errors.length > 0 ? 'failed' : 'done';
  await report();
  if (errors.length > 0) {
    throw ApplicationFailure.create({
      type: 'BackfillFailed',
      message: `backfill of ${input.city} failed: ${errors.join('; ')}`,
      nonRetryable: true,
      details: [progress],
    });
  }
  return progress;
}

/**
 * `wx backfill`: one child backfillCityWorkflow per city (id `backfill/<city>/<from>..<to>`, City and
 * Stage set, ABANDON on parent close), aggregating their progress as they report it.
 */
export async function backfillWorkflow(raw: BackfillInput): Promise<BackfillProgress> {
  const parsed = BackfillInputSchema.safeParse(raw);
  if (!parsed.success) {
    throw ApplicationFailure.create({ type: 'InvalidInput', nonRetryable: true, message: `backfill input: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` });
  }
  const input = parsed.data;
  const info = workflowInfo();
  const progress: BackfillProgress = {
    workflowId: info.workflowId,
    from: input.from,
    to: input.to,
    status: 'running',
    startedAt: now(),
    runId: info.runId,
    cities: Object.fromEntries(input.cities.map((c) => [c, { status: 'pending' as const }])),
    totals: {},
  };
  const sources = [...new Set(input.sources)];
  // Totals come from the plan, so a city that has not reported yet still counts in them.
  const recompute = () => {
    progress.totals = sumSourceProgress(
      sources,
      input.from,
      input.to,
      Object.values(progress.cities).map((c) => ('sources' in c ? c.sources : undefined)),
    );
  };
  recompute();
  setHandler(cityProgressSignal, (p) => {
    progress.cities[p.city] = p;
    recompute();
  });
  setHandler(backfillProgressQuery, () => progress);

  const results = await Promise.allSettled(
    input.cities.map(async (city) => {
      try {
        const result = await executeChild(backfillCityWorkflow, {
          workflowId: backfillCityWorkflowId(city, input.from, input.to),
          ...(input.taskQueue ? { taskQueue: input.taskQueue } : {}),
          args: [
            {
              city,
              from: input.from,
              to: input.to,
              sources: input.sources,
              forecastLeadDays: input.forecastLeadDays,
              heartbeatTimeoutSeconds: input.heartbeatTimeoutSeconds,
              maxConcurrentSlices: input.maxConcurrentSlices,
              ...(input.refresh ? { refresh: true } : {}),
              ...(input.minuteCandlesFrom ? { minuteCandlesFrom: input.minuteCandlesFrom } : {}),
              reportTo: info.workflowId,
            },
          ],
          parentClosePolicy: ParentClosePolicy.ABANDON,
          typedSearchAttributes: [
            { key: CITY, value: city },
            { key: STAGE, value: 'backfill' },
          ],
        });
        progress.cities[city] = result;
      } catch (err) {
        const details = findDetails(err);
        progress.cities[city] = details ?? { status: 'failed', error: rootMessage(err) };
        throw new Error(`${city}: ${rootMessage(err)}`);
      }
    }),
  );
  recompute();
  progress.finishedAt = now();
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  progress.status = failed.length > 0 ? 'failed' : 'done';
  if (failed.length > 0) {
    throw ApplicationFailure.create({
      type: 'BackfillFailed',
      message: `backfill failed: ${failed.map((f) => (f.reason as Error).message).join('; ')}`,
      nonRetryable: true,
      details: [progress],
    });
  }
  return progress;
}

/**
 * What went wrong in an activity, said once: the first ApplicationFailure under the ActivityFailure
 * (the activity's own message, naming the chunk) with its type, else the innermost cause.
 */
function failureMessage(err: unknown): string {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e instanceof ApplicationFailure) return e.type ? `${e.message} [${e.type}]` : e.message;
  }
  return rootMessage(err);
}


/** The city progress a failed child attached to its BackfillFailed error. */
function findDetails(err: unknown): BackfillCityProgress | undefined {
  let e: unknown = err;
  while (e instanceof Error) {
    if (e instanceof ApplicationFailure && e.type === 'BackfillFailed') return e.details?.[0] as BackfillCityProgress | undefined;
    e = e.cause;
  }
  return undefined;
}
