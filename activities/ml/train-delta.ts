/**
 * The ordinal delta model's activities (domain/ml/delta-model.ts):
 * - trainDeltaModel: one city's model for one spec (baseline, range) on the cached dataset, with the
 *   bracket model's day split (splitRows), early stopping on the last fifth of the training days then a
 *   refit on all of them, scored on the test days as six-bracket probabilities next to the market on
 *   the very same rows; model.json, model.onnx, params.json and metrics.json under
 *   data/models/{city}/{version}/, registered as the city's active `delta` model in ml.model_version.
 * - deltaSweep: the same fit for several specs on one split, returning a small table (no rows, no
 *   files): what `wx ml delta-sweep` prints.
 *
 * The version is a hash of the dataset's inputs, the spec, the parameters and the split, so a retry
 * writes the same files and upserts the same row: one run registers exactly one version.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { z } from 'zod';
import { BRACKETS, type Dataset } from '../../domain/features';
import { marketBrackets, usableRows } from '../../domain/ml/bracket-model';
import { forecastNormalProba, fitForecastNormal } from '../../domain/ml/baselines';
import { deltaClasses, deltaMatrix, deltaRows, deltaSpecLabel, DeltaSpecSchema, DELTA_BASELINES, predictDelta, type DeltaSpec } from '../../domain/ml/delta-model';
import { gbdtParamsSchema, type GbdtParams } from '../../domain/ml/gbdt/params';
import type { GbdtModel } from '../../domain/ml/gbdt/model';
import { pairedBootstrapDiff, perRowLogLoss } from '../../domain/ml/metrics';
import { readDatasetFile } from '../../ml/dataset-cache';
import { writeModelFiles } from '../../ml/model-files';
import { TableInputError } from '../../ml/tables';
import type { ActivityDeps } from '../index';
import { climatologyRows, fitOnThread, register, scores, splitRows, writeJsonAtomic, type Scores, type TrainCityResult } from './train';

export const DELTA_MODEL_KIND = 'delta';

/**
 * Defaults over the bracket model's: the ordinal model sees one row per snapshot (not six), so leaves
 * may be smaller; numClasses comes from the spec.
 */
export const DEFAULT_DELTA_PARAMS = {
  objective: 'ordinal',
  numIterations: 1500,
  learningRate: 0.03,
  numLeaves: 6,
  minDataInLeaf: 100,
  featureFraction: 0.7,
  earlyStoppingRounds: 100,
  seed: 7,
  numThreads: 2,
} as const;

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');
const common = {
  city: z.string().min(1),
  datasetPath: z.string().min(1),
  testFraction: z.number().gt(0).lt(1).default(0.2),
  /** Test on the days from this date on instead of the last testFraction of days. */
  testFrom: isoDate.optional(),
  /** Train and test only on snapshots with a quote at most this old (sparse recorded quotes). */
  maxQuoteAgeMinutes: z.number().int().min(0).optional(),
  /** GBDT parameters over DEFAULT_DELTA_PARAMS (objective and numClasses are the spec's). */
  params: z.record(z.string(), z.unknown()).optional(),
};

export const TrainDeltaInputSchema = z.object({ ...common, spec: DeltaSpecSchema.default({ baseline: 'forecast', lo: -8, hi: 8 }) }).strict();
export type TrainDeltaInput = z.input<typeof TrainDeltaInputSchema>;

export const DeltaSweepInputSchema = z
  .object({
    ...common,
    /** Specs to compare; default: every baseline × ranges 4, 6, 8 (lo = -r, hi = r). */
    specs: z.array(DeltaSpecSchema).min(1).max(50).optional(),
  })
  .strict();
export type DeltaSweepInput = z.input<typeof DeltaSweepInputSchema>;

export interface TrainDeltaResult extends TrainCityResult {
  spec: DeltaSpec;
  /** Rows of the dataset's split without the baseline (e.g. obs_max before the climate day), left out. */
  droppedTrainRows: number;
  droppedTestRows: number;
}

