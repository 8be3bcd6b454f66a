/**
 * Kalshi REST v2 market-data payloads: zod schemas for every shape the API has sent since 2024, and
 * their conversion into the internal rows (schemas/records.ts).
 *
 * Payload eras (shared/reference/kalshi-api.md §0) and how each is recognised:
 *   - 'cents'   (≤ Aug 2025): integer cents (`yes_bid: 42`) and integer counts (`volume: 120`) only;
 *   - 'dual'    (Aug 2025 – Mar 12 2026): both the integer fields and their `*_dollars` / `*_fp` twins;
 *   - 'dollars' (after Mar 12 2026): only `*_dollars` strings and `*_fp` count strings.
 * A market's era is read from which money/count keys it carries (see `detectMarketEra`). Every value
 * is taken from the `*_dollars` / `*_fp` field when present (it can hold sub-cent prices and fractional
 * counts), else from the integer field. Historical-tier candles (`/historical/markets/{t}/candlesticks`)
 * carry un-suffixed dollar strings (`yes_bid.open: "0.2500"`, `volume: "412.00"`); a string in an
 * un-suffixed field is read as dollars / fixed-point, a number as cents / whole contracts.
 *
 * Schemas are lenient on unknown extra fields (Kalshi adds fields often) and strict on the fields the
 * rows use: a wrong type or a missing required field fails with the field's path, which the HTTP layer
 * turns into a PayloadShapeError naming the path and the value.
 *
 * City and event date come from the event ticker through domain/ (cities.ts, tickers.ts); strike
 * semantics from strike_type / floor_strike / cap_strike. Real payloads sometimes omit all three (the
 * market that settled YES on 2025-01-16..02-09): those markets get strikes derived from their ticker
 * and yes_sub_title (domain/tickers.ts deriveStrikes, both must agree; a T tail without a subtitle is
 * placed by the event's other markets, `fillMissingStrikes`). `raw` keeps the payload as it came, so
 * a derived strike is always recognisable (raw.strike_type absent).
 */
import { z } from 'zod';
import { findCityForSeries } from '../domain/cities';
import { deriveStrikes, parseEventTicker, parseMarketTicker } from '../domain/tickers';
import { zCents, zCountFp, zCountInt, zDollars, zPriceDollars } from '../domain/money';
import type { CandleRow, EventRow, MarketRow, OrderbookSnapshot, SeriesRow, TradeRow } from '../schemas/records';
import { PayloadShapeError } from './http';

export type PayloadEra = 'cents' | 'dual' | 'dollars';
export const PAYLOAD_ERAS: readonly PayloadEra[] = ['dollars', 'dual', 'cents'];
export type CandlePeriod = 1 | 60 | 1440;

/** Options that change how payloads become rows. */
export interface KalshiParseOptions {
  /**
   * Series outside the six cities (e.g. KXHIGHNY in recorded data) are refused by default: their rows
   * would have no city. When allowed, their `cityId` is `other:<SERIES>` (see `unknownCityId`).
   */
  allowUnknownSeries?: boolean;
}

/** The `cityId` given to rows of a series that is not one of the six cities (only with allowUnknownSeries). */
export function unknownCityId(seriesTicker: string): string {
  return `other:${seriesTicker}`;
}

// ── field helpers ────────────────────────────────────────────────────────────────────────────────

/** RFC3339 -> Date (UTC instant). Kalshi's zero time `0001-01-01T00:00:00Z` parses as year 1. */
export const zTime = z.string().transform((s, ctx) => {
  const d = new Date(s);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(s) || Number.isNaN(d.getTime())) {
    ctx.issues.push({ code: 'custom', message: 'expected an RFC3339 time such as "2026-07-15T06:00:00Z"', input: s });
    return z.NEVER;
  }
  return d;
});

