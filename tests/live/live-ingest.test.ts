/**
 * Live ingest through its Temporal Schedules: a triggered nightly forecast snapshot and a candle poll
 * run their workflows on the real dev server, with the real clients against the sandbox (a generated
 * world around today whose clock is the real clock, as the live exchange's is), writing to a real
 * PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { loadConfig, type Config } from '../../temporal.config';
import { createDb } from '../../db/client';
import { createLogger } from '../../lib/logger';
import { createWorkers } from '../../workers/host';
import { startSandbox, type RunningSandbox } from '../../sandbox/server';
import { ALL_ROUTES } from '../../sandbox/routes/index';
import { createGeneratedWorld } from '../../sandbox/worlds/generated';
import { ensureSchedules, liveIngestSchedules } from '../../cli/commands/schedules';
import { startDevServer } from '../support/temporal';
import { freshDatabase } from '../support/postgres';

const log = createLogger('test', { level: 'warn' });

describe('live ingest schedules', () => {
  let env: TestWorkflowEnvironment;
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let db: ReturnType<typeof createDb>;
  let sandbox: RunningSandbox;
  let config: Config;
  let workers: Worker[];
  let stop: () => void;
  let running: Promise<unknown>;
  let worldNow: Date;

  beforeAll(async () => {
    [env, database] = await Promise.all([startDevServer(), freshDatabase()]);
    db = createDb(database.url);
    const today = DateTime.utc();
    worldNow = today.toJSDate();
    const world = createGeneratedWorld({
      seed: 7,
      cities: ['chicago'],
      dates: { from: today.minus({ days: 3 }).toISODate()!, to: today.plus({ days: 2 }).toISODate()! },
      now: worldNow,
    });
    sandbox = await startSandbox({ port: 0, world, routes: ALL_ROUTES });
    const suffix = randomBytes(3).toString('hex');
    config = loadConfig({
      env: { WX_SANDBOX_PORT: String(sandbox.port) },
      overrides: { temporal: { taskQueues: Object.fromEntries(['pipeline', 'ingest', 'ml', 'backtest', 'trading'].map((r) => [r, `${r}-${suffix}`])) } },
    });
    workers = await createWorkers({ config, roles: ['ingest'], connection: env.nativeConnection, deps: { db: db.db, pool: db.pool, log, config } });
    const until = new Promise((resolve) => (stop = () => resolve(undefined)));
    running = Promise.all(workers.map((w) => w.runUntil(until)));
  });

  afterAll(async () => {
    stop?.();
    await running;
    await sandbox?.close();
    await db?.close();
    await env?.teardown();
    await database?.drop();
  });

  async function triggerAndWait(scheduleId: string, workflowType: string): Promise<unknown> {
    const handle = env.client.schedule.getHandle(scheduleId);
    await handle.trigger();
    for (let i = 0; i < 150; i++) {
      const d = await handle.describe();
      const action = d.info.recentActions.at(-1);
      if (action) {
        const wf = env.client.workflow.getHandle(action.action.workflow.workflowId, action.action.workflow.firstExecutionRunId);
        expect((await wf.describe()).type).toBe(workflowType);
        return wf.result();
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`schedule ${scheduleId} did not start a workflow`);
  }

  it('snapshots the current forecast of a city and polls candles of open markets', async () => {
    await ensureSchedules(env.client, liveIngestSchedules(config, ['chicago']));

    const snap = (await triggerAndWait('live-ingest/forecast/chicago', 'forecastSnapshotWorkflow')) as { dailyRows: number; hourlyRows: number; sources: string[] };
    expect(snap.sources).toEqual(['visualcrossing', 'open-meteo', 'nws']);
    expect(snap.dailyRows).toBeGreaterThan(0);
    expect(snap.hourlyRows).toBeGreaterThan(0);
    const bySource = await db.pool.query<{ source: string; n: string; basis: Date }>(
      `SELECT source, count(*) AS n, max(basis_time) AS basis FROM wx.forecast_snapshot WHERE city_id = 'chicago' GROUP BY source ORDER BY source`,
    );
    expect(bySource.rows.map((r) => r.source)).toEqual(['open-meteo', 'visualcrossing']);
    // The basis of a current forecast is no later than the world's clock.
    for (const r of bySource.rows) expect(r.basis.getTime()).toBeLessThanOrEqual(worldNow.getTime());
    const hourly = await db.pool.query<{ source: string }>(`SELECT DISTINCT source FROM wx.forecast_snapshot_hourly ORDER BY source`);
    expect(hourly.rows.map((r) => r.source)).toEqual(['nws', 'open-meteo', 'visualcrossing']);

    const poll = (await triggerAndWait('live-ingest/candles', 'candlePollWorkflow')) as { markets: number; candles: number };
    // Today's Chicago event trades all day, and tomorrow's once listed at 10:00 ET: six markets each.
    expect([6, 12]).toContain(poll.markets);
    expect(poll.candles).toBeGreaterThan(0);
    const stored = await db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM kalshi.candle WHERE period_minutes = 1`);
    expect(Number(stored.rows[0]!.n)).toBe(poll.candles);

    // A second poll over the same window writes nothing new.
    await triggerAndWait('live-ingest/candles', 'candlePollWorkflow');
    expect(Number((await db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM kalshi.candle`)).rows[0]!.n)).toBe(poll.candles);
  });
});
