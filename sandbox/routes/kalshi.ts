/**
 * Kalshi REST v2 public market data, served from a World under SANDBOX_PATHS.kalshi
 * (`/kalshi/trade-api/v2`). The World's rows are rendered back into Kalshi's payloads so that
 * clients/kalshi.ts parses them into the same rows (the `raw` column aside: it holds the payload).
 *
 * Routes: GET /series/{t}, /series, /events, /events/{t}, /markets, /markets/{t},
 * /markets/{t}/orderbook, /markets/trades, /series/{s}/markets/{t}/candlesticks, /historical/cutoff,
 * /historical/markets, /historical/markets/{t}, /historical/markets/{t}/candlesticks, /historical/trades.
 *
 * Payload era: the current shape ('dollars': `*_dollars` / `*_fp` only) unless the server was started
 * with `era`, or the request asks for another one with the header `x-sandbox-era: dollars|dual|cents`
 * (or the query parameter `sandbox_era=`). 'dual' is the Aug 2025 – Mar 2026 shape (integer cents and
 * counts beside their string twins), 'cents' the ≤ Aug 2025 shape. In the cents/dual eras a sub-cent
 * price or a fractional count is rounded to the integer field (as Kalshi's own integer twins were).
 * Historical-tier candles always use the historical shape (un-suffixed dollar strings).
 *
 * World clock (world.now()): a market (without open/close times in the world: see withDefaultTimes) is listed from its `created_time` (raw) or one hour before
 * open_time; it is 'initialized' before open_time, 'active' until close_time, 'closed' until it
 * settles (settlement_ts), then its own post-close status ('finalized' when it has a result). Until it
 * settles its result, settlement value, expiration value and settlement_ts are hidden. Trades and
 * candles after now are not served; the order book is empty once a market closes.
 *
 * Historical tier: cutoff = `historicalCutoff` (default: now − 90 days, at 00:00 UTC; null = no
 * historical tier). A market that settled (marketSettledAt) before it is served only under
 * /historical/markets (its events stay in /events, without those nested markets); trades created
 * before it only under /historical/trades.
 *
 * Errors use Kalshi's body `{"error": {"code", "message", "details"}}`: 404 `not_found` for an
 * unknown ticker, 400 `invalid_parameters` naming the parameter.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  CURRENT_MARKET_KEYS,
  LEGACY_MARKET_KEYS,
  marketSettledAt,
  settlementSourceOf,
  type PayloadEra,
} from '../../clients/kalshi-payloads';
import { CITY_IDS, findCityForSeries, getCity, type CityId } from '../../domain/cities';
import { formatCountFp, microsToDollarString } from '../../domain/money';
import type { CandleRow, EventRow, MarketRow, OrderbookSnapshot, SeriesRow, TradeRow } from '../../schemas/records';
import { SANDBOX_PATHS } from '../../temporal.config';
import type { World } from '../world';

export const SANDBOX_ERA_HEADER = 'x-sandbox-era';
export const SANDBOX_ERA_QUERY = 'sandbox_era';
export const DEFAULT_HISTORICAL_WINDOW_DAYS = 90;

export interface KalshiRouteOptions {
  /** Payload era served by default (default 'dollars', the current shape). */
  era?: PayloadEra;
  /** Live/historical boundary; default 'auto' = now − 90 days at 00:00 UTC; null = everything live. */
  historicalCutoff?: Date | null | 'auto';
  /** Candlestick periods allowed per request (Kalshi: 5,000). */
  maxCandlesPerRequest?: number;
}

type Era = PayloadEra;
type RenderEra = Era | 'historical';
type Json = Record<string, unknown>;

// ── rendering ────────────────────────────────────────────────────────────────────────────────────

const isRecord = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const iso = (d: Date) => d.toISOString().replace('.000Z', 'Z');
/** Dollar string with 4 decimals, or 6 when the value is finer than $0.0001. */
const dollarText = (micros: number) => microsToDollarString(micros, micros % 100 === 0 ? 4 : 6);
/** Per-contract prices ($0..$1) repeat across every candle a backfill renders: their text is kept. */
const priceTexts = new Map<number, string>();
export const fmtDollars = (micros: number): string => {
  if (!(micros >= 0 && micros <= 1_000_000)) return dollarText(micros);
  let text = priceTexts.get(micros);
  if (text === undefined) priceTexts.set(micros, (text = dollarText(micros)));
  return text;
};
const toCents = (micros: number) => Math.round(micros / 10_000);
const toContracts = (centi: number) => Math.round(centi / 100);