/** An un-suffixed price: a dollar string (historical tier) or integer cents (legacy). */
const zPriceAny = z.union([zPriceDollars, zCents]);
/** An un-suffixed count: a fixed-point string (historical tier) or an integer (legacy). */
const zCountAny = z.union([zCountFp, zCountInt]);

const SettlementSourceSchema = z.looseObject({ name: z.string().optional(), url: z.string().optional() });
type SettlementSources = Array<{ name?: string; url?: string }>;

/** Statuses of the market object (and the 2024-era values `open` / `settled`, accepted as they came). */
export const MARKET_STATUSES = [
  'initialized',
  'inactive',
  'active',
  'closed',
  'determined',
  'disputed',
  'amended',
  'finalized',
  'open',
  'settled',
  'unopened',
  'paused',
] as const;

// ── wire schemas ─────────────────────────────────────────────────────────────────────────────────

/*
 * A parsed object holds converted values (micros, Dates); rows keep the payload as it came in `raw`.
 * keepRaw stashes the untouched input under a private key that the loose object passes through.
 */
const RAW = '__kalshi_raw';
const keepRaw = <S extends z.ZodType>(schema: S) =>
  z.preprocess((v) => (v && typeof v === 'object' && !Array.isArray(v) ? { ...(v as object), [RAW]: v } : v), schema);
const rawOf = (w: object): Record<string, unknown> => ((w as Record<string, unknown>)[RAW] ?? w) as Record<string, unknown>;

export const SeriesWireSchema = keepRaw(z.looseObject({
  ticker: z.string().min(1),
  title: z.string().nullish(),
  category: z.string().nullish(),
  frequency: z.string().nullish(),
  fee_type: z.string().nullish(),
  fee_multiplier: z.number().nullish(),
  settlement_sources: z.array(SettlementSourceSchema).nullish(),
}));
export type SeriesWire = z.infer<typeof SeriesWireSchema>;

export const MarketWireSchema = keepRaw(z.looseObject({
  ticker: z.string().min(1),
  event_ticker: z.string().min(1),
  market_type: z.enum(['binary', 'scalar']).optional(),
  yes_sub_title: z.string().nullish(),
  open_time: zTime,
  close_time: zTime,
  expiration_time: zTime.nullish(),
  latest_expiration_time: zTime.nullish(),
  status: z.enum(MARKET_STATUSES),
  result: z.enum(['yes', 'no', 'scalar', '']).nullish(),
  settlement_value: zCents.nullish(),
  settlement_value_dollars: zDollars.nullish(),
  expiration_value: z.string().nullish(),
  settlement_ts: zTime.nullish(),
  strike_type: z.string().nullish(),
  floor_strike: z.number().nullish(),
  cap_strike: z.number().nullish(),
  rules_primary: z.string().nullish(),
  last_price: zCents.nullish(),
  last_price_dollars: zPriceDollars.nullish(),
  yes_bid: zCents.nullish(),
  yes_bid_dollars: zPriceDollars.nullish(),
  yes_ask: zCents.nullish(),
  yes_ask_dollars: zPriceDollars.nullish(),
  no_bid: zCents.nullish(),
  no_bid_dollars: zPriceDollars.nullish(),
  no_ask: zCents.nullish(),
  no_ask_dollars: zPriceDollars.nullish(),
  volume: zCountInt.nullish(),
  volume_fp: zCountFp.nullish(),
  open_interest: zCountInt.nullish(),
  open_interest_fp: zCountFp.nullish(),
  price_ranges: z.array(z.looseObject({ start: zDollars, end: zDollars, step: zDollars })).nullish(),
}));
export type MarketWire = z.infer<typeof MarketWireSchema>;

export const EventWireSchema = keepRaw(z.looseObject({
  event_ticker: z.string().min(1),
  series_ticker: z.string().min(1),
  title: z.string().nullish(),
  sub_title: z.string().nullish(),
  mutually_exclusive: z.boolean().nullish(),
  strike_date: zTime.nullish(),
  settlement_sources: z.array(SettlementSourceSchema).nullish(),
  markets: z.array(MarketWireSchema).nullish(),
}));
export type EventWire = z.infer<typeof EventWireSchema>;

