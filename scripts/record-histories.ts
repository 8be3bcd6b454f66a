/**
 * Records the histories that tests/replay/replay.test.ts replays: runs every workflow type once, for
 * real (a Temporal dev server, an embedded PostgreSQL, the sandbox over HTTP, the product's workers), and
 * saves each finished execution's history as JSON under tests/replay/histories/.
 *
 *   npx tsx scripts/record-histories.ts            (about a minute; needs nothing running)
 *
 * Re-record when a workflow changes ON PURPOSE in a way that is not replay-compatible (and version the
 * change with `patched()` if runs of the old code may still be open in production), then commit the new
 * fixtures with the change (README, "Run the tests").
 *
 * The runs: a one-city pipeline (pipeline, registry, backfill city, validate city), a two-city backfill
 * across a month boundary (backfill and its city children), a two-city validation (validate and its city
 * children), and each live-ingest schedule triggered once (forecast snapshot: open, hourly, nightly;
 * candle poll), and a small tuning study. Workflow args hold no secrets (clients read keys from the
 * worker's environment), so the histories hold none either.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { Worker } from '@temporalio/worker';
import { loadConfig, TASK_QUEUE_ROLES, type Config } from '../temporal.config';
import { createDb } from '../db/client';
import { migrateDatabase } from '../db/migrate';
import { createLogger } from '../lib/logger';
import { startEmbeddedPostgres } from '../runtime/postgres';
import { PROJECT_ROOT } from '../runtime/temporal-cli';
import { createWorkers, installTemporalRuntimeLogger } from '../workers/host';
import { startSandbox, type RunningSandbox } from '../sandbox/server';
import { ALL_ROUTES } from '../sandbox/routes/index';
import { createGeneratedWorld } from '../sandbox/worlds/generated';
import { ensureSchedules, liveIngestSchedules } from '../cli/commands/schedules';
import { pipelineWorkflowId, type PipelineInput } from '../schemas/pipeline';
import { backfillWorkflowId, type BackfillInput } from '../schemas/backfill';
import type { ValidateInput } from '../schemas/validation';
import { CITY_IDS, type CityId } from '../domain/cities';
import { ALL_CITIES, CITY, STAGE } from '../workflows/search-attributes';
import type { backfillWorkflow } from '../workflows/backfill';
import type { pipelineWorkflow } from '../workflows/pipeline';
import type { validateWorkflow } from '../workflows/validate';
import type { tuneWorkflow } from '../workflows/tune';
import { tuneWorkflowId, type TuneInput } from '../schemas/tune';
import { BRANIN_SPACE } from '../domain/ml/tpe/test-functions';
import { startDevServer } from '../tests/support/temporal';
import { freePort } from '../tests/support/ports';
import { HISTORIES_DIR, type RecordedHistory } from '../tests/replay/histories';

const log = createLogger('record-histories', { level: process.env.WX_LOG_LEVEL ?? 'warn' });
const ALL: CityId[] = [...CITY_IDS];
const out = (line: string) => process.stdout.write(`${line}\n`);

/** Config for workers whose clients talk to `sandbox`, on task queues of their own. */
function configFor(sandbox: RunningSandbox, dataDir: string): Config {
  const suffix = randomBytes(3).toString('hex');
  return loadConfig({
    env: {
      WX_APIS: 'sandbox',
      WX_SANDBOX_PORT: String(sandbox.port),
      WX_DATA_DIR: dataDir,
      ...Object.fromEntries(TASK_QUEUE_ROLES.map((r) => [`WX_TASK_QUEUE_${r.toUpperCase()}`, `${r}-${suffix}`])),
    },
  });
}

