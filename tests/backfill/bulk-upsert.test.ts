/**
 * db/bulk-upsert.ts against the real PostgreSQL (a fresh migrated database): idempotency down to the
 * write timestamps, updates, exact round trips of NULLs / jsonb / dates / text escapes / arrays,
 * deduplication, the caller's transaction, and a 200k-row batch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { bulkUpsert, escapeCopyText, mayHaveDuplicateKeys } from '../../db/bulk-upsert';
import { kalshiCandle, kalshiMarket, kalshiSeries, wxDataFlag, wxObservation, wxSettlement, wxSettlementConsolidated } from '../../schemas/db';
import type { CandleRow, MarketRow, SettlementRow } from '../../schemas/records';
import { generateCandles } from '../../bench/bulk-upsert';
import { freshDatabase } from '../support/postgres';

describe('bulkUpsert (real PostgreSQL)', () => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let pool: pg.Pool;

  beforeAll(async () => {
    database = await freshDatabase('wx_bulk');
    pool = new pg.Pool({ connectionString: database.url, max: 3, options: '-c TimeZone=UTC' });
    pool.on('error', () => undefined);
  });
  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  const tableSum = async (table: string) =>
    (await pool.query<{ n: number; md5: string }>(`SELECT count(*)::int n, md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) md5 FROM ${table} t`)).rows[0]!;

  const settlement = (date: string, source: string, highF: number, extra: Partial<SettlementRow> = {}): SettlementRow => ({
    cityId: 'chicago',
    date,
    source,
    highF,
    lowF: null,
    issuedAt: new Date('2025-03-02T07:31:12.345Z'),
    isPreliminary: false,
    availableAt: new Date('2025-03-02T07:31:12.345Z'),
    raw: { product: `CLI-${date}`, nested: { a: [1, 2.5, null, 'x\ty'], quote: 'he said "hi"\\n', unicode: 'café ✓ 𝄞' } },
    ...extra,
  });

  it('round-trips NULLs, jsonb, dates, timestamps, booleans and awkward text exactly', async () => {
    const rows = [
      settlement('2025-03-01', 'cli', 41),
      settlement('2025-03-02', 'cli', -3, { lowF: -12, issuedAt: null, isPreliminary: true, raw: null }),
      settlement('2024-02-29', 'ghcn', 100, { raw: { text: 'tab\there\nnewline\r\\backslash \\N not null', empty: '', arr: [] } }),
    ];
    const res = await bulkUpsert(pool, wxSettlement, rows);
    expect(res).toEqual({ rows: 3, inserted: 3, updated: 0, unchanged: 0 });
    const back = await pool.query(`SELECT city_id, to_char(date, 'YYYY-MM-DD') AS date, source, high_f, low_f, issued_at, is_preliminary, raw FROM wx.settlement ORDER BY date`);
    expect(back.rows).toEqual(
      [...rows]
        .sort((a, b) => a.date.localeCompare(b.date))
        .map((r) => ({ city_id: r.cityId, date: r.date, source: r.source, high_f: r.highF, low_f: r.lowF, issued_at: r.issuedAt, is_preliminary: r.isPreliminary, raw: r.raw })),
    );

    // text[] and jsonb with numbers, doubles with many digits, NaN-free floats and exponents.
    await bulkUpsert(pool, wxSettlementConsolidated, [
      { cityId: 'chicago', date: '2025-03-01', highF: 41, source: 'cli', precedence: ['cli', 'kal"shi', 'gh,cn', 'a\\b', 'sp ace', 'NULL'], disagreement: true, sourceValues: { cli: 41, ghcn: 42 } },
    ]);
    const cons = await pool.query(`SELECT precedence, source_values, disagreement FROM wx.settlement_consolidated`);
    expect(cons.rows[0]).toEqual({ precedence: ['cli', 'kal"shi', 'gh,cn', 'a\\b', 'sp ace', 'NULL'], source_values: { cli: 41, ghcn: 42 }, disagreement: true });

    const obs = [
      { station: 'KMDW', source: 'test', observedAt: new Date('1969-12-31T23:59:59.999Z'), availableAt: new Date('1970-01-01T00:15:00Z'), tempF: 0.1 + 0.2, dewpointF: -1e-7, pressureMb: 1.7976931348623157e308, windSpeedMph: 5e-324, qualityFlags: { temp: 'V' } },
      { station: 'KMDW', source: 'test', observedAt: new Date('2025-06-30T12:00:00.001Z'), availableAt: new Date('2025-06-30T12:15:00.001Z'), tempF: -40, dewpointF: null, conditions: 'Light Rain\tFog', skyCover: 'é' },
    ];
    await bulkUpsert(pool, wxObservation, obs);
    const o = await pool.query(`SELECT observed_at, temp_f, dewpoint_f, pressure_mb, wind_speed_mph, conditions, sky_cover, quality_flags FROM wx.observation WHERE source = 'test' ORDER BY observed_at`);
    expect(o.rows).toEqual([
      { observed_at: obs[0]!.observedAt, temp_f: 0.1 + 0.2, dewpoint_f: -1e-7, pressure_mb: 1.7976931348623157e308, wind_speed_mph: 5e-324, conditions: null, sky_cover: null, quality_flags: { temp: 'V' } },
      { observed_at: obs[1]!.observedAt, temp_f: -40, dewpoint_f: null, pressure_mb: null, wind_speed_mph: null, conditions: 'Light Rain\tFog', sky_cover: 'é', quality_flags: null },
    ]);
    expect(escapeCopyText('a\\b\tc\nd\re')).toBe('a\\\\b\\tc\\nd\\re');
  });

  it('is idempotent: the same rows again change nothing, not even ingested_at / updated_at', async () => {
    const rows = [settlement('2025-04-01', 'cli', 60), settlement('2025-04-02', 'cli', 61)];
    await bulkUpsert(pool, wxSettlement, rows);
    const before = await tableSum('wx.settlement');
    await new Promise((r) => setTimeout(r, 20));
    expect(await bulkUpsert(pool, wxSettlement, rows)).toEqual({ rows: 2, inserted: 0, updated: 0, unchanged: 2 });
    expect(await tableSum('wx.settlement')).toEqual(before);
  });

  it('updates changed rows only, bumps updated_at of those only, keeps ingested_at, and the last duplicate wins', async () => {
    const market = (ticker: string, extra: Partial<MarketRow> = {}): MarketRow => ({
      ticker,
      eventTicker: 'KXHIGHCHI-25APR01',
      seriesTicker: 'KXHIGHCHI',
      cityId: 'chicago',
      eventDate: '2025-04-01',
      strikeType: 'between',
      floorStrike: 60,
      capStrike: 61,
      status: 'active',
      raw: { ticker },
      ...extra,
    });
    await bulkUpsert(pool, kalshiMarket, [market('A'), market('B'), market('C')]);
    const first = await pool.query<{ ticker: string; updated_at: Date; result: string }>(`SELECT ticker, updated_at, result FROM kalshi.market ORDER BY ticker`);
    // `result` has a JS default (''): rows that leave it undefined get it.
    expect(first.rows.map((r) => r.result)).toEqual(['', '', '']);
    await new Promise((r) => setTimeout(r, 20));
    const res = await bulkUpsert(pool, kalshiMarket, [market('A'), market('B', { status: 'closed' }), market('B', { status: 'finalized', result: 'yes' }), market('D')]);
    expect(res).toEqual({ rows: 4, inserted: 1, updated: 1, unchanged: 2 });
    const after = await pool.query<{ ticker: string; updated_at: Date; status: string; result: string }>(`SELECT ticker, updated_at, status, result FROM kalshi.market ORDER BY ticker`);
    const at = (t: string, rows: Array<{ ticker: string; updated_at: Date }>) => rows.find((r) => r.ticker === t)!.updated_at.getTime();
    expect(after.rows.find((r) => r.ticker === 'B')).toMatchObject({ status: 'finalized', result: 'yes' });
    expect(at('A', after.rows)).toBe(at('A', first.rows));
    expect(at('C', after.rows)).toBe(at('C', first.rows));
    expect(at('B', after.rows)).toBeGreaterThan(at('B', first.rows));

    // A column no row sets is left alone on existing rows (the registry's series fields survive).
    await pool.query(`INSERT INTO kalshi.series (ticker, city_id, title) VALUES ('KXHIGHCHI', 'chicago', 'Highest temperature in Chicago')`);
    await bulkUpsert(pool, kalshiSeries, [{ ticker: 'KXHIGHCHI', feeType: 'quadratic', feeMultiplier: 1 }]);
    expect((await pool.query(`SELECT city_id, title, fee_type FROM kalshi.series`)).rows).toEqual([{ city_id: 'chicago', title: 'Highest temperature in Chicago', fee_type: 'quadratic' }]);
  });

  it('works inside the caller’s transaction: a rollback undoes it, a partly existing batch merges', async () => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await bulkUpsert(client, wxSettlement, [settlement('2025-05-01', 'cli', 70)]);
      await bulkUpsert(client, wxSettlement, [settlement('2025-05-02', 'cli', 71)]);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    expect((await pool.query(`SELECT count(*)::int n FROM wx.settlement WHERE date >= '2025-05-01'`)).rows[0].n).toBe(0);

    // First and last keys new, the middle ones existing: the merge runs.
    const existing = Array.from({ length: 40 }, (_, i) => settlement(`2025-06-${String(i % 30 + 1).padStart(2, '0')}`, `s${Math.floor(i / 30)}`, 50 + i));
    await bulkUpsert(pool, wxSettlement, existing.slice(5, 35));
    const res = await bulkUpsert(pool, wxSettlement, existing.map((r, i) => (i === 20 ? { ...r, highF: 0 } : r)));
    expect(res).toEqual({ rows: 40, inserted: 10, updated: 1, unchanged: 29 });

    // One existing key among 1000 that the key sample does not probe (index 1; the sample takes evenly
    // spaced keys with the first and last): the direct COPY fails on it and the batch is merged.
    const many = Array.from({ length: 1000 }, (_, i) => settlement(`2026-0${1 + Math.floor(i / 250)}-${String((i % 250) % 28 + 1).padStart(2, '0')}`, `m${Math.floor((i % 250) / 28)}`, i));
    await bulkUpsert(pool, wxSettlement, [many[1]!]);
    expect(await bulkUpsert(pool, wxSettlement, many)).toEqual({ rows: 1000, inserted: 999, updated: 0, unchanged: 1 });
    expect((await pool.query(`SELECT count(*)::int n FROM wx.settlement WHERE date >= '2026-01-01'`)).rows[0].n).toBe(1000);

    // A conflict target other than the primary key (data_flag's natural key), identity column left out.
    const flag = { tableName: 'wx.observation', rowKey: { station: 'KMDW' }, rule: 'spike', detail: 'first' };
    await bulkUpsert(pool, wxDataFlag, [flag], { conflictTarget: ['tableName', 'rowKey', 'rule'] });
    expect(await bulkUpsert(pool, wxDataFlag, [{ ...flag, detail: 'second' }], { conflictTarget: ['tableName', 'rowKey', 'rule'] })).toMatchObject({ inserted: 0, updated: 1 });
  });

  it('inside the caller’s transaction, a direct COPY that meets an unsampled existing key is undone alone: the transaction’s earlier work stays', async () => {
    const many = Array.from({ length: 1000 }, (_, i) => settlement(`2027-0${1 + Math.floor(i / 250)}-${String((i % 250) % 28 + 1).padStart(2, '0')}`, `t${Math.floor((i % 250) / 28)}`, i));
    await bulkUpsert(pool, wxSettlement, [many[1]!]);
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await bulkUpsert(client, wxSettlement, [settlement('2027-12-31', 'earlier', 1)]);
      expect(await bulkUpsert(client, wxSettlement, many)).toEqual({ rows: 1000, inserted: 999, updated: 0, unchanged: 1 });
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    expect((await pool.query(`SELECT count(*)::int n FROM wx.settlement WHERE date >= '2027-01-01'`)).rows[0].n).toBe(1001);
  });

  it('loads a 200k-row batch, then finds it all unchanged', async () => {
    const rows: CandleRow[] = generateCandles(200_000);
    const first = await bulkUpsert(pool, kalshiCandle, rows);
    expect(first).toEqual({ rows: 200_000, inserted: 200_000, updated: 0, unchanged: 0 });
    const sum = await tableSum('kalshi.candle');
    expect(sum.n).toBe(200_000);
    const again = await bulkUpsert(pool, kalshiCandle, rows);
    expect(again).toEqual({ rows: 200_000, inserted: 0, updated: 0, unchanged: 200_000 });
    expect(await tableSum('kalshi.candle')).toEqual(sum);
    const one = await pool.query(`SELECT * FROM kalshi.candle WHERE market_ticker = $1 AND period_minutes = 1 AND bucket_start = $2`, [rows[12_345]!.marketTicker, rows[12_345]!.bucketStart]);
    expect(one.rows[0]).toMatchObject({ price_open: rows[12_345]!.priceOpen, volume: String(rows[12_345]!.volume), yes_bid_close: rows[12_345]!.yesBidClose });
  }, 120_000);

  it('an unchanged re-run locks no row and writes almost no WAL; a changed one rewrites only the changed rows', async () => {
    const rows = generateCandles(30_000).map((r) => ({ ...r, marketTicker: `WAL-${r.marketTicker}` }));
    const lsn = async () => (await pool.query<{ l: string }>('SELECT pg_current_wal_lsn()::text AS l')).rows[0]!.l;
    const since = async (l: string) => Number((await pool.query<{ n: string }>('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1) AS n', [l])).rows[0]!.n);
    // WAL is the whole server's, and the test server is shared by every test file running at once, so
    // WAL figures are printed, not asserted (bench/ records them on a quiet server). What is asserted is
    // per row: an unchanged re-run creates no new row version (xmin stays) and locks none (xmax below).
    await pool.query('ALTER TABLE kalshi.candle SET (autovacuum_enabled = false)');
    const versions = async () =>
      (await pool.query<{ v: string }>(`SELECT string_agg(xmin::text, ',' ORDER BY market_ticker, bucket_start) AS v FROM kalshi.candle WHERE market_ticker LIKE 'WAL-%'`)).rows[0]!.v;
    let l = await lsn();
    await bulkUpsert(pool, kalshiCandle, rows);
    const firstLoad = await since(l);
    const loaded = await versions();
    l = await lsn();
    expect(await bulkUpsert(pool, kalshiCandle, rows)).toEqual({ rows: 30_000, inserted: 0, updated: 0, unchanged: 30_000 });
    const unchanged = await since(l);
    l = await lsn();
    await bulkUpsert(pool, kalshiCandle, rows);
    const unchangedAgain = await since(l);
    console.log(`WAL bytes (server-wide): first load ${firstLoad}, unchanged re-run ${unchanged}, again ${unchangedAgain}`);
    expect(await versions()).toBe(loaded);
    // No unchanged row carries a lock (xmax) from the re-run.
    expect((await pool.query(`SELECT count(*)::int n FROM kalshi.candle WHERE market_ticker LIKE 'WAL-%' AND xmax <> 0`)).rows[0].n).toBe(0);
    const changed = rows.map((r, i) => (i % 10 === 0 ? { ...r, volume: (r.volume ?? 0) + 100 } : r));
    expect(await bulkUpsert(pool, kalshiCandle, changed)).toEqual({ rows: 30_000, inserted: 0, updated: 3_000, unchanged: 27_000 });
  }, 120_000);

  it('finds duplicate keys in a batch, Date keys compared by instant', () => {
    const rows = generateCandles(5_000);
    const key = ['marketTicker', 'periodMinutes', 'bucketStart'];
    expect(mayHaveDuplicateKeys(rows, key)).toBe(false);
    const again = { ...rows[4_321]!, bucketStart: new Date(rows[4_321]!.bucketStart!.getTime()), volume: 1 };
    expect(mayHaveDuplicateKeys([...rows, again], key)).toBe(true);
    expect(mayHaveDuplicateKeys([...rows, { ...again, periodMinutes: 60 }], key)).toBe(false);
  });
});
