/**
 * Helpers for the Kalshi client tests: where the shared reference data lives, worlds built from
 * recorded payloads, synthetic candles, a request log and a client pointed at a sandbox.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { KalshiClient, type KalshiClientOptions } from '../../clients/kalshi';
import { parseEventBody, parseTradeItems, type EventWithMarkets } from '../../clients/kalshi-payloads';
import type { CandleRow, TradeRow } from '../../schemas/records';
import type { RunningSandbox } from '../../sandbox/server';
import { SANDBOX_PATHS } from '../../temporal.config';
import { SHARED_DIR, sharedFixtures, sharedReal } from '../support/shared';

/** The shared reference data (fixtures, real recordings), found as every test finds it (tests/support/shared.ts). */
export const SHARED = SHARED_DIR;
export const FIXTURES = sharedFixtures().path;
export const REAL = sharedReal().path;
export const HAVE_SHARED = sharedFixtures().present && sharedReal().present;

export const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));
export const fixture = (name: string): unknown => readJson(join(FIXTURES, name));

export const KALSHI = SANDBOX_PATHS.kalshi;

export function clientFor(sandbox: RunningSandbox, extra: Partial<KalshiClientOptions> = {}): KalshiClient {
  return new KalshiClient({
    baseUrl: `${sandbox.url}${KALSHI}`,
    rateLimit: null,
    minDelayMs: 1,
    maxDelayMs: 5,
    maxAttempts: 12,
    timeoutMs: 5000,
    ...extra,
  });
}

/** A route module that records every request path (with query) under the Kalshi prefix. */
export function requestLog(): { module: (app: FastifyInstance) => void; urls: string[]; count: (re: RegExp) => number; clear: () => void } {
  const urls: string[] = [];
  return {
    module: (app) => {
      app.addHook('onRequest', async (req: FastifyRequest) => {
        if (req.url.startsWith(KALSHI)) urls.push(decodeURIComponent(req.url.slice(KALSHI.length)));
      });
    },
    urls,
    count: (re) => urls.filter((u) => re.test(u)).length,
    clear: () => void urls.splice(0),
  };
}

/** Rows without the payload-specific columns (`raw` holds the payload; `payloadEra` says its shape). */
export function bare<T extends object>(row: T, keepEra = false): Omit<T, 'raw' | 'payloadEra'> {
  const { raw: _raw, payloadEra, ...rest } = row as T & { raw?: unknown; payloadEra?: unknown };
  return (keepEra ? { ...rest, payloadEra } : rest) as Omit<T, 'raw' | 'payloadEra'>;
}

export function bareEvents(items: EventWithMarkets[], keepEra = false) {
  return items.map((e) => ({ event: bare(e.event), markets: e.markets.map((m) => bare(m, keepEra)) }));
}

export const cpratimDir = (series: string) => join(REAL, 'cpratim_kalshi_weather', series);

/** Every events file of a cpratim series, by date (YYYY-MM-DD). */
export function cpratimEventFiles(series: string): Array<{ date: string; path: string }> {
  const dir = join(cpratimDir(series), 'events');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ date: f.slice(0, 10), path: join(dir, f) }));
}

export function cpratimEvents(series: string, from: string, to: string): EventWithMarkets[] {
  return cpratimEventFiles(series)
    .filter((f) => f.date >= from && f.date <= to)
    .map((f) => parseEventBody(readJson(f.path), f.path));
}

/** The trade prints of the cpratim trades files whose dates are in [from, to]. */
export function cpratimTrades(series: string, from: string, to: string): TradeRow[] {
  const dir = join(cpratimDir(series), 'trades');
  const rows: TradeRow[] = [];
  for (const f of readdirSync(dir).sort()) {
    const date = f.slice(0, 10);
    if (date < from || date > to) continue;
    const byTicker = readJson(join(dir, f)) as Record<string, unknown[]>;
    for (const items of Object.values(byTicker)) rows.push(...parseTradeItems(items, f));
  }
  // A print can appear in two daily files; keep one.
  return [...new Map(rows.map((t) => [t.tradeId, t])).values()];
}

/** Whole-cent candles (so every payload era can carry them exactly), some periods without trades. */
export function synthCandles(ticker: string, start: Date, n: number, periodMinutes: 1 | 60 | 1440): CandleRow[] {
  const out: CandleRow[] = [];
  for (let i = 0; i < n; i++) {
    const c = (x: number) => (10 + ((i * 7 + x) % 80)) * 10_000;
    const traded = i % 5 !== 0;
    out.push({
      marketTicker: ticker,
      periodMinutes,
      bucketStart: new Date(start.getTime() + i * periodMinutes * 60_000),
      yesBidOpen: c(0),
      yesBidHigh: c(3),
      yesBidLow: c(0) - 10_000,
      yesBidClose: c(1),
      yesAskOpen: c(2),
      yesAskHigh: c(5),
      yesAskLow: c(2) - 10_000,
      yesAskClose: c(4),
      priceOpen: traded ? c(1) : null,
      priceHigh: traded ? c(3) : null,
      priceLow: traded ? c(0) : null,
      priceClose: traded ? c(2) : null,
      priceMean: traded ? c(1) : null,
      pricePrevious: c(1),
      volume: traded ? ((i % 13) + 1) * 100 : 0,
      openInterest: 1000 + i * 100,
    });
  }
  return out;
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

export const byTradeId = (a: TradeRow, b: TradeRow) => a.tradeId.localeCompare(b.tradeId);