export interface DeltaSweepRow {
  spec: DeltaSpec;
  label: string;
  trainRows: number;
  testRows: number;
  testDays: number;
  trees: number;
  model: Scores;
  /** The market-implied distribution (normalised mids) on the very same test rows. */
  market: Scores;
}

export interface DeltaSweepResult {
  city: string;
  testFrom: string;
  testDays: number;
  rows: DeltaSweepRow[];
  /** Index into rows of the lowest model log loss. */
  best: number;
}

/** Every baseline × every range r (lo = -r, hi = r), in that order. */
export function sweepSpecs(baselines: readonly (typeof DELTA_BASELINES)[number][] = DELTA_BASELINES, ranges: readonly number[] = [4, 6, 8]): DeltaSpec[] {
  return baselines.flatMap((baseline) => ranges.map((r) => DeltaSpecSchema.parse({ baseline, lo: -r, hi: r })));
}

export class DeltaInputError extends Error {
  override name = 'DeltaInputError';
}

/** GBDT parameters for a spec: the defaults, the caller's overrides, the spec's objective and class count. */
export function deltaParams(spec: DeltaSpec, overrides: Record<string, unknown> = {}): GbdtParams {
  const K = deltaClasses(spec);
  for (const [key, want] of [['objective', 'ordinal'], ['numClasses', K]] as const) {
    if (key in overrides && overrides[key] !== want) throw new DeltaInputError(`params.${key} ${JSON.stringify(overrides[key])}: the delta model ${deltaSpecLabel(spec)} is ${key === 'objective' ? 'ordinal' : `${K} classes`}`);
  }
  const r = gbdtParamsSchema.safeParse({ ...DEFAULT_DELTA_PARAMS, ...overrides, objective: 'ordinal', numClasses: K });
  if (!r.success) {
    const i = r.error.issues[0]!;
    const key = i.path.join('.') || (i.code === 'unrecognized_keys' ? i.keys[0] : '');
    throw new DeltaInputError(`params.${key} ${JSON.stringify(overrides[String(key)])}: ${i.message}`);
  }
  return { ...r.data, numClasses: K };
}

export interface DeltaFit {
  spec: DeltaSpec;
  model: GbdtModel;
  params: GbdtParams;
  train: Int32Array;
  test: Int32Array;
  /** Six bracket probabilities of the test rows, the market's on the same rows, and the settled brackets. */
  pModel: Float64Array;
  pMarket: Float64Array;
  y: Float64Array;
}

/**
 * Fits one spec on a day split of usable rows: its rows with a known baseline, early stopping on the
 * last fifth of the training days, then a refit on all of them with that many rounds; predictions for
 * the test rows as six-bracket probabilities. `onStage` is told before each fit (heartbeats).
 */
export async function fitDelta(d: Dataset, split: { train: Int32Array; test: Int32Array }, spec: DeltaSpec, params: GbdtParams, onStage: (stage: string) => void = () => {}): Promise<DeltaFit> {
  const label = deltaSpecLabel(spec);
  const train = deltaRows(d, spec, split.train, true);
  const test = deltaRows(d, spec, split.test, true);
  const trainDays = new Set(Array.from(train, (r) => d.date[r]!)).size;
  if (trainDays < 5) throw new DeltaInputError(`${label}: ${trainDays} training days with the ${spec.baseline} baseline known; at least 5 are needed`);
  if (test.length === 0) throw new DeltaInputError(`${label}: no test rows with the ${spec.baseline} baseline known`);
  const inner = splitRows(d, train, 0.2);
  // On a training thread while this one heartbeats (trainCityModel's fitOnThread), so a dead worker is noticed.
  const innerValid = deltaMatrix(d, spec, inner.test, true);
  const early = await fitOnThread(deltaMatrix(d, spec, inner.train, true), innerValid, params, () => onStage(`fit ${label}`));
  const rounds = Math.max(1, early.model.trees.length);
  const { earlyStoppingRounds: _unused, ...refit } = params;
  const refitParams = { ...refit, numIterations: rounds } as GbdtParams;
  // Without early stopping the validation rows are only evaluated.
  const final = await fitOnThread(deltaMatrix(d, spec, train, true), innerValid, refitParams, () => onStage(`refit ${label}`));
  return {
    spec,
    model: final.model,
    params: refitParams,
    train,
    test,
    pModel: predictDelta(final.model, d, spec, test),
    pMarket: marketBrackets(d, test),
    y: Float64Array.from(test, (r) => d.yBracket[r]!),
  };
}

