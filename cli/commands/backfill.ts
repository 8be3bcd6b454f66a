import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter, type QueryDefinition } from '@temporalio/common';
import cliProgress from 'cli-progress';
import type { Config } from '../../temporal.config';
import { workflowUiLink } from '../../temporal.config';
import type { Logger } from '../../lib/logger';
import { CITIES } from '../../domain/cities';
import { BACKFILL_SOURCES, backfillCityWorkflowId, backfillWorkflowId, type SliceCheckpoint, type BackfillInput, type BackfillProgress, type BackfillSource, type SourceProgress } from '../../schemas/backfill';
import { ALL_CITIES, CITY, STAGE } from '../../workflows/search-attributes';
import { backfillProgressQuery, type backfillWorkflow } from '../../workflows/backfill';
import { withSession, type Out } from '../session';
import { followWorkflow } from '../follow';
import type { BackfillArgs } from '../args';

function line(source: string, p: SourceProgress | undefined): string {
  if (!p) return `${source.padEnd(12)} pending`;
  return `${source.padEnd(12)} ${p.status.padEnd(7)} chunks ${p.chunksDone}/${p.chunksTotal}  rows ${p.rows.toLocaleString('en-US')}  ${Math.round(p.rowsPerSecond).toLocaleString('en-US')} rows/s`;
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
    const input: BackfillInput = { cities, from, to, sources, taskQueue: config.temporal.taskQueues.ingest };
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
    out(`backfill ${final.status}: ${Object.values(final.totals).reduce((n, p) => n + (p?.rows ?? 0), 0).toLocaleString('en-US')} rows`);
    return final;
  });
}

/**
 * The progress query counts a slice's chunks when the slice (a month) finishes; the chunks committed
 * inside running slices are in their heartbeat details, which the server keeps with each pending
 * activity of the per-city workflows.
 */
async function withRunningSlices(handle: WorkflowHandle<typeof backfillWorkflow>, progress: BackfillProgress): Promise<BackfillProgress> {
  const totals = structuredClone(progress.totals);
  for (const city of Object.keys(progress.cities)) {
    let described;
    try {
      described = await handle.client.getHandle(backfillCityWorkflowId(city, progress.from, progress.to)).describe();
    } catch {
      continue; // not started yet
    }
    for (const pending of described.raw.pendingActivities ?? []) {
      const payload = pending.heartbeatDetails?.payloads?.[0];
      if (!payload) continue;
      const cp = defaultPayloadConverter.fromPayload<SliceCheckpoint>(payload);
      const t = cp.source ? totals[cp.source] : undefined;
      if (t) {
        t.chunksDone += cp.nextChunk;
        t.rows += cp.rows;
      }
    }
  }
  return { ...progress, totals };
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
  const show = (p: BackfillProgress) => {
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
      show: async (p) => show(p.status === 'running' ? await withRunningSlices(handle, p) : p),
    });
  } finally {
    multi?.stop();
  }
}