async function historical(client: Client, config: Config): Promise<void> {
  const cities: CityId[] = ['chicago'];
  const [from, to] = ['2025-01-01', '2025-01-02'];
  const pipelineInput: PipelineInput = { cities, from, to, taskQueues: config.temporal.taskQueues };
  out('pipeline: chicago 2025-01-01..2025-01-02');
  await client.workflow.execute<typeof pipelineWorkflow>('pipelineWorkflow', {
    workflowId: pipelineWorkflowId(cities, ALL, from, to),
    taskQueue: config.temporal.taskQueues.pipeline,
    args: [pipelineInput],
    typedSearchAttributes: [
      { key: CITY, value: 'chicago' },
      { key: STAGE, value: 'pipeline' },
    ],
  });

  // The pipeline's dataset stage ran datasetCityWorkflow; datasetWorkflow and trainCityWorkflow run on their own.
  out('dataset: chicago 2025-01-01..2025-01-02 (hourly and 3-hourly snapshots)');
  await client.workflow.execute('datasetWorkflow', {
    workflowId: `dataset/chicago/${from}..${to}/step-180`,
    taskQueue: config.temporal.taskQueues.ml,
    args: [{ city: 'chicago', from, to, params: { stepMinutes: 180 } }],
  });
  // Two settled days are too few to train on: the run ends with a "not enough history" note, a history
  // worth replaying too (the pipeline's tune, train and edge stages above end the same way).
  out('train: chicago 2025-01-01..2025-01-02');
  await client.workflow
    .execute('trainCityWorkflow', { workflowId: `train/chicago/${from}..${to}/standalone`, taskQueue: config.temporal.taskQueues.ml, args: [{ city: 'chicago', from, to }] })
    .catch((err: Error) => out(`  train ended with ${err.name}: ${err.message}`));
  out('delta sweep: chicago 2025-01-01..2025-01-02');
  await client.workflow
    .execute('deltaSweepWorkflow', { workflowId: `delta-sweep/chicago/${from}..${to}/forecast+market_mean+obs_max/4+6+8`, taskQueue: config.temporal.taskQueues.ml, args: [{ city: 'chicago', from, to }] })
    .catch((err: Error) => out(`  delta sweep ended with ${err.name}: ${err.message}`));
  // Its range follows the start time, outside the recorded days: the child skips or fails, which replay does not mind.
  out('scheduled training: chicago');
  await client.workflow
    .execute('scheduledTrainingWorkflow', { workflowId: 'scheduled-training/chicago', taskQueue: config.temporal.taskQueues.ml, args: [{ city: 'chicago', historyDays: 2, tuneTrials: 0 }] })
    .catch((err: Error) => out(`  scheduled training ended with ${err.name}: ${err.message}`));

  const two: CityId[] = ['chicago', 'miami'];
  const [bFrom, bTo] = ['2025-01-30', '2025-02-02'];
  out('backfill: chicago, miami 2025-01-30..2025-02-02');
  const backfillInput: BackfillInput = { cities: two, from: bFrom, to: bTo };
  await client.workflow.execute<typeof backfillWorkflow>('backfillWorkflow', {
    workflowId: backfillWorkflowId(two, ALL, bFrom, bTo),
    taskQueue: config.temporal.taskQueues.ingest,
    args: [backfillInput],
    typedSearchAttributes: [
      { key: CITY, value: ALL_CITIES },
      { key: STAGE, value: 'backfill' },
    ],
  });

  out('validate: chicago, miami 2025-01-30..2025-02-02');
  const validateInput: ValidateInput = { cities: two, from: bFrom, to: bTo, asOf: '2025-02-10T00:00:00.000Z', thresholds: {} };
  // A crossed threshold fails the run (ValidationFailed); either ending is a history worth replaying.
  await client.workflow
    .execute<typeof validateWorkflow>('validateWorkflow', {
      workflowId: `validate/chicago+miami/${bFrom}..${bTo}`,
      taskQueue: config.temporal.taskQueues.ingest,
      args: [validateInput],
      typedSearchAttributes: [
        { key: CITY, value: ALL_CITIES },
        { key: STAGE, value: 'validate' },
      ],
    })
    .catch((err: Error) => out(`  validate ended with ${err.name}: ${err.message}`));
}

/** A small study (Branin, 4 trials 2 at a time, 2 steps each) on the ML queue. */
async function tune(client: Client, config: Config): Promise<void> {
  const input: TuneInput = {
    study: 'replay-branin',
    space: BRANIN_SPACE,
    objective: { name: 'branin', options: { steps: 2 } },
    trials: 4,
    parallelism: 2,
    sampler: { kind: 'tpe', seed: 1, options: { nStartupTrials: 2 } },
  };
  out(`tune: study ${input.study}, ${input.trials} trials`);
  await client.workflow.execute<typeof tuneWorkflow>('tuneWorkflow', { workflowId: tuneWorkflowId(input.study), taskQueue: config.temporal.taskQueues.ml, args: [input] });
}

/** Triggers each live-ingest schedule of one city once and waits for the workflow it starts. */
async function live(client: Client, config: Config): Promise<void> {
  const schedules = liveIngestSchedules(config, ['chicago']);
  await ensureSchedules(client, schedules);
  for (const s of schedules) {
    out(`schedule ${s.scheduleId}: triggered`);
    const handle = client.schedule.getHandle(s.scheduleId);
    await handle.trigger();
    let started: { workflowId: string; firstExecutionRunId: string } | undefined;
    for (let i = 0; i < 300 && !started; i++) {
      started = (await handle.describe()).info.recentActions.at(-1)?.action.workflow;
      if (!started) await new Promise((r) => setTimeout(r, 100));
    }
    if (!started) throw new Error(`schedule ${s.scheduleId} started no workflow within 30 s`);
    await client.workflow.getHandle(started.workflowId, started.firstExecutionRunId).result();
    // Paused afterwards: its next regular start must not land in the recording.
    await handle.pause('recorded');
  }
}

