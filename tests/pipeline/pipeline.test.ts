/**
 * The pipeline workflow on the real Temporal CLI dev server, its activities against a real PostgreSQL
 * database (the local server on 5432, a fresh database per file) and the real clients against the
 * sandbox (a generated world) over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { MockActivityEnvironment, type TestWorkflowEnvironment } from '@temporalio/testing';
import { count, eq } from 'drizzle-orm';
import { loadConfig, type Config } from '../../temporal.config';
import { createDb } from '../../db/client';
import { createLogger } from '../../lib/logger';
import { createWorkers } from '../../workers/host';
import { createRegistryActivities } from '../../activities/registry';
import { kalshiSeries, wxCity, wxStation } from '../../schemas/db';
import { pipelineWorkflowId, STAGE_NAMES, type PipelineInput, type PipelineSummary } from '../../schemas/pipeline';
import { progressQuery, type pipelineWorkflow } from '../../workflows/pipeline';
import { CITY, STAGE } from '../../workflows/search-attributes';
import { startDevServer } from '../support/temporal';
import { startSandbox, type RunningSandbox } from '../../sandbox/server';
import { ALL_ROUTES } from '../../sandbox/routes/index';
import { createGeneratedWorld } from '../../sandbox/worlds/generated';
import { freshDatabase } from '../support/postgres';
import { createDatasetActivities, datasetParamsOf } from '../../activities/ml/dataset';
import { loadDatasetInput } from '../../activities/ml/dataset-input';
import { buildDataset, findLeaks } from '../../domain/features';
import { datasetPath, inputHash, readDatasetFile } from '../../ml/dataset-cache';

const log = createLogger('test', { level: 'warn' });

describe('pipeline workflow (real dev server, real PostgreSQL)', () => {
  let env: TestWorkflowEnvironment;
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let db: ReturnType<typeof createDb>;
  let config: Config;
  let connection: NativeConnection;
  let sandbox: RunningSandbox;
  let dataDir: string;

  beforeAll(async () => {
    [env, database] = await Promise.all([startDevServer(), freshDatabase()]);
    db = createDb(database.url);
    const world = createGeneratedWorld({ seed: 5, dates: { from: '2024-12-25', to: '2025-02-05' } });
    sandbox = await startSandbox({ port: 0, world, routes: ALL_ROUTES });
    const suffix = randomBytes(3).toString('hex');
    dataDir = mkdtempSync(join(tmpdir(), 'wx-pipeline-'));
    config = loadConfig({
      env: { WX_SANDBOX_PORT: String(sandbox.port), WX_DATA_DIR: dataDir },
      overrides: { temporal: { taskQueues: Object.fromEntries(['pipeline', 'ingest', 'ml', 'backtest', 'trading'].map((r) => [r, `${r}-${suffix}`])) } },
    });
    connection = env.nativeConnection;
  });

  afterAll(async () => {
    await sandbox?.close();
    await db?.close();
    await env?.teardown();
    await database?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** The dataset activity run in the SDK's activity environment (heartbeats go to it), outside a worker. */
  const datasetActivities = () => {
    const real = createDatasetActivities({ db: db.db, pool: db.pool, log, config });
    return { buildCityDataset: (i: Parameters<typeof real.buildCityDataset>[0]) => new MockActivityEnvironment().run(real.buildCityDataset, i) };
  };

  const input = (cities: string[], from = '2025-01-01', to = '2025-01-02'): PipelineInput => ({ cities, from, to, taskQueues: config.temporal.taskQueues });

  /** Runs `fn` while the workers poll; they stop once it settles. */
  async function run<T>(workers: Worker[], fn: () => Promise<T>): Promise<T> {
    const scenario = fn();
    await Promise.all(workers.map((w) => w.runUntil(scenario.catch(() => undefined))));
    return scenario;
  }

  it('runs the built stages per city, reports unbuilt stages as not built, and sets City/Stage', async () => {
    const workers = await createWorkers({ config, roles: ['pipeline', 'ingest', 'ml'], connection, deps: { db: db.db, pool: db.pool, log, config } });
    const cities = ['chicago', 'austin'];
    const workflowId = pipelineWorkflowId(cities, ['chicago', 'austin', 'denver', 'los_angeles', 'miami', 'philadelphia'], '2025-01-01', '2025-01-02');
    const summary = (await run(workers, async () => {
      const handle = await env.client.workflow.start<typeof pipelineWorkflow>('pipelineWorkflow', {
        workflowId,
        taskQueue: config.temporal.taskQueues.pipeline,
        args: [input(cities)],
        typedSearchAttributes: [{ key: STAGE, value: 'pipeline' }],
      });
      const result = await handle.result();
      // The progress query answers from the finished run too, and agrees with the result.
      const progress = await handle.query(progressQuery);
      expect(progress.stages).toEqual(result.stages);
      return result;
    })) as PipelineSummary;

    expect(workflowId).toBe('pipeline/austin+chicago/2025-01-01..2025-01-02');
    expect(summary.ok).toBe(true);
    expect(summary.stages.map((s) => s.stage)).toEqual([...STAGE_NAMES]);
    const built = ['registry', 'backfill', 'validate', 'dataset', 'tune', 'train', 'edge'];
    for (const name of built) {
      const stage = summary.stages.find((s) => s.stage === name)!;
      expect(stage.status).toBe('done');
      expect(stage.cities).toEqual({ chicago: 'done', austin: 'done' });
      expect(stage.childWorkflowIds.sort()).toEqual([`${name}/austin/2025-01-01..2025-01-02`, `${name}/chicago/2025-01-01..2025-01-02`]);
      const child = await env.client.workflow.getHandle(`${name}/chicago/2025-01-01..2025-01-02`).describe();
      expect(child.status.name).toBe('COMPLETED');
      expect(child.typedSearchAttributes.get(CITY)).toBe('chicago');
      expect(child.typedSearchAttributes.get(STAGE)).toBe(name);
    }
    for (const s of summary.stages.filter((s) => !built.includes(s.stage))) expect(s.status).toBe('not_built');
    // Two days are too few to tune or train on: those stages succeed and say why they did nothing.
    for (const name of ['tune', 'train']) {
      expect(summary.stages.find((s) => s.stage === name)!.note).toMatch(/^(austin|chicago): not enough history: 2 events, at least 10 settled days are needed; (austin|chicago): not enough/);
    }
    expect(summary.stages.find((s) => s.stage === 'edge')!.note).toMatch(/^(austin|chicago): not enough history: .*; (austin|chicago): not enough history: /);
    // The backfill stage wrote the two climate days of both cities.
    const settled = await db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM wx.settlement_consolidated`);
    expect(Number(settled.rows[0]!.n)).toBe(4);

    const rows = await db.db.select().from(wxCity).orderBy(wxCity.id);
    expect(rows.map((r) => r.id)).toEqual(['austin', 'chicago']);
    const [station] = await db.db.select().from(wxStation).where(eq(wxStation.icao, 'KMDW'));
    expect(station).toMatchObject({ cityId: 'chicago', ghcnId: 'USW00014819', cliSite: 'LOT', cliIssuedby: 'MDW' });
    const series = await db.db.select().from(kalshiSeries).where(eq(kalshiSeries.cityId, 'chicago'));
    expect(series.map((s) => s.ticker).sort()).toEqual(['HIGHCHI', 'KXHIGHCHI']);
  });

  it('dataset stage: the cached Parquet equals a rebuild from the database row for row, passes the leakage check, and is reused while its inputs are unchanged', async () => {
    const activities = datasetActivities();
    const input = { city: 'chicago' as const, from: '2025-01-01', to: '2025-01-02' };
    const path = datasetPath(config.dataDir, 'chicago', datasetParamsOf(input));
    const cached = await readDatasetFile(path); // the pipeline's file; the read runs the leakage check
    expect(cached.events.map((e) => e.date)).toEqual(['2025-01-01', '2025-01-02']);
    // Market open (10:00 ET the day before) to close (end of the climate day), hourly: 39 snapshots a day.
    expect(cached.features.rows).toBe(2 * 39);
    expect(findLeaks(cached.features, cached.snapshotMs)).toEqual([]);

    const { input: rows } = await loadDatasetInput(db.db, 'chicago', input.from, input.to);
    expect(inputHash(rows)).toBe(cached.inputHash);
    const rebuilt = buildDataset(rows, datasetParamsOf(input));
    expect(rebuilt.features.names).toEqual(cached.features.names);
    expect(Array.from(rebuilt.snapshotMs)).toEqual(Array.from(cached.snapshotMs));
    expect(Array.from(rebuilt.yBracket)).toEqual(Array.from(cached.yBracket));
    expect(Array.from(rebuilt.yHigh)).toEqual(Array.from(cached.yHigh));
    for (const name of rebuilt.features.names) {
      expect(Array.from(cached.features.values.get(name)!), name).toEqual(Array.from(rebuilt.features.values.get(name)!));
      expect(Array.from(cached.features.asOf.get(name)!), name).toEqual(Array.from(rebuilt.features.asOf.get(name)!));
    }
    // Forecasts, observations and the market all reach the rows (NaN only where nothing was known yet).
    for (const name of ['fc.mean', 'obs.latest', 'mkt.mean', 'm2.mid']) {
      const present = Array.from(cached.features.column(name)).filter((x) => !Number.isNaN(x)).length;
      expect(present, name).toBeGreaterThan(cached.features.rows / 2);
    }

    const again = await activities.buildCityDataset(input);
    expect(again).toMatchObject({ cached: true, rows: 78, path });
    writeFileSync(path, 'not parquet');
    const rebuiltFile = await activities.buildCityDataset(input);
    expect(rebuiltFile).toMatchObject({ cached: false, rows: 78 });
    expect((await readDatasetFile(path)).inputHash).toBe(cached.inputHash);
  });

  it('dataset stage: bad input names the field, and a range without data is refused with nothing written', async () => {
    const activities = datasetActivities();
    await expect(activities.buildCityDataset({ city: 'gotham' as never, from: '2025-01-01', to: '2025-01-02' })).rejects.toThrow(/dataset input city "gotham": /);
    await expect(activities.buildCityDataset({ city: 'chicago', from: '2025-01-01', to: '2025-01-02', params: { stepMinutes: 2 } })).rejects.toThrow(/dataset params\.stepMinutes 2: /);
    const empty = { city: 'chicago' as const, from: '2019-01-01', to: '2019-01-31' };
    await expect(activities.buildCityDataset(empty)).rejects.toThrow(/no usable events in the database for that range/);
    expect(existsSync(datasetPath(config.dataDir, 'chicago', datasetParamsOf(empty)))).toBe(false);
  });

  it('is idempotent: a second run leaves the same rows', async () => {
    const before = await db.db.select({ n: count() }).from(kalshiSeries);
    const workers = await createWorkers({ config, roles: ['pipeline', 'ingest', 'ml'], connection, deps: { db: db.db, pool: db.pool, log, config } });
    await run(workers, () =>
      env.client.workflow.execute<typeof pipelineWorkflow>('pipelineWorkflow', {
        workflowId: `again-${randomBytes(3).toString('hex')}`,
        taskQueue: config.temporal.taskQueues.pipeline,
        args: [input(['chicago', 'austin'])],
      }),
    );
    const after = await db.db.select({ n: count() }).from(kalshiSeries);
    expect(after).toEqual(before);
  });

  it('reports a failing stage as failed, per city, and fails the run with the summary attached', async () => {
    const real = createRegistryActivities({ db: db.db, pool: db.pool, log, config });
    const attempts: Record<string, number> = {};
    const failing = {
      async seedCityRegistry(city: string) {
        attempts[city] = (attempts[city] ?? 0) + 1;
        if (city === 'denver') throw ApplicationFailure.create({ type: 'InvalidInput', nonRetryable: true, message: 'station feed broken (injected)' });
        return real.seedCityRegistry(city);
      },
    };
    const workers = await createWorkers({ config, roles: ['pipeline', 'ingest'], connection, deps: { db: db.db, pool: db.pool, log, config }, activityOverrides: { ingest: failing } });
    const error = (await run(workers, () =>
      env.client.workflow
        .execute<typeof pipelineWorkflow>('pipelineWorkflow', {
          workflowId: `failing-${randomBytes(3).toString('hex')}`,
          taskQueue: config.temporal.taskQueues.pipeline,
          args: [input(['miami', 'denver'], '2025-02-01', '2025-02-02')],
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        ),
    )) as WorkflowFailedError;
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const cause = error.cause as ApplicationFailure;
    expect(cause.type).toBe('StageFailed');
    const summary = cause.details?.[0] as PipelineSummary;
    expect(summary.ok).toBe(false);
    const registry = summary.stages.find((s) => s.stage === 'registry')!;
    expect(registry.status).toBe('failed');
    expect(registry.cities).toEqual({ miami: 'done', denver: 'failed' });
    expect(registry.error).toBe('denver: station feed broken (injected)');
    // The child retry policy re-ran the failed city's child workflow (3 attempts), not the healthy one.
    expect(attempts.denver).toBe(3);
    // Built stages after the failure are skipped, never run on half the cities; unbuilt ones stay unbuilt.
    expect(summary.stages.find((s) => s.stage === 'backfill')!.status).toBe('skipped');
    expect(summary.stages.find((s) => s.stage === 'validate')!.status).toBe('skipped');
    for (const name of ['dataset', 'tune', 'train', 'edge']) expect(summary.stages.find((s) => s.stage === name)!.status).toBe('skipped');
    expect(summary.stages.filter((s) => !['registry', 'backfill', 'validate', 'dataset', 'tune', 'train', 'edge'].includes(s.stage)).every((s) => s.status === 'not_built')).toBe(true);
  });
});
