import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter, type QueryDefinition } from '@temporalio/common';
import cliProgress from 'cli-progress';
import type { Config } from '../../temporal.config';
import { workflowUiLink } from '../../temporal.config';
import type { Logger } from '../../lib/logger';
import { CITIES } from '../../domain/cities';
import {
  BACKFILL_SOURCES,
  backfillCityWorkflowId,
  backfillWorkflowId,
  sumSourceProgress,
  type BackfillCityProgress,
  type BackfillInput,
  type BackfillProgress,
  type BackfillSource,
  type SliceCheckpoint,
  type SourceProgress,
} from '../../schemas/backfill';
import { ALL_CITIES, CITY, STAGE } from '../../workflows/search-attributes';
import { backfillProgressQuery, type backfillWorkflow } from '../../workflows/backfill';
import { withSession, type Out } from '../session';
import { followWorkflow } from '../follow';
import type { BackfillArgs } from '../args';

function line(source: string, p: SourceProgress | undefined): string {
  if (!p) return `${source.padEnd(12)} pending`;
  const skipped = p.slicesSkipped ? `  (${p.slicesSkipped}/${p.slicesTotal} slices already ingested, skipped)` : '';
  return `${source.padEnd(12)} ${p.status.padEnd(7)} chunks ${p.chunksDone}/${p.chunksTotal}  rows ${p.rows.toLocaleString('en-US')}  ${Math.round(p.rowsPerSecond).toLocaleString('en-US')} rows/s${skipped}`;
}

/**
 * `wx backfill`: runs backfillWorkflow (one child per city, one activity per source and month) with
 * workers in this process, and shows a bar per source with chunk counts, rows and rates (plain lines
 * when stdout is not a terminal).
 */
export async function runBackfill(config: Config, args: BackfillArgs, log: Logger, out: Out): Promise<BackfillProgress> {
  const cities = args.cities ?? config.cities;
  const from = args.from ?? config.pipeline.from;
  const to = args.to ?? config.pipeline.to;
  const sources = args.sources ?? [...BACKFILL_SOURCES];
  // `backfills/...`: a one-city parent must not take the id of its own per-city child.
  const workflowId = backfillWorkflowId(cities, CITIES.map((c) => c.id), from, to);
  return withSession(config, log, out, { sandboxRange: { from, to }, workers: args.workers, down: args.down }, async ({ client, startWorkers }) => {
    const input: BackfillInput = { cities, from, to, sources, taskQueue: config.temporal.taskQueues.ingest, ...(args.refresh ? { refresh: true } : {}) };
    const handle = await client.workflow.start<typeof backfillWorkflow>('backfillWorkflow', {
      workflowId,
      taskQueue: config.temporal.taskQueues.ingest,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      typedSearchAttributes: [
        { key: CITY, value: cities.length === 1 ? cities[0]! : ALL_CITIES },
        { key: STAGE, value: 'backfill' },
      ],
    });
    out(`wx: backfill ${workflowId} run ${handle.firstExecutionRunId} (${workflowUiLink(config, workflowId, handle.firstExecutionRunId)})`);
    const result = handle.result();
    await startWorkers(result);
    const final = await follow(handle, result, sources, out, args.json ? false : process.stdout.isTTY === true);
    for (const s of sources) out(`  ${line(s, final.totals[s])}`);
    const skipped = Object.values(final.totals).reduce((n, p) => n + (p?.slicesSkipped ?? 0), 0);
    const slices = Object.values(final.totals).reduce((n, p) => n + (p?.slicesTotal ?? 0), 0);
    out(
      `backfill ${final.status}: ${Object.values(final.totals).reduce((n, p) => n + (p?.rows ?? 0), 0).toLocaleString('en-US')} rows` +
        (skipped ? `; ${skipped} of ${slices} slices were already ingested from this world and skipped (--refresh fetches them again)` : ''),
    );
    return final;
  });
}

/**
 * Progress as it stands, read from each city's workflow: the chunks of its finished slices (its own
 * query) plus those committed inside its running slices (their heartbeat details, which the server
 * keeps with each pending activity). Each child is described before it is queried, so a slice that
 * finishes in between is counted once, as finished; only children that this run of the parent started
 * count (an earlier run's child of the same id would show its finished state). Totals come from the
 * plan, and done counts never exceed them.
 */