/** Every closed execution's history, one file per execution, named by type and id. */
async function save(client: Client): Promise<number> {
  // Histories of runs from before a patched() change (`*.before-<patch>.json`) cannot be recorded again
  // from today's code: they are kept, so the old branch of each patch stays replayed.
  mkdirSync(HISTORIES_DIR, { recursive: true });
  for (const f of readdirSync(HISTORIES_DIR)) if (!f.includes('.before-')) rmSync(join(HISTORIES_DIR, f), { force: true });
  let n = 0;
  for await (const wf of client.workflow.list({ query: 'ExecutionStatus != "Running"' })) {
    const history = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    const record: RecordedHistory = { workflowType: wf.type, workflowId: wf.workflowId, status: wf.status.name, history: JSON.parse(historyToJSON(history)) };
    // Schedule-started ids end in their start time; without it a re-recording keeps the file names.
    const id = wf.workflowId.replace(/-\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, '');
    const file = `${wf.type}--${id.replace(/[^\w.-]+/g, '_')}.json`;
    // Failure stack traces name this checkout's absolute path; replay never reads them, so the fixtures
    // keep repository-relative paths and look the same from any clone.
    const text = JSON.stringify(record, null, 1).replaceAll(`${PROJECT_ROOT}/`, '');
    writeFileSync(join(HISTORIES_DIR, file), `${text}\n`);
    n++;
  }
  return n;
}

async function main(): Promise<void> {
  installTemporalRuntimeLogger(log);
  // Under the system temp directory: as root the server runs as the `postgres` OS user, who must reach it.
  const root = mkdtempSync(join(tmpdir(), 'wx-record-histories-'));
  const cleanup: Array<() => Promise<unknown>> = [async () => rmSync(root, { recursive: true, force: true })];
  try {
    const [pg, env] = await Promise.all([
      startEmbeddedPostgres({ dataDir: join(root, 'pg'), port: await freePort(), log, settings: { fsync: 'off', synchronous_commit: 'off' } }),
      startDevServer(),
    ]);
    cleanup.push(() => pg.stop({ force: true }), () => env.teardown());
    await migrateDatabase(pg.url, log);
    const db = createDb(pg.url, { log });
    cleanup.push(() => db.close());

    // The historical world (as the pipeline tests use) and a live one around today (its clock is the real clock).
    const past = await startSandbox({ port: 0, world: createGeneratedWorld({ seed: 5, dates: { from: '2024-12-25', to: '2025-02-12' } }), routes: ALL_ROUTES });
    const today = DateTime.utc();
    const now = await startSandbox({
      port: 0,
      world: createGeneratedWorld({ seed: 7, cities: ['chicago'], dates: { from: today.minus({ days: 3 }).toISODate()!, to: today.plus({ days: 2 }).toISODate()! }, now: today.toJSDate() }),
      routes: ALL_ROUTES,
    });
    cleanup.push(() => past.close(), () => now.close());

    const workers: Worker[] = [];
    const configs = [configFor(past, root), configFor(now, root)] as const;
    for (const config of configs) {
      workers.push(...(await createWorkers({ config, roles: TASK_QUEUE_ROLES, connection: env.nativeConnection, deps: { db: db.db, pool: db.pool, log, config } })));
    }
    const runs = (async () => {
      await historical(env.client, configs[0]);
      await tune(env.client, configs[0]);
      await live(env.client, configs[1]);
    })();
    await Promise.all([...workers.map((w) => w.runUntil(runs.catch(() => undefined))), runs]);
    const n = await save(env.client);
    const types = new Set(readdirSync(HISTORIES_DIR).map((f) => f.split('--')[0]));
    out(`recorded ${n} histories of ${types.size} workflow types into ${HISTORIES_DIR.replace(`${PROJECT_ROOT}/`, '')}`);
  } finally {
    for (const fn of cleanup.reverse()) await fn().catch((err: Error) => console.error(`cleanup: ${err.message}`));
  }
}

main().catch((err: Error) => {
  console.error(`record-histories: ${err.stack ?? err.message}`);
  process.exit(1);
});
