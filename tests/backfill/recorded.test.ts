/**
 * A backfill from the recorded world (../shared/data/real through the sandbox, over HTTP, with the real
 * clients and the real backfill workflows) into real PostgreSQL, then the validation activity over it.
 * The expected values are read straight from the files here, not from the world, so the test checks
 * the whole chain: files → world → sandbox payloads → clients → database → validation:
 *   - market results exactly as recorded; strikes the payloads omit filled in by the client;
 *   - the consolidated label is Kalshi's: its winning market and expiration value, the GHCN truth
 *     beside it, disagreements recorded; no CLI row (the files hold no CLI report);
 *   - Philadelphia's five-bracket days (Logan CSV, 2025-01-16..02-09) are flagged as incomplete ladders
 *     and the SQL helpers of later stages leave them out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadConfig, TASK_QUEUE_ROLES } from '../../temporal.config';
import { createDb } from '../../db/client';
import { createLogger } from '../../lib/logger';
import { createWorkers } from '../../workers/host';
import { startSandbox, type RunningSandbox } from '../../sandbox/server';
import { ALL_ROUTES } from '../../sandbox/routes/index';
import { loadRecordedWorld } from '../../sandbox/worlds/recorded';
import { readCsv } from '../../sandbox/worlds/recorded/csv';
import { createValidateActivities } from '../../activities/validate';
import { dayEventsNotFlagged, eventNotFlagged } from '../../activities/validate/flags';
import { readPart } from '../../activities/validate/parts';
import { ValidationThresholdsSchema } from '../../schemas/validation';
import type { BackfillInput } from '../../schemas/backfill';
import type { backfillWorkflow } from '../../workflows/backfill';
import { startDevServer } from '../support/temporal';
import { freshDatabase } from '../support/postgres';
import { sharedReal } from '../support/shared';

const log = createLogger('test', { level: 'warn' });
const REAL = sharedReal().path;
// Early autumn 2024 (legacy HIGHCHI tickers, integer-cent payloads) and late January 2025 (markets
// recorded without strike fields), for Chicago and Austin; Philadelphia's five-bracket days.
const RANGES = [
  { cities: ['chicago', 'austin'], from: '2024-09-28', to: '2024-10-01' },
  { cities: ['chicago', 'austin'], from: '2025-01-20', to: '2025-01-21' },
  { cities: ['philadelphia'], from: '2025-01-14', to: '2025-02-11' },
] as const;
const SERIES = { chicago: 'kxhighchi', austin: 'kxhighaus' } as const;
const GHCN = { chicago: 'USW00014819', austin: 'USW00013904' } as const;

interface RecordedFile {
  event: { event_ticker: string };
  markets: Array<{ ticker: string; result: string; expiration_value: string; status: string; strike_type?: string; yes_sub_title: string }>;
}

function datesOf(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = new Date(`${from}T00:00:00Z`); d <= new Date(`${to}T00:00:00Z`); d.setUTCDate(d.getUTCDate() + 1)) out.push(d.toISOString().slice(0, 10));
  return out;
}

function cpratim(city: keyof typeof SERIES, date: string): RecordedFile {
  return JSON.parse(readFileSync(join(REAL, 'cpratim_kalshi_weather', SERIES[city], 'events', `${date}.json`), 'utf8')) as RecordedFile;
}

/** TMAX of the .dly file in tenths of °C, or undefined when missing or flagged by quality control. */
function dlyTmax(city: keyof typeof GHCN, date: string): number | undefined {
  const ym = date.slice(0, 7).replace('-', '');
  const line = readFileSync(join(REAL, 'logan_weather_prediction', 'ghcn', `${GHCN[city]}.dly`), 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${GHCN[city]}${ym}TMAX`));
  if (!line) return undefined;
  const at = 21 + (Number(date.slice(8, 10)) - 1) * 8;
  const value = Number(line.slice(at, at + 5));
  return value === -9999 || line[at + 6] !== ' ' ? undefined : value;
}

describe.skipIf(!sharedReal().present)('backfill from the recorded world (shared/data/real)', () => {
  let env: TestWorkflowEnvironment;
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let sandbox: RunningSandbox;
  let db: ReturnType<typeof createDb>;
  let dataDir: string;
  let config: ReturnType<typeof loadConfig>;

  beforeAll(async () => {
    [env, database] = await Promise.all([startDevServer(), freshDatabase('wx_recorded')]);
    const world = loadRecordedWorld(REAL, { cities: ['chicago', 'austin', 'philadelphia'] });
    sandbox = await startSandbox({ port: 0, world, routes: ALL_ROUTES });
    dataDir = mkdtempSync(join(tmpdir(), 'wx-recorded-'));
    const suffix = randomBytes(3).toString('hex');
    config = loadConfig({
      env: {
        WX_WORLD: 'recorded',
        WX_WORLD_DIR: REAL,
        WX_SANDBOX_PORT: String(sandbox.port),
        ...Object.fromEntries(TASK_QUEUE_ROLES.map((r) => [`WX_TASK_QUEUE_${r.toUpperCase()}`, `${r}-${suffix}`])),
      },
      overrides: { dataDir },
    });
    db = createDb(database.url);
    const workers = await createWorkers({ config, roles: ['ingest'], connection: env.nativeConnection, deps: { db: db.db, pool: db.pool, log, config } });
    const scenario = Promise.all(
      RANGES.map((r) => {
        const input: BackfillInput = { cities: [...r.cities], from: r.from, to: r.to, sources: ['kalshi', 'settlements'] };
        return env.client.workflow.execute<typeof backfillWorkflow>('backfillWorkflow', {
          workflowId: `recorded-${r.cities[0]}-${r.from}-${suffix}`,
          taskQueue: config.temporal.taskQueues.ingest,
          args: [input],
        });
      }),
    );
    await Promise.all(workers.map((w) => w.runUntil(scenario)));
    for (const progress of await scenario) expect(progress.status).toBe('done');
  });
  afterAll(async () => {
    await db?.close();
    await sandbox?.close();
    await env?.teardown();
    await database?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('stores every market result as recorded, with the strikes the payloads omit filled in from ticker and subtitle', async () => {
    let filled = 0;
    for (const city of ['chicago', 'austin'] as const) {
      for (const r of RANGES.filter((x) => (x.cities as readonly string[]).includes(city))) {
        for (const date of datesOf(r.from, r.to)) {
          const file = cpratim(city, date);
          const stored = await db.pool.query<{ ticker: string; result: string; strike_type: string | null; floor_strike: number | null; cap_strike: number | null }>(
            'SELECT ticker, result, strike_type, floor_strike, cap_strike FROM kalshi.market WHERE event_ticker = $1 ORDER BY ticker',
            [file.event.event_ticker],
          );
          expect(stored.rows.map((m) => m.ticker)).toEqual(file.markets.map((m) => m.ticker).sort());
          for (const m of file.markets) {
            const row = stored.rows.find((x) => x.ticker === m.ticker)!;
            if (m.status === 'finalized') expect({ ticker: m.ticker, result: row.result }).toEqual({ ticker: m.ticker, result: m.result });
            expect(row.strike_type, m.ticker).not.toBeNull();
            if (m.strike_type == null) {
              // e.g. "12° to 13°" -> between 12..13; "43° or above" -> greater than 42; "62° or below" -> less than 63.
              const n = m.yes_sub_title.match(/-?\d+/g)!.map(Number);
              const expected = m.yes_sub_title.includes(' to ')
                ? ['between', n[0], n[1]]
                : m.yes_sub_title.endsWith('or below')
                  ? ['less', null, n[0]! + 1]
                  : ['greater', n[0]! - 1, null];
              expect([row.strike_type, row.floor_strike, row.cap_strike]).toEqual(expected);
              filled++;
            }
          }
        }
      }
    }
    // One YES market without strikes per city and day of 2025-01-20..21.
    expect(filled).toBe(4);
  });

  it("labels each day with Kalshi's winning market and expiration value, the GHCN truth beside it, disagreements recorded", async () => {
    const res = await db.pool.query<{
      city_id: string;
      date: string;
      high_f: number | null;
      source: string;
      winning_market_ticker: string | null;
      kalshi_high_f: number | null;
      weather_high_f: number | null;
      weather_source: string | null;
      disagreement: boolean;
      disagreements: string[];
      available_at: Date | null;
    }>(`SELECT city_id, to_char(date, 'YYYY-MM-DD') AS date, high_f, source, winning_market_ticker, kalshi_high_f, weather_high_f, weather_source,
               disagreement, disagreements, available_at
          FROM wx.settlement_consolidated ORDER BY city_id, date`);
    const byKey = new Map(res.rows.map((r) => [`${r.city_id}|${r.date}`, r]));
    let labels = 0;
    for (const city of ['chicago', 'austin'] as const) {
      for (const r of RANGES.filter((x) => (x.cities as readonly string[]).includes(city))) {
        for (const date of datesOf(r.from, r.to)) {
          const file = cpratim(city, date);
          const value = file.markets.map((m) => m.expiration_value).find((v) => v);
          const high = Number(/^-?\d+(\.\d+)?/.exec(value!)![0]);
          const winner = file.markets.filter((m) => m.result === 'yes');
          const tenths = dlyTmax(city, date);
          const ghcnF = tenths === undefined ? null : Math.floor((9 * tenths + 1600 + 25) / 50);
          const row = byKey.get(`${city}|${date}`)!;
          expect(row, `${city} ${date}`).toBeDefined();
          expect({ high: row.high_f, source: row.source, winner: row.winning_market_ticker, kalshi: row.kalshi_high_f }).toEqual({
            high,
            source: 'kalshi',
            winner: winner.length === 1 ? winner[0]!.ticker : null,
            kalshi: high,
          });
          expect({ weather: row.weather_high_f, from: row.weather_source }).toEqual({ weather: ghcnF, from: ghcnF === null ? null : 'ghcn' });
          expect(row.disagreement).toBe(ghcnF !== null && ghcnF !== high);
          if (row.disagreement) expect(row.disagreements).toContain(`kalshi ${high} vs ghcn ${ghcnF}`);
          expect(row.available_at).not.toBeNull();
          labels++;
        }
      }
    }
    expect(labels).toBe(12);
    // The files hold no CLI report, so no CLI row exists.
    expect((await db.pool.query(`SELECT 1 FROM wx.settlement WHERE source = 'cli'`)).rowCount).toBe(0);
    // Philadelphia (Logan CSV, no expiration value, no GHCN after 2024): a label only where Kalshi settled
    // a winner, the bracket without a number; the five-bracket days have none.
    const phlYes = readCsv(join(REAL, 'logan_weather_prediction', 'kalshi', 'real_kalshi_phl_all.csv')).filter((x) => x.date! >= '2025-01-14' && x.date! <= '2025-02-11' && x.result === 'yes');
    expect(res.rows.filter((r) => r.city_id === 'philadelphia').map((r) => [r.date, r.source, r.winning_market_ticker, r.high_f, r.weather_high_f])).toEqual(
      phlYes.map((x) => [x.date, 'kalshi', x.ticker, null, null]),
    );
    expect(phlYes.map((x) => x.date)).toEqual(['2025-01-14', '2025-01-15', '2025-02-10', '2025-02-11']);
  });

  it('validation flags the five-bracket days as incomplete ladders, and later stages skip them', async () => {
    const activities = createValidateActivities({ db: db.db, pool: db.pool, log, config });
    const thresholds = ValidationThresholdsSchema.parse({});
    const results = [];
    for (const r of RANGES) {
      for (const city of r.cities) {
        results.push(await activities.validateMarkets({ reportId: `recorded-${city}-${r.from}`, city, from: r.from, to: r.to, asOf: '2025-07-01T00:00:00.000Z', thresholds }));
      }
    }
    const parts = await Promise.all(results.map((x) => readPart(x.partPath)));
    const incomplete = parts.flatMap((p) => p.ladders?.incomplete ?? []);
    // The CSV's Philadelphia rows of those days: five brackets, none settled YES.
    const phlRows = readCsv(join(REAL, 'logan_weather_prediction', 'kalshi', 'real_kalshi_phl_all.csv')).filter((x) => x.date! >= '2025-01-16' && x.date! <= '2025-02-09');
    const phlEvents = [...new Set(phlRows.map((x) => x.event_ticker!))].sort();
    // Every day of 2025-01-16..02-09, and none of the complete days around them.
    expect(phlEvents).toHaveLength(25);
    expect(incomplete.map((x) => x.eventTicker).sort()).toEqual(phlEvents);
    for (const x of incomplete) {
      expect(x.problems[0]).toBe('5 market(s), expected 6');
      expect(x.problems).toContain('settled without a market settling YES');
    }
    expect(parts.reduce((a, p) => a + (p.ladders?.checked ?? 0), 0)).toBe(12 + 29);

    const flags = await db.pool.query<{ row_key: { event_ticker: string }; rule: string }>(`SELECT row_key, rule FROM wx.data_flag WHERE table_name = 'kalshi.event' ORDER BY row_key->>'event_ticker'`);
    expect(flags.rows).toEqual(phlEvents.map((e) => ({ row_key: { event_ticker: e }, rule: 'ladder_incomplete' })));

    // The helpers later stages use: no market of a flagged event, no day of a flagged event.
    const markets = await db.db.execute(sql`select m.ticker from kalshi.market m where ${eventNotFlagged('m')}`);
    const tickers = (markets.rows as Array<{ ticker: string }>).map((m) => m.ticker);
    expect(tickers.filter((t) => t.startsWith('KXHIGHPHIL-')).map((t) => t.split('-')[1]).filter((v, i, a) => a.indexOf(v) === i).sort()).toEqual(['25FEB10', '25FEB11', '25JAN14', '25JAN15']);
    expect(tickers.filter((t) => t.startsWith('KXHIGHCHI-25JAN20-'))).toHaveLength(6);
    const days = await db.db.execute(
      sql`select e.city_id, to_char(e.event_date, 'YYYY-MM-DD') as date from kalshi.event e where ${dayEventsNotFlagged('e', 'event_date')} order by 1, 2`,
    );
    expect((days.rows as Array<{ city_id: string; date: string }>).filter((d) => d.city_id === 'philadelphia').map((d) => d.date)).toEqual(['2025-01-14', '2025-01-15', '2025-02-10', '2025-02-11']);
    expect(days.rows).toHaveLength(12 + 4);

    // Re-running validation finds the same events and inserts nothing new.
    const again = await activities.validateMarkets({ reportId: 'recorded-again', city: 'philadelphia', from: '2025-01-14', to: '2025-02-11', asOf: '2025-07-01T00:00:00.000Z', thresholds });
    expect(again.flagsInserted).toBe(0);
  });
});
