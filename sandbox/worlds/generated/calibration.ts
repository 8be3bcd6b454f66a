/**
 * The generated world's calibration: sandbox/worlds/calibration.json, written by
 * scripts/calibrate-world.ts from the real corpus and committed, so a world needs no shared data.
 */
import { readFileSync } from 'node:fs';
import type { CityId } from '../../../domain/cities';

export interface CityClimate {
  source: string;
  tmaxMeanF: number[];
  tmaxStdF: number[];
  fallbackMonths: number[];
  anomalyAr1: number;
  diurnalRangeF: number[];
}

export interface WorldCalibration {
  version: number;
  cities: Record<CityId, CityClimate>;
  forecastError: {
    byCity: Record<CityId, { lead1StdF: number }>;
    /** [days to the afternoon peak, ratio to the lead-1 std]. */
    growthByDaysToPeak: Array<[number, number]>;
    sourceBiasF: Record<'visualcrossing' | 'open-meteo', number>;
    mosBiasF: { GFS: number; NAM: number };
  };
  diurnal: {
    peakHourLst: number;
    peakJitterMinutes: number;
    minHourLst: number;
    eveningFraction: number;
    minuteNoiseF: number;
  };
  market: {
    snapshotHoursToPeak: number;
    listingHoursToPeak: number;
    byCity: Record<CityId, { targetLogLoss: number; sigmaAtSnapshotF: number; infoRatio: number }>;
    volume: { meanTradeContracts: number; medianTradeContracts: number; meanMarketVolumeContracts: number };
    activity: MarketActivity;
    quotes: QuoteCalibration;
    /** Measured, for tests: the share of an event's minutes that carry any minute data in the real exports. */
    sparsity: { eventMinuteShare: number };
  };
  observations: ObservationReporting;
}

/** When the real tape trades: by hour of day (America/New_York) and in bursts. */
export interface MarketActivity {
  /** 24 factors (ET hour 0..23), mean 1 over the day: trade and requote rates scale with them. */
  byEtHour: number[];
  /** Chance that a burst of trades in a minute goes on with one more print (real: ~2 prints per trading minute). */
  burstContinueProb: number;
  /** Makers' requotes per market and minute: base + peak x 4p(1-p) (busier near 50¢). */
  requotePerMinute: { base: number; peak: number };
}

/** Spreads and one-sided books of the real day-ahead quotes. */
export interface QuoteCalibration {
  /** Median spread (ask - bid, cents) when the cheaper side is below `cheapBelowCents`, and otherwise. */
  medianSpreadCents: { cheap: number; other: number };
  cheapBelowCents: number;
  /** Log-normal spread spread (sd of ln S). */
  spreadLogSd: number;
  /** Spreads at listing are this many times wider, relaxing with `earlyDecayHours`. */
  earlyWidening: number;
  earlyDecayHours: number;
  /** Sd of the quotes' centre around the market probability, cents. */
  midNoiseCents: number;
  /** Below this price (cents) a requote leaves no bid with probability noBidProb x (1 - price / noBidBelowCents). */
  noBidBelowCents: number;
  noBidProb: number;
  /** Above 100 - this price a requote leaves no ask likewise. */
  noAskAboveCents: number;
  noAskProb: number;
  /** Measured at the real day-ahead snapshot, for tests. */
  measured: { noBidShare: number; p90SpreadCents: number };
}

/** How the served minute observations miss the sensor's maximum (the CLI high) on a day. */
export interface ObservationReporting {
  /** P(observed max rounds to CLI - 1) and P(CLI + 1); otherwise it rounds to the CLI high. */
  belowProb: number;
  aboveProb: number;
}

let cached: WorldCalibration | undefined;

export function defaultCalibration(): WorldCalibration {
  cached ??= JSON.parse(readFileSync(new URL('../calibration.json', import.meta.url), 'utf8')) as WorldCalibration;
  return cached;
}

/** Mid-month linear interpolation of a 12-value monthly table (January first), cyclic. */
export function monthly(values: readonly number[], date: string): number {
  const t = Date.parse(`${date}T00:00:00Z`);
  const y = new Date(t).getUTCFullYear();
  const doy = (t - Date.UTC(y, 0, 1)) / 86_400_000;
  const pos = (doy / 365.25) * 12 - 0.5;
  const i = Math.floor(pos);
  const f = pos - i;
  const a = values[((i % 12) + 12) % 12]!;
  const b = values[(((i + 1) % 12) + 12) % 12]!;
  return a + (b - a) * f;
}

export function growthAt(table: ReadonlyArray<[number, number]>, daysToPeak: number): number {
  const first = table[0]!;
  if (daysToPeak <= first[0]) return first[1];
  for (let i = 1; i < table.length; i++) {
    const [x1, y1] = table[i]!;
    const [x0, y0] = table[i - 1]!;
    if (daysToPeak <= x1) return y0 + ((y1 - y0) * (daysToPeak - x0)) / (x1 - x0);
  }
  const [xl, yl] = table[table.length - 1]!;
  // Beyond the table: keep growing at the last slope.
  const [xp, yp] = table[table.length - 2]!;
  return yl + ((yl - yp) / (xl - xp)) * (daysToPeak - xl);
}