export const TradeWireSchema = z.looseObject({
  trade_id: z.string().min(1),
  ticker: z.string().min(1),
  created_time: zTime,
  yes_price: zCents.nullish(),
  yes_price_dollars: zPriceDollars.nullish(),
  no_price: zCents.nullish(),
  no_price_dollars: zPriceDollars.nullish(),
  count: zCountInt.nullish(),
  count_fp: zCountFp.nullish(),
  taker_side: z.enum(['yes', 'no']).nullish(),
  taker_outcome_side: z.enum(['yes', 'no']).nullish(),
  is_block_trade: z.boolean().nullish(),
});
export type TradeWire = z.infer<typeof TradeWireSchema>;

const ohlcKeys = ['open', 'low', 'high', 'close'] as const;
const priceKeys = ['open', 'low', 'high', 'close', 'mean', 'previous', 'min', 'max'] as const;
const withDollarTwins = <K extends string>(keys: readonly K[]) =>
  z.looseObject(
    Object.fromEntries(keys.flatMap((k) => [[k, zPriceAny.nullish()], [`${k}_dollars`, zPriceDollars.nullish()]])) as Record<
      K | `${K}_dollars`,
      z.ZodOptional<z.ZodNullable<typeof zPriceAny>>
    >,
  );
const OhlcWireSchema = withDollarTwins(ohlcKeys);
const PriceWireSchema = withDollarTwins(priceKeys);

export const CandleWireSchema = z.looseObject({
  end_period_ts: z.number().int(),
  yes_bid: OhlcWireSchema.nullish(),
  yes_ask: OhlcWireSchema.nullish(),
  price: PriceWireSchema.nullish(),
  volume: zCountAny.nullish(),
  volume_fp: zCountFp.nullish(),
  open_interest: zCountAny.nullish(),
  open_interest_fp: zCountFp.nullish(),
});
export type CandleWire = z.infer<typeof CandleWireSchema>;

const LevelSchema = z.tuple([zPriceAny, zCountAny]);
const LevelsSchema = z.array(LevelSchema).nullish();

// ── response schemas ─────────────────────────────────────────────────────────────────────────────

const cursor = z.string().nullish();

export const CutoffResponseSchema = z.looseObject({
  market_settled_ts: zTime,
  trades_created_ts: zTime,
  orders_updated_ts: zTime.nullish(),
  market_positions_last_updated_ts: zTime.nullish(),
});

export const OrderbookResponseSchema = z.looseObject({
  orderbook_fp: z.looseObject({ yes_dollars: LevelsSchema, no_dollars: LevelsSchema }).nullish(),
  orderbook: z
    .looseObject({ yes: LevelsSchema, no: LevelsSchema, yes_dollars: LevelsSchema, no_dollars: LevelsSchema })
    .nullish(),
});

export const CandlesResponseSchema = z.looseObject({
  ticker: z.string().nullish(),
  candlesticks: z.array(CandleWireSchema).nullish(),
});

export const TradesResponseSchema = z.looseObject({ trades: z.array(TradeWireSchema).nullish(), cursor });

// ── conversion ───────────────────────────────────────────────────────────────────────────────────

/** A problem with one field, raised by the row builders and turned into a zod issue with its path. */
class FieldIssue extends Error {
  constructor(
    readonly path: PropertyKey[],
    message: string,
    readonly value: unknown,
  ) {
    super(message);
  }
}

type Ctx = z.RefinementCtx;

function collect<T>(ctx: Ctx, basePath: PropertyKey[], fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof FieldIssue)) throw e;
    ctx.issues.push({ code: 'custom', message: e.message, input: e.value, path: [...basePath, ...e.path] as Array<string | number> });
    return undefined;
  }
}

