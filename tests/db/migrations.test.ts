import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger';
import { createDb } from '../../db/client';
import { dropDatabase, ensureDatabase, migrateDatabase } from '../../db/migrate';
import { startEmbeddedPostgres, type RunningPostgres } from '../../runtime/postgres';
import { kalshi, wx } from '../../schemas/db';
import { freePort, tempDir } from './helpers';
import { systemPostgres } from '../support/postgres';

const log = createLogger('test-migrations', { level: process.env.WX_LOG_LEVEL ?? 'warn' });

/** Primary key columns, in order, of every table the migration must create. */
const EXPECTED_PKS: Record<string, string[]> = {
  'wx.city': ['id'],
  'wx.station': ['icao'],
  'wx.observation': ['station', 'source', 'observed_at'],
  'wx.settlement': ['city_id', 'date', 'source'],
  'wx.settlement_consolidated': ['city_id', 'date'],
  'wx.forecast_snapshot': ['city_id', 'source', 'model', 'target_date', 'basis_time'],
  'wx.forecast_snapshot_hourly': ['city_id', 'source', 'model', 'basis_time', 'valid_time'],
  'wx.data_flag': ['id'],
  'kalshi.series': ['ticker'],
  'kalshi.event': ['event_ticker'],
  'kalshi.market': ['ticker'],
  'kalshi.candle': ['market_ticker', 'period_minutes', 'bucket_start'],
  'kalshi.trade': ['trade_id'],
  'sim.run': ['run_id'],
  'sim.trade': ['run_id', 'trade_id'],
  'sim.live_orders': ['client_order_id'],
  'ml.study': ['study_id'],
  'ml.trial': ['study_id', 'number'],
  'ml.model_version': ['city_id', 'kind', 'version'],
};

const EXPECTED_UNIQUES: Record<string, string[][]> = {
  'wx.data_flag': [['table_name', 'row_key', 'rule']],
  'sim.live_orders': [['exchange_order_id']],
  'ml.study': [['name']],
};

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Primary/unique index columns per table: { 'wx.city': { pk: [...], uniques: [[...]] } }. */
async function keyColumns(url: string) {
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ tbl: string; is_primary: boolean; cols: string[] }>(`
      select n.nspname || '.' || t.relname as tbl, i.indisprimary as is_primary,
             array(select a.attname from unnest(i.indkey) with ordinality k(attnum, ord)
                   join pg_attribute a on a.attrelid = t.oid and a.attnum = k.attnum order by k.ord)::text[] as cols
      from pg_index i
      join pg_class t on t.oid = i.indrelid
      join pg_namespace n on n.oid = t.relnamespace
      where n.nspname in ('wx', 'kalshi', 'sim', 'ml') and (i.indisprimary or i.indisunique)`);
    const out: Record<string, { pk?: string[]; uniques: string[][] }> = {};
    for (const r of rows) {
      const e = (out[r.tbl] ??= { uniques: [] });
      if (r.is_primary) e.pk = r.cols;
      else e.uniques.push(r.cols);
    }
    return out;
  });
}

