/**
 * Crash suite: the ingest worker runs as a separate process (`node --import tsx workers/ingest.ts`,
 * pointed at the test's Temporal server, database and sandbox by environment variables) and
 *   (b) is SIGKILLed at 3 random moments mid-backfill and restarted each time;
 *   (c) keeps running while the Temporal dev server (SQLite file, runtime/temporal-server.ts) is
 *       stopped and started again mid-backfill.
 * Either way the final database content must equal an uninterrupted run's (row counts and a checksum
 * per table), with no duplicates.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import seedrandom from 'seedrandom';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createDb } from '../../db/client';
import { createLogger } from '../../lib/logger';
import { createWorkers, installTemporalRuntimeLogger } from '../../workers/host';
import { PROJECT_ROOT } from '../../runtime/temporal-cli';
import { startTemporalDevServer, stopTemporalDevServer } from '../../runtime/temporal-server';
import { backfillWorkflowId, type BackfillInput, type BackfillProgress } from '../../schemas/backfill';
import type { backfillWorkflow } from '../../workflows/backfill';
import type { RunningSandbox } from '../../sandbox/server';
import { freePort } from '../support/ports';
import { freshDatabase } from '../support/postgres';
import { BACKFILL_TABLES, checksums, CITIES, FROM, startBackfillSandbox, testConfig, TO, type Checksums } from './helpers';

const log = createLogger('test', { level: 'error' });
const HEARTBEAT_TIMEOUT_S = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
  ready: Promise<void>;
  exited: Promise<void>;
}

describe('backfill crash suite (worker process SIGKILLed, Temporal restarted)', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  let sandbox: RunningSandbox;
  let dataDir: string;
  let temporalPort: number;
  let uiPort: number;
  let reference: Checksums;
  const workers: WorkerProcess[] = [];

  const startTemporal = () => startTemporalDevServer({ dataDir, port: temporalPort, uiPort, namespace: 'default', log });

  beforeAll(async () => {
    installTemporalRuntimeLogger(log);
    dataDir = mkdtempSync(join(tmpdir(), 'wx-backfill-crash-'));
    [temporalPort, uiPort] = [await freePort(), await freePort()];
    // A fixed port, so that restarted worker processes find the same sandbox through WX_SANDBOX_PORT; some
    // latency per request makes chunks last long enough for checkpoints to reach the server between kills.
    sandbox = await startBackfillSandbox({ port: await freePort(), faults: { seed: 'latency', all: { latencyMs: 120 } } });
    cleanup.push(() => sandbox.close());
    await startTemporal();
    cleanup.push(async () => {
      await stopTemporalDevServer(dataDir, log);
      rmSync(dataDir, { recursive: true, force: true });
    });

    // The uninterrupted reference run, with an in-process worker.
    const database = await freshDatabase('wx_crash_ref');
    cleanup.push(() => database.drop());
    const { config } = testConfig(sandbox.port);
    const db = createDb(database.url, { log });
    const connection = await NativeConnection.connect({ address: `127.0.0.1:${temporalPort}` });
    try {
      const ws = await createWorkers({ config, roles: ['ingest'], connection, deps: { db: db.db, pool: db.pool, log, config } });
      const client = new Client({ connection: await Connection.connect({ address: `127.0.0.1:${temporalPort}` }) });
      const scenario = client.workflow.execute<typeof backfillWorkflow>('backfillWorkflow', {
        workflowId: `${backfillWorkflowId(CITIES, CITIES, FROM, TO)}#reference`,
        taskQueue: config.temporal.taskQueues.ingest,
        args: [input()],
      });
      await Promise.all(ws.map((w) => w.runUntil(scenario)));
      expect((await scenario).status).toBe('done');
      await client.connection.close();
    } finally {
      await connection.close();
      await db.close();
    }
    reference = await checksums(database.url, { withWriteTimes: false });
    expect(reference['kalshi.candle']!.rows).toBeGreaterThan(1000);
  }, 180_000);

  afterAll(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
  });

  function input(): BackfillInput {
    return { cities: CITIES, from: FROM, to: TO, heartbeatTimeoutSeconds: HEARTBEAT_TIMEOUT_S };
  }

  function spawnWorker(env: Record<string, string>): WorkerProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', 'workers/ingest.ts'], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...env, WX_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const ready = new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer) => {
        out += d.toString();
        if (out.includes('workers running')) resolve();
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.on('exit', (code, signal) => reject(new Error(`worker exited (${code ?? signal}) before it was ready:\n${out.slice(-3000)}`)));
    });
    ready.catch(() => undefined);
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    const w = { child, output: () => out, ready, exited };
    workers.push(w);
    return w;
  }

  async function killWorker(w: WorkerProcess): Promise<void> {
    w.child.kill('SIGKILL');
    await w.exited;
  }

  /** A fresh database and the environment a worker process needs to work on it. */
  async function workerEnv() {
    const database = await freshDatabase('wx_crash');
    cleanup.push(() => database.drop());
    const { config, env } = testConfig(sandbox.port, { TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`, DATABASE_URL: database.url });
    return { database, config, env };
  }

  async function client(): Promise<Client> {
    const c = new Client({ connection: await Connection.connect({ address: `127.0.0.1:${temporalPort}` }) });
    cleanup.push(() => c.connection.close());
    return c;
  }

  async function expectSameAsReference(url: string): Promise<void> {
    const sums = await checksums(url, { withWriteTimes: false });
    expect(sums).toEqual(reference);
    // No duplicates: every table's rows are distinct on their primary key (the checksum is over whole rows).
    const db = createDb(url, { log });
    try {
      for (const table of BACKFILL_TABLES) {
        const pk = await db.pool.query<{ cols: string }>(
          `SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY array_position(i.indkey, a.attnum)) AS cols
             FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
            WHERE i.indrelid = $1::regclass AND i.indisprimary`,
          [table],
        );
        const dup = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM (SELECT 1 FROM ${table} GROUP BY ${pk.rows[0]!.cols} HAVING count(*) > 1) d`);
        expect(dup.rows[0]!.n, table).toBe(0);
      }
    } finally {
      await db.close();
    }
  }

  it('(b) a worker SIGKILLed at 3 random moments and restarted ends with the uninterrupted content', async () => {
    const { database, config, env } = await workerEnv();
    const rng = seedrandom(`crash-${Date.now()}`);
    const c = await client();
    let worker = spawnWorker(env);
    await worker.ready;
    const handle = await c.workflow.start<typeof backfillWorkflow>('backfillWorkflow', {
      workflowId: `${backfillWorkflowId(CITIES, CITIES, FROM, TO)}#crash`,
      taskQueue: config.temporal.taskQueues.ingest,
      args: [input()],
    });
    const kills: Array<{ afterMs: number; running: boolean }> = [];
    for (let k = 0; k < 3; k++) {
      const afterMs = Math.round(2500 + rng() * 2500);
      await sleep(afterMs);
      const running = (await handle.describe()).status.name === 'RUNNING';
      kills.push({ afterMs, running });
      await killWorker(worker);
      worker = spawnWorker(env);
      await worker.ready;
    }
    const result: BackfillProgress = await handle.result();
    expect(result.status).toBe('done');
    // Every kill hit the backfill while it was under way.
    expect(kills.every((k) => k.running), JSON.stringify(kills)).toBe(true);
    const resumed = workers.reduce((n, w) => n + (w.output().match(/resuming slice from its checkpoint/g)?.length ?? 0), 0);
    console.info(`crash suite (b): kills ${JSON.stringify(kills)}, slices resumed from a checkpoint: ${resumed}`);
    await killWorker(worker);
    await expectSameAsReference(database.url);
  }, 240_000);

  it('(c) the Temporal dev server restarted mid-backfill: the run resumes and ends with the same content', async () => {
    const { database, config, env } = await workerEnv();
    const worker = spawnWorker(env);
    await worker.ready;
    const c = await client();
    const workflowId = `${backfillWorkflowId(CITIES, CITIES, FROM, TO)}#temporal-restart`;
    await c.workflow.start<typeof backfillWorkflow>('backfillWorkflow', { workflowId, taskQueue: config.temporal.taskQueues.ingest, args: [input()] });
    await sleep(1500 + Math.round(Math.random() * 1500));
    expect((await c.workflow.getHandle(workflowId).describe()).status.name).toBe('RUNNING');
    await stopTemporalDevServer(dataDir, log);
    await sleep(1000);
    await startTemporal();
    const after = await client();
    const result: BackfillProgress = await after.workflow.getHandle(workflowId).result();
    expect(result.status).toBe('done');
    await killWorker(worker);
    await expectSameAsReference(database.url);
  }, 240_000);
});