const MONEY_BASES = [
  'yes_bid',
  'yes_ask',
  'no_bid',
  'no_ask',
  'last_price',
  'previous_yes_bid',
  'previous_yes_ask',
  'previous_price',
  'liquidity',
  'notional_value',
  'settlement_value',
] as const;
const COUNT_BASES = ['volume', 'volume_24h', 'open_interest', 'yes_bid_size', 'yes_ask_size'] as const;

/** Which keys carry money or counts in each form, so the sandbox can strip them before rendering. */
export const LEGACY_MARKET_KEYS: readonly string[] = [...MONEY_BASES, ...COUNT_BASES, 'tick_size', 'response_price_units', 'risk_limit_cents'];
export const CURRENT_MARKET_KEYS: readonly string[] = [...MONEY_BASES.map((k) => `${k}_dollars`), ...COUNT_BASES.map((k) => `${k}_fp`)];

/**
 * The payload era of a market object: 'dual' when it carries both integer cents/counts and their
 * `*_dollars` / `*_fp` twins, 'dollars' with only the strings, 'cents' with only the integers.
 */
export function detectMarketEra(raw: Record<string, unknown>): PayloadEra {
  const has = (k: string) => raw[k] !== undefined && raw[k] !== null;
  const legacy = [...MONEY_BASES, ...COUNT_BASES].some((k) => has(k) && typeof raw[k] === 'number');
  const current = CURRENT_MARKET_KEYS.some(has);
  if (legacy && current) return 'dual';
  return current ? 'dollars' : 'cents';
}

/**
 * The settlement source of a market: the rules text names it ("according to The Weather Company",
 * "National Weather Service's Climatological Report"), else the event's / series' settlement_sources.
 * 'nws-cli' | 'twc' | null when nothing says.
 */
export function settlementSourceOf(rulesPrimary: string | null | undefined, sources?: SettlementSources | null): 'nws-cli' | 'twc' | null {
  const text = rulesPrimary ?? '';
  if (/weather company/i.test(text)) return 'twc';
  if (/national weather service|\bNWS\b/i.test(text)) return 'nws-cli';
  for (const s of sources ?? []) {
    const t = `${s.name ?? ''} ${s.url ?? ''}`;
    if (/weather company|weather\.com/i.test(t)) return 'twc';
    if (/national weather service|weather\.gov/i.test(t)) return 'nws-cli';
  }
  return null;
}

interface SeriesIdentity {
  seriesTicker: string;
  cityId: string;
  eventDate: string;
}

/**
 * City, canonical series ticker and climate date of an event ticker. Legacy tickers (HIGHCHI-24AUG16)
 * map to the city's current series (KXHIGHCHI), which is also what Kalshi puts in their event's
 * `series_ticker`, so events and markets of one city share one series ticker.
 */
function identify(eventTicker: string, hintSeries: string | undefined, field: PropertyKey[], opts: KalshiParseOptions): SeriesIdentity {
  let parsed: ReturnType<typeof parseEventTicker>;
  try {
    parsed = parseEventTicker(eventTicker);
  } catch (e) {
    throw new FieldIssue(field, (e as Error).message, eventTicker);
  }
  const city = findCityForSeries(parsed.series) ?? (hintSeries ? findCityForSeries(hintSeries) : undefined);
  if (city) return { seriesTicker: city.seriesTicker, cityId: city.id, eventDate: parsed.date };
  if (!opts.allowUnknownSeries) {
    throw new FieldIssue(field, `series ${JSON.stringify(parsed.series)} is not the series of one of the six cities (set allowUnknownSeries to keep it)`, eventTicker);
  }
  const series = hintSeries ?? parsed.series;
  return { seriesTicker: series, cityId: unknownCityId(series), eventDate: parsed.date };
}

const pick = <T>(dollars: T | null | undefined, legacy: T | null | undefined): T | null => dollars ?? legacy ?? null;