export async function liveBackfillProgress(client: WorkflowHandle['client'], progress: BackfillProgress): Promise<BackfillProgress> {
  const sources = Object.keys(progress.totals) as BackfillSource[];
  const cities = await Promise.all(
    Object.keys(progress.cities).map(async (city): Promise<BackfillCityProgress['sources'] | undefined> => {
      const child = client.getHandle(backfillCityWorkflowId(city, progress.from, progress.to));
      let described;
      try {
        described = await child.describe();
      } catch {
        return undefined; // not started yet
      }
      if (progress.runId && described.parentExecution?.runId !== progress.runId) return undefined;
      let own: BackfillCityProgress;
      try {
        own = (await child.query(backfillProgressQuery)) as BackfillCityProgress;
      } catch {
        const known = progress.cities[city];
        return known && 'sources' in known ? known.sources : undefined;
      }
      const sourcesNow = structuredClone(own.sources);
      for (const pending of described.raw.pendingActivities ?? []) {
        const payload = pending.heartbeatDetails?.payloads?.[0];
        if (!payload) continue;
        const cp = defaultPayloadConverter.fromPayload<SliceCheckpoint>(payload);
        const p = cp.source ? sourcesNow[cp.source] : undefined;
        if (!p || (cp.from && p.doneSlices?.includes(cp.from))) continue;
        p.chunksDone += cp.nextChunk;
        p.rows += cp.rows;
        if (p.status === 'pending') p.status = 'running';
      }
      return sourcesNow;
    }),
  );
  return { ...progress, totals: sumSourceProgress(sources, progress.from, progress.to, cities) };
}

/** What a live view shows: never fewer chunks or rows than it showed before (a child retried whole). */
export function monotonicTotals(previous: BackfillProgress['totals'], next: BackfillProgress['totals']): BackfillProgress['totals'] {
  const out: BackfillProgress['totals'] = {};
  for (const [source, p] of Object.entries(next) as Array<[BackfillSource, SourceProgress]>) {
    const before = previous[source];
    out[source] = before ? { ...p, chunksDone: Math.max(p.chunksDone, before.chunksDone), rows: Math.max(p.rows, before.rows) } : p;
  }
  return out;
}

async function follow(
  handle: WorkflowHandle<typeof backfillWorkflow>,
  result: Promise<BackfillProgress>,
  sources: BackfillSource[],
  out: Out,
  tty: boolean,
): Promise<BackfillProgress> {
  const multi = tty ? new cliProgress.MultiBar({ format: ' {source} [{bar}] {value}/{total} chunks | {rows} rows | {rate} rows/s', hideCursor: true, clearOnComplete: false }, cliProgress.Presets.shades_classic) : undefined;
  const bars = new Map<string, cliProgress.SingleBar>();
  const printed = new Map<string, string>();
  let shown: BackfillProgress['totals'] = {};
  const show = (p: BackfillProgress) => {
    if (p.status === 'running') p = { ...p, totals: (shown = monotonicTotals(shown, p.totals)) };
    for (const s of sources) {
      const t = p.totals[s];
      if (multi) {
        const payload = { source: s.padEnd(12), rows: (t?.rows ?? 0).toLocaleString('en-US'), rate: Math.round(t?.rowsPerSecond ?? 0).toLocaleString('en-US') };
        let bar = bars.get(s);
        if (!bar) bars.set(s, (bar = multi.create(Math.max(1, t?.chunksTotal ?? 1), 0, payload)));
        bar.setTotal(Math.max(1, t?.chunksTotal ?? 1));
        bar.update(t?.chunksDone ?? 0, payload);
      } else {
        const l = line(s, t);
        if (printed.get(s) !== l) {
          printed.set(s, l);
          out(`  ${l}`);
        }
      }
    }
  };
  try {
    return await followWorkflow<BackfillProgress, BackfillProgress>(handle, result, {
      query: backfillProgressQuery as QueryDefinition<BackfillProgress>,
      intervalMs: 1000,
      failureType: 'BackfillFailed',
      asProgress: (p) => p,
      show: async (p) => show(p.status === 'running' ? await liveBackfillProgress(handle.client, p) : p),
    });
  } finally {
    multi?.stop();
  }
}
