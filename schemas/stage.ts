import { z } from 'zod';

/** What every per-city stage workflow receives: a city and a date range, references only. */
export const StageInputSchema = z.object({
  city: z.string(),
  from: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  to: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
});
export type StageInput = z.infer<typeof StageInputSchema>;