export function seriesRowFromWire(w: SeriesWire): SeriesRow {
  return {
    ticker: w.ticker,
    cityId: findCityForSeries(w.ticker)?.id ?? null,
    title: w.title ?? null,
    category: w.category ?? null,
    frequency: w.frequency ?? null,
    feeType: w.fee_type ?? null,
    feeMultiplier: w.fee_multiplier ?? null,
    settlementSources: (rawOf(w).settlement_sources as SettlementSources | null | undefined) ?? null,
    raw: rawOf(w),
  };
}

export interface MarketContext {
  /** The event's series_ticker, when the market came nested in (or alongside) its event. */
  seriesTicker?: string;
  /** The event's settlement_sources, used when the rules text names no source. */
  settlementSources?: SettlementSources | null;
}

/** One market object -> MarketRow; throws FieldIssue (caught by the response schemas). */
function marketRowFromWire(w: MarketWire, c: MarketContext, opts: KalshiParseOptions): MarketRow {
  const id = identify(w.event_ticker, c.seriesTicker, ['event_ticker'], opts);
  const raw = rawOf(w);
  const lacksStrikes = w.strike_type == null && w.floor_strike == null && w.cap_strike == null;
  const derived = lacksStrikes ? deriveStrikes(w.ticker, w.yes_sub_title) : undefined;
  return {
    ticker: w.ticker,
    eventTicker: w.event_ticker,
    seriesTicker: id.seriesTicker,
    cityId: id.cityId,
    eventDate: id.eventDate,
    strikeType: derived?.strikeType ?? w.strike_type ?? null,
    floorStrike: derived ? derived.floorStrike : (w.floor_strike ?? null),
    capStrike: derived ? derived.capStrike : (w.cap_strike ?? null),
    yesSubTitle: w.yes_sub_title ?? null,
    openTime: w.open_time,
    closeTime: w.close_time,
    expirationTime: w.expiration_time ?? null,
    latestExpirationTime: w.latest_expiration_time ?? null,
    status: w.status,
    result: w.result ?? '',
    settlementValueMicros: pick(w.settlement_value_dollars, w.settlement_value),
    expirationValue: w.expiration_value ?? null,
    settlementSource: settlementSourceOf(w.rules_primary, c.settlementSources),
    settlementTs: w.settlement_ts ?? null,
    lastPriceMicros: pick(w.last_price_dollars, w.last_price),
    yesBidMicros: pick(w.yes_bid_dollars, w.yes_bid),
    yesAskMicros: pick(w.yes_ask_dollars, w.yes_ask),
    volume: pick(w.volume_fp, w.volume),
    openInterest: pick(w.open_interest_fp, w.open_interest),
    payloadEra: detectMarketEra(raw),
    raw,
  };
}

const lacks = (m: MarketRow): boolean => m.strikeType == null && m.floorStrike == null && m.capStrike == null;

/**
 * Places T tails that arrived with neither strikes nor a subtitle: a T<n> at or below every other
 * market's strikes of its event is the lower tail (less than n), at or above them the upper tail
 * (greater than n). Markets with strikes, and anything ambiguous, are returned unchanged.
 */
export function fillMissingStrikes(markets: readonly MarketRow[]): MarketRow[] {
  if (!markets.some(lacks)) return [...markets];
  return markets.map((m) => {
    if (!lacks(m)) return m;
    let n: number;
    try {
      const p = parseMarketTicker(m.ticker);
      if (p.kind !== 'T') return m;
      n = p.number;
    } catch {
      return m;
    }
    const strikes = markets
      .filter((o) => o !== m && o.eventTicker === m.eventTicker && !lacks(o))
      .flatMap((o) => [o.floorStrike, o.capStrike])
      .filter((x): x is number => typeof x === 'number');
    if (strikes.length === 0) return m;
    const tail = n <= Math.min(...strikes) ? 'less' : n >= Math.max(...strikes) ? 'greater' : undefined;
    const d = tail ? deriveStrikes(m.ticker, m.yesSubTitle, tail) : undefined;
    return d ? { ...m, strikeType: d.strikeType, floorStrike: d.floorStrike, capStrike: d.capStrike } : m;
  });
}

