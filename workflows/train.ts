import { ApplicationFailure, defineQuery, executeChild, patched, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { DatasetActivities } from '../activities/ml/dataset';
import type { TrainActivities, TrainCityResult } from '../activities/ml/train';
import type { DeltaTrainActivities } from '../activities/ml/train-delta';
import { BRACKET_SEARCH_SPACE } from '../domain/ml/bracket-space';
import type { DatasetResult, DatasetWorkflowInput } from '../schemas/dataset';
import { DEFAULT_TUNE_TRIALS, MIN_TRAIN_DAYS, type MlStageInput, type StageSkipped } from '../schemas/stage';
import type { BestTrial, TuneProgress } from '../schemas/tune';
import { rootMessage } from './errors';
import { CITY, STAGE } from './search-attributes';
import { tuneWorkflow } from './tune';

export interface TrainProgress {
  stage: 'dataset' | 'tune' | 'fit' | 'delta' | 'done' | 'failed';
  dataset?: DatasetResult;
  tune?: TuneCityResult;
  result?: TrainCityResult;
  delta?: DeltaSummary;
  error?: string;
}

/** The ordinal delta model trained beside the bracket model: its version and scores, or why it failed. */
export type DeltaSummary = { version: string; logLoss: number; marketLogLoss: number; spec: string } | { error: string };

/** The delta model's target: the market-implied mean, ±8 °F (the best of `wx ml delta-sweep` on generated worlds). */
const DELTA_SPEC = { baseline: 'market_mean', lo: -8, hi: 8 } as const;
export const trainProgressQuery = defineQuery<TrainProgress>('trainProgress');
export const tuneCityProgressQuery = defineQuery<TrainProgress>('tuneCityProgress');

const retry = { maximumAttempts: 5, initialInterval: '2s', backoffCoefficient: 2, nonRetryableErrorTypes: ['InvalidInput'] };
const { buildCityDataset } = proxyActivities<DatasetActivities>({ startToCloseTimeout: '60 minutes', heartbeatTimeout: '10 minutes', retry });
// The fits (bracket and delta) run on training threads and heartbeat while they train, so a dead worker is noticed within the heartbeat timeout.
const fitActivities = (heartbeatSeconds: number) =>
  proxyActivities<TrainActivities & DeltaTrainActivities>({ startToCloseTimeout: '120 minutes', heartbeatTimeout: `${heartbeatSeconds} seconds`, retry });

export interface TrainCityWorkflowInput extends MlStageInput {
  /** Dataset build parameters (domain/features DatasetParamsSchema) and GBDT parameters over the defaults and the tuned ones. */
  datasetParams?: DatasetWorkflowInput['params'];
  params?: Record<string, unknown>;
  testFraction?: number;
  testFrom?: string;
  /** Train and score only snapshots with a quote at most this old (sparse recorded worlds). */
  maxQuoteAgeMinutes?: number;
  /** 0: no study, the default (or given) parameters. */
  tuneTrials?: number;
  /** false: the bracket model only, no ordinal delta model beside it (default true). */
  deltaModel?: boolean;
  /** A trial or fit whose worker sent no heartbeat for this long is retried elsewhere (default 60). */
  heartbeatTimeoutSeconds?: number;
}

export interface TuneCityResult {
  study: string;
  trials: number;
  best: BestTrial | null;
}

/** Fewer events than MIN_TRAIN_DAYS: nothing to tune or fit (the pipeline notes why and goes on). */
const tooFewEvents = (input: TrainCityWorkflowInput, dataset: DatasetResult): StageSkipped | undefined =>
  dataset.events < MIN_TRAIN_DAYS ? { city: input.city, skipped: `not enough history: ${dataset.events} events, at least ${MIN_TRAIN_DAYS} settled days are needed` } : undefined;

/** The fit's own verdict on the usable days (settled, quoted), as a skip rather than a failure. */
function insufficient(err: unknown, city: string): StageSkipped | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e instanceof ApplicationFailure && e.type === 'InsufficientData') return { city, skipped: `not enough history: ${e.message}` };
  }
  return undefined;
}

