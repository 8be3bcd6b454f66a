/**
 * Shared by the backfill tests: the generated world in a real sandbox over HTTP, a configuration that
 * points the clients at it, and per-table checksums of what a backfill wrote.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { loadConfig, TASK_QUEUE_ROLES, type Config } from '../../temporal.config';
import { startSandbox, type RunningSandbox } from '../../sandbox/server';
import { ALL_ROUTES } from '../../sandbox/routes/index';
import { createGeneratedWorld } from '../../sandbox/worlds/generated';
import type { FaultConfig } from '../../sandbox/faults';
import type { CityId } from '../../domain/cities';

/** The backfill every test runs: 2 cities x 5 days across a month boundary (2 slices per source). */
export const CITIES: CityId[] = ['chicago', 'miami'];
export const FROM = '2025-02-27';
export const TO = '2025-03-03';
export const WORLD_SEED = 1234;

/** The world covers a little more than the backfill (markets open the day before, forecasts D-3). */
export function backfillWorld() {
  return createGeneratedWorld({ seed: WORLD_SEED, cities: CITIES, dates: { from: '2025-02-20', to: '2025-03-06' }, inefficiency: 'none' });
}

export async function startBackfillSandbox(opts: { port?: number; faults?: FaultConfig } = {}): Promise<RunningSandbox> {
  return startSandbox({ world: backfillWorld(), routes: ALL_ROUTES, port: opts.port ?? 0, ...(opts.faults ? { faults: opts.faults } : {}) });
}

/** A configuration whose clients talk to the sandbox on `port`, with task queues unique to this run. */
export function testConfig(sandboxPort: number, extraEnv: Record<string, string> = {}): { config: Config; env: Record<string, string> } {
  const suffix = randomBytes(3).toString('hex');
  const env: Record<string, string> = {
    WX_APIS: 'sandbox',
    WX_WORLD: 'generated',
    WX_SANDBOX_PORT: String(sandboxPort),
    WX_LOG_LEVEL: 'warn',
    ...Object.fromEntries(TASK_QUEUE_ROLES.map((r) => [`WX_TASK_QUEUE_${r.toUpperCase()}`, `${r}-${suffix}`])),
    ...extraEnv,
  };
  return { config: loadConfig({ env }), env };
}

export const BACKFILL_TABLES = [
  'kalshi.series',
  'kalshi.event',
  'kalshi.market',
  'kalshi.candle',
  'kalshi.trade',
  'wx.observation',
  'wx.settlement',
  'wx.settlement_consolidated',
  'wx.forecast_snapshot',
  'wx.forecast_snapshot_hourly',
] as const;

/** Columns that record when a row was written: they differ between two databases, never within one. */
export const WRITE_TIME_COLUMNS = ['ingested_at', 'updated_at', 'consolidated_at'];

export type Checksums = Record<string, { rows: number; md5: string }>;

/**
 * Row count and md5 of every row (as jsonb text, sorted) per table. `withWriteTimes: false` leaves out
 * the write-time columns, to compare two databases.
 */
export async function checksums(url: string, opts: { withWriteTimes: boolean }): Promise<Checksums> {
  const client = new pg.Client({ connectionString: url, options: '-c TimeZone=UTC' });
  await client.connect();
  try {
    const out: Checksums = {};
    const drop = opts.withWriteTimes ? '' : WRITE_TIME_COLUMNS.map((c) => ` - '${c}'`).join('');
    for (const table of BACKFILL_TABLES) {
      const res = await client.query<{ n: number; md5: string }>(
        `SELECT count(*)::int AS n, md5(coalesce(string_agg(x, E'\\n' ORDER BY x), '')) AS md5 FROM (SELECT (to_jsonb(t)${drop})::text AS x FROM ${table} t) s`,
      );
      out[table] = { rows: res.rows[0]!.n, md5: res.rows[0]!.md5 };
    }
    return out;
  } finally {
    await client.end();
  }
}

/** Rows per table, for messages. */
export function counts(c: Checksums): Record<string, number> {
  return Object.fromEntries(Object.entries(c).map(([t, v]) => [t, v.rows]));
}