/** The checks every target server gets. */
function migrationSuite(name: string, target: () => Promise<{ url: string; cleanup: () => Promise<void> }>) {
  describe(name, () => {
    let url: string;
    let cleanup: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      ({ url, cleanup } = await target());
    });
    afterAll(async () => {
      await cleanup?.();
    });

    it('applies the migrations once, even when several migrators race, and a second run is a no-op', async () => {
      const results = await Promise.all([migrateDatabase(url, log), migrateDatabase(url, log), migrateDatabase(url, log)]);
      const total = results[0]!.total;
      expect(total).toBeGreaterThanOrEqual(1);
      expect(results.reduce((s, r) => s + r.applied, 0)).toBe(total);
      const again = await migrateDatabase(url, log);
      expect(again).toMatchObject({ applied: 0, total });
      const recorded = await withClient(url, (c) => c.query(`select count(*)::int as n from drizzle.__drizzle_migrations`));
      expect(recorded.rows[0].n).toBe(total);
    });

    it('creates the four schemas and every table with its natural primary and unique keys', async () => {
      const schemas = await withClient(url, (c) =>
        c.query<{ nspname: string }>(`select nspname from pg_namespace where nspname in ('wx','kalshi','sim','ml') order by 1`),
      );
      expect(schemas.rows.map((r) => r.nspname)).toEqual(['kalshi', 'ml', 'sim', 'wx']);
      const keys = await keyColumns(url);
      for (const [table, pk] of Object.entries(EXPECTED_PKS)) {
        expect(keys[table]?.pk, `${table} primary key`).toEqual(pk);
      }
      for (const [table, uniques] of Object.entries(EXPECTED_UNIQUES)) {
        for (const u of uniques) expect(keys[table]?.uniques, `${table} unique`).toContainEqual(u);
      }
    });

    it('upserts on natural keys: a second insert of the same key leaves one row with the newer values', async () => {
      const h = createDb(url, { log });
      try {
        const bucketStart = new Date('2026-07-15T14:00:00Z');
        const candle = (close: number, volume: number) => ({
          marketTicker: 'KXHIGHCHI-26JUL15-B85.5',
          periodMinutes: 1,
          bucketStart,
          yesBidClose: close,
          yesAskClose: close + 10_000,
          priceClose: null,
          volume,
          openInterest: 12_345_600_000, // centi-contracts beyond int32
        });
        const upsertCandle = (row: ReturnType<typeof candle>) =>
          h.db
            .insert(kalshi.candle)
            .values(row)
            .onConflictDoUpdate({
              target: [kalshi.candle.marketTicker, kalshi.candle.periodMinutes, kalshi.candle.bucketStart],
              set: {
                yesBidClose: sql`excluded.yes_bid_close`,
                yesAskClose: sql`excluded.yes_ask_close`,
                priceClose: sql`excluded.price_close`,
                volume: sql`excluded.volume`,
                openInterest: sql`excluded.open_interest`,
              },
            });
        await upsertCandle(candle(420_000, 1_000));
        await upsertCandle(candle(430_000, 2_500));
        const candles = await h.db.select().from(kalshi.candle).where(eq(kalshi.candle.marketTicker, 'KXHIGHCHI-26JUL15-B85.5'));
        expect(candles).toHaveLength(1);
        expect(candles[0]).toMatchObject({ yesBidClose: 430_000, yesAskClose: 440_000, volume: 2_500, openInterest: 12_345_600_000 });
        expect(candles[0]!.bucketStart.toISOString()).toBe('2026-07-15T14:00:00.000Z');

        const settle = (highF: number, isPreliminary: boolean) =>
          h.db
            .insert(wx.settlement)
            .values({ cityId: 'chicago', date: '2026-07-15', source: 'cli', highF, lowF: 70, isPreliminary, raw: { highF }, availableAt: new Date('2026-07-16T06:30:00Z') })
            .onConflictDoUpdate({
              target: [wx.settlement.cityId, wx.settlement.date, wx.settlement.source],
              set: {
                highF: sql`excluded.high_f`,
                lowF: sql`excluded.low_f`,
                isPreliminary: sql`excluded.is_preliminary`,
                raw: sql`excluded.raw`,
                updatedAt: sql`now()`,
              },
            });
        await settle(86, true);
        await settle(87, false);
        const settlements = await h.db.select().from(wx.settlement);
        expect(settlements).toHaveLength(1);
        expect(settlements[0]).toMatchObject({ cityId: 'chicago', date: '2026-07-15', source: 'cli', highF: 87, isPreliminary: false, raw: { highF: 87 } });
      } finally {
        await h.close();
      }
    });
  });
}

migrationSuite('migrations on embedded PostgreSQL (temp dir, random port)', async () => {
  const root = await tempDir('wx-migrate-pg-');
  const running: RunningPostgres = await startEmbeddedPostgres({
    dataDir: path.join(root, 'pg'),
    port: await freePort(),
    log,
    settings: { fsync: 'off', synchronous_commit: 'off' },
  });
  return {
    url: running.url,
    cleanup: async () => {
      await running.stop();
      await fs.rm(root, { recursive: true, force: true });
    },
  };
});

// The extra target (tests/support/postgres.ts): used when something answers there, skipped with the reason when not.
const system = await systemPostgres();

describe.skipIf(!system.present)('system PostgreSQL', () => {
  migrationSuite('migrations on the PostgreSQL server at 127.0.0.1:5432 (fresh database)', async () => {
    const u = new URL(system.url);
    u.pathname = `/wx_test_${Date.now()}_${randomBytes(3).toString('hex')}`;
    const url = u.toString();
    expect(await ensureDatabase(url)).toBe(true);
    expect(await ensureDatabase(url)).toBe(false);
    return {
      url,
      cleanup: async () => {
        expect(await dropDatabase(url)).toBe(true);
      },
    };
  });
});

describe('database errors name the server', () => {
  it('masks the password of an unreachable URL', async () => {
    const port = await freePort();
    const url = `postgres://someone:s3cret@127.0.0.1:${port}/wx`;
    const err = await migrateDatabase(url, log).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain(`postgres://someone:***@127.0.0.1:${port}/wx`);
    expect((err as Error).message).not.toContain('s3cret');
    const err2 = await ensureDatabase(url).catch((e: Error) => e);
    expect((err2 as Error).message).toContain('someone:***@');
    expect((err2 as Error).message).not.toContain('s3cret');
  });
});
