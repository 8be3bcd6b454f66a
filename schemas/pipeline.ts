/**
 * Messages of the pipeline workflow: its input, its progress query and its summary. Only references
 * (cities, a date range, task queue names) travel through workflow history, never rows or secrets.
 */
import { z } from 'zod';

export const STAGE_NAMES = ['registry', 'backfill', 'validate', 'dataset', 'tune', 'train', 'edge', 'backtest', 'report'] as const;
export const StageNameSchema = z.enum(STAGE_NAMES);
export type StageName = z.infer<typeof StageNameSchema>;

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

export const TaskQueuesSchema = z.object({
  pipeline: z.string(),
  ingest: z.string(),
  ml: z.string(),
  backtest: z.string(),
  trading: z.string(),
});
export type TaskQueues = z.infer<typeof TaskQueuesSchema>;

export const PipelineInputSchema = z.object({
  cities: z.array(z.string()).min(1),
  from: isoDate,
  to: isoDate,
  taskQueues: TaskQueuesSchema,
  /** Backfill every slice again, even those wx.ingest_manifest records as complete (`wx start --refresh`). */
  refresh: z.boolean().optional(),
  /** Backfill: 1-minute candles only for events on or after this date. */
  minuteCandlesFrom: isoDate.optional(),
  /** The ML stages: dataset snapshot spacing and TPE trials per city. */
  ml: z.object({ stepMinutes: z.number().int(), tuneTrials: z.number().int() }).optional(),
});
export type PipelineInput = z.infer<typeof PipelineInputSchema>;

/** `not_built`: the stage is part of the product's plan but has no implementation yet. */
export const StageStatusSchema = z.enum(['pending', 'running', 'done', 'failed', 'skipped', 'not_built']);
export type StageStatus = z.infer<typeof StageStatusSchema>;

export const StageProgressSchema = z.object({
  stage: StageNameSchema,
  status: StageStatusSchema,
  /** Per-city child workflow status for per-city stages. */
  cities: z.record(z.string(), StageStatusSchema),
  childWorkflowIds: z.array(z.string()),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  error: z.string().optional(),
  /** Why a city's stage did nothing although it succeeded (e.g. too little history to train on). */
  note: z.string().optional(),
});
export type StageProgress = z.infer<typeof StageProgressSchema>;

export const PipelineProgressSchema = z.object({
  workflowId: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  stages: z.array(StageProgressSchema),
});
export type PipelineProgress = z.infer<typeof PipelineProgressSchema>;
export type PipelineSummary = PipelineProgress & { ok: boolean };

/** Child workflow ids say what they are: `backfill/chicago/2024-01-01..2024-12-31`. */
export function stageWorkflowId(stage: StageName, city: string, from: string, to: string): string {
  return `${stage}/${city}/${from}..${to}`;
}

/** The cities part of a workflow id: `all` for every city, else the sorted ids joined with `+`. */
export function citiesScope(cities: readonly string[], allCities: readonly string[]): string {
  return cities.length === allCities.length && allCities.every((c) => cities.includes(c)) ? 'all' : [...cities].sort().join('+');
}

/** The pipeline's id is a function of what it covers, so that re-running `wx start` finds the same run. */
export function pipelineWorkflowId(cities: readonly string[], allCities: readonly string[], from: string, to: string): string {
  return `pipeline/${citiesScope(cities, allCities)}/${from}..${to}`;
}
