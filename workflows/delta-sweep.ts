import { defineQuery, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { DatasetActivities } from '../activities/ml/dataset';
import type { DeltaSweepInput, DeltaSweepResult, DeltaTrainActivities } from '../activities/ml/train-delta';
import type { DatasetResult, DatasetWorkflowInput } from '../schemas/dataset';
import type { StageInput } from '../schemas/stage';
import { rootMessage } from './errors';
import { CITY, STAGE } from './search-attributes';

export interface DeltaSweepProgress {
  stage: 'dataset' | 'sweep' | 'done' | 'failed';
  dataset?: DatasetResult;
  error?: string;
}
export const deltaSweepProgressQuery = defineQuery<DeltaSweepProgress>('deltaSweepProgress');

const retry = { maximumAttempts: 5, initialInterval: '2s', backoffCoefficient: 2, nonRetryableErrorTypes: ['InvalidInput'] };
const { buildCityDataset } = proxyActivities<DatasetActivities>({ startToCloseTimeout: '60 minutes', heartbeatTimeout: '10 minutes', retry });
// A heartbeat between fits only (a fit holds the thread): the timeout allows for one long fit.
// Its fits run on training threads while the activity heartbeats (activities/ml/train-delta.ts).
const { deltaSweep } = proxyActivities<DeltaTrainActivities>({ startToCloseTimeout: '240 minutes', heartbeatTimeout: '2 minutes', retry });

export interface DeltaSweepWorkflowInput extends StageInput {
  datasetParams?: DatasetWorkflowInput['params'];
  /** Specs to compare (domain/ml/delta-model DeltaSpecSchema); default every baseline × ranges 4, 6, 8. */
  specs?: DeltaSweepInput['specs'];
  params?: Record<string, unknown>;
  testFraction?: number;
  testFrom?: string;
  maxQuoteAgeMinutes?: number;
}

export interface DeltaSweepWorkflowResult {
  dataset: { path: string; rows: number; events: number; cached: boolean };
  sweep: DeltaSweepResult;
}

/**
 * `wx ml delta-sweep`: one city's dataset (from the Parquet cache when its inputs are unchanged), then
 * the delta model fitted for each (baseline, range) on one day split, scored next to the market on the
 * same rows. Returns the small table only; nothing is registered (the chosen spec is trained with
 * trainDeltaModel).
 */
export async function deltaSweepWorkflow(input: DeltaSweepWorkflowInput): Promise<DeltaSweepWorkflowResult> {
  const progress: DeltaSweepProgress = { stage: 'dataset' };
  setHandler(deltaSweepProgressQuery, () => progress);
  upsertSearchAttributes([
    { key: CITY, value: input.city },
    { key: STAGE, value: 'delta-sweep' },
  ]);
  try {
    const ds = await buildCityDataset({ city: input.city as DatasetWorkflowInput['city'], from: input.from, to: input.to, ...(input.datasetParams ? { params: input.datasetParams } : {}) });
    progress.dataset = ds;
    progress.stage = 'sweep';
    const sweep = await deltaSweep({
      city: input.city,
      datasetPath: ds.path,
      ...(input.specs ? { specs: input.specs } : {}),
      ...(input.params ? { params: input.params } : {}),
      ...(input.testFraction !== undefined ? { testFraction: input.testFraction } : {}),
      ...(input.testFrom !== undefined ? { testFrom: input.testFrom } : {}),
      ...(input.maxQuoteAgeMinutes !== undefined ? { maxQuoteAgeMinutes: input.maxQuoteAgeMinutes } : {}),
    });
    progress.stage = 'done';
    return { dataset: { path: ds.path, rows: ds.rows, events: ds.events, cached: ds.cached }, sweep };
  } catch (err) {
    progress.stage = 'failed';
    progress.error = rootMessage(err);
    throw err;
  }
}
