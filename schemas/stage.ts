import { z } from 'zod';

/** What every per-city stage workflow receives: a city and a date range, references only. */
export const StageInputSchema = z.object({
  city: z.string(),
  from: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  to: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
});
export type StageInput = z.infer<typeof StageInputSchema>;

/** TPE trials per city when the caller names none: enough for the sampler to leave its random start. */
export const DEFAULT_TUNE_TRIALS = 16;

/** The ML stages' per-city input: the pipeline's range and its ML settings. */
export const MlStageInputSchema = StageInputSchema.extend({
  /** Minutes between dataset snapshots on the market clock (default: the dataset builder's). */
  stepMinutes: z.number().int().min(5).max(1440).optional(),
  /** TPE trials of the city's bracket-model study (default: the tune stage's). */
  tuneTrials: z.number().int().min(1).max(1000).optional(),
});
export type MlStageInput = z.infer<typeof MlStageInputSchema>;

/** Settled days with quotes a city needs before its model is tuned or trained. */
export const MIN_TRAIN_DAYS = 10;

/** What an ML stage returns when the city's range holds too little to work on: it succeeds and says why. */
export interface StageSkipped {
  city: string;
  skipped: string;
}
export const isStageSkipped = (r: unknown): r is StageSkipped => typeof r === 'object' && r !== null && typeof (r as StageSkipped).skipped === 'string';
