/**
 * The pipeline workflow on the real Temporal CLI dev server, its activities against a real PostgreSQL
 * database (the local server on 5432, a fresh database per file) and the real clients against the
 * sandbox (a generated world) over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
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

const log = createLogger('test', { level: 'warn' });

describe('pipeline workflow (real dev server, real PostgreSQL)', () => {
  let env: TestWorkflowEnvironment;
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let db: ReturnType<typeof createDb>;
  let config: Config;
  let connection: NativeConnection;
  let sandbox: RunningSandbox;

  beforeAll(async () => {
    [env, database] = await Promise.all([startDevServer(), freshDatabase()]);
    db = createDb(database.url);
    const world = createGeneratedWorld({ seed: 5, dates: { from: '2024-12-25', to: '2025-02-05' } });
    sandbox = await startSandbox({ port: 0, world, routes: ALL_ROUTES });
    const suffix = randomBytes(3).toString('hex');
    config = loadConfig({
      env: { WX_SANDBOX_PORT: String(sandbox.port) },
      overrides: { temporal: { taskQueues: Object.fromEntries(['pipeline', 'ingest', 'ml', 'backtest', 'trading'].map((r) => [r, `${r}-${suffix}`])) } },
    });
    connection = env.nativeConnection;
  });

  afterAll(async () => {
    await sandbox?.close();
    await db?.close();
    await env?.teardown();
    await database?.drop();
  });

  const input = (cities: string[], from = '2025-01-01', to = '2025-01-02'): PipelineInput => ({ cities, from, to, taskQueues: config.temporal.taskQueues });

  /** Runs `fn` while the workers poll; they stop once it settles. */
  async function run<T>(workers: Worker[], fn: () => Promise<T>): Promise<T> {
    const scenario = fn();
    await Promise.all(workers.map((w) => w.runUntil(scenario.catch(() => undefined))));
    return scenario;
  }

  it('runs the built stages per city, reports unbuilt stages as not built, and sets City/Stage', async () => {
    const workers = await createWorkers({ config, roles: ['pipeline', 'ingest'], connection, deps: { db: db.db, pool: db.pool, log, config } });
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
    const built = ['registry', 'backfill', 'validate'];
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

  it('is idempotent: a second run leaves the same rows', async () => {
    const before = await db.db.select({ n: count() }).from(kalshiSeries);
    const workers = await createWorkers({ config, roles: ['pipeline', 'ingest'], connection, deps: { db: db.db, pool: db.pool, log, config } });
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
    expect(summary.stages.filter((s) => !['registry', 'backfill', 'validate'].includes(s.stage)).every((s) => s.status === 'not_built')).toBe(true);
  });
});
