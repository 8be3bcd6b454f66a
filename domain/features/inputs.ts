/**
 * What the dataset builder reads: one city's events, settlements, forecasts, observations and quotes,
 * each row stamped with the instant it became known (`availableAt`, epoch ms). Activities load these
 * from PostgreSQL (activities/ml/dataset.ts); the trader builds the same shapes from what it has live.
 * Observations and quotes are columns (there are hundreds of thousands a year); the rest are rows.
 */
import { z } from 'zod';
import type { Bracket } from '../brackets';
import { CityIdSchema, type CityId } from '../cities';

/** One event (city-day) with its ladder from the low tail up; only complete six-bracket ladders get here. */
export interface EventInput {
  eventTicker: string;
  /** Climate date, YYYY-MM-DD. */
  date: string;
  /** Markets' open and close (epoch ms): the market clock runs between them. */
  openMs: number;
  closeMs: number;
  brackets: readonly Bracket[];
  /** Index of the bracket Kalshi settled YES (its own market result), or undefined when not settled. */
  winner?: number;
}

export interface SettlementInput {
  date: string;
  /** The settled high (Kalshi's expiration value where it exists, else the weather truth), whole °F. */
  highF: number;
  availableAt: number;
}

export interface DailyForecastInput {
  source: string;
  model: string;
  targetDate: string;
  basisMs: number;
  leadDays: number;
  highF: number;
  availableAt: number;
}

/**
 * Hourly forecast values of one run (source, model, basis), as columns. Each value has its own known-at
 * time: an Open-Meteo "previous run" value for a later hour comes from a later run than the first hours'.
 */
export interface HourlyForecastInput {
  source: string;
  model: string;
  basisMs: number;
  validMs: Float64Array;
  tempF: Float64Array;
  availableAt: Float64Array;
}

/** Observations of the settlement station, sorted by observedAt. */
export interface ObservationColumns {
  observedMs: Float64Array;
  availableAt: Float64Array;
  tempF: Float64Array;
}

/** Quote history of one market (candles of any period), sorted by endMs; prices in cents, NaN = no quote. */
export interface QuoteColumns {
  /** Candle end = bucket start + period: the instant its closing quote was known. */
  endMs: Float64Array;
  bid: Float64Array;
  ask: Float64Array;
  /** Contracts traded in the candle. */
  volume: Float64Array;
}

export interface DatasetInput {
  city: CityId;
  events: readonly EventInput[];
  settlements: readonly SettlementInput[];
  dailyForecasts: readonly DailyForecastInput[];
  hourlyRuns: readonly HourlyForecastInput[];
  observations: ObservationColumns;
  /** By market ticker. */
  quotes: ReadonlyMap<string, QuoteColumns>;
}

export const DatasetParamsSchema = z
  .object({
    city: CityIdSchema,
    from: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    to: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    /** Minutes between snapshots on the market clock (from open to close). */
    stepMinutes: z.number().int().min(5).max(24 * 60).default(60),
    /** Also one row per recorded quote time (recorded worlds, whose quotes are sparse). */
    quoteTimes: z.boolean().default(false),
    /** Climatology window: settled highs of earlier years within ± this many days of the day of year. */
    climatologyWindowDays: z.number().int().min(0).max(60).default(7),
    /** Daily forecast (source/model) pairs to use; default: every pair the inputs hold. */
    forecastPairs: z.array(z.string().regex(/^[a-z0-9_-]+\/[a-z0-9_.-]+$/)).optional(),
  })
  .strict()
  .refine((p) => p.from <= p.to, { message: 'from must not be after to', path: ['from'] });
export type DatasetParams = z.infer<typeof DatasetParamsSchema>;
export type DatasetParamsInput = z.input<typeof DatasetParamsSchema>;

export const pairKey = (source: string, model: string): string => `${source}/${model}`;
