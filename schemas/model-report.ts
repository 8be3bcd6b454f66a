/**
 * The files a model report is made from, as they lie in data/models/{city}/{version}/: report.json
 * (domain/ml/model-report-data.ts writes its shape) and metrics.json (the trainer's TrainCityResult).
 * `wx ml report` parses both with these before rendering, so a corrupt or foreign file is named, not drawn.
 */
import { z } from 'zod';
import { IsoDateSchema } from '../domain/iso-date';
import { MODEL_REPORT_FORMAT, MODEL_REPORT_FORMAT_VERSION, type ModelReportData } from '../domain/ml/model-report-data';

// The sources, in the report's order, for the renderer (reports/ reads schemas, not domain).
export { REPORT_SOURCES, type ReportSource } from '../domain/ml/model-report-data';

const finite = z.number().refine(Number.isFinite, { message: 'expected a finite number' });
const probability = z.number().min(0).max(1);

export const ReportScoresSchema = z.object({
  logLoss: finite,
  rps: finite,
  brier: finite,
  accuracy: probability,
});
export type ReportScores = z.infer<typeof ReportScoresSchema>;

export const ReportCalibrationBinSchema = z.object({
  lo: probability,
  hi: probability,
  count: z.number().int().nonnegative(),
  meanPredicted: probability.nullable(),
  observedFrequency: probability.nullable(),
});

export const ReportSourceSchema = z.object({
  scores: ReportScoresSchema,
  calibration: z.array(ReportCalibrationBinSchema).min(1),
});

export const ReportMonthSchema = z.object({
  month: z.string().regex(/^\d{4}-\d{2}$/, { message: 'expected YYYY-MM' }),
  days: z.number().int().positive(),
  rows: z.number().int().positive(),
  logLoss: z.object({ model: finite, market: finite, forecastNormal: finite.nullable(), climatology: finite }),
});

export const ReportFeatureSchema = z.object({
  name: z.string().min(1),
  gain: z.number().nonnegative(),
  gainShare: probability,
  split: z.number().int().nonnegative(),
});

export const ModelReportDataSchema = z.object({
  format: z.literal(MODEL_REPORT_FORMAT),
  formatVersion: z.literal(MODEL_REPORT_FORMAT_VERSION),
  city: z.string().min(1),
  version: z.string().min(1),
  kind: z.string().min(1),
  test: z.object({ from: IsoDateSchema, to: IsoDateSchema, days: z.number().int().positive(), rows: z.number().int().positive() }),
  sources: z.object({
    model: ReportSourceSchema,
    market: ReportSourceSchema,
    forecastNormal: ReportSourceSchema.nullable(),
    climatology: ReportSourceSchema,
  }),
  byMonth: z.array(ReportMonthSchema).min(1),
  importance: z.object({
    features: z.number().int().nonnegative(),
    used: z.number().int().nonnegative(),
    totalGain: z.number().nonnegative(),
    totalSplits: z.number().int().nonnegative(),
    top: z.array(ReportFeatureSchema),
  }),
});
export type ModelReportDataParsed = z.infer<typeof ModelReportDataSchema>;
// Compile-time check: what the pure builder returns is what this schema reads back.
const reportMatch: [ModelReportDataParsed, ModelReportData] extends [ModelReportData, ModelReportDataParsed] ? true : never = true;
void reportMatch;

/**
 * metrics.json: the trainer's result (activities/ml/train.ts TrainCityResult), the fields the report
 * shows. Other fields pass through untouched (the trainer may add some).
 */
const modelMetricsFields = z.object({
  city: z.string().min(1),
  kind: z.string().min(1),
  version: z.string().min(1),
  trainDays: z.number().int().nonnegative(),
  testDays: z.number().int().positive(),
  testRows: z.number().int().positive(),
  testFrom: IsoDateSchema,
  model: ReportScoresSchema,
  market: ReportScoresSchema,
  forecastNormal: ReportScoresSchema.nullable(),
  climatology: ReportScoresSchema,
  logLossDiff: z.object({ estimate: finite, lo: finite, hi: finite }),
  trees: z.number().int().nonnegative(),
});
export const ModelMetricsSchema = modelMetricsFields.loose();
/** The fields read (without the index signature of the loose schema, so TrainCityResult can be checked against it). */
export type ModelMetrics = z.infer<typeof modelMetricsFields>;
