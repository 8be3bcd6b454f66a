import { z } from 'zod';

/**
 * Which schedule asked for a forecast snapshot: `open` shortly before the 10:00 ET listing of the next
 * day's markets, `hourly` through the local trading day, `nightly` near local midnight. Rows are the
 * same whoever asks (keyed by source run); the trigger is for logs and the result.
 */
export const SnapshotTriggerSchema = z.enum(['open', 'hourly', 'nightly']);
export type SnapshotTrigger = z.infer<typeof SnapshotTriggerSchema>;

/** Input of one current-forecast snapshot of one city. */
export const ForecastSnapshotInputSchema = z.object({
  city: z.string(),
  /** Absent in runs started before triggers existed: those were nightly. */
  trigger: SnapshotTriggerSchema.default('nightly'),
});
export type ForecastSnapshotInput = z.input<typeof ForecastSnapshotInputSchema>;

/** Input of one candle poll over the open markets of some cities. */
export const CandlePollInputSchema = z.object({
  cities: z.array(z.string()).min(1),
  /** How far back each poll re-reads candles (minutes): overlapping polls make a missed one harmless. */
  lookbackMinutes: z.number().int().positive().default(90),
});
export type CandlePollInput = z.infer<typeof CandlePollInputSchema>;

export interface ForecastSnapshotResult {
  city: string;
  trigger: SnapshotTrigger;
  dailyRows: number;
  hourlyRows: number;
  sources: string[];
}

export interface CandlePollResult {
  markets: number;
  candles: number;
  /** Order-book snapshots stored (one per open market read). */
  orderbooks: number;
  /** Open markets whose book the source did not serve (404: e.g. a recorded world without books). */
  orderbooksMissing: number;
}
