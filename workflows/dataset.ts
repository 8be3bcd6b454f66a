import { defineQuery, proxyActivities, setHandler } from '@temporalio/workflow';
import type { DatasetActivities } from '../activities/ml/dataset';
import type { DatasetResult, DatasetWorkflowInput } from '../schemas/dataset';
import type { MlStageInput } from '../schemas/stage';
import { rootMessage } from './errors';

export interface DatasetProgress {
  stage: 'building' | 'done' | 'failed';
  result?: DatasetResult;
  error?: string;
}
export const datasetProgressQuery = defineQuery<DatasetProgress>('datasetProgress');

const { buildCityDataset } = proxyActivities<DatasetActivities>({
  startToCloseTimeout: '60 minutes',
  heartbeatTimeout: '10 minutes',
  retry: { maximumAttempts: 5, initialInterval: '2s', backoffCoefficient: 2, nonRetryableErrorTypes: ['InvalidInput'] },
});

/**
 * One city's market-clock dataset, cached to Parquet. One activity: it is idempotent (the file is
 * written atomically and kept when its inputs are unchanged), so a retry after a crash redoes at most
 * the build, and the history holds only the file's reference.
 */
export async function datasetWorkflow(input: DatasetWorkflowInput): Promise<DatasetResult> {
  const progress: DatasetProgress = { stage: 'building' };
  setHandler(datasetProgressQuery, () => progress);
  try {
    progress.result = await buildCityDataset(input);
    progress.stage = 'done';
    return progress.result;
  } catch (err) {
    progress.stage = 'failed';
    progress.error = rootMessage(err);
    throw err;
  }
}

/** The pipeline's dataset stage for one city: the default build parameters (and the pipeline's snapshot spacing) over its range. */
export async function datasetCityWorkflow(input: MlStageInput): Promise<DatasetResult> {
  return datasetWorkflow({ city: input.city as DatasetWorkflowInput['city'], from: input.from, to: input.to, ...(input.stepMinutes ? { params: { stepMinutes: input.stepMinutes } } : {}) });
}
