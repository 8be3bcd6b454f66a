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
  };
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
