/**
 * The scheduled retraining of one city (Temporal Schedule `training/<city>`, `wx schedule training`):
 * each run trains on the last `historyDays` settled climate dates before the run started, as a child
 * trainCityWorkflow (`train/<city>/<from>..<to>`, the id `wx ml train` uses for the same range, so a
 * manual and a scheduled training of one range are one workflow, never two versions of it).
 */
import { ApplicationFailure, ParentClosePolicy, executeChild, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { z } from 'zod';
import { CITY_IDS } from '../domain/cities';
import { MlStageInputSchema } from '../schemas/stage';
import { CITY, STAGE } from './search-attributes';
import { trainCityWorkflow } from './train';

/** A year: every season once, so the model sees the whole climatology it is scored against. */
export const DEFAULT_HISTORY_DAYS = 365;

/**
 * How many UTC dates before the run's start date the range ends. The climate date D of every city ends
 * by 08:00 UTC on D+1 (local standard time, at most UTC-8) and its market settles on the final CLI
 * report the morning after; so during UTC date S, date S-1 may still be trading or unsettled, while
 * S-2 has settled (its labels and last candles are in). The range ends there, so no event is half-known.
 */
export const SETTLED_LAG_DAYS = 2;

export const ScheduledTrainingInputSchema = z.object({
  city: z.enum(CITY_IDS, { error: (i) => `city: unknown city ${JSON.stringify(i.input)} (expected one of ${CITY_IDS.join(', ')})` }),
  historyDays: z.number().int().min(1).max(3660).default(DEFAULT_HISTORY_DAYS),
  /** As in `wx ml train --trials`: 0 fits the default parameters without a study. */
  tuneTrials: z.number().int().min(0).max(1000).optional(),
  stepMinutes: MlStageInputSchema.shape.stepMinutes,
});
export type ScheduledTrainingInput = z.input<typeof ScheduledTrainingInputSchema>;

export interface ScheduledTrainingResult {
  from: string;
  to: string;
  childWorkflowId: string;
  /** The child's result as trainCityWorkflow returns it (a model, or why the range held too little to train). */
  result: Awaited<ReturnType<typeof trainCityWorkflow>>;
}

const DAY_MS = 86_400_000;
const isoDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** The training range of a run started at `start`: the `historyDays` dates ending SETTLED_LAG_DAYS before its UTC date. */
export function scheduledTrainingRange(start: Date, historyDays: number): { from: string; to: string } {
  const startDate = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate());
  const to = startDate - SETTLED_LAG_DAYS * DAY_MS;
  return { from: isoDate(to - (historyDays - 1) * DAY_MS), to: isoDate(to) };
}

export const trainingChildWorkflowId = (city: string, range: { from: string; to: string }): string => `train/${city}/${range.from}..${range.to}`;

export async function scheduledTrainingWorkflow(raw: ScheduledTrainingInput): Promise<ScheduledTrainingResult> {
  const parsed = ScheduledTrainingInputSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const field = i.path.join('.') || 'input';
      return i.message.startsWith(`${field}:`) ? i.message : `${field}: ${i.message}`;
    });
    throw ApplicationFailure.nonRetryable(lines.join('; '), 'InvalidInput');
  }
  const input = parsed.data;
  upsertSearchAttributes([
    { key: CITY, value: input.city },
    { key: STAGE, value: 'scheduled-training' },
  ]);
  // The chain's start time (from history, so replay-safe), not the attempt's: a retried run trains on the same range.
  const range = scheduledTrainingRange(workflowInfo().startTime, input.historyDays);
  const childWorkflowId = trainingChildWorkflowId(input.city, range);
  const result = await executeChild(trainCityWorkflow, {
    workflowId: childWorkflowId,
    // The parent's queue: the schedule starts this run on the ML queue, where trainCityWorkflow runs.
    taskQueue: workflowInfo().taskQueue,
    args: [
      {
        city: input.city,
        ...range,
        ...(input.tuneTrials !== undefined ? { tuneTrials: input.tuneTrials } : {}),
        ...(input.stepMinutes !== undefined ? { stepMinutes: input.stepMinutes } : {}),
      },
    ],
    typedSearchAttributes: [
      { key: CITY, value: input.city },
      { key: STAGE, value: 'train' },
    ],
    // Training dies with its scheduled run, so the schedule's SKIP overlap policy also covers the training itself.
    parentClosePolicy: ParentClosePolicy.TERMINATE,
  });
  return { ...range, childWorkflowId, result };
}
