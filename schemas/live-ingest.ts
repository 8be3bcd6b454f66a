import { z } from 'zod';

/** Input of the nightly current-forecast snapshot of one city. */
export const ForecastSnapshotInputSchema = z.object({ city: z.string() });
export type ForecastSnapshotInput = z.infer<typeof ForecastSnapshotInputSchema>;

/** Input of one candle poll over the open markets of some cities. */
export const CandlePollInputSchema = z.object({
  cities: z.array(z.string()).min(1),
  /** How far back each poll re-reads candles (minutes): overlapping polls make a missed one harmless. */
  lookbackMinutes: z.number().int().positive().default(90),
});
export type CandlePollInput = z.infer<typeof CandlePollInputSchema>;

export interface ForecastSnapshotResult {
  city: string;
  dailyRows: number;
  hourlyRows: number;
  sources: string[];
}

export interface CandlePollResult {
  markets: number;
  candles: number;
}