function omit(obj: Json, keys: Iterable<string>): Json {
  const out = { ...obj };
  for (const k of keys) delete out[k];
  return out;
}

/** Sets `name` (cents) and/or `name_dollars` per era; nothing when the value is null. */
function putPrice(out: Json, name: string, micros: number | null | undefined, era: Era): void {
  if (micros == null) return;
  if (era !== 'cents') out[`${name}_dollars`] = fmtDollars(micros);
  if (era !== 'dollars') out[name] = toCents(micros);
}

function putCount(out: Json, name: string, centi: number | null | undefined, era: Era): void {
  if (centi == null) return;
  if (era !== 'cents') out[`${name}_fp`] = formatCountFp(centi);
  if (era !== 'dollars') out[name] = toContracts(centi);
}

const MARKET_ROW_KEYS = [
  'ticker',
  'event_ticker',
  'yes_sub_title',
  'open_time',
  'close_time',
  'expiration_time',
  'latest_expiration_time',
  'status',
  'result',
  'expiration_value',
  'settlement_ts',
  'strike_type',
  'floor_strike',
  'cap_strike',
  'rules_primary',
];

const CITY_IDS_SET: ReadonlySet<string> = new Set(CITY_IDS);
const isCityId = (id: string): id is CityId => CITY_IDS_SET.has(id);

function cliUrl(cityId: string): string | undefined {
  if (!isCityId(cityId)) return undefined;
  const { cli } = getCity(cityId).station;
  return `https://forecast.weather.gov/product.php?site=${cli.site}&product=CLI&issuedby=${cli.issuedBy}`;
}

function rulesFor(m: MarketRow): string {
  const cond =
    m.strikeType === 'between'
      ? `between ${m.floorStrike}-${m.capStrike}°`
      : m.strikeType === 'greater' || m.strikeType === 'greater_or_equal'
        ? `${m.strikeType === 'greater' ? 'greater than' : 'at least'} ${m.floorStrike}°`
        : `${m.strikeType === 'less_or_equal' ? 'at most' : 'less than'} ${m.capStrike}°`;
  const src =
    m.settlementSource === 'twc'
      ? 'according to The Weather Company'
      : m.settlementSource === 'nws-cli'
        ? "according to the National Weather Service's Climatological Report (Daily)"
        : 'as reported by the settlement source';
  const city = isCityId(m.cityId) ? getCity(m.cityId).displayName : m.seriesTicker;
  return `If the highest temperature recorded in ${city} for ${m.eventDate} is ${cond} ${src}, then the market resolves to Yes.`;
}

/** A market row as Kalshi sends it in `era`. */
export function renderMarket(m: MarketRow, era: Era): Json {
  const raw = isRecord(m.raw) ? m.raw : {};
  const out: Json = omit(raw, [...LEGACY_MARKET_KEYS, ...CURRENT_MARKET_KEYS, ...MARKET_ROW_KEYS, 'fractional_trading_enabled']);
  out.ticker = m.ticker;
  out.event_ticker = m.eventTicker;
  out.market_type = raw.market_type === 'scalar' || m.result === 'scalar' ? 'scalar' : 'binary';
  if (m.yesSubTitle != null) {
    out.yes_sub_title = m.yesSubTitle;
    out.no_sub_title ??= m.yesSubTitle;
  }
  if (m.openTime) out.open_time = iso(m.openTime);
  if (m.closeTime) out.close_time = iso(m.closeTime);
  if (m.expirationTime) out.expiration_time = iso(m.expirationTime);
  if (m.latestExpirationTime) out.latest_expiration_time = iso(m.latestExpirationTime);
  out.status = m.status;
  putPrice(out, 'yes_bid', m.yesBidMicros, era);
  putPrice(out, 'yes_ask', m.yesAskMicros, era);
  putPrice(out, 'no_bid', m.yesAskMicros == null ? null : 1_000_000 - m.yesAskMicros, era);
  putPrice(out, 'no_ask', m.yesBidMicros == null ? null : 1_000_000 - m.yesBidMicros, era);
  putPrice(out, 'last_price', m.lastPriceMicros, era);
  putPrice(out, 'notional_value', 1_000_000, era);
  putPrice(out, 'liquidity', 0, era);
  putCount(out, 'volume', m.volume, era);
  putCount(out, 'open_interest', m.openInterest, era);
  out.result = m.result ?? '';
  putPrice(out, 'settlement_value', m.settlementValueMicros, era);
  if (m.settlementTs) out.settlement_ts = iso(m.settlementTs);
  if (m.expirationValue != null) out.expiration_value = m.expirationValue;
  if (m.strikeType != null) out.strike_type = m.strikeType;
  if (m.floorStrike != null) out.floor_strike = m.floorStrike;
  if (m.capStrike != null) out.cap_strike = m.capStrike;
  const rawRules = typeof raw.rules_primary === 'string' ? raw.rules_primary : undefined;
  out.rules_primary = rawRules !== undefined && settlementSourceOf(rawRules) === (m.settlementSource ?? null) ? rawRules : rulesFor(m);
  if (era === 'cents') {
    out.response_price_units = 'usd_cent';
    out.tick_size = typeof raw.tick_size === 'number' ? raw.tick_size : 1;
    delete out.price_level_structure;
    delete out.price_ranges;
  } else {
    out.price_level_structure ??= 'linear_cent';
    out.price_ranges ??= [{ start: '0.0000', end: '1.0000', step: '0.0100' }];
  }
  return out;
}

