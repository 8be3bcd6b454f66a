/**
 * A tiny as-of join over Open-Meteo previous-run forecasts stored in real PostgreSQL (generated world,
 * real sandbox over HTTP, real client, bulkUpsert): "the latest forecast of Chicago's 2025-07-15 high
 * known at 10:00 CDT on the 14th" (Kalshi lists that market then).
 *
 * Joined on the nominal run time the rows used to be known by (basis_time = 00Z of D − N), the answer is
 * the day-1 value, although the hours of the 15th that make it come from runs up to 24 h before each
 * hour, i.e. well after the decision time: a leak. Joined on available_at, the answer is the day-2 value,
 * whose every run was out before the decision.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { bulkUpsert } from '../../db/bulk-upsert';
import { wxForecastSnapshot, wxForecastSnapshotHourly } from '../../schemas/db';
import { startSandbox, type RunningSandbox } from '../../sandbox/server';
import { ALL_ROUTES } from '../../sandbox/routes/index';
import { createGeneratedWorld } from '../../sandbox/worlds/generated';
import { OpenMeteoClient } from '../../clients/open-meteo';
import { SANDBOX_PATHS } from '../../temporal.config';
import { freshDatabase } from '../support/postgres';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const TARGET = '2025-07-15';
/** 10:00 CDT on the day before: the market for TARGET opens. */
const DECISION = new Date('2025-07-14T15:00:00Z');
/** 15:00 CDT on TARGET, near the day's maximum. */
const HOUR_OF_INTEREST = new Date('2025-07-15T20:00:00Z');

describe('as-of join on available_at (Open-Meteo previous runs)', () => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let pool: pg.Pool;
  let sandbox: RunningSandbox;

  beforeAll(async () => {
    database = await freshDatabase('wx_knownat');
    pool = new pg.Pool({ connectionString: database.url, max: 2, options: '-c TimeZone=UTC' });
    const world = createGeneratedWorld({ seed: 11, cities: ['chicago'], dates: { from: '2025-07-08', to: '2025-07-18' }, now: new Date('2025-07-18T18:00:00Z') });
    sandbox = await startSandbox({ port: 0, world, routes: ALL_ROUTES });
    const u = sandbox.url;
    const om = new OpenMeteoClient({
      baseUrl: `${u}${SANDBOX_PATHS.openMeteo}`,
      historicalForecastBaseUrl: `${u}${SANDBOX_PATHS.openMeteoHistoricalForecast}`,
      previousRunsBaseUrl: `${u}${SANDBOX_PATHS.openMeteoPreviousRuns}`,
      http: { minDelayMs: 1, maxDelayMs: 4, maxAttempts: 3, timeoutMs: 10_000 },
    });
    const rows = await om.previousRuns('chicago', { from: TARGET, to: TARGET }, [0, 1, 2, 3]);
    await bulkUpsert(pool, wxForecastSnapshot, rows.daily);
    await bulkUpsert(pool, wxForecastSnapshotHourly, rows.hourly);
  });
  afterAll(async () => {
    await sandbox?.close();
    await pool?.end();
    await database?.drop();
  });

  /** The latest daily forecast of TARGET known at DECISION, "known" meaning the given column <= DECISION. */
  async function dailyAsOf(knownBy: 'basis_time' | 'available_at') {
    const r = await pool.query<{ lead_days: number; basis_time: Date; available_at: Date; tempmax_f: number }>(
      `SELECT lead_days, basis_time, available_at, tempmax_f FROM wx.forecast_snapshot
        WHERE city_id = 'chicago' AND source = 'open-meteo' AND target_date = $1 AND ${knownBy} <= $2
        ORDER BY ${knownBy} DESC, lead_days ASC LIMIT 1`,
      [TARGET, DECISION],
    );
    return r.rows[0];
  }

  async function hourlyAsOf(knownBy: 'basis_time' | 'available_at') {
    const r = await pool.query<{ basis_time: Date; available_at: Date; temp_f: number }>(
      `SELECT basis_time, available_at, temp_f FROM wx.forecast_snapshot_hourly
        WHERE city_id = 'chicago' AND source = 'open-meteo' AND valid_time = $1 AND ${knownBy} <= $2
        ORDER BY ${knownBy} DESC LIMIT 1`,
      [HOUR_OF_INTEREST, DECISION],
    );
    return r.rows[0];
  }

  it('daily high: the old stamp joins the day-1 value made of runs after the decision; available_at joins day 2', async () => {
    const old = await dailyAsOf('basis_time');
    expect(old?.lead_days).toBe(1);
    // The leak is real: an hour of TARGET whose day-1 value comes from a run later than the decision
    // (previous_day1 is the forecast 24 h before the valid time).
    const late = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM wx.forecast_snapshot_hourly
        WHERE city_id = 'chicago' AND source = 'open-meteo' AND basis_time = $1 AND valid_time - interval '1 day' > $2`,
      [old!.basis_time, DECISION],
    );
    expect(late.rows[0]!.n).toBeGreaterThan(0);
    expect(old!.available_at.getTime()).toBeGreaterThan(DECISION.getTime());

    const now = await dailyAsOf('available_at');
    expect(now?.lead_days).toBe(2);
    expect(now!.available_at.getTime()).toBeLessThanOrEqual(DECISION.getTime());
    // Every hour behind the day-2 value had its run before the decision.
    const after = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM wx.forecast_snapshot_hourly
        WHERE city_id = 'chicago' AND source = 'open-meteo' AND basis_time = $1 AND valid_time - interval '2 days' > $2`,
      [now!.basis_time, DECISION],
    );
    expect(after.rows[0]!.n).toBe(0);
  });

  it('one hour: the old stamp joins a value forecast after the decision; available_at does not', async () => {
    const old = await hourlyAsOf('basis_time');
    const now = await hourlyAsOf('available_at');
    expect(old).toBeDefined();
    expect(now).toBeDefined();
    // Old: basis 00Z of the 14th (day 1), a value forecast 24 h before 20:00Z on the 15th, after the decision.
    expect(old!.basis_time.toISOString()).toBe('2025-07-14T00:00:00.000Z');
    expect(HOUR_OF_INTEREST.getTime() - DAY).toBeGreaterThan(DECISION.getTime());
    // Now: the day-2 value, known before the decision.
    expect(now!.basis_time.toISOString()).toBe('2025-07-13T00:00:00.000Z');
    expect(now!.available_at.getTime()).toBeLessThanOrEqual(DECISION.getTime());
  });
});