const datasetFor = (input: TrainCityWorkflowInput) =>
  buildCityDataset({
    city: input.city as DatasetWorkflowInput['city'],
    from: input.from,
    to: input.to,
    ...(input.datasetParams || input.stepMinutes ? { params: { ...(input.stepMinutes ? { stepMinutes: input.stepMinutes } : {}), ...(input.datasetParams ?? {}) } } : {}),
  });

/**
 * The study's name follows everything its trials depend on (the dataset's build parameters and inputs,
 * the held-out days), so a rerun on the same data resumes it and new data or settings start a new one.
 */
export function bracketStudyName(input: TrainCityWorkflowInput, dataset: DatasetResult): string {
  const held = input.testFrom ?? `f${input.testFraction ?? 0.2}`;
  // The file name is the hash of the build parameters (ml/dataset-cache.ts datasetPath), the input hash the data's.
  const params = (dataset.path.split('/').pop() ?? '').replace(/\.parquet$/, '').slice(0, 12);
  return `bracket.${input.city}.${params}.${dataset.inputHash.replace(/^sha256:/, '').slice(0, 12)}.${held}.q${input.maxQuoteAgeMinutes ?? 'all'}`;
}

/** Runs (or resumes, or finds complete) the city's TPE study of bracket-model parameters on time-series folds of its training days. */
async function tuneCity(input: TrainCityWorkflowInput, dataset: DatasetResult, trials: number): Promise<TuneCityResult> {
  const study = bracketStudyName(input, dataset);
  const progress: TuneProgress = await executeChild(tuneWorkflow, {
    workflowId: `tune/${study}`,
    taskQueue: workflowInfo().taskQueue,
    args: [
      {
        study,
        space: BRACKET_SEARCH_SPACE,
        direction: 'minimize',
        objective: {
          name: 'bracket',
          options: {
            dataset: dataset.path,
            ...(input.testFrom ? { testFrom: input.testFrom } : { testFraction: input.testFraction ?? 0.2 }),
            ...(input.maxQuoteAgeMinutes !== undefined ? { maxQuoteAgeMinutes: input.maxQuoteAgeMinutes } : {}),
            // One fit per fold, its rounds chosen on the fold's own days (as LightGBM's cv): half the cost.
            earlyStopping: 'fold',
            // Two trials at once on their own threads: one GBDT thread each.
            fixed: { ...(input.params ?? {}), numThreads: 1 },
          },
        },
        trials,
        parallelism: 2,
        sampler: { kind: 'tpe', seed: 0, options: { nStartupTrials: Math.min(10, Math.max(2, Math.floor(trials / 2))) } },
        pruner: { kind: 'median', options: { nStartupTrials: 4, nWarmupSteps: 0 } },
        heartbeatTimeoutSeconds: input.heartbeatTimeoutSeconds ?? 60,
        staleAfterSeconds: Math.max(30, 2 * (input.heartbeatTimeoutSeconds ?? 60)),
        city: input.city,
      },
    ],
    typedSearchAttributes: [
      { key: CITY, value: input.city },
      { key: STAGE, value: 'tune' },
    ],
  });
  return { study, trials: progress.done, best: progress.best };
}

/**
 * The pipeline's tune stage for one city: the dataset (from the Parquet cache) and the bracket model's
 * TPE study. The train stage then finds the study complete and fits with its best parameters.
 */
export async function tuneCityWorkflow(input: TrainCityWorkflowInput): Promise<TuneCityResult | StageSkipped> {
  const progress: TrainProgress = { stage: 'dataset' };
  setHandler(tuneCityProgressQuery, () => progress);
  upsertSearchAttributes([
    { key: CITY, value: input.city },
    { key: STAGE, value: 'tune' },
  ]);
  try {
    progress.dataset = await datasetFor(input);
    const skip = tooFewEvents(input, progress.dataset);
    if (skip) {
      progress.stage = 'done';
      return skip;
    }
    progress.stage = 'tune';
    progress.tune = await tuneCity(input, progress.dataset, input.tuneTrials ?? DEFAULT_TUNE_TRIALS);
    progress.stage = 'done';
    return progress.tune;
  } catch (err) {
    progress.stage = 'failed';
    progress.error = rootMessage(err);
    throw err;
  }
}

