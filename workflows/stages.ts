import type { StageName, TaskQueues } from '../schemas/pipeline';

export interface StageDefinition {
  name: StageName;
  /** The child workflow type that runs the stage for one city; undefined while the stage is not built. */
  workflowType?: string;
  queue: keyof TaskQueues;
  description: string;
  /**
   * The patch id under which the stage was added (workflow versioning): a pipeline run that started
   * before it replays as it ran, without the stage.
   */
  patchId?: string;
}

/**
 * The pipeline's stages in order. A stage without a workflowType is reported as `not_built`, never as
 * done; each later issue fills one in.
 */
export const STAGES: readonly StageDefinition[] = [
  { name: 'registry', workflowType: 'registryWorkflow', queue: 'ingest', description: 'city, station and series registry' },
  { name: 'backfill', workflowType: 'backfillCityWorkflow', queue: 'ingest', description: 'observations, forecasts, settlements, markets, candles' },
  { name: 'validate', workflowType: 'validateCityWorkflow', queue: 'ingest', description: 'coverage, freshness, DST and candle gaps' },
  { name: 'dataset', workflowType: 'datasetCityWorkflow', queue: 'ml', description: 'market-clock feature datasets cached to Parquet', patchId: 'stage-dataset' },
  { name: 'tune', workflowType: 'tuneCityWorkflow', queue: 'ml', description: 'TPE study of the bracket model on time-series folds', patchId: 'stage-tune' },
  { name: 'train', workflowType: 'trainCityWorkflow', queue: 'ml', description: 'per-city bracket and ordinal delta models exported to ONNX', patchId: 'stage-train' },
  { name: 'edge', workflowType: 'edgeClassifierWorkflow', queue: 'ml', description: 'edge classifier over the bracket model (taker trades, threshold on validation days)', patchId: 'stage-edge' },
  { name: 'backtest', queue: 'backtest', description: 'maker strategies with fees and fills' },
  { name: 'report', queue: 'backtest', description: 'HTML report with plots' },
];