function eventRowFromWire(w: EventWire, opts: KalshiParseOptions): EventRow {
  const id = identify(w.event_ticker, w.series_ticker, ['event_ticker'], opts);
  const { markets: _nested, ...raw } = rawOf(w);
  return {
    eventTicker: w.event_ticker,
    seriesTicker: id.seriesTicker,
    cityId: id.cityId,
    eventDate: id.eventDate,
    title: w.title ?? null,
    subTitle: w.sub_title ?? null,
    mutuallyExclusive: w.mutually_exclusive ?? null,
    strikeDate: w.strike_date ?? null,
    raw,
  };
}

export interface EventWithMarkets {
  event: EventRow;
  markets: MarketRow[];
}

/**
 * The markets of an event body: `event.markets` (current) or the deprecated top-level `markets`
 * (2024–25 recordings carry only that one); whichever is non-empty.
 */
function eventWithMarkets(
  ctx: Ctx,
  base: PropertyKey[],
  ev: EventWire,
  topLevel: MarketWire[] | null | undefined,
  opts: KalshiParseOptions,
): EventWithMarkets | undefined {
  const event = collect(ctx, base, () => eventRowFromWire(ev, opts));
  const nested = ev.markets ?? [];
  const useTop = nested.length === 0 && (topLevel?.length ?? 0) > 0;
  const list = useTop ? topLevel! : nested;
  const listPath = useTop ? ['markets'] : [...base, 'markets'];
  const mctx: MarketContext = { seriesTicker: ev.series_ticker, settlementSources: ev.settlement_sources as SettlementSources | null | undefined };
  const markets = list.map((m, i) => collect(ctx, [...listPath, i], () => marketRowFromWire(m, mctx, opts)));
  if (!event || markets.some((m) => m === undefined)) return undefined;
  return { event, markets: fillMissingStrikes(markets as MarketRow[]) };
}

/** Response schemas that produce rows; built per parse options. */
function buildResponseSchemas(opts: KalshiParseOptions) {
  const markets = (ctx: Ctx, list: MarketWire[] | null | undefined, path: PropertyKey[]) => {
    const rows = (list ?? []).map((m, i) => collect(ctx, [...path, i], () => marketRowFromWire(m, {}, opts)));
    return rows.some((r) => r === undefined) ? z.NEVER : fillMissingStrikes(rows as MarketRow[]);
  };
  return {
    series: z.looseObject({ series: SeriesWireSchema }).transform((r) => seriesRowFromWire(r.series)),
    seriesList: z.looseObject({ series: z.array(SeriesWireSchema).nullish() }).transform((r) => (r.series ?? []).map(seriesRowFromWire)),
    event: z
      .looseObject({ event: EventWireSchema, markets: z.array(MarketWireSchema).nullish() })
      .transform((r, ctx) => eventWithMarkets(ctx, ['event'], r.event, r.markets, opts) ?? z.NEVER),
    events: z.looseObject({ events: z.array(EventWireSchema).nullish(), cursor }).transform((r, ctx) => {
      const items = (r.events ?? []).map((ev, i) => eventWithMarkets(ctx, ['events', i], ev, undefined, opts));
      if (items.some((x) => x === undefined)) return z.NEVER;
      return { items: items as EventWithMarkets[], cursor: r.cursor ?? '' };
    }),
    market: z.looseObject({ market: MarketWireSchema }).transform((r, ctx) => collect(ctx, ['market'], () => marketRowFromWire(r.market, {}, opts)) ?? z.NEVER),
    markets: z.looseObject({ markets: z.array(MarketWireSchema).nullish(), cursor }).transform((r, ctx) => {
      const rows = markets(ctx, r.markets, ['markets']);
      return { items: rows, cursor: r.cursor ?? '' };
    }),
  };
}

