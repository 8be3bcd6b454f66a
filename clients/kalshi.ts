/**
 * Kalshi Trade API v2 — public market data (series, events, markets, order book, trades, candles and
 * the historical tier), returned as internal rows (schemas/records.ts). Built on HttpClient: retries
 * with backoff + jitter on 429 / 5xx / network / broken bodies, a client-side rate limit, and
 * PayloadShapeError (source, field path, value) on a payload of the wrong shape. Payload eras and their
 * detection: clients/kalshi-payloads.ts.
 *
 * No authentication here: `headers` and `authorize` are the hooks for the trader's request signing
 * (KALSHI-ACCESS-KEY / -TIMESTAMP / -SIGNATURE) later.
 *
 * Historical tier (kalshi-api.md §4.7). `GET /historical/cutoff` gives `market_settled_ts` and
 * `trades_created_ts` (cached for `cutoffTtlMs`). The rules this client applies:
 *   - markets: a market that settled before `market_settled_ts` lives only under /historical/markets.
 *     `getMarket` asks /markets/{t} and, on 404, /historical/markets/{t}. `listMarkets` lists /markets
 *     and then /historical/markets with the same primary filter (tickers > event_ticker > series_ticker;
 *     other filters applied here), unless the filters exclude settled-before-cutoff markets (status
 *     other than 'settled', or min_close_ts at/after the cutoff); duplicates are dropped (live wins).
 *   - events stay in /events, but their nested markets do not: an event that comes back with no
 *     markets is completed from /historical/markets?event_ticker=.
 *   - candles: /historical/markets/{t}/candlesticks for a market settled before the cutoff, else
 *     /series/{s}/markets/{t}/candlesticks. Whether it settled comes from the `market` hint
 *     (a MarketRow: settlement_ts, or close_time when finalized without one, see marketSettledAt),
 *     else from getMarket (cached per ticker). A 404 on the chosen tier retries the other one.
 *   - trades: split at `trades_created_ts`: [min_ts, cutoff) from /historical/trades, [cutoff, max_ts)
 *     from /markets/trades; deduplicated by trade_id. Each tier yields in the API's order (newest first).
 *
 * Candle cap: Kalshi refuses (400) a candlestick request spanning more than 5,000 periods; getCandles
 * splits [start, end) into chunks of at most `maxCandlesPerRequest` periods (default 5,000).
 * Candle ranges are in bucket-start terms: rows with start <= bucketStart < end, where bucketStart =
 * end_period_ts − period (the API's start_ts/end_ts select by period END, inclusive).
 *
 * Page sizes: events ≤ 200, markets ≤ 1000, trades ≤ 1000 per page (the API's maxima); every list
 * follows `cursor` until it comes back empty.
 */
import type { z } from 'zod';
import type { Logger } from '../lib/logger';
import type { CandleRow, MarketRow, OrderbookSnapshot, SeriesRow, TradeRow } from '../schemas/records';
import { candleRowsFast, tradesPageFast } from './kalshi-fast';
import { HttpClient, NonRetryableHttpError, type Query } from './http';
import {
  fillMissingStrikes,
  CandlesResponseSchema,
  CutoffResponseSchema,
  OrderbookResponseSchema,
  TradesPageSchema,
  candleRowFromWire,
  cutoffFromWire,
  kalshiResponseSchemas,
  marketSettledAt,
  orderbookFromWire,
  type CandlePeriod,
  type EventWithMarkets,
  type HistoricalCutoff,
  type KalshiParseOptions,
} from './kalshi-payloads';

export type { CandlePeriod, EventWithMarkets, HistoricalCutoff, PayloadEra } from './kalshi-payloads';

/** Kalshi's cap on candlesticks per request (a wider range answers 400). */
export const KALSHI_MAX_CANDLES_PER_REQUEST = 5000;
export const KALSHI_PAGE_LIMITS = { events: 200, markets: 1000, trades: 1000 } as const;

