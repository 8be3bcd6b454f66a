/**
 * A world is what the local sandbox serves: the truth of weather and markets for some cities and
 * dates, in the internal record form (schemas/records.ts). The sandbox's routes render these records
 * into each API's payload shape; the real clients parse them back. Two kinds:
 *   - recorded: read from a directory laid out like ../shared/data/real (sandbox/worlds/recorded.ts);
 *   - generated: a seeded generator calibrated on real statistics (sandbox/worlds/generated.ts).
 * A world answers only for what it holds: a recorded world without minute observations returns [].
 * Every method is pure with respect to its arguments (same question, same answer): a backfill that
 * asks twice writes the same rows.
 */
import type { DateTime } from 'luxon';
import type { CityId } from '../domain/cities';
import type {
  CandleRow,
  DailyForecastRow,
  EventRow,
  GhcnDailyValue,
  HourlyForecastRow,
  MarketRow,
  MosForecast,
  ObservationRow,
  OrderbookSnapshot,
  SeriesRow,
  SettlementRow,
  TradeRow,
} from '../schemas/records';

export type WorldKind = 'generated' | 'recorded';

/**
 * A record as an API serves it: everything but `availableAt`, which no API sends; the clients stamp it
 * on receipt (domain/known-at.ts), so worlds hold, and routes render, only what the real API returns.
 */
export type Served<T> = Omit<T, 'availableAt'>;

/** Forecast products a world can serve, by the API that serves them. */
export type ForecastSource = 'visualcrossing' | 'open-meteo';

export interface DateRange {
  /** First date, inclusive, YYYY-MM-DD. */
  from: string;
  /** Last date, inclusive, YYYY-MM-DD. */
  to: string;
}

export interface UtcRange {
  from: Date;
  /** Exclusive. */
  to: Date;
}

export interface World {
  readonly kind: WorldKind;
  /** A short description for logs and the sandbox's `/health` (e.g. `generated seed=42 inefficiency=none`). */
  readonly description: string;
  readonly cities: readonly CityId[];
  /** Climate dates the world covers (inclusive). */
  readonly dates: DateRange;
  /**
   * The world's clock for "current" endpoints (current forecast, open markets, order book). A recorded
   * or generated world over past dates sets it to the end of its range unless told otherwise.
   */
  now(): DateTime;

  // ── settlement truth ─────────────────────────────────────────────────────────────────────────
  /** The NWS CLI daily report values (source 'cli') per climate date: high and low °F, integers. */
  cliReports(city: CityId, dates: DateRange): Served<SettlementRow>[];
  /** GHCN-Daily TMAX/TMIN for the settlement station. */
  ghcnDaily(city: CityId, dates: DateRange): GhcnDailyValue[];

  // ── observations ─────────────────────────────────────────────────────────────────────────────
  /**
   * Station observations in [from, to): minute or sub-hourly for generated worlds (source
   * 'iem-asos1min' granularity), whatever a recorded world holds. Their climate-day maximum rounds to
   * the CLI high of that date.
   */
  observations(city: CityId, range: UtcRange): Served<ObservationRow>[];

  // ── forecasts ────────────────────────────────────────────────────────────────────────────────
  /**
   * Daily forecasts as issued at `basisTime` (historical forecasts) for target dates in `targets`.
   * `source` names the API whose product it is; `model` (e.g. 'best_match', 'gfs') is in each row.
   */
  dailyForecasts(city: CityId, source: ForecastSource, basisTime: Date, targets: DateRange): Served<DailyForecastRow>[];
  /** The hourly forecast curve issued at `basisTime`, for valid times in [from, to). */
  hourlyForecasts(city: CityId, source: ForecastSource, basisTime: Date, range: UtcRange): Served<HourlyForecastRow>[];
  /** Basis times at which `source` issued forecasts within `range` (e.g. daily at 00Z for Visual Crossing). */
  forecastBasisTimes(city: CityId, source: ForecastSource, range: UtcRange): Date[];
  /** MOS runs (IEM archive) with their run times, for target dates in `targets`. */
  mosForecasts(city: CityId, model: string, targets: DateRange): MosForecast[];

  // ── Kalshi ───────────────────────────────────────────────────────────────────────────────────
  series(): SeriesRow[];
  /** Events of the world's cities, each with its markets (six per event). */
  events(filter?: { seriesTicker?: string; city?: CityId; dates?: DateRange }): Array<{ event: EventRow; markets: MarketRow[] }>;
  /** Candles of one market in [from, to) for a period of 1, 60 or 1440 minutes. */
  candles(marketTicker: string, periodMinutes: 1 | 60 | 1440, range: UtcRange): CandleRow[];
  /** Trade prints of one market in [from, to), oldest first. */
  trades(marketTicker: string, range: UtcRange): TradeRow[];
  /**
   * The book of a market at an instant (default: now()): resting YES and NO bids, every level the world
   * knows (a generated world derives a few levels per side from its quotes). Undefined when the world
   * holds no book for the market (a recorded world without book files): the sandbox then answers 404
   * rather than an empty book, which would say that nobody was quoting.
   */
  orderbook(marketTicker: string, at?: Date): OrderbookSnapshot | undefined;

  /**
   * Work the world can do before anyone asks, for the dates a client is about to fetch (a generated
   * world simulates their markets): in small steps, each after the requests already waiting, until done
   * or `signal` aborts. Answers are the same with or without it; only their latency changes.
   */
  prepare?(dates: DateRange, signal: AbortSignal): Promise<void>;
}
