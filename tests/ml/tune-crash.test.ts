/**
 * Crash suite of tuneWorkflow: the ML worker runs as its own process (`node --import tsx
 * workers/ml.ts`, as deployed; it hosts both the workflow and the trial activities), the Temporal dev
 * server keeps its state in its SQLite file. While a study of slow trials runs (Branin, five steps of
 * 400 ms each), the worker is SIGKILLed twice mid-trial and restarted, and the Temporal server is
 * stopped and started again once mid-trial. The study must end with exactly the requested number of
 * complete trials, none lost or counted twice: every asked trial is in the database, finished; the
 * trials the kills interrupted are failed (and their budget was issued again); every complete trial
 * carries all its intermediate values and the value its parameters give.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createLogger } from '../../lib/logger';
import { startTemporalDevServer, stopTemporalDevServer } from '../../runtime/temporal-server';
import { branin } from '../../domain/ml/tpe/test-functions';
import { tuneWorkflowId, type TuneProgress } from '../../schemas/tune';
import type { tuneWorkflow } from '../../workflows/tune';
import { freePort } from '../support/ports';
import { freshDatabase } from '../support/postgres';
import { spawnIngestWorker, type IngestWorkerProcess } from '../support/ingest-worker';
import { braninStudy, trialRows, tuneTestConfig, type TrialRow } from './tune-support';

const log = createLogger('test', { level: 'error' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TRIALS = 12;
const STEPS = 5;
const STUDY = 'crash';

describe('tuneWorkflow crash suite (ML worker SIGKILLed twice, Temporal restarted once)', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  const workers: IngestWorkerProcess[] = [];
  let dataDir: string;
  let temporalPort: number;
  let uiPort: number;

  const startTemporal = () => startTemporalDevServer({ dataDir, port: temporalPort, uiPort, namespace: 'default', log });

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wx-tune-crash-'));
    [temporalPort, uiPort] = [await freePort(), await freePort()];
    await startTemporal();
    cleanup.push(async () => {
      await stopTemporalDevServer(dataDir, log);
      rmSync(dataDir, { recursive: true, force: true });
    });
  });

  afterAll(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
  });

  async function client(): Promise<Client> {
    const c = new Client({ connection: await Connection.connect({ address: `127.0.0.1:${temporalPort}` }) });
    cleanup.push(() => c.connection.close());
    return c;
  }

  /** Waits until some trial is running and has reported a step (so a kill lands mid-trial); returns those. */
  async function midTrial(url: string, afterComplete = 0): Promise<TrialRow[]> {
    for (let i = 0; i < 1200; i++) {
      const rows = await trialRows(url, STUDY);
      const running = rows.filter((t) => t.state === 'running');
      const complete = rows.filter((t) => t.state === 'complete').length;
      const underWay = running.filter((t) => Object.keys(t.intermediate_values).length > 0);
      if (complete >= afterComplete && underWay.length > 0) return underWay;
      await sleep(100);
    }
    throw new Error('no trial got under way within 120 s');
  }

  it('ends with exactly the requested complete trials, none lost or duplicated', async () => {
    const database = await freshDatabase('wx_tune_crash');
    cleanup.push(() => database.drop());
    const { config, env } = tuneTestConfig({ TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`, DATABASE_URL: database.url, WX_LOG_LEVEL: 'info' });
    const spawn = async () => {
      const w = spawnIngestWorker(env, 'workers/ml.ts');
      workers.push(w);
      await w.ready;
      return w;
    };
    const t0 = Date.now();
    const timeline: string[] = [];
    const mark = (what: string) => timeline.push(`${((Date.now() - t0) / 1000).toFixed(1)}s ${what}`);
    let worker = await spawn();
    mark('worker ready');
    const c = await client();
    const input = braninStudy(STUDY, TRIALS, { steps: STEPS, stepMs: 400, parallelism: 3, heartbeatTimeoutSeconds: 2 });
    const handle = await c.workflow.start<typeof tuneWorkflow>('tuneWorkflow', { workflowId: tuneWorkflowId(STUDY), taskQueue: config.temporal.taskQueues.ml, args: [input] });

    // Two SIGKILLs of the worker, each while a trial is part-way through.
    const killed: TrialRow[][] = [];
    for (const afterComplete of [0, 3]) {
      const running = await midTrial(database.url, afterComplete);
      killed.push(running);
      worker.child.kill('SIGKILL');
      await worker.exited;
      mark(`worker killed (running ${running.map((t) => t.number).join('+')})`);
      worker = await spawn();
      mark('worker ready');
    }
    // The Temporal server stopped and started again while trials run.
    const runningAtRestart = await midTrial(database.url, 6);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    await stopTemporalDevServer(dataDir, log);
    mark('temporal stopped');
    await sleep(1000);
    await startTemporal();
    mark('temporal started');

    const after = await client();
    const result: TuneProgress = await after.workflow.getHandle(tuneWorkflowId(STUDY)).result();
    mark('study done');
    worker.child.kill('SIGKILL');
    await worker.exited;

    const rows = await trialRows(database.url, STUDY);
    const complete = rows.filter((t) => t.state === 'complete');
    const failed = rows.filter((t) => t.state === 'fail');
    console.info(
      `tune crash suite: ${rows.length} trials asked, ${complete.length} complete, ${failed.length} failed ` +
        `(killed mid-trial: ${killed.map((k) => k.map((t) => t.number).join('+')).join(', ')}; running at the server restart: ${runningAtRestart.map((t) => t.number).join('+')}); ` +
        `failures: ${JSON.stringify(failed.map((t) => ({ number: t.number, error: t.error?.slice(0, 80) })))}; timeline: ${timeline.join(', ')}; trials: ${rows
          .map((t) => `${t.number} ${t.state} ${((t.started_at.getTime() - t0) / 1000).toFixed(1)}..${t.finished_at ? ((t.finished_at.getTime() - t0) / 1000).toFixed(1) : '-'}s`)
          .join(', ')}`,
    );

    expect(result).toMatchObject({ status: 'done', requested: TRIALS, done: TRIALS, complete: TRIALS, pruned: 0, running: 0 });
    // Nothing lost: every asked trial is there, finished, under dense numbers and its own ask key.
    expect(rows.map((t) => t.number)).toEqual(rows.map((_, i) => i));
    expect(rows.every((t) => t.state === 'complete' || t.state === 'fail')).toBe(true);
    expect(new Set(rows.map((t) => t.ask_key)).size).toBe(rows.length);
    // Nothing counted twice: exactly the budget complete, and the workflow counted what the database holds.
    expect(complete).toHaveLength(TRIALS);
    expect(result.failed).toBe(failed.length);
    for (const t of complete) {
      expect(Object.keys(t.intermediate_values)).toHaveLength(STEPS);
      expect(t.value).toBeCloseTo(branin(t.params.x1 as number, t.params.x2 as number), 10);
    }
    expect(result.best!.value).toBe(Math.min(...complete.map((t) => t.value!)));
    // The restarted worker processes ran the later trials.
    expect(new Set(complete.map((t) => t.worker)).size).toBeGreaterThanOrEqual(2);
    // The kills interrupted trials: each trial running at a kill did not complete in that attempt; it
    // is failed (and a new trial took its budget), or completed only if it finished as the kill landed.
    const interrupted = killed.flat().filter((t) => rows[t.number]!.state === 'fail');
    expect(interrupted.length, 'the kills interrupted running trials').toBeGreaterThan(0);
    for (const t of interrupted) expect(rows[t.number]!.error).toMatch(/timeout|heartbeat/i);
    expect(rows.length).toBe(TRIALS + failed.length);
  }, 300_000);
});
