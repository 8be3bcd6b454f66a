/**
 * `wx validate`: the workflow input (with thresholds and their defaults) and the report written to
 * data/reports/validation/<id>.json. Only these references and summary counts travel through workflow
 * history; rows stay in PostgreSQL and in the report files.
 */
import { z } from 'zod';
import { CityIdSchema } from '../domain/cities';
import { IsoDateSchema } from '../domain/iso-date';
import { THRESHOLD_NAMES, type ValidationThresholds } from '../domain/validation/thresholds';

/**
 * Limits (crossing one fails the workflow with `ValidationFailed`) and detector parameters. Every field
 * has a default; pass only what you change.
 */
export const ValidationThresholdsSchema = z
  .object({
    /** Lowest acceptable mean daily coverage of any (city, source), in %. */
    minCoveragePct: z.number().min(0).max(100).default(95),
    /** Largest acceptable age of the newest data of any (city, source) at `asOf`, in hours. */
    maxStalenessHours: z.number().positive().default(72),
    /** Longest acceptable run of missing 1- or 60-minute candles while the market was active (idle stretches do not count), in minutes. */
    maxCandleGapMinutes: z.number().int().nonnegative().default(60),
    /** Most days on which settlement sources may disagree (spread > settlementToleranceF). */
    maxSettlementDisagreements: z.number().int().nonnegative().default(0),
    /** Spread (max − min) of the sources' highs tolerated before a day counts as a disagreement, °F. */
    settlementToleranceF: z.number().int().nonnegative().default(1),
    /** Most DST-change (source, day) pairs whose counts may differ from other days. */
    maxDstDeviations: z.number().int().nonnegative().default(0),
    /** Largest acceptable share of checked observation and forecast rows that got flagged, in %. */
    maxFlaggedPct: z.number().min(0).max(100).default(0.5),
    /** Spike: a jump of more than this (°F)... */
    spikeJumpF: z.number().positive().default(10),
    /** ...and back within this many minutes. */
    spikeWindowMinutes: z.number().int().positive().default(120),
    /** Stuck: the same temperature for more than this many hours... */
    stuckHours: z.number().positive().default(6),
    /** ...with no hole longer than this (minutes) between readings. */
    stuckMaxGapMinutes: z.number().int().positive().default(180),
    /** DST check: allowed difference in distinct minutes for minute-resolution feeds. */
    dstMinuteTolerance: z.number().int().nonnegative().default(30),
  })
  .strict();
export type ValidationThresholdsInput = z.input<typeof ValidationThresholdsSchema>;
export type ValidationThresholdsOutput = z.output<typeof ValidationThresholdsSchema>;
// Compile-time check: the zod output is the shape the pure checks (domain/validation/thresholds.ts) read.
const thresholdsMatch: [ValidationThresholdsOutput, ValidationThresholds] extends [ValidationThresholds, ValidationThresholdsOutput] ? true : never = true;
void thresholdsMatch;

const isoDateTime = z.iso.datetime({ offset: true });

export const ValidateInputSchema = z
  .object({
    cities: z.array(CityIdSchema).min(1),
    from: IsoDateSchema,
    to: IsoDateSchema,
    /** The reference "now" for freshness and for open markets' windows (an ISO instant). */
    asOf: isoDateTime,
    thresholds: ValidationThresholdsSchema.prefault({}),
    /** 1-minute candles are expected only for events on or after this date (the backfill fetched hourly ones before it). */
    minuteCandlesFrom: IsoDateSchema.optional(),
    /** File name stem of the report; default: the workflow id with unsafe characters replaced. */
    reportId: z
      .string()
      .regex(/^[A-Za-z0-9._+-]+$/, 'letters, digits, . _ + - only')
      .max(200)
      .optional(),
  })
  .strict()
  .refine((x) => x.from <= x.to, { message: 'from must not be after to', path: ['to'] });
/** What callers pass (thresholds optional, each field optional). */
export type ValidateInput = z.input<typeof ValidateInputSchema>;
export type ValidateParsedInput = z.output<typeof ValidateInputSchema>;

/** The report id derived from a workflow id: 'validate/chicago/2025-01-01..2025-01-31' → 'validate_chicago_2025-01-01..2025-01-31'. */
export function reportIdFor(workflowId: string): string {
  return workflowId.replace(/[^A-Za-z0-9._+-]+/g, '_').slice(0, 200);
}

/** The checks' families, as prefixes of coverage/freshness source names ('obs:iem-asos1min', ...). */
export const DataKindSchema = z.enum(['obs', 'forecast', 'settlement', 'market', 'candle']);
export type DataKind = z.infer<typeof DataKindSchema>;

export const CoverageCellSchema = z.object({
  city: z.string(),
  /** '<kind>:<source>', e.g. 'obs:iem-asos1min', 'forecast:open-meteo', 'settlement:cli', 'market:kalshi', 'candle:1m'. */
  source: z.string(),
  date: z.string(),
  count: z.number(),
  pct: z.number(),
});

export const CoverageSummarySchema = z.object({
  city: z.string(),
  source: z.string(),
  days: z.number().int(),
  daysWithData: z.number().int(),
  pct: z.number(),
});

export const FreshnessSchema = z.object({
  city: z.string(),
  source: z.string(),
  /** Newest instant at or before asOf (for settlements: the end of the newest climate day). */
  newest: z.string().nullable(),
  stalenessHours: z.number().nullable(),
});

export const CandleGapSchema = z.object({
  city: z.string(),
  market: z.string(),
  periodMinutes: z.number().int(),
  start: z.string(),
  minutes: z.number(),
  kind: z.enum(['leading', 'inner', 'trailing']),
});

