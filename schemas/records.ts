/**
 * The internal form of every ingested record is the insert row of its table: clients parse API
 * payloads into these, worlds produce them, the sandbox renders them back into API payloads, and the
 * backfill upserts them as they are. One shape per record, no parallel interfaces.
 */
import type {
  kalshiCandle,
  kalshiEvent,
  kalshiMarket,
  kalshiSeries,
  kalshiTrade,
  wxForecastSnapshot,
  wxForecastSnapshotHourly,
  wxObservation,
  wxSettlement,
} from './db';

export type SeriesRow = typeof kalshiSeries.$inferInsert;
export type EventRow = typeof kalshiEvent.$inferInsert;
export type MarketRow = typeof kalshiMarket.$inferInsert;
export type CandleRow = typeof kalshiCandle.$inferInsert;
export type TradeRow = typeof kalshiTrade.$inferInsert;
export type ObservationRow = typeof wxObservation.$inferInsert;
export type SettlementRow = typeof wxSettlement.$inferInsert;
export type DailyForecastRow = typeof wxForecastSnapshot.$inferInsert;
export type HourlyForecastRow = typeof wxForecastSnapshotHourly.$inferInsert;

/** A GHCN-Daily value as NCEI stores it: tenths of °C (converted to °F, rounded half up, for settlement). */
export interface GhcnDailyValue {
  ghcnId: string;
  date: string;
  tmaxTenthsC?: number;
  tminTenthsC?: number;
  /** GHCN QFLAG of the value when it failed a quality check (the value is kept, as NCEI keeps it; clients skip it). */
  tmaxQflag?: string;
  tminQflag?: string;
}

/** One MOS run's max-temperature forecast for a target date (IEM MOS archive). */
export interface MosForecast {
  station: string;
  model: 'GFS' | 'NAM' | 'NBM' | (string & {});
  runTime: Date;
  targetDate: string;
  tmaxF: number;
}

/** An order book snapshot: YES and NO resting bids, price in micros, count in centi-contracts. */
export interface OrderbookSnapshot {
  ticker: string;
  yes: Array<[priceMicros: number, countCenti: number]>;
  no: Array<[priceMicros: number, countCenti: number]>;
}
