/**
 * Bulk upsert throughput: rows/s of bulkUpsert (db/bulk-upsert.ts) into kalshi.candle and
 * wx.observation, next to a raw `COPY` of the same rows (same serialisation) into an empty table built
 * `LIKE ... INCLUDING ALL` (same indexes), in the same run. Three upsert passes per table: into the
 * empty table (all inserts), the same rows again (all unchanged), and with every row changed (all
 * updates).
 *
 * Fair reference: the server is an embedded PostgreSQL started as the product starts it (its default,
 * durable settings) unless WX_BENCH_PG_URL names another; raw COPY and the insert pass each commit one
 * transaction per batch (bulkUpsert's own transaction per call); after one unmeasured warm-up round,
 * the two alternate round by round (raw first, then upsert first, ...), each into a truncated table
 * after a CHECKPOINT, and the figures are medians over the rounds.
 *
 *   npx tsx bench/bulk-upsert.ts            # 500k rows per table, batches of 50k, 3 rounds
 *   WX_BENCH_ROWS=1000000 WX_BENCH_BATCH=100000 WX_BENCH_ROUNDS=5 npx tsx bench/bulk-upsert.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import type { PgTable } from 'drizzle-orm/pg-core';
import { bulkUpsert, copyTextFor, tableInfo } from '../db/bulk-upsert';
import { migrateDatabase, withDatabase } from '../db/migrate';
import { startEmbeddedPostgres } from '../runtime/postgres';
import { freePort } from '../tests/support/ports';
import { createLogger } from '../lib/logger';
import { kalshiCandle, wxObservation } from '../schemas/db';
import type { CandleRow, ObservationRow } from '../schemas/records';
import { observationAvailableAt } from '../domain/known-at';

export interface BulkUpsertBenchRow {
  table: string;
  rows: number;
  batch: number;
  rounds: number;
  server: string;
  rawCopyRowsPerS: number;
  insertRowsPerS: number;
  /** Median over rounds of (raw COPY time / upsert time) for the same rows. */
  ratio: number;
  unchangedRowsPerS: number;
  updateRowsPerS: number;
}

/** Candles as a backfill writes them: markets x minutes, every OHLC set (the widest row). */
export function generateCandles(n: number, variant = 0): CandleRow[] {
  const out: CandleRow[] = new Array(n);
  const perMarket = 1440 * 7;
  const t0 = Date.UTC(2025, 0, 1);
  for (let i = 0; i < n; i++) {
    const m = Math.floor(i / perMarket);
    const k = i % perMarket;
    const p = 100_000 + ((i * 7919) % 800_000) + variant;
    out[i] = {
      marketTicker: `KXHIGHCHI-25JAN${String(1 + (m % 28)).padStart(2, '0')}-B${30 + m}.5`,
      periodMinutes: 1,
      bucketStart: new Date(t0 + k * 60_000),
      yesBidOpen: p - 10_000,
      yesBidHigh: p,
      yesBidLow: p - 20_000,
      yesBidClose: p - 5_000,
      yesAskOpen: p + 10_000,
      yesAskHigh: p + 20_000,
      yesAskLow: p,
      yesAskClose: p + 5_000,
      priceOpen: k % 5 === 0 ? null : p,
      priceHigh: k % 5 === 0 ? null : p + 1_000,
      priceLow: k % 5 === 0 ? null : p - 1_000,
      priceClose: k % 5 === 0 ? null : p,
      priceMean: k % 5 === 0 ? null : p,
      pricePrevious: p,
      volume: (i % 37) * 100,
      openInterest: 10_000 + (i % 1000) * 100,
    };
  }
  return out;
}

/** Minute observations of several stations, with jsonb quality flags. */
export function generateObservations(n: number, variant = 0): ObservationRow[] {
  const out: ObservationRow[] = new Array(n);
  const stations = ['KMDW', 'KAUS', 'KDEN', 'KLAX', 'KMIA', 'KPHL'];
  const perStation = Math.ceil(n / stations.length);
  const t0 = Date.UTC(2024, 0, 1);
  for (let i = 0; i < n; i++) {
    const s = Math.floor(i / perStation);
    const k = i % perStation;
    const temp = 40 + 20 * Math.sin(k / 500) + variant * 0.1;
    const observedAt = new Date(t0 + k * 60_000);
    out[i] = {
      station: stations[s]!,
      source: 'iem-asos1min',
      observedAt,
      availableAt: observationAvailableAt('iem-asos1min', observedAt),
      tempF: Math.round(temp * 10) / 10,
      dewpointF: Math.round((temp - 8) * 10) / 10,
      relativeHumidity: 55.3,
      windSpeedMph: (k % 20) + 0.5,
      windGustMph: k % 3 === 0 ? null : (k % 20) + 7,
      windDirectionDeg: (k * 13) % 360,
      pressureMb: 1013.2,
      skyCover: k % 2 ? 'CLR' : 'BKN',
      conditions: null,
      qualityFlags: { temp: 'V', report: k % 60 === 0 ? 'METAR' : '1min' },
    };
  }
  return out;
}