export interface KalshiClientOptions extends KalshiParseOptions {
  /** e.g. REAL_API_BASE_URLS.kalshi, or `${sandbox.url}${SANDBOX_PATHS.kalshi}`. */
  baseUrl: string;
  log?: Logger;
  /** Requests per interval; default 10 per second (the Basic tier allows 20 reads/s). null = unlimited. */
  rateLimit?: { limit: number; intervalMs: number } | null;
  maxAttempts?: number;
  minDelayMs?: number;
  maxDelayMs?: number;
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
  random?: () => number;
  /** Extra headers on every request (e.g. the sandbox's `x-sandbox-era`). */
  headers?: Record<string, string>;
  /** Hook to sign a request at send time (the trader adds Kalshi's RSA-PSS headers here). */
  authorize?: (url: URL, headers: Record<string, string>) => void;
  /** Periods per candlestick request (default and maximum 5,000). */
  maxCandlesPerRequest?: number;
  /** How long a fetched historical cutoff is reused (default 10 minutes). */
  cutoffTtlMs?: number;
}

export type EventStatusFilter = 'unopened' | 'open' | 'closed' | 'settled';
export type MarketStatusFilter = EventStatusFilter | 'paused';
/** 'auto': live then historical tier as the cutoff rules say; 'live' / 'historical': that tier only. */
export type TierChoice = 'auto' | 'live' | 'historical';

export interface ListEventsParams {
  /** May be left out when `tickers` is given (the tickers name their series). */
  seriesTicker?: string;
  /**
   * Only these event tickers (the API's comma-list `tickers` filter). /events has `min_close_ts` but no
   * `max_close_ts`, so this is how a caller bounds a listing to a range of dates. An empty list lists
   * nothing (not every event).
   */
  tickers?: string[];
  status?: EventStatusFilter;
  minCloseTs?: Date;
  withNestedMarkets?: boolean;
  /** Page size, ≤ 200. */
  limit?: number;
}

export interface ListMarketsParams {
  eventTicker?: string;
  seriesTicker?: string;
  status?: MarketStatusFilter;
  tickers?: string[];
  minCloseTs?: Date;
  maxCloseTs?: Date;
  /** Page size, ≤ 1000. */
  limit?: number;
  tier?: TierChoice;
}

export interface ListTradesParams {
  ticker: string;
  /** Inclusive lower bound (sent as whole seconds, rounded down). */
  minTs?: Date;
  /** Exclusive upper bound (sent as whole seconds, rounded up). */
  maxTs?: Date;
  /** Page size, ≤ 1000. */
  limit?: number;
  tier?: TierChoice;
}

export interface GetCandlesParams {
  seriesTicker: string;
  ticker: string;
  periodMinutes: CandlePeriod;
  /** Candles with start <= bucketStart < end. */
  start: Date;
  end: Date;
  /** The market's row, if known: decides live vs historical without a lookup. */
  market?: Pick<MarketRow, 'settlementTs' | 'status' | 'result' | 'closeTime'>;
  tier?: TierChoice;
}

const unix = (d: Date) => Math.floor(d.getTime() / 1000);
const unixCeil = (d: Date) => Math.ceil(d.getTime() / 1000);
const isNotFound = (e: unknown) => e instanceof NonRetryableHttpError && e.status === 404;

export class KalshiClient {
  readonly http: HttpClient;
  private readonly schemas: ReturnType<typeof kalshiResponseSchemas>;
  private readonly maxCandles: number;
  private readonly cutoffTtlMs: number;
  private cutoff?: { value: HistoricalCutoff; at: number };
  private readonly tierOf = new Map<string, 'live' | 'historical'>();

  constructor(readonly options: KalshiClientOptions) {
    this.http = new HttpClient({
      source: 'kalshi',
      baseUrl: options.baseUrl,
      rateLimit: options.rateLimit === null ? undefined : (options.rateLimit ?? { limit: 10, intervalMs: 1000 }),
      ...(options.maxAttempts !== undefined && { maxAttempts: options.maxAttempts }),
      ...(options.minDelayMs !== undefined && { minDelayMs: options.minDelayMs }),
      ...(options.maxDelayMs !== undefined && { maxDelayMs: options.maxDelayMs }),
      ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
      ...(options.log && { log: options.log }),
      ...(options.fetchImpl && { fetchImpl: options.fetchImpl }),
      ...(options.random && { random: options.random }),
      ...(options.headers && { headers: options.headers }),
      ...(options.authorize && { authorize: options.authorize }),
    });
    this.schemas = kalshiResponseSchemas(options);
    this.maxCandles = Math.min(KALSHI_MAX_CANDLES_PER_REQUEST, Math.max(1, options.maxCandlesPerRequest ?? KALSHI_MAX_CANDLES_PER_REQUEST));
    this.cutoffTtlMs = options.cutoffTtlMs ?? 10 * 60_000;
  }