/** The usable rows of a dataset split by day, as trainCityModel splits them (so the test days are the bracket model's). */
export function deltaSplit(d: Dataset, opts: { testFraction: number; testFrom?: string; maxQuoteAgeMinutes?: number }): { train: Int32Array; test: Int32Array; testFrom: string } {
  const rows = usableRows(d, true, opts.maxQuoteAgeMinutes).filter((r) => Number.isFinite(d.yHigh[r]!));
  const days = new Set(Array.from(rows, (r) => d.date[r]!));
  if (days.size < 10) throw new DeltaInputError(`${d.city}: ${days.size} settled days with market quotes; at least 10 are needed`);
  try {
    return splitRows(d, rows, opts.testFraction, opts.testFrom);
  } catch (err) {
    if (err instanceof RangeError) throw new DeltaInputError(`${d.city}: ${err.message}`);
    throw err;
  }
}

/** Fits every spec on the same split and scores each next to the market on its own test rows. Pure apart from the training threads. */
export async function deltaSweep(
  d: Dataset,
  split: { train: Int32Array; test: Int32Array; testFrom: string },
  specs: readonly DeltaSpec[],
  overrides: Record<string, unknown> = {},
  onStage: (stage: string) => void = () => {},
): Promise<DeltaSweepResult> {
  const rows: DeltaSweepRow[] = [];
  for (const spec of specs) {
    const fit = await fitDelta(d, split, spec, deltaParams(spec, overrides), onStage);
    rows.push({
      spec,
      label: deltaSpecLabel(spec),
      trainRows: fit.train.length,
      testRows: fit.test.length,
      testDays: new Set(Array.from(fit.test, (r) => d.date[r]!)).size,
      trees: fit.model.trees.length,
      model: scores(fit.pModel, fit.y),
      market: scores(fit.pMarket, fit.y),
    });
  }
  let best = 0;
  rows.forEach((r, i) => {
    if (r.model.logLoss < rows[best]!.model.logLoss) best = i;
  });
  return { city: d.city, testFrom: split.testFrom, testDays: new Set(Array.from(split.test, (r) => d.date[r]!)).size, rows, best };
}

const invalid = (message: string) => ApplicationFailure.create({ type: 'InvalidInput', nonRetryable: true, message });

function parseInput<S extends z.ZodType>(schema: S, raw: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const i = r.error.issues[0]!;
  let got: unknown = raw;
  for (const k of i.path) got = got !== null && typeof got === 'object' ? (got as Record<PropertyKey, unknown>)[k] : undefined;
  const field = i.path.join('.') || (i.code === 'unrecognized_keys' ? i.keys[0] : '(input)');
  throw invalid(`${what} ${field}${got === undefined ? '' : ` ${JSON.stringify(got)}`}: ${i.message}`);
}

/** Runs `fn`, turning the module's input errors into non-retryable InvalidInput failures. */
async function asInvalid<T>(what: string, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DeltaInputError) throw invalid(`${what}: ${err.message}`);
    throw err;
  }
}

async function loadDataset(what: string, path: string, city: string): Promise<Awaited<ReturnType<typeof readDatasetFile>>> {
  let d;
  try {
    d = await readDatasetFile(path);
  } catch (err) {
    if (err instanceof TableInputError) throw invalid(`${what} dataset: ${err.message}`);
    throw err;
  }
  if (d.city !== city) throw invalid(`${what} dataset ${path} is for ${d.city}, not ${city}`);
  return d;
}

