/**
 * The forecasts backfill source takes same-day (lead 0) forecasts too: one chunk of the real adapter
 * (activities/backfill/forecasts.ts) through the real clients and the generated world's sandbox over
 * HTTP, its batches upserted into real PostgreSQL, then read back per source and lead.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { bulkUpsert } from '../../db/bulk-upsert';
import { forecastsAdapter } from '../../activities/backfill/forecasts';
import type { BackfillClients } from '../../activities/backfill/types';
import { startSandbox, type RunningSandbox } from '../../sandbox/server';
import { ALL_ROUTES } from '../../sandbox/routes/index';
import { createGeneratedWorld } from '../../sandbox/worlds/generated';
import { IemClient } from '../../clients/iem';
import { OpenMeteoClient } from '../../clients/open-meteo';
import { VisualCrossingClient } from '../../clients/visualcrossing';
import { createLogger } from '../../lib/logger';
import { SANDBOX_PATHS } from '../../temporal.config';
import { freshDatabase } from '../support/postgres';

const fast = { http: { minDelayMs: 1, maxDelayMs: 4, maxAttempts: 3, timeoutMs: 10_000 }, rateLimit: { limit: 1000, intervalMs: 1000 } };
const CHUNK = { from: '2025-05-12', to: '2025-05-18' };
const K = 3;

describe('forecasts backfill: lead 0 included, every row stamped', () => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let pool: pg.Pool;
  let sandbox: RunningSandbox;

  beforeAll(async () => {
    database = await freshDatabase('wx_lead0');
    pool = new pg.Pool({ connectionString: database.url, max: 2, options: '-c TimeZone=UTC' });
    sandbox = await startSandbox({
      port: 0,
      world: createGeneratedWorld({ seed: 5, cities: ['denver'], dates: { from: '2025-05-01', to: '2025-05-31' }, now: new Date('2025-06-01T16:00:00Z') }),
      routes: ALL_ROUTES,
    });
    const u = sandbox.url;
    const unused = (name: string) => () => {
      throw new Error(`the forecasts source does not use ${name}`);
    };
    const clients: BackfillClients = {
      kalshi: unused('kalshi'),
      ncei: unused('ncei'),
      iem: () => new IemClient({ baseUrl: `${u}${SANDBOX_PATHS.iem}`, ...fast }),
      visualCrossing: () => new VisualCrossingClient({ baseUrl: `${u}${SANDBOX_PATHS.visualCrossing}`, apiKey: 'sandbox', ...fast }),
      openMeteo: () =>
        new OpenMeteoClient({
          baseUrl: `${u}${SANDBOX_PATHS.openMeteo}`,
          historicalForecastBaseUrl: `${u}${SANDBOX_PATHS.openMeteoHistoricalForecast}`,
          previousRunsBaseUrl: `${u}${SANDBOX_PATHS.openMeteoPreviousRuns}`,
          ...fast,
        }),
    };
    const adapter = forecastsAdapter({ city: 'denver', slice: { from: '2025-05-01', to: '2025-05-31' }, forecastLeadDays: K, clients, log: createLogger('test', { level: 'warn' }) });
    for (const batch of await adapter.fetch(CHUNK)) await bulkUpsert(pool, batch.table as never, batch.rows as never);
  });
  afterAll(async () => {
    await sandbox?.close();
    await pool?.end();
    await database?.drop();
  });

  it('stores daily forecasts of every lead 0..k for Visual Crossing and Open-Meteo, and MOS runs of the target date', async () => {
    const r = await pool.query<{ source: string; leads: number[]; targets: number }>(
      `SELECT source, array_agg(DISTINCT lead_days ORDER BY lead_days) AS leads, count(DISTINCT target_date)::int AS targets
         FROM wx.forecast_snapshot WHERE city_id = 'denver' GROUP BY source ORDER BY source`,
    );
    const bySource = Object.fromEntries(r.rows.map((x) => [x.source, x]));
    expect(bySource.visualcrossing?.leads).toEqual([0, 1, 2, 3]);
    expect(bySource['open-meteo']?.leads).toEqual([0, 1, 2, 3]);
    // MOS: runs made on the target's own UTC date (the 00Z run; the generated world issues no later
    // same-day run, whose local basis date would make it lead 0).
    const mos = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM wx.forecast_snapshot WHERE source = 'iem-mos' AND (basis_time AT TIME ZONE 'UTC')::date = target_date`,
    );
    expect(mos.rows[0]!.n).toBeGreaterThan(0);
    // Only the chunk's target dates.
    for (const s of ['visualcrossing', 'open-meteo', 'iem-mos']) expect(bySource[s]?.targets, s).toBe(7);
    // Lead 0 means a basis on the target's own date, hourly curves included.
    const vc0 = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM wx.forecast_snapshot_hourly
        WHERE source = 'visualcrossing' AND basis_time = timestamptz '2025-05-15 00:00Z' AND valid_time >= timestamptz '2025-05-15 06:00Z'`,
    );
    expect(vc0.rows[0]!.n).toBeGreaterThan(0);
  });

  it('every stored forecast is known no earlier than its basis', async () => {
    for (const table of ['wx.forecast_snapshot', 'wx.forecast_snapshot_hourly']) {
      const r = await pool.query<{ rows: number; early: number }>(`SELECT count(*)::int AS rows, count(*) FILTER (WHERE available_at < basis_time)::int AS early FROM ${table}`);
      expect(r.rows[0]!.rows, table).toBeGreaterThan(0);
      expect(r.rows[0]!.early, table).toBe(0);
    }
  });
});