function settlementSourcesFor(markets: MarketRow[], cityId: string): Array<{ name: string; url?: string }> {
  const src = markets.map((m) => m.settlementSource).find((s) => s != null);
  if (src === 'twc') return [{ name: 'The Weather Company', url: 'https://weather.com/kalshi' }];
  if (src === 'nws-cli') {
    const url = cliUrl(cityId);
    return [{ name: 'National Weather Service', ...(url && { url }) }];
  }
  return [];
}

/** An event row (with its markets when nested) as Kalshi sends it. */
export function renderEvent(ev: EventRow, allMarkets: MarketRow[], nested: MarketRow[] | undefined, era: Era): Json {
  const raw = isRecord(ev.raw) ? ev.raw : {};
  const out: Json = omit(raw, ['markets', 'event_ticker', 'series_ticker', 'title', 'sub_title', 'mutually_exclusive', 'strike_date']);
  out.event_ticker = ev.eventTicker;
  out.series_ticker = ev.seriesTicker;
  if (ev.title != null) out.title = ev.title;
  if (ev.subTitle != null) out.sub_title = ev.subTitle;
  if (ev.mutuallyExclusive != null) out.mutually_exclusive = ev.mutuallyExclusive;
  out.strike_date = ev.strikeDate ? iso(ev.strikeDate) : null;
  if (!Array.isArray(raw.settlement_sources)) out.settlement_sources = settlementSourcesFor(allMarkets, ev.cityId);
  if (nested) out.markets = nested.map((m) => renderMarket(m, era));
  return out;
}

export function renderSeries(s: SeriesRow): Json {
  const raw = isRecord(s.raw) ? s.raw : {};
  const out: Json = { ...raw, ticker: s.ticker };
  const set = (k: string, v: unknown) => {
    if (v != null) out[k] = v;
    else delete out[k];
  };
  set('title', s.title);
  set('category', s.category);
  set('frequency', s.frequency);
  set('fee_type', s.feeType);
  set('fee_multiplier', s.feeMultiplier);
  set('settlement_sources', s.settlementSources);
  return out;
}

export function renderTrade(t: TradeRow, era: Era): Json {
  const out: Json = { trade_id: t.tradeId, ticker: t.marketTicker };
  putCount(out, 'count', t.count, era);
  putPrice(out, 'yes_price', t.yesPriceMicros, era);
  putPrice(out, 'no_price', t.noPriceMicros, era);
  if (t.takerSide != null) {
    if (era !== 'cents') {
      out.taker_outcome_side = t.takerSide;
      out.taker_book_side = t.takerSide === 'yes' ? 'bid' : 'ask';
    }
    out.taker_side = t.takerSide;
  }
  out.created_time = iso(t.createdTime);
  if (t.isBlockTrade != null) out.is_block_trade = t.isBlockTrade;
  return out;
}

const DOLLAR_KEY: Record<string, string> = Object.fromEntries(['open', 'low', 'high', 'close', 'mean', 'previous'].map((k) => [k, `${k}_dollars`]));

function ohlc(keys: readonly string[], values: Array<number | null | undefined>, era: RenderEra): Json {
  const out: Json = {};
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const v = values[i] ?? null;
    if (era === 'historical') out[k] = v == null ? null : fmtDollars(v);
    else {
      if (era !== 'dollars') out[k] = v == null ? null : toCents(v);
      if (era !== 'cents') out[DOLLAR_KEY[k] ?? `${k}_dollars`] = v == null ? null : fmtDollars(v);
    }
  }
  return out;
}

