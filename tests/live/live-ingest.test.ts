/**
 * Live ingest through its Temporal Schedules: triggered forecast snapshots (pre-open, hourly, nightly)
 * and a candle poll run their workflows on the real dev server, with the real clients against the
 * sandbox (a generated world around today whose clock is the real clock, as the live exchange's is),
 * writing to a real PostgreSQL. The candle poll also stores every open market's order book.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { DateTime } from 'luxon';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { loadConfig, type Config } from '../../temporal.config';
import { createDb } from '../../db/client';
import { createLogger } from '../../lib/logger';
import { createWorkers } from '../../workers/host';
import { startSandbox, type RunningSandbox } from '../../sandbox/server';
import { ALL_ROUTES } from '../../sandbox/routes/index';
import { createGeneratedWorld, type GeneratedWorld } from '../../sandbox/worlds/generated';
import { StaticWorld } from '../../sandbox/worlds/static';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createLiveIngestActivities } from '../../activities/live-ingest';
import type { CandlePollResult } from '../../schemas/live-ingest';
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
  let world: GeneratedWorld;
  // What the sandbox saw of Visual Crossing's key and NWS's User-Agent, per request.
  const seen: Array<{ source: string; key?: string; userAgent?: string }> = [];

  beforeAll(async () => {
    [env, database] = await Promise.all([startDevServer(), freshDatabase()]);
    db = createDb(database.url);
    const today = DateTime.utc();
    worldNow = today.toJSDate();
    world = createGeneratedWorld({
      seed: 7,
      cities: ['chicago'],
      dates: { from: today.minus({ days: 3 }).toISODate()!, to: today.plus({ days: 2 }).toISODate()! },
      now: worldNow,
    });
    const record = (app: FastifyInstance): void => {
      app.addHook('onRequest', async (req) => {
        const source = req.url.split('/')[1]!;
        const key = new URL(req.url, 'http://x').searchParams.get('key') ?? undefined;
        seen.push({ source, ...(key && { key }), ...(req.headers['user-agent'] && { userAgent: req.headers['user-agent'] }) });
      });
    };
    sandbox = await startSandbox({ port: 0, world, routes: [record, ...ALL_ROUTES] });
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

  it('snapshots the current forecast of a city before the open, hourly and nightly', async () => {
    await ensureSchedules(env.client, liveIngestSchedules(config, ['chicago']));

    for (const [id, trigger] of [
      ['live-ingest/forecast-open/chicago', 'open'],
      ['live-ingest/forecast-hourly/chicago', 'hourly'],
      ['live-ingest/forecast/chicago', 'nightly'],
    ] as const) {
      const snap = (await triggerAndWait(id, 'forecastSnapshotWorkflow')) as { trigger: string; dailyRows: number; hourlyRows: number; sources: string[] };
      expect(snap.trigger).toBe(trigger);
      expect(snap.sources).toEqual(['visualcrossing', 'open-meteo', 'nws']);
      expect(snap.dailyRows).toBeGreaterThan(0);
      expect(snap.hourlyRows).toBeGreaterThan(0);
    }
    const bySource = await db.pool.query<{ source: string; n: string; basis: Date }>(
      `SELECT source, count(*) AS n, max(basis_time) AS basis FROM wx.forecast_snapshot WHERE city_id = 'chicago' GROUP BY source ORDER BY source`,
    );
    expect(bySource.rows.map((r) => r.source)).toEqual(['open-meteo', 'visualcrossing']);
    // The basis of a current forecast is no later than the world's clock.
    for (const r of bySource.rows) expect(r.basis.getTime()).toBeLessThanOrEqual(worldNow.getTime());
    const hourly = await db.pool.query<{ source: string }>(`SELECT DISTINCT source FROM wx.forecast_snapshot_hourly ORDER BY source`);
    expect(hourly.rows.map((r) => r.source)).toEqual(['nws', 'open-meteo', 'visualcrossing']);
    // Stamped by the clients as the backfill's rows are: never known before the run they come from.
    for (const table of ['wx.forecast_snapshot', 'wx.forecast_snapshot_hourly']) {
      const early = await db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE available_at < basis_time`);
      expect(Number(early.rows[0]!.n), table).toBe(0);
    }
  });

  it('polls candles and order books of open markets', async () => {
    await ensureSchedules(env.client, liveIngestSchedules(config, ['chicago']));
    const poll = (await triggerAndWait('live-ingest/candles', 'candlePollWorkflow')) as CandlePollResult;
    // Today's Chicago event trades all day, and tomorrow's once listed at 10:00 ET: six markets each.
    expect([6, 12]).toContain(poll.markets);
    expect(poll.candles).toBeGreaterThan(0);
    const stored = await db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM kalshi.candle WHERE period_minutes = 1`);
    expect(Number(stored.rows[0]!.n)).toBe(poll.candles);

    // One book per open market, each the world's book at its clock, best level first on both sides.
    expect(poll).toMatchObject({ orderbooks: poll.markets, orderbooksMissing: 0 });
    type Book = { market_ticker: string; yes_price_micros: number[]; yes_size_centi: string[]; no_price_micros: number[]; no_size_centi: string[] };
    const books = (await db.pool.query<Book>(`SELECT * FROM kalshi.orderbook_snapshot ORDER BY market_ticker`)).rows;
    expect(books).toHaveLength(poll.markets);
    for (const b of books) {
      const truth = world.orderbook(b.market_ticker, worldNow)!;
      const desc = (levels: Array<[number, number]>) => [...levels].sort((x, y) => y[0] - x[0]);
      expect(b.yes_price_micros).toEqual(desc(truth.yes).map(([p]) => p));
      expect(b.yes_size_centi.map(Number)).toEqual(desc(truth.yes).map(([, c]) => c));
      expect(b.no_price_micros).toEqual(desc(truth.no).map(([p]) => p));
      expect(b.no_size_centi.map(Number)).toEqual(desc(truth.no).map(([, c]) => c));
    }
    // Depth, not only the top of the book: some market shows several levels on each side.
    expect(books.some((b) => b.yes_price_micros.length > 1 && b.no_price_micros.length > 1)).toBe(true);

    // A second poll over the same window writes no candle twice, and one more book per market.
    const again = (await triggerAndWait('live-ingest/candles', 'candlePollWorkflow')) as CandlePollResult;
    expect(Number((await db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM kalshi.candle`)).rows[0]!.n)).toBe(poll.candles);
    expect(Number((await db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM kalshi.orderbook_snapshot`)).rows[0]!.n)).toBe(poll.markets + again.orderbooks);
  });

  it('stores no book for open markets whose world holds none (a recorded world without book files)', async () => {
    // The same open markets, in a world that holds no order books: the sandbox answers 404, nothing is
    // invented. The activity runs in the SDK's MockActivityEnvironment (heartbeats need an activity context).
    const bookless = new StaticWorld('recorded', 'no books', { cities: ['chicago'], dates: world.dates, now: worldNow, series: world.series(), events: world.events() });
    const other = await startSandbox({ port: 0, world: bookless, routes: ALL_ROUTES });
    const database2 = await freshDatabase();
    const db2 = createDb(database2.url);
    try {
      const cfg = loadConfig({ env: { WX_SANDBOX_PORT: String(other.port) } });
      const acts = createLiveIngestActivities({ db: db2.db, pool: db2.pool, log, config: cfg });
      const heartbeats: unknown[] = [];
      const mock = new MockActivityEnvironment();
      mock.on('heartbeat', (d: unknown) => heartbeats.push(d));
      const r = (await mock.run(acts.pollOpenMarketCandles, ['chicago'], 90)) as CandlePollResult;
      expect(r.markets).toBeGreaterThan(0);
      expect(r).toMatchObject({ orderbooks: 0, orderbooksMissing: r.markets });
      expect(Number((await db2.pool.query<{ n: string }>(`SELECT count(*) AS n FROM kalshi.orderbook_snapshot`)).rows[0]!.n)).toBe(0);
      // One heartbeat per market polled.
      expect(heartbeats).toHaveLength(r.markets);
    } finally {
      await db2.close();
      await database2.drop();
      await other.close();
    }
  });

  it('takes credentials from its deps, not from the environment, and heartbeats per source', async () => {
    const saved = { key: process.env.VISUAL_CROSSING_API_KEY, ua: process.env.WX_NWS_USER_AGENT };
    process.env.VISUAL_CROSSING_API_KEY = 'from-the-environment';
    process.env.WX_NWS_USER_AGENT = 'from-the-environment';
    try {
      const credentials = { visualCrossingApiKey: 'key-from-deps', nwsUserAgent: 'wx-test (user agent from deps)' };
      const acts = createLiveIngestActivities({ db: db.db, pool: db.pool, log, config, credentials });
      const heartbeats: unknown[] = [];
      const mock = new MockActivityEnvironment();
      mock.on('heartbeat', (d: unknown) => heartbeats.push(d));
      const from = seen.length;
      const r = await mock.run(acts.snapshotCurrentForecast, 'chicago', 'hourly' as const);
      expect(r).toMatchObject({ trigger: 'hourly', sources: ['visualcrossing', 'open-meteo', 'nws'] });
      const mine = seen.slice(from);
      const vc = mine.filter((x) => x.source === 'visualcrossing');
      const nws = mine.filter((x) => x.source === 'nws');
      expect(vc.length).toBeGreaterThan(0);
      expect(nws.length).toBeGreaterThan(0);
      expect(vc.every((x) => x.key === 'key-from-deps')).toBe(true);
      expect(nws.every((x) => x.userAgent === 'wx-test (user agent from deps)')).toBe(true);
      expect(heartbeats).toHaveLength(3);
    } finally {
      for (const [name, v] of [['VISUAL_CROSSING_API_KEY', saved.key], ['WX_NWS_USER_AGENT', saved.ua]] as const) {
        if (v === undefined) delete process.env[name];
        else process.env[name] = v;
      }
    }
  });
});
