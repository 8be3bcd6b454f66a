/**
 * Schema `kalshi`: series, events, markets, candles and public trades.
 *
 * Prices are integer MICRO-dollars (1 cent = 10_000, $1 = 1_000_000) so that every payload era
 * (integer cents, '0.4200' dollar strings, sub-penny) fits exactly. Counts are integer
 * CENTI-contracts (1 contract = 100; '10.00' count_fp = 1000); volume and open interest are
 * bigint. Timestamps are UTC instants.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  date,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  smallint,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';

export const kalshi = pgSchema('kalshi');

const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const updatedAt = () => tstz('updated_at').notNull().defaultNow();
const centi = (name: string) => bigint(name, { mode: 'number' });

export const series = kalshi.table('series', {
  ticker: text('ticker').primaryKey(),
  /** Null for series outside the six cities. */
  cityId: text('city_id'),
  title: text('title'),
  category: text('category'),
  frequency: text('frequency'),
  /** 'quadratic' | 'quadratic_with_maker_fees' | 'quadratic_with_combo_maker_fees' | 'flat'. */
  feeType: text('fee_type'),
  feeMultiplier: doublePrecision('fee_multiplier'),
  /** [{name, url}] as sent by Kalshi. */
  settlementSources: jsonb('settlement_sources').$type<Array<{ name?: string; url?: string }>>(),
  raw: jsonb('raw'),
  updatedAt: updatedAt(),
});

export const event = kalshi.table(
  'event',
  {
    eventTicker: text('event_ticker').primaryKey(),
    seriesTicker: text('series_ticker').notNull(),
    cityId: text('city_id').notNull(),
    /** Local climate date measured, e.g. KXHIGHCHI-25JUL04 -> '2025-07-04'. */
    eventDate: date('event_date', { mode: 'string' }).notNull(),
    title: text('title'),
    subTitle: text('sub_title'),
    mutuallyExclusive: boolean('mutually_exclusive'),
    strikeDate: tstz('strike_date'),
    raw: jsonb('raw'),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('event_series_idx').on(t.seriesTicker),
    index('event_city_date_idx').on(t.cityId, t.eventDate),
  ],
);

export const market = kalshi.table(
  'market',
  {
    ticker: text('ticker').primaryKey(),
    eventTicker: text('event_ticker').notNull(),
    seriesTicker: text('series_ticker').notNull(),
    cityId: text('city_id').notNull(),
    eventDate: date('event_date', { mode: 'string' }).notNull(),
    /** 'less' | 'between' | 'greater' (| 'less_or_equal' | 'greater_or_equal' ...). */
    strikeType: text('strike_type'),
    floorStrike: doublePrecision('floor_strike'),
    capStrike: doublePrecision('cap_strike'),
    yesSubTitle: text('yes_sub_title'),
    openTime: tstz('open_time'),
    closeTime: tstz('close_time'),
    expirationTime: tstz('expiration_time'),
    latestExpirationTime: tstz('latest_expiration_time'),
    status: text('status'),
    /** 'yes' | 'no' | 'scalar' | '' (empty until determined). */
    result: text('result').notNull().default(''),
    settlementValueMicros: integer('settlement_value_micros'),
    /** The observed value used for settlement (Kalshi `expiration_value`, e.g. '87'). */
    expirationValue: text('expiration_value'),
    /** Settlement source named by the market/series, e.g. 'nws-cli' or 'twc'. */
    settlementSource: text('settlement_source'),
    settlementTs: tstz('settlement_ts'),
    lastPriceMicros: integer('last_price_micros'),
    yesBidMicros: integer('yes_bid_micros'),
    yesAskMicros: integer('yes_ask_micros'),
    volume: centi('volume'),
    openInterest: centi('open_interest'),
    /** Which payload shape was parsed: e.g. 'cents', 'dollars', 'fp', 'historical'. */
    payloadEra: text('payload_era'),
    raw: jsonb('raw'),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('market_event_idx').on(t.eventTicker),
    index('market_city_date_idx').on(t.cityId, t.eventDate),
    index('market_series_date_idx').on(t.seriesTicker, t.eventDate),
  ],
);