/** A candle row as a live candlestick in `era`, or in the historical tier's shape. */
export function renderCandle(c: CandleRow, era: RenderEra): Json {
  const out: Json = { end_period_ts: Math.round(c.bucketStart.getTime() / 1000) + c.periodMinutes * 60 };
  const k4 = ['open', 'low', 'high', 'close'];
  out.yes_bid = ohlc(k4, [c.yesBidOpen, c.yesBidLow, c.yesBidHigh, c.yesBidClose], era);
  out.yes_ask = ohlc(k4, [c.yesAskOpen, c.yesAskLow, c.yesAskHigh, c.yesAskClose], era);
  out.price = ohlc([...k4, 'mean', 'previous'], [c.priceOpen, c.priceLow, c.priceHigh, c.priceClose, c.priceMean, c.pricePrevious], era);
  const vol = c.volume ?? 0;
  if (era === 'historical') {
    out.volume = formatCountFp(vol);
    if (c.openInterest != null) out.open_interest = formatCountFp(c.openInterest);
  } else {
    putCount(out, 'volume', vol, era);
    putCount(out, 'open_interest', c.openInterest, era);
  }
  return out;
}

export function renderOrderbook(book: Pick<OrderbookSnapshot, 'yes' | 'no'>, era: Era, depth?: number): Json {
  const top = (levels: OrderbookSnapshot['yes']) => {
    const sorted = [...levels].sort((a, b) => a[0] - b[0]);
    return depth && depth > 0 ? sorted.slice(Math.max(0, sorted.length - depth)) : sorted;
  };
  const yes = top(book.yes);
  const no = top(book.no);
  const fp = { yes_dollars: yes.map(([p, c]) => [fmtDollars(p), formatCountFp(c)]), no_dollars: no.map(([p, c]) => [fmtDollars(p), formatCountFp(c)]) };
  if (era === 'dollars') return { orderbook_fp: fp };
  const orNull = <T>(xs: T[]) => (xs.length ? xs : null);
  const legacy: Json = {
    yes: orNull(yes.map(([p, c]) => [toCents(p), toContracts(c)])),
    no: orNull(no.map(([p, c]) => [toCents(p), toContracts(c)])),
  };
  if (era === 'cents') return { orderbook: legacy };
  legacy.yes_dollars = orNull(yes.map(([p, c]) => [fmtDollars(p), toContracts(c)]));
  legacy.no_dollars = orNull(no.map(([p, c]) => [fmtDollars(p), toContracts(c)]));
  return { orderbook: legacy, orderbook_fp: fp };
}

// ── world clock ──────────────────────────────────────────────────────────────────────────────────

const POST_CLOSE = new Set(['closed', 'determined', 'disputed', 'amended', 'finalized', 'settled']);

/**
 * Rows that lack trading times (e.g. a recorded world's CSV-derived markets) get Kalshi's observed
 * pattern: open at 14:00Z the day before the climate date, close at the end of the climate day
 * (local standard time). The API always sends both, so the client requires them.
 */
export function withDefaultTimes(m: MarketRow): MarketRow {
  if (m.openTime && m.closeTime) return m;
  const day = Date.parse(`${m.eventDate}T00:00:00Z`);
  const offsetMin = isCityId(m.cityId) ? getCity(m.cityId).standardOffsetMinutes : -300;
  return {
    ...m,
    openTime: m.openTime ?? new Date(day - 10 * 3_600_000),
    closeTime: m.closeTime ?? new Date(day + 86_400_000 - offsetMin * 60_000),
  };
}

/** When a market appears in listings: raw created_time when real, else one hour before open_time. */
export function marketListedAt(m: MarketRow): Date {
  const raw = isRecord(m.raw) ? m.raw : {};
  if (typeof raw.created_time === 'string') {
    const d = new Date(raw.created_time);
    if (!Number.isNaN(d.getTime()) && d.getUTCFullYear() > 2000) return d;
  }
  return m.openTime ? new Date(m.openTime.getTime() - 3_600_000) : new Date(0);
}

/** The market as the API shows it at `now` (status from the clock; outcome hidden until settled). */
export function marketAt(m: MarketRow, now: Date): MarketRow {
  const t = now.getTime();
  const hide = (status: string): MarketRow => ({ ...m, status, result: '', settlementValueMicros: null, expirationValue: null, settlementTs: null });
  if (m.openTime && t < m.openTime.getTime()) return hide('initialized');
  if (m.closeTime && t < m.closeTime.getTime()) return hide(m.status === 'inactive' ? 'inactive' : 'active');
  if (m.settlementTs && t < m.settlementTs.getTime()) return hide('closed');
  if (m.status && POST_CLOSE.has(m.status)) return m;
  return m.result ? { ...m, status: 'finalized' } : hide('closed');
}