  private get<S extends z.ZodType>(path: string, query: Query, schema: S): Promise<z.infer<S>> {
    return this.http.getJson(path, query, schema);
  }

  /** Follows `cursor` until the API returns an empty one; `fast` decodes a page without zod when it can. */
  private async *paginate<T>(
    path: string,
    query: Query,
    schema: z.ZodType<{ items: T[]; cursor: string }>,
    fast?: (body: unknown) => { items: T[]; cursor: string } | undefined,
  ): AsyncGenerator<T> {
    let cursor: string | undefined;
    const seen = new Set<string>();
    for (;;) {
      const q = { ...query, cursor };
      const page = fast ? await this.http.getJsonFast(path, q, fast, schema, (p) => p) : await this.get(path, q, schema);
      yield* page.items;
      if (!page.cursor) return;
      // A cursor that repeats would loop forever: a server bug, not something to retry.
      if (seen.has(page.cursor)) throw new NonRetryableHttpError(`kalshi: ${path} returned the same cursor twice`, 'kalshi');
      seen.add(page.cursor);
      cursor = page.cursor;
    }
  }

  // ── series ─────────────────────────────────────────────────────────────────────────────────────

  getSeries(ticker: string): Promise<SeriesRow> {
    return this.get(`series/${encodeURIComponent(ticker)}`, {}, this.schemas.series);
  }

  listSeries(params: { category?: string; tags?: string } = {}): Promise<SeriesRow[]> {
    return this.get('series', { category: params.category, tags: params.tags }, this.schemas.seriesList);
  }

  // ── events ─────────────────────────────────────────────────────────────────────────────────────

  async *listEvents(params: ListEventsParams): AsyncGenerator<EventWithMarkets> {
    if (params.tickers && params.tickers.length === 0) return;
    const nested = params.withNestedMarkets ?? true;
    const query: Query = {
      series_ticker: params.seriesTicker,
      tickers: params.tickers?.length ? params.tickers.join(',') : undefined,
      status: params.status,
      min_close_ts: params.minCloseTs ? unix(params.minCloseTs) : undefined,
      with_nested_markets: nested,
      limit: Math.min(params.limit ?? KALSHI_PAGE_LIMITS.events, KALSHI_PAGE_LIMITS.events),
    };
    for await (const item of this.paginate('events', query, this.schemas.events)) {
      yield nested ? await this.completeEvent(item) : item;
    }
  }

  async getEvent(eventTicker: string): Promise<EventWithMarkets> {
    const item = await this.get(`events/${encodeURIComponent(eventTicker)}`, { with_nested_markets: true }, this.schemas.event);
    return this.completeEvent(item);
  }

  /** Events older than the cutoff keep their place in /events but lose their nested markets. */
  private async completeEvent(item: EventWithMarkets): Promise<EventWithMarkets> {
    if (item.markets.length > 0) return item;
    const markets: MarketRow[] = [];
    for await (const m of this.paginate('historical/markets', { event_ticker: item.event.eventTicker, limit: KALSHI_PAGE_LIMITS.markets }, this.schemas.markets)) {
      markets.push(m);
    }
    return { event: item.event, markets: fillMissingStrikes(markets) };
  }

  // ── markets ────────────────────────────────────────────────────────────────────────────────────