/**
 * OHLC candles. `bucket_start` = Kalshi `end_period_ts` - period (the API's end is inclusive).
 * Bid/ask OHLC are nullable for synthetic 'latest before start' candles; trade-price OHLC are
 * null for periods without trades.
 */
export const candle = kalshi.table(
  'candle',
  {
    marketTicker: text('market_ticker').notNull(),
    /** 1, 60 or 1440. */
    periodMinutes: smallint('period_minutes').notNull(),
    bucketStart: tstz('bucket_start').notNull(),
    yesBidOpen: integer('yes_bid_open'),
    yesBidHigh: integer('yes_bid_high'),
    yesBidLow: integer('yes_bid_low'),
    yesBidClose: integer('yes_bid_close'),
    yesAskOpen: integer('yes_ask_open'),
    yesAskHigh: integer('yes_ask_high'),
    yesAskLow: integer('yes_ask_low'),
    yesAskClose: integer('yes_ask_close'),
    priceOpen: integer('price_open'),
    priceHigh: integer('price_high'),
    priceLow: integer('price_low'),
    priceClose: integer('price_close'),
    priceMean: integer('price_mean'),
    pricePrevious: integer('price_previous'),
    volume: centi('volume').notNull().default(0),
    openInterest: centi('open_interest'),
    ingestedAt: tstz('ingested_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'candle_pk', columns: [t.marketTicker, t.periodMinutes, t.bucketStart] }),
    check('candle_period_minutes_check', sql`${t.periodMinutes} in (1, 60, 1440)`),
  ],
);

export const trade = kalshi.table(
  'trade',
  {
    tradeId: text('trade_id').primaryKey(),
    marketTicker: text('market_ticker').notNull(),
    createdTime: tstz('created_time').notNull(),
    yesPriceMicros: integer('yes_price_micros').notNull(),
    noPriceMicros: integer('no_price_micros'),
    /** Centi-contracts. */
    count: integer('count').notNull(),
    /** 'yes' | 'no' (taker_side / taker_outcome_side). */
    takerSide: text('taker_side'),
    isBlockTrade: boolean('is_block_trade'),
    ingestedAt: tstz('ingested_at').notNull().defaultNow(),
  },
  (t) => [index('trade_market_time_idx').on(t.marketTicker, t.createdTime)],
);

/**
 * Order-book snapshots from the live poll: resting YES and NO bids at `captured_at`, best first.
 * Level arrays are parallel: price in micros, size in centi-contracts. The backtest's queue and
 * visible-size model reads them.
 */
export const orderbookSnapshot = kalshi.table(
  'orderbook_snapshot',
  {
    marketTicker: text('market_ticker').notNull(),
    capturedAt: tstz('captured_at').notNull(),
    yesPriceMicros: integer('yes_price_micros').array().notNull(),
    yesSizeCenti: bigint('yes_size_centi', { mode: 'number' }).array().notNull(),
    noPriceMicros: integer('no_price_micros').array().notNull(),
    noSizeCenti: bigint('no_size_centi', { mode: 'number' }).array().notNull(),
    ingestedAt: tstz('ingested_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: 'orderbook_snapshot_pk', columns: [t.marketTicker, t.capturedAt] })],
);

export type Series = typeof series.$inferSelect;
export type NewSeries = typeof series.$inferInsert;
export type KalshiEvent = typeof event.$inferSelect;
export type NewKalshiEvent = typeof event.$inferInsert;
export type Market = typeof market.$inferSelect;
export type NewMarket = typeof market.$inferInsert;
export type Candle = typeof candle.$inferSelect;
export type NewCandle = typeof candle.$inferInsert;
export type KalshiTrade = typeof trade.$inferSelect;
export type OrderbookSnapshotRow = typeof orderbookSnapshot.$inferSelect;
export type NewKalshiTrade = typeof trade.$inferInsert;
