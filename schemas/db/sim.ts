/**
 * Schema `sim`: backtest / paper / live runs, their trades, and the trader's order journal.
 * Prices in micro-dollars (integer), money in micro-dollars (bigint), counts in centi-contracts.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  date,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';

export const sim = pgSchema('sim');

const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const micros = (name: string) => bigint(name, { mode: 'number' });

export const RUN_KINDS = ['backtest', 'paper', 'live', 'dry_run'] as const;
export type RunKind = (typeof RUN_KINDS)[number];

export const run = sim.table(
  'run',
  {
    runId: text('run_id').primaryKey(),
    kind: text('kind').$type<RunKind>().notNull(),
    strategy: text('strategy').notNull(),
    params: jsonb('params').$type<Record<string, unknown>>().notNull().default({}),
    config: jsonb('config').$type<Record<string, unknown>>().notNull().default({}),
    /** e.g. 'running' | 'complete' | 'failed'. */
    status: text('status').notNull(),
    startedAt: tstz('started_at').notNull().defaultNow(),
    finishedAt: tstz('finished_at'),
    metrics: jsonb('metrics').$type<Record<string, unknown>>(),
  },
  (t) => [
    check('run_kind_check', sql`${t.kind} in ('backtest', 'paper', 'live', 'dry_run')`),
    index('run_strategy_started_idx').on(t.strategy, t.startedAt),
  ],
);

export const trade = sim.table(
  'trade',
  {
    runId: text('run_id')
      .notNull()
      .references(() => run.runId, { onDelete: 'cascade' }),
    tradeId: text('trade_id').notNull(),
    cityId: text('city_id').notNull(),
    eventDate: date('event_date', { mode: 'string' }).notNull(),
    marketTicker: text('market_ticker').notNull(),
    /** 'yes' | 'no'. */
    side: text('side').notNull(),
    /** 'buy' | 'sell'. */
    action: text('action').notNull(),
    limitPriceMicros: integer('limit_price_micros').notNull(),
    /** Centi-contracts ordered. */
    count: integer('count').notNull(),
    filledCount: integer('filled_count').notNull().default(0),
    fillPriceMicros: integer('fill_price_micros'),
    feeMicros: micros('fee_micros').notNull().default(0),
    entryTime: tstz('entry_time'),
    exitTime: tstz('exit_time'),
    exitPriceMicros: integer('exit_price_micros'),
    pnlMicros: micros('pnl_micros'),
    /** e.g. 'unfilled' | 'filled' | 'exited' | 'settled'. */
    status: text('status').notNull(),
    /** What the strategy saw and decided (for `wx inspect`). */
    decision: jsonb('decision').$type<Record<string, unknown>>(),
  },
  (t) => [
    primaryKey({ name: 'sim_trade_pk', columns: [t.runId, t.tradeId] }),
    index('sim_trade_city_date_idx').on(t.cityId, t.eventDate),
    index('sim_trade_market_idx').on(t.marketTicker),
  ],
);

/** The trader's order journal: one row per client order id, written before the order is sent. */
export const liveOrders = sim.table(
  'live_orders',
  {
    clientOrderId: text('client_order_id').primaryKey(),
    exchangeOrderId: text('exchange_order_id').unique('live_orders_exchange_order_id_key'),
    account: text('account').notNull(),
    /** 'dry_run' | 'paper' | 'live'. */
    mode: text('mode').notNull(),
    strategy: text('strategy').notNull(),
    cityId: text('city_id').notNull(),
    eventDate: date('event_date', { mode: 'string' }).notNull(),
    marketTicker: text('market_ticker').notNull(),
    side: text('side').notNull(),
    action: text('action').notNull(),
    priceMicros: integer('price_micros').notNull(),
    /** Centi-contracts. */
    count: integer('count').notNull(),
    /** e.g. 'decided' | 'submitted' | 'resting' | 'executed' | 'canceled' | 'rejected'. */
    status: text('status').notNull(),
    filledCount: integer('filled_count').notNull().default(0),
    avgFillPriceMicros: integer('avg_fill_price_micros'),
    feeMicros: micros('fee_micros').notNull().default(0),
    decision: jsonb('decision').$type<Record<string, unknown>>(),
    createdAt: tstz('created_at').notNull().defaultNow(),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('live_orders_account_strategy_date_idx').on(t.account, t.strategy, t.eventDate),
    index('live_orders_market_idx').on(t.marketTicker),
    index('live_orders_status_idx').on(t.status),
  ],
);

export type SimRun = typeof run.$inferSelect;
export type NewSimRun = typeof run.$inferInsert;
export type SimTrade = typeof trade.$inferSelect;
export type NewSimTrade = typeof trade.$inferInsert;
export type LiveOrder = typeof liveOrders.$inferSelect;
export type NewLiveOrder = typeof liveOrders.$inferInsert;