  async *listMarkets(params: ListMarketsParams = {}): AsyncGenerator<MarketRow> {
    const tier = params.tier ?? 'auto';
    const limit = Math.min(params.limit ?? KALSHI_PAGE_LIMITS.markets, KALSHI_PAGE_LIMITS.markets);
    const seen = new Set<string>();
    if (tier !== 'historical') {
      const query: Query = {
        event_ticker: params.eventTicker,
        series_ticker: params.seriesTicker,
        status: params.status,
        tickers: params.tickers?.length ? params.tickers.join(',') : undefined,
        min_close_ts: params.minCloseTs ? unix(params.minCloseTs) : undefined,
        max_close_ts: params.maxCloseTs ? unixCeil(params.maxCloseTs) : undefined,
        limit,
      };
      for await (const m of this.paginate('markets', query, this.schemas.markets)) {
        seen.add(m.ticker);
        yield m;
      }
    }
    if (tier === 'live') return;
    if (params.status && params.status !== 'settled') return;
    if (tier === 'auto' && params.minCloseTs) {
      const cutoff = await this.getHistoricalCutoff();
      if (params.minCloseTs.getTime() >= cutoff.marketSettledTs.getTime()) return;
    }
    // Historical filters are mutually exclusive: send the narrowest, apply the rest here.
    const primary: Query = params.tickers?.length
      ? { tickers: params.tickers.join(',') }
      : params.eventTicker
        ? { event_ticker: params.eventTicker }
        : params.seriesTicker
          ? { series_ticker: params.seriesTicker }
          : {};
    const keep = (m: MarketRow) =>
      !seen.has(m.ticker) &&
      (!params.eventTicker || m.eventTicker === params.eventTicker) &&
      (!params.seriesTicker || m.seriesTicker === params.seriesTicker || m.eventTicker.startsWith(`${params.seriesTicker}-`)) &&
      (!params.tickers?.length || params.tickers.includes(m.ticker)) &&
      (!params.minCloseTs || (m.closeTime != null && m.closeTime.getTime() >= params.minCloseTs.getTime())) &&
      (!params.maxCloseTs || (m.closeTime != null && m.closeTime.getTime() <= params.maxCloseTs.getTime()));
    for await (const m of this.paginate('historical/markets', { ...primary, limit }, this.schemas.markets)) {
      if (!keep(m)) continue;
      seen.add(m.ticker);
      this.tierOf.set(m.ticker, 'historical');
      yield m;
    }
  }

  /** /markets/{t}, or /historical/markets/{t} when the live tier does not know it (404). */
  async getMarket(ticker: string): Promise<MarketRow> {
    const path = `markets/${encodeURIComponent(ticker)}`;
    try {
      const m = await this.get(path, {}, this.schemas.market);
      this.tierOf.set(ticker, 'live');
      return m;
    } catch (e) {
      if (!isNotFound(e)) throw e;
      const m = await this.get(`historical/${path}`, {}, this.schemas.market);
      this.tierOf.set(ticker, 'historical');
      return m;
    }
  }

  // ── order book ─────────────────────────────────────────────────────────────────────────────────

  /** Resting YES and NO bids, ascending by price; depth 0 / undefined = all levels. */
  async getOrderbook(ticker: string, depth?: number): Promise<OrderbookSnapshot> {
    const r = await this.get(`markets/${encodeURIComponent(ticker)}/orderbook`, { depth }, OrderbookResponseSchema);
    return orderbookFromWire(ticker, r);
  }

  // ── trades ─────────────────────────────────────────────────────────────────────────────────────

  async *listTrades(params: ListTradesParams): AsyncGenerator<TradeRow> {
    const tier = params.tier ?? 'auto';
    const limit = Math.min(params.limit ?? KALSHI_PAGE_LIMITS.trades, KALSHI_PAGE_LIMITS.trades);
    const min = params.minTs ? unix(params.minTs) : undefined;
    const max = params.maxTs ? unixCeil(params.maxTs) : undefined;
    const ranges: Array<{ path: string; min?: number; max?: number }> = [];
    if (tier === 'live') ranges.push({ path: 'markets/trades', min, max });
    else if (tier === 'historical') ranges.push({ path: 'historical/trades', min, max });
    else {
      const cut = unix((await this.getHistoricalCutoff()).tradesCreatedTs);
      // (A cutoff at the epoch means there is no historical tier.)
      if ((min ?? 0) < cut) ranges.push({ path: 'historical/trades', min, max: max === undefined ? cut : Math.min(max, cut) });
      if (max === undefined || max > cut) ranges.push({ path: 'markets/trades', min: min === undefined ? cut : Math.max(min, cut), max });
    }
    const seen = new Set<string>();
    for (const r of ranges) {
      if (r.min !== undefined && r.max !== undefined && r.min >= r.max) continue;
      const query: Query = { ticker: params.ticker, min_ts: r.min, max_ts: r.max, limit };
      for await (const t of this.paginate(r.path, query, TradesPageSchema, tradesPageFast)) {
        if (seen.has(t.tradeId)) continue;
        seen.add(t.tradeId);
        if (params.minTs && t.createdTime.getTime() < params.minTs.getTime()) continue;
        if (params.maxTs && t.createdTime.getTime() >= params.maxTs.getTime()) continue;
        yield t;
      }
    }
  }