const STATUS_FILTER: Record<string, ReadonlySet<string>> = {
  unopened: new Set(['initialized', 'unopened']),
  open: new Set(['active', 'open']),
  paused: new Set(['inactive', 'paused']),
  closed: new Set(['closed', 'determined', 'disputed', 'amended']),
  settled: new Set(['finalized', 'settled']),
};

// ── request plumbing ─────────────────────────────────────────────────────────────────────────────

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: string,
  ) {
    super(message);
  }
}
const badParam = (name: string, why: string) => new ApiError(400, 'invalid_parameters', `invalid parameter ${name}`, `${name}: ${why}`);
const notFound = (what: string) => new ApiError(404, 'not_found', 'not found', what);

type Q = Record<string, string | string[] | undefined>;
const qs = (req: FastifyRequest, name: string): string | undefined => {
  const v = (req.query as Q)[name];
  return Array.isArray(v) ? v[0] : v === '' ? undefined : v;
};

function intParam(req: FastifyRequest, name: string, opts: { min?: number; max?: number; required?: boolean } = {}): number | undefined {
  const s = qs(req, name);
  if (s === undefined) {
    if (opts.required) throw badParam(name, 'is required');
    return undefined;
  }
  if (!/^-?\d+$/.test(s)) throw badParam(name, `${JSON.stringify(s)} is not an integer`);
  const n = Number(s);
  if ((opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max)) {
    throw badParam(name, `${n} is out of range ${opts.min ?? '-inf'}..${opts.max ?? 'inf'}`);
  }
  return n;
}

function boolParam(req: FastifyRequest, name: string): boolean | undefined {
  const s = qs(req, name);
  if (s === undefined) return undefined;
  if (s !== 'true' && s !== 'false') throw badParam(name, `${JSON.stringify(s)} is not true or false`);
  return s === 'true';
}

function enumParam<T extends string>(req: FastifyRequest, name: string, allowed: readonly T[]): T | undefined {
  const s = qs(req, name);
  if (s === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(s)) throw badParam(name, `${JSON.stringify(s)} is not one of ${allowed.join(', ')}`);
  return s as T;
}

const encodeCursor = (offset: number) => Buffer.from(`sbx:${offset}`).toString('base64url');
function page<T>(req: FastifyRequest, items: T[], defaultLimit: number, maxLimit: number): { items: T[]; cursor: string } {
  const limit = intParam(req, 'limit', { min: 1, max: maxLimit }) ?? defaultLimit;
  const c = qs(req, 'cursor');
  let offset = 0;
  if (c !== undefined) {
    const m = /^sbx:(\d+)$/.exec(Buffer.from(c, 'base64url').toString());
    if (!m) throw badParam('cursor', 'not a cursor this server issued');
    offset = Number(m[1]);
  }
  const slice = items.slice(offset, offset + limit);
  return { items: slice, cursor: offset + limit < items.length ? encodeCursor(offset + limit) : '' };
}

function eraOf(req: FastifyRequest, fallback: Era): Era {
  const h = req.headers[SANDBOX_ERA_HEADER];
  const v = (Array.isArray(h) ? h[0] : h) ?? qs(req, SANDBOX_ERA_QUERY);
  if (v === undefined) return fallback;
  if (v !== 'dollars' && v !== 'dual' && v !== 'cents') {
    throw badParam(SANDBOX_ERA_HEADER, `${JSON.stringify(v)} is not one of dollars, dual, cents`);
  }
  return v;
}

// ── routes ───────────────────────────────────────────────────────────────────────────────────────

interface Indexed {
  events: Array<{ event: EventRow; markets: MarketRow[] }>;
  eventByTicker: Map<string, { event: EventRow; markets: MarketRow[] }>;
  marketByTicker: Map<string, MarketRow>;
}

