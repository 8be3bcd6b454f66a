/**
 * Crash test of trainCityWorkflow: the ML worker runs as its own process (`node --import tsx
 * workers/ml.ts`, as deployed; it hosts the workflow, the study's trials and the fit). A generated
 * world's six weeks of Chicago are backfilled first (an in-process ingest worker). While the city's
 * TPE study runs, the ML worker is SIGKILLed mid-trial, and again while the final fit runs; each time a
 * new worker process takes over. The run must end with the study's requested trials complete and
 * exactly one registered model version, the one the workflow returns, with its files on disk.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createLogger } from '../../lib/logger';
import { createDb } from '../../db/client';
import { startTemporalDevServer, stopTemporalDevServer } from '../../runtime/temporal-server';
import { createWorkers } from '../../workers/host';
import { startSandbox, type RunningSandbox } from '../../sandbox/server';
import { ALL_ROUTES } from '../../sandbox/routes/index';
import { createGeneratedWorld } from '../../sandbox/worlds/generated';
import type { TrainCityResult } from '../../activities/ml/train';
import type { backfillWorkflow } from '../../workflows/backfill';
import type { trainCityWorkflow } from '../../workflows/train';
import { freePort } from '../support/ports';
import { freshDatabase } from '../support/postgres';
import { spawnIngestWorker, type IngestWorkerProcess } from '../support/ingest-worker';
import { sqlQuery, trialRows, tuneTestConfig } from './tune-support';

const log = createLogger('test', { level: 'error' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FROM = '2024-11-20';
const TO = '2024-12-31';
const TRIALS = 6;

describe('trainCityWorkflow crash test (ML worker SIGKILLed during the study and during the fit)', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  const workers: IngestWorkerProcess[] = [];
  let dataDir: string;
  let temporalPort: number;
  let sandbox: RunningSandbox;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wx-train-crash-'));
    temporalPort = await freePort();
    await startTemporalDevServer({ dataDir, port: temporalPort, uiPort: await freePort(), namespace: 'default', log });
    cleanup.push(async () => {
      await stopTemporalDevServer(dataDir, log);
      rmSync(dataDir, { recursive: true, force: true });
    });
    sandbox = await startSandbox({ port: 0, world: createGeneratedWorld({ seed: 9, inefficiency: 'longshot', dates: { from: '2024-11-10', to: '2025-01-05' } }), routes: ALL_ROUTES });
    cleanup.push(() => sandbox.close());
  });

  afterAll(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
  });

  it('resumes after each kill and registers exactly one model version', async () => {
    const database = await freshDatabase('wx_train_crash');
    cleanup.push(() => database.drop());
    const { config, env } = tuneTestConfig({
      TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
      DATABASE_URL: database.url,
      WX_DATA_DIR: join(dataDir, 'data'),
      WX_SANDBOX_PORT: String(sandbox.port),
      WX_LOG_LEVEL: 'info',
    });
    const client = new Client({ connection: await Connection.connect({ address: `127.0.0.1:${temporalPort}` }) });
    cleanup.push(() => client.connection.close());

    // The history to train on, backfilled by an in-process ingest worker.
    const db = createDb(database.url);
    cleanup.push(() => db.close());
    const connection = await NativeConnection.connect({ address: `127.0.0.1:${temporalPort}` });
    cleanup.push(() => connection.close());
    const [ingest] = await createWorkers({ config, roles: ['ingest'], connection, deps: { db: db.db, pool: db.pool, log, config } });
    const backfill = client.workflow.execute<typeof backfillWorkflow>('backfillWorkflow', {
      workflowId: 'backfill-train-crash',
      taskQueue: config.temporal.taskQueues.ingest,
      args: [{ cities: ['chicago'], from: FROM, to: TO }],
    });
    await ingest!.runUntil(backfill);

    const spawn = async () => {
      const w = spawnIngestWorker(env, 'workers/ml.ts');
      workers.push(w);
      await w.ready;
      return w;
    };
    let worker = await spawn();
    const handle = await client.workflow.start<typeof trainCityWorkflow>('trainCityWorkflow', {
      workflowId: 'train-crash/chicago',
      taskQueue: config.temporal.taskQueues.ml,
      args: [{ city: 'chicago', from: FROM, to: TO, stepMinutes: 60, tuneTrials: TRIALS, heartbeatTimeoutSeconds: 3, params: { numIterations: 300 } }],
    });

    // 1. Killed while a trial of the study is part-way through (it has reported a fold).
    let study = '';
    for (let i = 0; i < 1800 && !study; i++) {
      const studies = await sqlQuery<{ name: string }>(database.url, `select name from ml.study`);
      if (studies[0]) {
        const rows = await trialRows(database.url, studies[0].name);
        if (rows.some((t) => t.state === 'running' && Object.keys(t.intermediate_values).length > 0)) study = studies[0].name;
      }
      if (!study) await sleep(100);
    }
    expect(study, 'a trial got under way').not.toBe('');
    worker.child.kill('SIGKILL');
    await worker.exited;
    worker = await spawn();

    // 2. Killed while the final fit runs.
    let killedInFit = false;
    // Polled without pause: the fit of six weeks takes only seconds.
    for (let i = 0; i < 100_000; i++) {
      const d = await handle.describe();
      if (d.status.name !== 'RUNNING') break;
      if (d.raw.pendingActivities?.some((a) => a.activityType?.name === 'trainCityModel')) {
        worker.child.kill('SIGKILL');
        await worker.exited;
        killedInFit = true;
        break;
      }
    }
    expect(killedInFit, 'the worker was killed during the fit').toBe(true);
    worker = await spawn();

    const result = (await handle.result()) as TrainCityResult;
    const trials = await trialRows(database.url, study);
    const versions = await sqlQuery<{ version: string; status: string; artifact_path: string }>(database.url, `select version, status, artifact_path from ml.model_version where city_id = 'chicago' and kind = 'bracket'`);
    // The attempt that finished trainCityModel: its started event points at its scheduled event.
    const events = (await handle.fetchHistory()).events!;
    const fitScheduled = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'trainCityModel').map((e) => Number(e.eventId));
    const fitAttempts = events
      .filter((e) => e.activityTaskStartedEventAttributes && fitScheduled.includes(Number(e.activityTaskStartedEventAttributes.scheduledEventId)))
      .map((e) => e.activityTaskStartedEventAttributes!.attempt ?? 1);
    console.info(
      `train crash test: study ${study}: ${trials.filter((t) => t.state === 'complete').length} complete, ${trials.filter((t) => t.state === 'fail').length} failed; ` +
        `model ${result.version}: log loss ${result.model.logLoss.toFixed(4)} vs market ${result.market.logLoss.toFixed(4)}; fit attempts ${JSON.stringify(fitAttempts)}`,
    );

    expect(trials.filter((t) => t.state === 'complete')).toHaveLength(TRIALS);
    expect(trials.filter((t) => t.state === 'fail').length, 'the first kill interrupted a trial').toBeGreaterThan(0);
    expect(versions).toHaveLength(1);
    expect(versions[0]).toMatchObject({ version: result.version, status: 'active' });
    expect(existsSync(join(dataDir, 'data', versions[0]!.artifact_path))).toBe(true);
    expect(existsSync(join(result.artifactDir, 'model.json'))).toBe(true);
    expect(Number.isFinite(result.model.logLoss)).toBe(true);
    // The fit interrupted by the second kill was retried, not lost.
    expect(fitAttempts).toHaveLength(1);
    expect(fitAttempts[0]).toBeGreaterThanOrEqual(2);
    worker.child.kill('SIGKILL');
    await worker.exited;
  }, 600_000);
});