export const CandleGapSummarySchema = z.object({
  city: z.string(),
  periodMinutes: z.number().int(),
  /** Markets with an open..close window and at least one candle of this period. */
  marketsChecked: z.number().int(),
  marketsWithGaps: z.number().int(),
  gaps: z.number().int(),
  missingMinutes: z.number(),
  maxGapMinutes: z.number(),
});

/** Idle candle stretches (no trade, unchanged quotes; Kalshi has no candle for them) per city and period. */
export const IdleCandleGapsSchema = z.object({ city: z.string(), periodMinutes: z.number().int(), gaps: z.number().int(), minutes: z.number(), longestMinutes: z.number() });

export const GapHistogramBinSchema = z.object({ periodMinutes: z.number().int(), label: z.string(), order: z.number().int(), count: z.number().int() });

export const SettlementDisagreementSchema = z.object({
  city: z.string(),
  date: z.string(),
  values: z.record(z.string(), z.number()),
  spread: z.number(),
  consolidated: z.object({ highF: z.number().nullable(), source: z.string(), disagreement: z.boolean() }).nullable(),
});

export const DstFindingSchema = z.object({
  city: z.string(),
  source: z.string(),
  date: z.string(),
  kind: z.enum(['spring', 'fall']),
  count: z.number().int(),
  hours: z.number().int(),
  minutes: z.number().int(),
  medianHours: z.number().nullable(),
  medianMinutes: z.number().nullable(),
  deviates: z.boolean(),
  detail: z.string(),
});

export const FlagCountSchema = z.object({
  table: z.string(),
  rule: z.string(),
  /** Rows this run found breaking the rule (already flagged ones included). */
  found: z.number().int(),
  /** Of those, flags new in wx.data_flag (0 on a re-run). */
  inserted: z.number().int(),
});

export const FlagExampleSchema = z.object({ table: z.string(), rule: z.string(), rowKey: z.record(z.string(), z.unknown()), detail: z.string() });

/** An event that is not a complete ladder (domain/validation/ladder.ts), flagged on kalshi.event. */
export const IncompleteLadderSchema = z.object({ city: z.string(), eventTicker: z.string(), date: z.string(), problems: z.array(z.string()) });

export const SkillRowSchema = z.object({
  /** A city id, or 'all' for every validated city together. */
  city: z.string(),
  /** '<source>/<model>'. */
  source: z.string(),
  leadDays: z.number().int(),
  n: z.number().int(),
  bias: z.number(),
  mae: z.number(),
});

export const ThresholdCheckSchema = z.object({
  name: z.enum(THRESHOLD_NAMES),
  description: z.string(),
  direction: z.enum(['min', 'max']),
  limit: z.number(),
  value: z.number().nullable(),
  ok: z.boolean(),
  /** The verdict in words, e.g. `54 < min 72` (domain/validation/thresholds.ts thresholdVerdict). */
  message: z.string().default(''),
  detail: z.string(),
});
export type ThresholdCheckOut = z.infer<typeof ThresholdCheckSchema>;

export const ValidationSummarySchema = z.object({
  cities: z.number().int(),
  days: z.number().int(),
  checkedRows: z.number().int(),
  flaggedRows: z.number().int(),
  flagsInserted: z.number().int(),
  settlementDisagreements: z.number().int(),
  candleGaps: z.number().int(),
  dstDeviations: z.number().int(),
  thresholdsCrossed: z.number().int(),
  /** Events checked for ladder completeness, and how many are not complete (flagged). */
  laddersChecked: z.number().int().default(0),
  incompleteLadders: z.number().int().default(0),
});
export type ValidationSummary = z.infer<typeof ValidationSummarySchema>;

export const ValidationReportSchema = z.object({
  schemaVersion: z.literal(1),
  id: z.string(),
  workflowId: z.string(),
  generatedAt: z.string(),
  asOf: z.string(),
  from: z.string(),
  to: z.string(),
  cities: z.array(z.string()),
  thresholds: ValidationThresholdsSchema,
  ok: z.boolean(),
  summary: ValidationSummarySchema,
  checks: z.array(ThresholdCheckSchema),
  /** Names of the crossed thresholds. */
  crossed: z.array(z.enum(THRESHOLD_NAMES)),
  coverage: z.array(CoverageCellSchema),
  coverageSummary: z.array(CoverageSummarySchema),
  freshness: z.array(FreshnessSchema),
  candleGaps: z.object({
    summary: z.array(CandleGapSummarySchema),
    histogram: z.array(GapHistogramBinSchema),
    /** The longest gaps of missing data (at most 50). */
    longest: z.array(CandleGapSchema),
    idle: z.array(IdleCandleGapsSchema).default([]),
  }),
  settlementDisagreements: z.array(SettlementDisagreementSchema),
  dst: z.array(DstFindingSchema),
  flags: z.object({ byRule: z.array(FlagCountSchema), examples: z.array(FlagExampleSchema) }),
  skill: z.array(SkillRowSchema),
  /** Every event that is not a complete ladder, by city and date. */
  incompleteLadders: z.array(IncompleteLadderSchema).default([]),
});
export type ValidationReport = z.infer<typeof ValidationReportSchema>;

/** The report's JSON Schema (draft 2020-12), e.g. for consumers outside TypeScript. */
export function validationReportJsonSchema(): unknown {
  return z.toJSONSchema(ValidationReportSchema, { io: 'output' });
}

/** What validateWorkflow returns, and what a `ValidationFailed` failure carries in `details[0]`. */
export interface ValidateResult {
  reportId: string;
  jsonPath: string;
  htmlPath: string;
  ok: boolean;
  summary: ValidationSummary;
  /** Crossed thresholds (empty when ok). */
  crossed: Array<Pick<ThresholdCheckOut, 'name' | 'limit' | 'value' | 'detail'> & { message?: string }>;
}
