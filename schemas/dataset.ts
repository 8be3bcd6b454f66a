/**
 * Messages of datasetWorkflow: references only (a city, a date range, build parameters, a file path),
 * never rows.
 */
import { z } from 'zod';
import { CityIdSchema } from '../domain/cities';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');

export const DatasetWorkflowInputSchema = z
  .object({
    city: CityIdSchema,
    from: isoDate,
    to: isoDate,
    /** Build parameters beyond city and range (domain/features DatasetParamsSchema), e.g. stepMinutes, quoteTimes. */
    params: z.record(z.string(), z.unknown()).optional(),
  })
  .refine((x) => x.from <= x.to, { message: 'from must not be after to', path: ['from'] });
export type DatasetWorkflowInput = z.infer<typeof DatasetWorkflowInputSchema>;

export const DatasetResultSchema = z.object({
  city: z.string(),
  from: z.string(),
  to: z.string(),
  path: z.string(),
  rows: z.number(),
  events: z.number(),
  features: z.number(),
  inputHash: z.string(),
  /** True when the cached file already matched the inputs and was kept as it was. */
  cached: z.boolean(),
  skippedEvents: z.number(),
  seconds: z.number(),
});
export type DatasetResult = z.infer<typeof DatasetResultSchema>;
