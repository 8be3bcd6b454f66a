import { ApplicationFailure, defineQuery, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { DatasetActivities } from '../activities/ml/dataset';
import type { EdgeActivities, EdgeClassifierResult, TrainEdgeInput } from '../activities/ml/edge';
import type { DatasetResult, DatasetWorkflowInput } from '../schemas/dataset';
import type { MlStageInput, StageSkipped } from '../schemas/stage';
import { rootMessage } from './errors';
import { CITY, STAGE } from './search-attributes';

export interface EdgeProgress {
  stage: 'dataset' | 'fit' | 'done' | 'failed';
  dataset?: DatasetResult;
  result?: EdgeClassifierResult | StageSkipped;
  error?: string;
}
export const edgeProgressQuery = defineQuery<EdgeProgress>('edgeProgress');

const retry = { maximumAttempts: 5, initialInterval: '2s', backoffCoefficient: 2, nonRetryableErrorTypes: ['InvalidInput', 'InsufficientData'] };
const { buildCityDataset } = proxyActivities<DatasetActivities>({ startToCloseTimeout: '60 minutes', heartbeatTimeout: '10 minutes', retry });
const { trainEdgeClassifier } = proxyActivities<EdgeActivities>({ startToCloseTimeout: '120 minutes', heartbeatTimeout: '20 minutes', retry });

export interface EdgeClassifierWorkflowInput extends MlStageInput {
  /** Dataset build parameters (domain/features DatasetParamsSchema). */
  datasetParams?: DatasetWorkflowInput['params'];
  /** The classifier's GBDT parameters over DEFAULT_EDGE_PARAMS, and the bracket model's over the city's active ones. */
  params?: Record<string, unknown>;
  bracketParams?: Record<string, unknown>;
  testFraction?: number;
  testFrom?: string;
  maxQuoteAgeMinutes?: number;
  priceRule?: TrainEdgeInput['priceRule'];
  contracts?: number;
  minEdgeCents?: number;
  validFraction?: number;
  folds?: number;
  gapDays?: number;
  fees?: TrainEdgeInput['fees'];
}

/** The activity's InsufficientData message, wherever it sits in the failure's causes. */
function insufficientData(err: unknown): string | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) if (e instanceof ApplicationFailure && e.type === 'InsufficientData') return e.message;
  return undefined;
}

const SETTINGS = ['params', 'bracketParams', 'testFraction', 'testFrom', 'maxQuoteAgeMinutes', 'priceRule', 'contracts', 'minEdgeCents', 'validFraction', 'folds', 'gapDays', 'fees'] as const satisfies ReadonlyArray<keyof EdgeClassifierWorkflowInput & keyof TrainEdgeInput>;

/**
 * One city's edge classifier: the dataset (from the Parquet cache when its inputs are unchanged), then
 * the classifier's fit, threshold, ONNX export and registration in one idempotent activity (the version
 * is a hash of its inputs), so a crash anywhere resumes without a second version.
 */
export async function edgeClassifierWorkflow(input: EdgeClassifierWorkflowInput): Promise<EdgeClassifierResult | StageSkipped> {
  const progress: EdgeProgress = { stage: 'dataset' };
  setHandler(edgeProgressQuery, () => progress);
  upsertSearchAttributes([
    { key: CITY, value: input.city },
    { key: STAGE, value: 'edge' },
  ]);
  try {
    const params = { ...(input.stepMinutes ? { stepMinutes: input.stepMinutes } : {}), ...(input.datasetParams ?? {}) };
    progress.dataset = await buildCityDataset({ city: input.city as DatasetWorkflowInput['city'], from: input.from, to: input.to, ...(Object.keys(params).length ? { params } : {}) });
    progress.stage = 'fit';
    // Only the settings given (the activity's schema holds the defaults); a stage's other arguments stay out.
    const given = Object.fromEntries(SETTINGS.filter((k) => input[k] !== undefined).map((k) => [k, input[k]]));
    try {
      progress.result = await trainEdgeClassifier({ ...given, city: input.city, datasetPath: progress.dataset.path });
    } catch (err) {
      const why = insufficientData(err);
      if (why === undefined) throw err;
      // Too short a history is not a failure of the run: the stage succeeds and says why (as train does).
      progress.result = { city: input.city, skipped: `not enough history: ${why}` };
    }
    progress.stage = 'done';
    return progress.result;
  } catch (err) {
    progress.stage = 'failed';
    progress.error = rootMessage(err);
    throw err;
  }
}