export function createDeltaTrainActivities(deps: ActivityDeps) {
  const heartbeat = (stage: string) => Context.current().heartbeat({ stage });
  return {
    async trainDeltaModel(raw: TrainDeltaInput): Promise<TrainDeltaResult> {
      const input = parseInput(TrainDeltaInputSchema, raw, 'train-delta input');
      const { spec } = input;
      const gbdt = await asInvalid('train-delta', () => deltaParams(spec, input.params));
      const d = await loadDataset('train-delta', input.datasetPath, input.city);
      const split = await asInvalid('train-delta', () => deltaSplit(d, input));
      const fit = await asInvalid(`train-delta ${input.city}`, () => fitDelta(d, split, spec, gbdt, heartbeat));

      const { test, train, y, pModel, pMarket } = fit;
      const dayOf = Array.from(test, (r) => d.date[r]!);
      const diff = pairedBootstrapDiff(perRowLogLoss(pModel, y, BRACKETS), perRowLogLoss(pMarket, y, BRACKETS), dayOf, { reps: 2000, seed: 1 });
      // The bracket model's other two baselines, on the same rows (train.ts).
      const fcCol = d.features.column('fc.mean');
      const pClim = climatologyRows(d, test);
      const withForecast = Array.from(train).filter((r) => Number.isFinite(fcCol[r]!) && Number.isFinite(d.yHigh[r]!)).length;
      const ladders = Array.from(test, (r) => d.events[d.event[r]!]!.brackets);
      const pForecast = withForecast >= 2 ? forecastNormalProba(Float64Array.from(test, (r) => fcCol[r]!), ladders, fitForecastNormal(fcCol, d.yHigh, { rows: train }), pClim).proba : undefined;

      const version = `d-${createHash('sha256').update(`${d.inputHash}|${JSON.stringify(spec)}|${JSON.stringify(gbdt)}|${input.testFrom ?? input.testFraction}|${input.maxQuoteAgeMinutes ?? ''}`).digest('hex').slice(0, 12)}`;
      const artifactDir = join(deps.config.dataDir, 'models', input.city, version);
      const result: TrainDeltaResult = {
        city: input.city,
        kind: DELTA_MODEL_KIND,
        version,
        artifactDir,
        spec,
        trainDays: new Set(Array.from(train, (r) => d.date[r]!)).size,
        testDays: new Set(dayOf).size,
        testRows: test.length,
        testFrom: split.testFrom,
        droppedTrainRows: split.train.length - train.length,
        droppedTestRows: split.test.length - test.length,
        model: scores(pModel, y),
        market: scores(pMarket, y),
        forecastNormal: pForecast ? scores(pForecast, y) : null,
        climatology: scores(pClim, y),
        logLossDiff: { estimate: diff.estimate, lo: diff.lo, hi: diff.hi },
        trees: fit.model.trees.length,
      };
      heartbeat('write');
      await writeModelFiles(artifactDir, fit.model);
      const params = { ...fit.params, spec, testFraction: input.testFraction, testFrom: result.testFrom, maxQuoteAgeMinutes: input.maxQuoteAgeMinutes ?? null, dataset: input.datasetPath };
      await writeJsonAtomic(join(artifactDir, 'params.json'), params);
      await writeJsonAtomic(join(artifactDir, 'metrics.json'), result);
      await register(deps, result, params);
      deps.log.info({ city: input.city, version, spec: deltaSpecLabel(spec), model: result.model.logLoss, market: result.market.logLoss }, 'train: delta model registered');
      return result;
    },

    async deltaSweep(raw: DeltaSweepInput): Promise<DeltaSweepResult> {
      const input = parseInput(DeltaSweepInputSchema, raw, 'delta-sweep input');
      const specs = input.specs ?? sweepSpecs();
      // Every spec's parameters checked before the first (long) fit.
      await asInvalid('delta-sweep', () => specs.forEach((s) => deltaParams(s, input.params)));
      const d = await loadDataset('delta-sweep', input.datasetPath, input.city);
      const split = await asInvalid('delta-sweep', () => deltaSplit(d, input));
      const result = await asInvalid(`delta-sweep ${input.city}`, () => deltaSweep(d, split, specs, input.params, heartbeat));
      deps.log.info({ city: input.city, best: result.rows[result.best]!.label, testDays: result.testDays }, 'delta-sweep: done');
      return result;
    },
  };
}

export type DeltaTrainActivities = ReturnType<typeof createDeltaTrainActivities>;