type ResponseSchemas = ReturnType<typeof buildResponseSchemas>;
const schemaCache = new Map<boolean, ResponseSchemas>();

/** The row-producing response schemas for these options (cached). */
export function kalshiResponseSchemas(opts: KalshiParseOptions = {}): ResponseSchemas {
  const key = Boolean(opts.allowUnknownSeries);
  let s = schemaCache.get(key);
  if (!s) {
    s = buildResponseSchemas(opts);
    schemaCache.set(key, s);
  }
  return s;
}

export function tradeRowFromWire(w: TradeWire): TradeRow {
  return {
    tradeId: w.trade_id,
    marketTicker: w.ticker,
    createdTime: w.created_time,
    yesPriceMicros: pick(w.yes_price_dollars, w.yes_price)!,
    noPriceMicros: pick(w.no_price_dollars, w.no_price),
    count: pick(w.count_fp, w.count)!,
    takerSide: pick(w.taker_outcome_side, w.taker_side),
    isBlockTrade: w.is_block_trade ?? null,
  };
}

/** Trade items must carry a YES price and a count in one of their forms. */
export const TradeItemSchema = TradeWireSchema.superRefine((w, ctx) => {
  if (w.yes_price_dollars == null && w.yes_price == null) {
    ctx.addIssue({ code: 'custom', message: 'missing yes price: neither yes_price_dollars nor yes_price', path: ['yes_price_dollars'], input: undefined });
  }
  if (w.count_fp == null && w.count == null) {
    ctx.addIssue({ code: 'custom', message: 'missing count: neither count_fp nor count', path: ['count_fp'], input: undefined });
  }
});

export const TradesPageSchema = z
  .looseObject({ trades: z.array(TradeItemSchema).nullish(), cursor })
  .transform((r) => ({ items: (r.trades ?? []).map(tradeRowFromWire), cursor: r.cursor ?? '' }));

type Ohlc = z.infer<typeof OhlcWireSchema>;
type PriceWire = z.infer<typeof PriceWireSchema>;
const field = (o: Ohlc | PriceWire | null | undefined, k: string): number | null => {
  if (!o) return null;
  const rec = o as Record<string, number | null | undefined>;
  return rec[`${k}_dollars`] ?? rec[k] ?? null;
};

/** One candlestick (any era, live or historical) -> CandleRow; bucketStart = end_period_ts − period. */
export function candleRowFromWire(w: CandleWire, marketTicker: string, periodMinutes: CandlePeriod): CandleRow {
  return {
    marketTicker,
    periodMinutes,
    bucketStart: new Date((w.end_period_ts - periodMinutes * 60) * 1000),
    yesBidOpen: field(w.yes_bid, 'open'),
    yesBidHigh: field(w.yes_bid, 'high'),
    yesBidLow: field(w.yes_bid, 'low'),
    yesBidClose: field(w.yes_bid, 'close'),
    yesAskOpen: field(w.yes_ask, 'open'),
    yesAskHigh: field(w.yes_ask, 'high'),
    yesAskLow: field(w.yes_ask, 'low'),
    yesAskClose: field(w.yes_ask, 'close'),
    priceOpen: field(w.price, 'open'),
    priceHigh: field(w.price, 'high'),
    priceLow: field(w.price, 'low'),
    priceClose: field(w.price, 'close'),
    priceMean: field(w.price, 'mean'),
    pricePrevious: field(w.price, 'previous'),
    volume: pick(w.volume_fp, w.volume) ?? 0,
    openInterest: pick(w.open_interest_fp, w.open_interest),
  };
}