async function rawCopy(client: pg.PoolClient, table: string, columns: string[], chunks: Generator<Buffer>): Promise<void> {
  await pipeline(Readable.from(chunks), client.query(copyStreams.from(`COPY ${table} (${columns.map((c) => `"${c}"`).join(', ')}) FROM STDIN`)));
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

async function benchTable<T extends PgTable>(
  pool: pg.Pool,
  table: T,
  make: (n: number, variant: number) => Array<T['$inferInsert']>,
  n: number,
  batch: number,
  rounds: number,
  server: string,
): Promise<BulkUpsertBenchRow> {
  const info = tableInfo(table);
  const rows = make(n, 0);
  const changed = make(n, 1);
  const client = await pool.connect();
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS bench; DROP TABLE IF EXISTS bench.raw; CREATE TABLE bench.raw (LIKE ${info.qualified} INCLUDING ALL)`);
    // Raw COPY: the same rows, the same text, the same transaction per batch, into an empty table
    // with the same indexes and defaults.
    const raw = async () => {
      await client.query('TRUNCATE bench.raw');
      await client.query('CHECKPOINT');
      return timed(async () => {
        for (let i = 0; i < n; i += batch) {
          const { columns, chunks } = copyTextFor(table, rows.slice(i, i + batch));
          await client.query('BEGIN');
          await rawCopy(client, 'bench.raw', columns, chunks());
          await client.query('COMMIT');
        }
      });
    };
    const pass = async (data: Array<T['$inferInsert']>) =>
      timed(async () => {
        for (let i = 0; i < n; i += batch) await bulkUpsert(client, table, data.slice(i, i + batch));
      });
    const insert = async () => {
      await client.query(`TRUNCATE ${info.qualified}`);
      await client.query('CHECKPOINT');
      return pass(rows);
    };
    await raw(); // warm-up round, not measured
    await insert();
    const rawS: number[] = [];
    const insertS: number[] = [];
    for (let r = 0; r < rounds; r++) {
      if (r % 2 === 0) {
        rawS.push(await raw());
        insertS.push(await insert());
      } else {
        insertS.push(await insert());
        rawS.push(await raw());
      }
    }
    await client.query('DROP TABLE bench.raw');
    // The target now holds `rows` (the last insert round, or the one before the last raw round).
    await client.query(`TRUNCATE ${info.qualified}`);
    await pass(rows);
    const unchangedS = await pass(rows);
    const updateS = await pass(changed);
    return {
      table: info.qualified.replace(/"/g, ''),
      rows: n,
      batch,
      rounds,
      server,
      rawCopyRowsPerS: Math.round(n / median(rawS)),
      insertRowsPerS: Math.round(n / median(insertS)),
      ratio: Math.round(median(rawS.map((r, i) => r / insertS[i]!)) * 100) / 100,
      unchangedRowsPerS: Math.round(n / unchangedS),
      updateRowsPerS: Math.round(n / updateS),
    };
  } finally {
    client.release();
  }
}

/** An embedded PostgreSQL as the product runs it (default settings), in a temp directory, or WX_BENCH_PG_URL. */
async function benchServer(pgUrl?: string): Promise<{ url: string; label: string; stop(): Promise<void> }> {
  const given = pgUrl ?? process.env.WX_BENCH_PG_URL;
  if (given) return { url: given, label: 'WX_BENCH_PG_URL', stop: async () => undefined };
  const root = mkdtempSync(join(tmpdir(), 'wx-bench-pg-'));
  const running = await startEmbeddedPostgres({ dataDir: join(root, 'pg'), port: await freePort(), log: createLogger('bench', { level: 'warn' }), database: 'postgres' });
  return {
    url: running.url,
    label: 'embedded',
    stop: async () => {
      await running.stop({ force: true });
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export async function benchBulkUpsert(opts: { rows?: number; batch?: number; rounds?: number; pgUrl?: string } = {}): Promise<BulkUpsertBenchRow[]> {
  const server = await benchServer(opts.pgUrl);
  const base = server.url;
  const n = opts.rows ?? Number(process.env.WX_BENCH_ROWS ?? 500_000);
  const batch = opts.batch ?? Number(process.env.WX_BENCH_BATCH ?? 50_000);
  const rounds = opts.rounds ?? Number(process.env.WX_BENCH_ROUNDS ?? 3);
  const name = `wx_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = withDatabase(base, name);
  const pool = new pg.Pool({ connectionString: url, max: 2, options: '-c TimeZone=UTC' });
  pool.on('error', () => undefined); // the forced DROP DATABASE below ends idle connections
  try {
    await migrateDatabase(url, createLogger('bench', { level: 'warn' }));
    return [
      await benchTable(pool, kalshiCandle, generateCandles, n, batch, rounds, server.label),
      await benchTable(pool, wxObservation, generateObservations, n, batch, rounds, server.label),
    ];
  } finally {
    await pool.end();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    await server.stop();
  }
}

export function printBulkUpsert(results: BulkUpsertBenchRow[]): void {
  console.table(
    Object.fromEntries(
      results.map((r) => [
        r.table,
        {
          rows: r.rows,
          batch: r.batch,
          rounds: r.rounds,
          server: r.server,
          'raw COPY rows/s': r.rawCopyRowsPerS,
          'upsert (insert) rows/s': r.insertRowsPerS,
          'upsert / raw': r.ratio,
          'upsert (unchanged) rows/s': r.unchangedRowsPerS,
          'upsert (update) rows/s': r.updateRowsPerS,
        },
      ]),
    ),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const results = await benchBulkUpsert();
  printBulkUpsert(results);
}