export function registerKalshiRoutes(app: FastifyInstance, world: World, opts: KalshiRouteOptions = {}): Promise<void> {
  const defaultEra = opts.era ?? 'dollars';
  const maxCandles = opts.maxCandlesPerRequest ?? 5000;
  // Worlds are pure for a given clock; a world whose clock moves (live trading) is re-read when it does.
  let index: (Indexed & { at: number }) | undefined;
  const idx = (): Indexed => {
    const at = world.now().toMillis();
    if (!index || index.at !== at) {
      const events = world.events().map((e) => ({ event: e.event, markets: e.markets.map(withDefaultTimes) }));
      index = {
        at,
        events,
        eventByTicker: new Map(events.map((e) => [e.event.eventTicker, e])),
        marketByTicker: new Map(events.flatMap((e) => e.markets.map((m) => [m.ticker, m] as const))),
      };
    }
    return index;
  };
  const now = () => world.now().toJSDate();
  const cutoffAt = (t: Date): Date | null => {
    if (opts.historicalCutoff === null) return null;
    if (opts.historicalCutoff instanceof Date) return opts.historicalCutoff;
    const d = new Date(t.getTime() - DEFAULT_HISTORICAL_WINDOW_DAYS * 86_400_000);
    return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  };
  const isHistorical = (m: MarketRow, t: Date): boolean => {
    const cut = cutoffAt(t);
    const settled = marketSettledAt(m);
    return cut !== null && settled !== null && settled.getTime() <= t.getTime() && settled.getTime() < cut.getTime();
  };
  const visible = (m: MarketRow, t: Date) => marketListedAt(m).getTime() <= t.getTime();
  const seriesMatches = (rowSeries: string, wanted: string) => {
    if (rowSeries === wanted) return true;
    const a = findCityForSeries(rowSeries);
    return a !== undefined && a.id === findCityForSeries(wanted)?.id;
  };
  const allSeries = (): SeriesRow[] => {
    const rows = [...world.series()];
    for (const id of world.cities) {
      const city = getCity(id);
      if (rows.some((s) => s.ticker === city.seriesTicker)) continue;
      rows.push({
        ticker: city.seriesTicker,
        cityId: city.id,
        title: `Highest temperature in ${city.displayName}`,
        category: 'Climate and Weather',
        frequency: 'daily',
        feeType: 'quadratic',
        feeMultiplier: 1,
        settlementSources: [{ name: 'National Weather Service', url: cliUrl(city.id) }],
        raw: null,
      });
    }
    return rows;
  };
  const requireMarket = (ticker: string, t: Date): MarketRow => {
    const m = idx().marketByTicker.get(ticker);
    if (!m || !visible(m, t)) throw notFound(`market ${ticker}`);
    return m;
  };

  const wrap =
    (fn: (req: FastifyRequest) => unknown) =>
    async (req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
      try {
        return await fn(req);
      } catch (e) {
        if (e instanceof ApiError) {
          return reply.code(e.status).send({ error: { code: e.code, message: e.message, ...(e.details && { details: e.details }) } });
        }
        throw e;
      }
    };

  /** Markets of the tier among `candidates`, visible now, as the API shows them now. */
  const marketsOf = (tier: 'live' | 'historical', t: Date, candidates: MarketRow[], filter: (m: MarketRow) => boolean): MarketRow[] =>
    candidates.filter((m) => visible(m, t) && isHistorical(m, t) === (tier === 'historical') && filter(m)).map((m) => marketAt(m, t));

  const listMarkets = (tier: 'live' | 'historical') => (req: FastifyRequest) => {
    const t = now();
    const era = eraOf(req, defaultEra);
    const status = enumParam(req, 'status', ['unopened', 'open', 'paused', 'closed', 'settled'] as const);
    const eventTicker = qs(req, 'event_ticker');
    const series = qs(req, 'series_ticker');
    const tickers = qs(req, 'tickers')?.split(',').filter(Boolean);
    const minClose = intParam(req, 'min_close_ts');
    const maxClose = intParam(req, 'max_close_ts');
    // Narrow by the indexed filters first: a multi-year world holds tens of thousands of markets.
    const { events, eventByTicker, marketByTicker } = idx();
    const candidates = tickers
      ? tickers.map((x) => marketByTicker.get(x)).filter((m): m is MarketRow => m !== undefined)
      : eventTicker
        ? (eventByTicker.get(eventTicker)?.markets ?? [])
        : events.filter((e) => !series || seriesMatches(e.event.seriesTicker, series)).flatMap((e) => e.markets);
    const rows = marketsOf(tier, t, candidates, (m) => {
      if (eventTicker && m.eventTicker !== eventTicker) return false;
      if (series && !seriesMatches(m.seriesTicker, series)) return false;
      if (tickers && !tickers.includes(m.ticker)) return false;
      if (minClose !== undefined && (!m.closeTime || m.closeTime.getTime() < minClose * 1000)) return false;
      if (maxClose !== undefined && (!m.closeTime || m.closeTime.getTime() > maxClose * 1000)) return false;
      return true;
    }).filter((m) => !status || STATUS_FILTER[status]!.has(m.status ?? ''));
    const p = page(req, rows, 100, 1000);
    return { markets: p.items.map((m) => renderMarket(m, era)), cursor: p.cursor };
  };

  const getMarket = (tier: 'live' | 'historical') => (req: FastifyRequest) => {
    const t = now();
    const { ticker } = req.params as { ticker: string };
    const m = requireMarket(ticker, t);
    if (isHistorical(m, t) !== (tier === 'historical')) throw notFound(`market ${ticker}`);
    return { market: renderMarket(marketAt(m, t), eraOf(req, defaultEra)) };
  };

  const listTrades = (tier: 'live' | 'historical') => (req: FastifyRequest) => {
    const t = now();
    const era = eraOf(req, defaultEra);
    const ticker = qs(req, 'ticker');
    if (!ticker) throw badParam('ticker', 'is required (the sandbox serves trades per market)');
    requireMarket(ticker, t);
    const minTs = intParam(req, 'min_ts');
    const maxTs = intParam(req, 'max_ts');
    const cut = cutoffAt(t);
    let from = minTs !== undefined ? minTs * 1000 : 0;
    let to = Math.min(maxTs !== undefined ? maxTs * 1000 : Number.MAX_SAFE_INTEGER, t.getTime() + 1);
    if (cut) {
      if (tier === 'live') from = Math.max(from, cut.getTime());
      else to = Math.min(to, cut.getTime());
    } else if (tier === 'historical') to = from;
    const rows = to > from ? world.trades(ticker, { from: new Date(from), to: new Date(to) }) : [];
    // Kalshi lists trades newest first.
    const ordered = [...rows].sort((a, b) => b.createdTime.getTime() - a.createdTime.getTime() || b.tradeId.localeCompare(a.tradeId));
    const p = page(req, ordered, 100, 1000);
    return { trades: p.items.map((x) => renderTrade(x, era)), cursor: p.cursor };
  };

  const candles = (tier: 'live' | 'historical') => (req: FastifyRequest) => {
    const t = now();
    const params = req.params as { ticker: string; series?: string };
    const m = requireMarket(params.ticker, t);
    if (params.series !== undefined && !seriesMatches(m.seriesTicker, params.series)) {
      throw notFound(`market ${params.ticker} in series ${params.series}`);
    }
    if (isHistorical(m, t) !== (tier === 'historical')) throw notFound(`market ${params.ticker}`);
    const start = intParam(req, 'start_ts', { required: true, min: 0 })!;
    const end = intParam(req, 'end_ts', { required: true, min: 0 })!;
    const p = Number(qs(req, 'period_interval'));
    if (qs(req, 'period_interval') === undefined) throw badParam('period_interval', 'is required');
    if (p !== 1 && p !== 60 && p !== 1440) throw badParam('period_interval', `${JSON.stringify(qs(req, 'period_interval'))} is not 1, 60 or 1440`);
    if (end < start) throw badParam('end_ts', 'is before start_ts');
    const periodSec = p * 60;
    if ((end - start) / periodSec > maxCandles) {
      throw badParam('end_ts', `the range spans more than ${maxCandles} candlesticks of ${p} minutes`);
    }
    const limit = Math.min(end, Math.floor(t.getTime() / 1000));
    const rows = world
      .candles(params.ticker, p, { from: new Date((start - periodSec) * 1000), to: new Date((end - periodSec) * 1000 + 1) })
      .filter((c) => {
        const endTs = Math.round(c.bucketStart.getTime() / 1000) + periodSec;
        return endTs >= start && endTs <= limit;
      });
    const era: RenderEra = tier === 'historical' ? 'historical' : eraOf(req, defaultEra);
    return { ticker: params.ticker, candlesticks: rows.map((c) => renderCandle(c, era)) };
  };

  return app.register(
    async (scope) => {
      scope.setNotFoundHandler((req, reply) => {
        void reply.code(404).send({ error: { code: 'not_found', message: 'not found', details: `no route ${req.method} ${req.url.split('?')[0]}` } });
      });

      scope.get(
        '/series',
        wrap((req) => {
          const category = qs(req, 'category');
          return { series: allSeries().filter((s) => !category || s.category === category).map(renderSeries) };
        }),
      );
      scope.get(
        '/series/:ticker',
        wrap((req) => {
          const { ticker } = req.params as { ticker: string };
          const s = allSeries().find((x) => x.ticker === ticker);
          if (!s) throw notFound(`series ${ticker}`);
          return { series: renderSeries(s) };
        }),
      );

      scope.get(
        '/events',
        wrap((req) => {
          const t = now();
          const era = eraOf(req, defaultEra);
          const series = qs(req, 'series_ticker');
          const status = enumParam(req, 'status', ['unopened', 'open', 'closed', 'settled'] as const);
          const nested = boolParam(req, 'with_nested_markets') ?? false;
          const minClose = intParam(req, 'min_close_ts');
          const tickers = qs(req, 'tickers')?.split(',').filter(Boolean);
          const rows = idx()
            .events.filter((e) => !series || seriesMatches(e.event.seriesTicker, series))
            .filter((e) => !tickers || tickers.includes(e.event.eventTicker))
            .map((e) => ({ event: e.event, markets: e.markets.filter((m) => visible(m, t)) }))
            .filter((e) => e.markets.length > 0)
            .filter((e) => minClose === undefined || e.markets.some((m) => m.closeTime && m.closeTime.getTime() >= minClose * 1000))
            .filter((e) => !status || e.markets.some((m) => STATUS_FILTER[status]!.has(marketAt(m, t).status ?? '')));
          const p = page(req, rows, 200, 200);
          return {
            events: p.items.map((e) =>
              renderEvent(
                e.event,
                e.markets,
                nested ? e.markets.filter((m) => !isHistorical(m, t)).map((m) => marketAt(m, t)) : undefined,
                era,
              ),
            ),
            cursor: p.cursor,
          };
        }),
      );
      scope.get(
        '/events/:event_ticker',
        wrap((req) => {
          const t = now();
          const era = eraOf(req, defaultEra);
          const { event_ticker: ticker } = req.params as { event_ticker: string };
          const e = idx().eventByTicker.get(ticker);
          const shown = e?.markets.filter((m) => visible(m, t)) ?? [];
          if (!e || shown.length === 0) throw notFound(`event ${ticker}`);
          const nested = boolParam(req, 'with_nested_markets') ?? false;
          const live = shown.filter((m) => !isHistorical(m, t)).map((m) => marketAt(m, t));
          const event = renderEvent(e.event, shown, nested && era !== 'cents' ? live : undefined, era);
          return { event, markets: live.map((m) => renderMarket(m, era)) };
        }),
      );

      scope.get('/markets', wrap(listMarkets('live')));
      scope.get('/markets/trades', wrap(listTrades('live')));
      scope.get('/markets/:ticker', wrap(getMarket('live')));
      scope.get(
        '/markets/:ticker/orderbook',
        wrap((req) => {
          const t = now();
          const { ticker } = req.params as { ticker: string };
          const m = requireMarket(ticker, t);
          if (isHistorical(m, t)) throw notFound(`market ${ticker}`);
          const depth = intParam(req, 'depth', { max: 100 });
          // Only an active market has resting orders. An open market whose book the world does not hold
          // (a recorded world's files have none) is a 404: an empty book would claim nobody was quoting.
          if (marketAt(m, t).status !== 'active') return renderOrderbook({ yes: [], no: [] }, eraOf(req, defaultEra), depth);
          const book = world.orderbook(ticker, t);
          if (!book) throw notFound(`order book of market ${ticker} (the world holds none)`);
          return renderOrderbook(book, eraOf(req, defaultEra), depth);
        }),
      );
      scope.get('/series/:series/markets/:ticker/candlesticks', wrap(candles('live')));

      scope.get(
        '/historical/cutoff',
        wrap(() => {
          const cut = cutoffAt(now()) ?? new Date(0);
          const s = iso(cut);
          return { market_settled_ts: s, trades_created_ts: s, orders_updated_ts: s, market_positions_last_updated_ts: s };
        }),
      );
      scope.get('/historical/markets', wrap(listMarkets('historical')));
      scope.get('/historical/markets/:ticker', wrap(getMarket('historical')));
      scope.get('/historical/markets/:ticker/candlesticks', wrap(candles('historical')));
      scope.get('/historical/trades', wrap(listTrades('historical')));
    },
    { prefix: SANDBOX_PATHS.kalshi },
  ) as unknown as Promise<void>;
}

/** A RouteModule with options bound, for startSandbox({ routes: [kalshiRoutes({ era: 'cents' })] }). */
export function kalshiRoutes(opts: KalshiRouteOptions = {}) {
  return (app: FastifyInstance, world: World) => registerKalshiRoutes(app, world, opts);
}
