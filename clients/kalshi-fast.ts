/**
 * Fast decoders for Kalshi's two bulk payloads, candlesticks and trade pages: the parsed JSON goes
 * straight into rows, with the same checks and the same values as the zod schemas of
 * kalshi-payloads.ts (CandlesResponseSchema + candleRowFromWire, TradesPageSchema).
 *
 * Why: a month of six cities is about 400k candles and 150k trades. Through zod each candle was
 * copied into four new objects (the candle, yes_bid, yes_ask, price) and each of its up to 34 money
 * fields went through a union and a transform; that copying was most of the workers' garbage
 * collection (bench/backfill.ts, --cpu-prof). These decoders read each field once and allocate only
 * the row.
 *
 * They never decide that a payload is bad: on anything they do not accept exactly as the schema
 * would (a wrong type, a missing field, a value out of range, an unexpected shape) they return
 * undefined, and the caller parses the body with the zod schema, which then produces the rows or the
 * PayloadShapeError naming the field and the value. tests/clients/kalshi-fast.test.ts holds both
 * paths to the same rows on every era's payloads and to the same errors on bad ones.
 */
import { countFromInt, parseCountFp, parsePriceDollars } from '../domain/money';
import type { CandleRow, TradeRow } from '../schemas/records';
import type { CandlePeriod } from './kalshi-payloads';

/** A value the fast path does not take (the zod schema then decides). */
const REJECT = undefined;

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

// Each helper returns the schema's value (null when the field is absent or null) or REJECT.
// parse* throw on text the schema would refuse; the throw is turned into REJECT, and zod reports it.

/** zPriceDollars.nullish(). */
function priceDollars(v: unknown): number | null | undefined {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'string') return REJECT;
  try {
    return parsePriceDollars(v);
  } catch {
    return REJECT; // refused text: the zod schema reports it with its path
  }
}

/** zCents.nullish(): integer cents -> micro-dollars (exact, safe). */
function cents(v: unknown): number | null | undefined {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) return REJECT;
  const micros = v * 10_000;
  if (!Number.isSafeInteger(micros)) return REJECT;
  return micros === 0 ? 0 : micros;
}

/** zPriceAny.nullish(): a dollar string (priced $0..$1) or integer cents. */
function priceAny(v: unknown): number | null | undefined {
  return typeof v === 'string' ? priceDollars(v) : cents(v);
}

/** zCountFp.nullish(). */
function countFp(v: unknown): number | null | undefined {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'string') return REJECT;
  try {
    return parseCountFp(v);
  } catch {
    return REJECT; // refused text: the zod schema reports it with its path
  }
}

/** zCountInt.nullish(). */
function countInt(v: unknown): number | null | undefined {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) return REJECT;
  try {
    return countFromInt(v);
  } catch {
    return REJECT; // too large to hold exactly: the zod schema reports it
  }
}

/** zCountAny.nullish(). */
const countAny = (v: unknown): number | null | undefined => (typeof v === 'string' ? countFp(v) : countInt(v));

/** Field names and their `_dollars` twins, built once (a template string per field was a new string each time). */
const withTwins = (keys: readonly string[]) => keys.map((k) => [k, `${k}_dollars`] as const);
const OHLC = withTwins(['open', 'low', 'high', 'close']);
const PRICE = withTwins(['open', 'low', 'high', 'close', 'mean', 'previous', 'min', 'max']);

/**
 * An OHLC / price object (withDollarTwins): every declared field checked as the schema would, then
 * each wanted value as `field()` takes it (`<k>_dollars` ?? `<k>` ?? null), written into `out` from
 * `at`. False when the object is not accepted.
 */
function twins(o: unknown, keys: ReadonlyArray<readonly [string, string]>, out: Array<number | null>, at: number): boolean {
  if (o === null || o === undefined) {
    for (let i = 0; i < keys.length; i++) out[at + i] = null;
    return true;
  }
  if (!isObject(o)) return false;
  for (let i = 0; i < keys.length; i++) {
    const [k, kDollars] = keys[i]!;
    const legacy = priceAny(o[k]);
    const dollars = priceDollars(o[kDollars]);
    if (legacy === REJECT || dollars === REJECT) return false;
    out[at + i] = dollars ?? legacy ?? null;
  }
  return true;
}

const scratch: Array<number | null> = new Array(16).fill(null);