type Level = [number, number];
const levels = (...candidates: Array<Level[] | null | undefined>): Level[] => {
  for (const c of candidates) if (c !== undefined) return [...(c ?? [])].sort((a, b) => a[0] - b[0]);
  return [];
};

/** An orderbook body (current `orderbook_fp` or legacy `orderbook`) -> snapshot, levels ascending by price. */
export function orderbookFromWire(ticker: string, r: z.infer<typeof OrderbookResponseSchema>): OrderbookSnapshot {
  const fp = r.orderbook_fp;
  const ob = r.orderbook;
  return {
    ticker,
    yes: levels(fp?.yes_dollars, ob?.yes_dollars, ob?.yes),
    no: levels(fp?.no_dollars, ob?.no_dollars, ob?.no),
  };
}

export interface HistoricalCutoff {
  /** Markets settled before this are served only by /historical/markets (and their candles). */
  marketSettledTs: Date;
  /** Trades created before this are served only by /historical/trades. */
  tradesCreatedTs: Date;
  ordersUpdatedTs: Date | null;
  marketPositionsLastUpdatedTs: Date | null;
}

export function cutoffFromWire(r: z.infer<typeof CutoffResponseSchema>): HistoricalCutoff {
  return {
    marketSettledTs: r.market_settled_ts,
    tradesCreatedTs: r.trades_created_ts,
    ordersUpdatedTs: r.orders_updated_ts ?? null,
    marketPositionsLastUpdatedTs: r.market_positions_last_updated_ts ?? null,
  };
}

const POST_SETTLE = new Set(['finalized', 'settled']);

/**
 * When a market settled, for the live/historical split: `settlement_ts` when known, else — for a
 * finalized market whose payload omits it (2024–25 recordings) — its close time. Null while unsettled.
 * The sandbox and the client use this same rule.
 */
export function marketSettledAt(m: Pick<MarketRow, 'settlementTs' | 'status' | 'result' | 'closeTime'>): Date | null {
  if (m.settlementTs) return m.settlementTs;
  if (m.status && POST_SETTLE.has(m.status) && m.result && m.closeTime) return m.closeTime;
  return null;
}

/**
 * Parses a recorded event body (`{event, markets}` or `{event: {..., markets}}`) into rows without any
 * HTTP, for worlds built from recordings. Throws PayloadShapeError naming `source` on a bad shape.
 */
export function parseEventBody(body: unknown, source = 'kalshi-recording', opts: KalshiParseOptions = {}): EventWithMarkets {
  return parseOrThrow(kalshiResponseSchemas(opts).event, body, source);
}

/** Parses a recorded `GET /markets` body (or `{markets: [...]}` wrapper) into rows. */
export function parseMarketsBody(body: unknown, source = 'kalshi-recording', opts: KalshiParseOptions = {}): MarketRow[] {
  return parseOrThrow(kalshiResponseSchemas(opts).markets, body, source).items;
}

/** Parses recorded trade items (`GET /markets/trades` items, any era) into rows. */
export function parseTradeItems(items: unknown, source = 'kalshi-recording'): TradeRow[] {
  return parseOrThrow(TradesPageSchema, { trades: items, cursor: '' }, source).items;
}

/** Parses a recorded candlesticks body (live, legacy or historical shape) into rows. */
export function parseCandlesBody(body: unknown, marketTicker: string, periodMinutes: CandlePeriod, source = 'kalshi-recording'): CandleRow[] {
  const r = parseOrThrow(CandlesResponseSchema, body, source);
  return (r.candlesticks ?? []).map((c) => candleRowFromWire(c, marketTicker, periodMinutes));
}

function parseOrThrow<S extends z.ZodType>(schema: S, body: unknown, source: string): z.infer<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  throw new PayloadShapeError(
    'kalshi',
    source,
    result.error.issues.map((i) => ({
      path: i.path.map(String).join('.'),
      message: i.message,
      value: i.path.reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined), body),
    })),
  );
}