/**
 * One city's model: the dataset (from the Parquet cache when its inputs are unchanged), the TPE study
 * of its parameters (resumed or found complete when it exists), then the bracket model's fit with the
 * best trial's parameters, ONNX export and registration. Each step is idempotent (the study lives in
 * PostgreSQL, the model version is a hash of its inputs), so a crash anywhere resumes without a
 * second version.
 */
export async function trainCityWorkflow(input: TrainCityWorkflowInput): Promise<(TrainCityResult & { delta?: DeltaSummary }) | StageSkipped> {
  const progress: TrainProgress = { stage: 'dataset' };
  setHandler(trainProgressQuery, () => progress);
  upsertSearchAttributes([
    { key: CITY, value: input.city },
    { key: STAGE, value: 'train' },
  ]);
  try {
    progress.dataset = await datasetFor(input);
    // Runs started before the study was part of training replay as they ran: straight to the fit.
    const tunes = patched('train-tune');
    const skip = tunes ? tooFewEvents(input, progress.dataset) : undefined;
    if (skip) {
      progress.stage = 'done';
      return skip;
    }
    const trials = input.tuneTrials ?? DEFAULT_TUNE_TRIALS;
    if (tunes && trials > 0) {
      progress.stage = 'tune';
      progress.tune = await tuneCity(input, progress.dataset, trials);
    }
    progress.stage = 'fit';
    const tuned = progress.tune?.best?.params ?? {};
    const params = { ...tuned, ...(input.params ?? {}) };
    try {
      progress.result = await fitActivities(input.heartbeatTimeoutSeconds ?? 60).trainCityModel({
      city: input.city,
      datasetPath: progress.dataset.path,
      ...(Object.keys(params).length ? { params } : {}),
      ...(input.testFraction !== undefined ? { testFraction: input.testFraction } : {}),
      ...(input.testFrom !== undefined ? { testFrom: input.testFrom } : {}),
      ...(input.maxQuoteAgeMinutes !== undefined ? { maxQuoteAgeMinutes: input.maxQuoteAgeMinutes } : {}),
        ...(progress.tune ? { study: progress.tune.study } : {}),
      });
    } catch (err) {
      const skipped = tunes ? insufficient(err, input.city) : undefined;
      if (!skipped) throw err;
      progress.stage = 'done';
      return skipped;
    }
    if (tunes && input.deltaModel !== false) {
      progress.stage = 'delta';
      progress.delta = await deltaModel(input, progress.dataset);
    }
    progress.stage = 'done';
    return { ...progress.result, ...(progress.delta ? { delta: progress.delta } : {}) };
  } catch (err) {
    progress.stage = 'failed';
    progress.error = rootMessage(err);
    throw err;
  }
}

/**
 * The ordinal delta model on the same days. It is not the served model (the bracket model is), so its
 * failure is reported beside the bracket model's result rather than failing the city's training.
 */
async function deltaModel(input: TrainCityWorkflowInput, dataset: DatasetResult): Promise<DeltaSummary> {
  try {
    const r = await fitActivities(input.heartbeatTimeoutSeconds ?? 60).trainDeltaModel({
      city: input.city,
      datasetPath: dataset.path,
      spec: DELTA_SPEC,
      ...(input.testFraction !== undefined ? { testFraction: input.testFraction } : {}),
      ...(input.testFrom !== undefined ? { testFrom: input.testFrom } : {}),
      ...(input.maxQuoteAgeMinutes !== undefined ? { maxQuoteAgeMinutes: input.maxQuoteAgeMinutes } : {}),
    });
    return { version: r.version, logLoss: r.model.logLoss, marketLogLoss: r.market.logLoss, spec: `${DELTA_SPEC.baseline}±${DELTA_SPEC.hi}` };
  } catch (err) {
    return { error: rootMessage(err) };
  }
}