/** One candlestick (CandleWireSchema + candleRowFromWire), or REJECT. */
function candle(w: unknown, marketTicker: string, periodMinutes: CandlePeriod): CandleRow | undefined {
  if (!isObject(w)) return REJECT;
  const end = w.end_period_ts;
  if (typeof end !== 'number' || !Number.isSafeInteger(end)) return REJECT;
  const v = scratch;
  // yes_bid: open low high close -> 0..3; yes_ask -> 4..7; price: 8 keys -> 8..15
  if (!twins(w.yes_bid, OHLC, v, 0) || !twins(w.yes_ask, OHLC, v, 4) || !twins(w.price, PRICE, v, 8)) return REJECT;
  const volume = countAny(w.volume);
  const volumeFp = countFp(w.volume_fp);
  const oi = countAny(w.open_interest);
  const oiFp = countFp(w.open_interest_fp);
  if (volume === REJECT || volumeFp === REJECT || oi === REJECT || oiFp === REJECT) return REJECT;
  return {
    marketTicker,
    periodMinutes,
    bucketStart: new Date((end - periodMinutes * 60) * 1000),
    yesBidOpen: v[0]!,
    yesBidHigh: v[2]!,
    yesBidLow: v[1]!,
    yesBidClose: v[3]!,
    yesAskOpen: v[4]!,
    yesAskHigh: v[6]!,
    yesAskLow: v[5]!,
    yesAskClose: v[7]!,
    priceOpen: v[8]!,
    priceHigh: v[10]!,
    priceLow: v[9]!,
    priceClose: v[11]!,
    priceMean: v[12]!,
    pricePrevious: v[13]!,
    volume: volumeFp ?? volume ?? 0,
    openInterest: oiFp ?? oi ?? null,
  };
}

/** A candlesticks body (CandlesResponseSchema) as rows, or undefined to let the schema decide. */
export function candleRowsFast(body: unknown, marketTicker: string, periodMinutes: CandlePeriod): CandleRow[] | undefined {
  if (!isObject(body)) return REJECT;
  if (body.ticker !== undefined && body.ticker !== null && typeof body.ticker !== 'string') return REJECT;
  const list = body.candlesticks;
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) return REJECT;
  const rows = new Array<CandleRow>(list.length);
  for (let i = 0; i < list.length; i++) {
    const row = candle(list[i], marketTicker, periodMinutes);
    if (row === REJECT) return REJECT;
    rows[i] = row;
  }
  return rows;
}

const TIME_PREFIX = /^\d{4}-\d{2}-\d{2}T/;
const side = (v: unknown): 'yes' | 'no' | null | undefined => (v === null || v === undefined ? null : v === 'yes' || v === 'no' ? v : REJECT);

/** One trade (TradeItemSchema + tradeRowFromWire), or REJECT. */
function trade(w: unknown): TradeRow | undefined {
  if (!isObject(w)) return REJECT;
  const { trade_id: id, ticker, created_time: created } = w;
  if (typeof id !== 'string' || id.length === 0 || typeof ticker !== 'string' || ticker.length === 0) return REJECT;
  if (typeof created !== 'string' || !TIME_PREFIX.test(created)) return REJECT;
  const createdTime = new Date(created);
  if (Number.isNaN(createdTime.getTime())) return REJECT;
  const yes = cents(w.yes_price);
  const yesDollars = priceDollars(w.yes_price_dollars);
  const no = cents(w.no_price);
  const noDollars = priceDollars(w.no_price_dollars);
  const count = countInt(w.count);
  const countFixed = countFp(w.count_fp);
  const takerSide = side(w.taker_side);
  const takerOutcome = side(w.taker_outcome_side);
  const block = w.is_block_trade;
  if (yes === REJECT || yesDollars === REJECT || no === REJECT || noDollars === REJECT || count === REJECT || countFixed === REJECT) return REJECT;
  if (takerSide === REJECT || takerOutcome === REJECT || (block !== undefined && block !== null && typeof block !== 'boolean')) return REJECT;
  // The schema's refinement: a YES price and a count in one of their forms.
  if ((yesDollars ?? yes) === null || (countFixed ?? count) === null) return REJECT;
  return {
    tradeId: id,
    marketTicker: ticker,
    createdTime,
    yesPriceMicros: (yesDollars ?? yes)!,
    noPriceMicros: noDollars ?? no ?? null,
    count: (countFixed ?? count)!,
    takerSide: takerOutcome ?? takerSide ?? null,
    isBlockTrade: (block as boolean | null | undefined) ?? null,
  };
}

/** A trades page (TradesPageSchema), or undefined to let the schema decide. */
export function tradesPageFast(body: unknown): { items: TradeRow[]; cursor: string } | undefined {
  if (!isObject(body)) return REJECT;
  const cursor = body.cursor;
  if (cursor !== undefined && cursor !== null && typeof cursor !== 'string') return REJECT;
  const list = body.trades;
  let items: TradeRow[] = [];
  if (list !== undefined && list !== null) {
    if (!Array.isArray(list)) return REJECT;
    items = new Array<TradeRow>(list.length);
    for (let i = 0; i < list.length; i++) {
      const row = trade(list[i]);
      if (row === REJECT) return REJECT;
      items[i] = row;
    }
  }
  return { items, cursor: (cursor as string | null | undefined) ?? '' };
}