  // ── candles ────────────────────────────────────────────────────────────────────────────────────

  async getCandles(params: GetCandlesParams): Promise<CandleRow[]> {
    const { ticker, periodMinutes: p } = params;
    const startSec = unixCeil(params.start);
    const endSec = unixCeil(params.end);
    if (endSec <= startSec) return [];
    let tier = params.tier ?? 'auto';
    if (tier === 'auto') tier = await this.candleTier(ticker, params.market);
    const livePath = `series/${encodeURIComponent(params.seriesTicker)}/markets/${encodeURIComponent(ticker)}/candlesticks`;
    const histPath = `historical/markets/${encodeURIComponent(ticker)}/candlesticks`;
    const periodSec = p * 60;
    const chunkSec = this.maxCandles * periodSec;
    const byStart = new Map<number, CandleRow>();
    let useHistorical = tier === 'historical';
    let switched = params.tier === 'live' || params.tier === 'historical';
    for (let cs = startSec; cs < endSec; cs += chunkSec) {
      const ce = Math.min(endSec, cs + chunkSec);
      // Buckets starting in [cs, ce) end in [cs + p, ce + p - 1].
      const query: Query = { start_ts: cs + periodSec, end_ts: ce + periodSec - 1, period_interval: p };
      const page = (path: string) =>
        this.http.getJsonFast(path, query, (b) => candleRowsFast(b, ticker, p), CandlesResponseSchema, (r) => (r.candlesticks ?? []).map((c) => candleRowFromWire(c, ticker, p)));
      let rows: CandleRow[];
      try {
        rows = await page(useHistorical ? histPath : livePath);
      } catch (e) {
        if (!isNotFound(e) || switched) throw e;
        // The market is on the other tier (e.g. it moved to /historical since we last looked).
        switched = true;
        useHistorical = !useHistorical;
        this.tierOf.set(ticker, useHistorical ? 'historical' : 'live');
        rows = await page(useHistorical ? histPath : livePath);
      }
      for (const row of rows) {
        const t = row.bucketStart.getTime();
        if (t >= cs * 1000 && t < ce * 1000) byStart.set(t, row);
      }
    }
    return [...byStart.values()].sort((a, b) => a.bucketStart.getTime() - b.bucketStart.getTime());
  }

  private async candleTier(ticker: string, market?: GetCandlesParams['market']): Promise<'live' | 'historical'> {
    const cutoff = await this.getHistoricalCutoff();
    const before = (m: NonNullable<GetCandlesParams['market']>) => {
      const settled = marketSettledAt(m);
      return settled !== null && settled.getTime() < cutoff.marketSettledTs.getTime();
    };
    if (market) return before(market) ? 'historical' : 'live';
    const known = this.tierOf.get(ticker);
    if (known) return known;
    try {
      const m = await this.getMarket(ticker);
      return this.tierOf.get(ticker) === 'historical' || before(m) ? 'historical' : 'live';
    } catch (e) {
      if (isNotFound(e)) return 'live';
      throw e;
    }
  }

  // ── historical tier ────────────────────────────────────────────────────────────────────────────

  /** The live/historical boundaries; cached for `cutoffTtlMs`. */
  async getHistoricalCutoff(options: { refresh?: boolean } = {}): Promise<HistoricalCutoff> {
    if (!options.refresh && this.cutoff && Date.now() - this.cutoff.at < this.cutoffTtlMs) return this.cutoff.value;
    const value = cutoffFromWire(await this.get('historical/cutoff', {}, CutoffResponseSchema));
    this.cutoff = { value, at: Date.now() };
    return value;
  }
}

/** Collects an async iterable (convenience for callers that want an array). */
export async function collectAll<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
