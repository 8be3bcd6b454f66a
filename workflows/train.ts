import { defineQuery, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { DatasetActivities } from '../activities/ml/dataset';
import type { TrainActivities, TrainCityResult } from '../activities/ml/train';
import type { DatasetResult, DatasetWorkflowInput } from '../schemas/dataset';
import type { StageInput } from '../schemas/stage';
import { rootMessage } from './errors';
import { CITY, STAGE } from './search-attributes';

export interface TrainProgress {
  stage: 'dataset' | 'fit' | 'done' | 'failed';
  dataset?: DatasetResult;
  result?: TrainCityResult;
  error?: string;
}
export const trainProgressQuery = defineQuery<TrainProgress>('trainProgress');

const retry = { maximumAttempts: 5, initialInterval: '2s', backoffCoefficient: 2, nonRetryableErrorTypes: ['InvalidInput'] };
const { buildCityDataset } = proxyActivities<DatasetActivities>({ startToCloseTimeout: '60 minutes', heartbeatTimeout: '10 minutes', retry });
const { trainCityModel } = proxyActivities<TrainActivities>({ startToCloseTimeout: '120 minutes', heartbeatTimeout: '20 minutes', retry });

export interface TrainCityWorkflowInput extends StageInput {
  /** Dataset build parameters (domain/features DatasetParamsSchema) and GBDT parameters over the defaults. */
  datasetParams?: DatasetWorkflowInput['params'];
  params?: Record<string, unknown>;
  testFraction?: number;
  testFrom?: string;
  /** Train and score only snapshots with a quote at most this old (sparse recorded worlds). */
  maxQuoteAgeMinutes?: number;
}

/**
 * One city's model: the dataset (from the Parquet cache when its inputs are unchanged), then the
 * bracket model's fit, ONNX export and registration. Each step is an idempotent activity (the model
 * version is a hash of its inputs), so a crash anywhere resumes without a second version.
 */
export async function trainCityWorkflow(input: TrainCityWorkflowInput): Promise<TrainCityResult> {
  const progress: TrainProgress = { stage: 'dataset' };
  setHandler(trainProgressQuery, () => progress);
  upsertSearchAttributes([
    { key: CITY, value: input.city },
    { key: STAGE, value: 'train' },
  ]);
  try {
    progress.dataset = await buildCityDataset({ city: input.city as DatasetWorkflowInput['city'], from: input.from, to: input.to, ...(input.datasetParams ? { params: input.datasetParams } : {}) });
    progress.stage = 'fit';
    progress.result = await trainCityModel({
      city: input.city,
      datasetPath: progress.dataset.path,
      ...(input.params ? { params: input.params } : {}),
      ...(input.testFraction !== undefined ? { testFraction: input.testFraction } : {}),
      ...(input.testFrom !== undefined ? { testFrom: input.testFrom } : {}),
      ...(input.maxQuoteAgeMinutes !== undefined ? { maxQuoteAgeMinutes: input.maxQuoteAgeMinutes } : {}),
    });
    progress.stage = 'done';
    return progress.result;
  } catch (err) {
    progress.stage = 'failed';
    progress.error = rootMessage(err);
    throw err;
  }
}
