/**
 * The train stage's activity: fits a city's bracket model on the cached dataset's training days
 * (early stopping on the last fifth of them, then refit on all of them with that many rounds),
 * scores it on the held-out test days next to the market-implied distribution on the very same rows,
 * writes model.json, model.onnx, params.json and metrics.json under data/models/{city}/{version}/, and
 * registers the version in ml.model_version as the city's active bracket model.
 *
 * The version is a hash of the dataset's inputs and the parameters, so a retry after a crash writes
 * the same files and upserts the same row: one run registers exactly one version.
 */
import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { and, eq, ne } from 'drizzle-orm';
import { z } from 'zod';
import { BRACKETS, type Dataset } from '../../domain/features';
import { bracketMatrix, marketBrackets, predictBrackets, usableRows } from '../../domain/ml/bracket-model';
import { forecastNormalProba, fitForecastNormal, normalBracketMass } from '../../domain/ml/baselines';
import { accuracy, brierScore, logLoss, pairedBootstrapDiff, perRowLogLoss, rankedProbabilityScore } from '../../domain/ml/metrics';
import { modelReportData } from '../../domain/ml/model-report-data';
import { timeHoldout } from '../../domain/ml/splits';
import { gbdtParamsSchema } from '../../domain/ml/gbdt/params';
import { readDatasetFile } from '../../ml/dataset-cache';
import { writeModelFiles } from '../../ml/model-files';
import { TrainThreadError, trainInThread, type SharedRows } from '../../ml/train-worker';
import type { GbdtDataset } from '../../domain/ml/gbdt/dataset';
import type { GbdtModel } from '../../domain/ml/gbdt/model';
import type { TrainResult } from '../../domain/ml/gbdt/train';
import { parseGbdtParams, type GbdtParamsInput } from '../../domain/ml/gbdt/params';
import { TableInputError } from '../../ml/tables';
import { mlModelVersion } from '../../schemas/db';
import { MIN_TRAIN_DAYS } from '../../schemas/stage';
import type { ActivityDeps } from '../index';

export const BRACKET_MODEL_KIND = 'bracket';

/** Defaults chosen on the generated worlds: shallow trees, slow learning, large leaves (a day's snapshots are alike). */
export const DEFAULT_BRACKET_PARAMS = {
  objective: 'binary',
  numIterations: 1500,
  learningRate: 0.02,
  numLeaves: 4,
  minDataInLeaf: 200,
  featureFraction: 0.7,
  earlyStoppingRounds: 100,
  seed: 7,
  numThreads: 2,
} as const;

export const TrainCityInputSchema = z.object({
  city: z.string(),
  datasetPath: z.string(),
  testFraction: z.number().gt(0).lt(1).default(0.2),
  /** Test on the days from this date on instead of the last testFraction of days (YYYY-MM-DD). */
  testFrom: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(),
  /** Train and test only on snapshots with a quote at most this old (sparse recorded quotes); default: every snapshot. */
  maxQuoteAgeMinutes: z.number().int().min(0).optional(),
  /** GBDT parameters over the defaults (domain/ml/gbdt/params.ts). */
  params: z.record(z.string(), z.unknown()).optional(),
  /** The TPE study the parameters came from (recorded with the model). */
  study: z.string().optional(),
});
export type TrainCityInput = z.input<typeof TrainCityInputSchema>;

export interface TrainCityResult {
  city: string;
  kind: string;
  version: string;
  artifactDir: string;
  trainDays: number;
  testDays: number;
  testRows: number;
  testFrom: string;
  model: Scores;
  /** Baselines on the very same rows: the market-implied distribution (normalised mids), a forecast-only
   *  normal (bias and spread fitted on the training rows), climatology (earlier years' highs). */
  market: Scores;
  /** Null where the dataset has no daily forecast with a settled high in its training days (forecastNormalNote says so). */
  forecastNormal: Scores | null;
  forecastNormalNote?: string;
  climatology: Scores;
  /** Model minus market log loss per row, mean and 95% interval over days resampled. */
  logLossDiff: { estimate: number; lo: number; hi: number };
  trees: number;
}

export interface Scores {
  logLoss: number;
  rps: number;
  brier: number;
  accuracy: number;
}

export const scores = (p: ArrayLike<number>, y: ArrayLike<number>): Scores => ({
  logLoss: logLoss(p, y, BRACKETS),
  rps: rankedProbabilityScore(p, y, BRACKETS),
  brier: brierScore(p, y, BRACKETS),
  accuracy: accuracy(p, y, BRACKETS),
});

/** Test rows of `rows` split by day (a day never on both sides): from `testFrom` on, else the last fraction of days. */
export function splitRows(d: Dataset, rows: Int32Array, testFraction: number, testFrom?: string): { train: Int32Array; test: Int32Array; testFrom: string } {
  const days = Array.from(rows, (r) => d.date[r]!);
  const split = testFrom ? timeHoldout(days, { trainBefore: testFrom }) : timeHoldout(days, { testFraction });
  const pick = (ix: Int32Array) => Int32Array.from(ix, (i) => rows[i]!);
  return { train: pick(split.train.rows), test: pick(split.test.rows), testFrom: split.test.days[0]! };
}

/** N(clim.mean, clim.sd) over each row's ladder; uniform where the dataset has no earlier years. */
export function climatologyRows(d: Dataset, rows: Int32Array): Float64Array {
  const out = new Float64Array(rows.length * BRACKETS);
  const mean = d.features.column('clim.mean');
  const sd = d.features.column('clim.sd');
  rows.forEach((r, i) => {
    if (Number.isFinite(mean[r]!) && sd[r]! > 0) normalBracketMass(d.events[d.event[r]!]!.brackets, mean[r]!, sd[r]!, out, i * BRACKETS);
    else out.fill(1 / BRACKETS, i * BRACKETS, (i + 1) * BRACKETS);
  });
  return out;
}

const invalid = (message: string) => ApplicationFailure.create({ type: 'InvalidInput', nonRetryable: true, message });

export function createTrainActivities(deps: ActivityDeps) {
  return {
    async trainCityModel(raw: TrainCityInput): Promise<TrainCityResult> {
      const parsedInput = TrainCityInputSchema.safeParse(raw);
      if (!parsedInput.success) {
        const i = parsedInput.error.issues[0]!;
        throw invalid(`train input ${i.path.join('.')}: ${i.message}`);
      }
      const input = parsedInput.data;
      const params = gbdtParamsSchema.safeParse({ ...DEFAULT_BRACKET_PARAMS, ...(input.params ?? {}) });
      if (!params.success) {
        const i = params.error.issues[0]!;
        throw invalid(`train params.${i.path.join('.')}: ${i.message}`);
      }
      const heartbeat = (stage: string) => Context.current().heartbeat({ stage });
      let d;
      try {
        d = await readDatasetFile(input.datasetPath);
      } catch (err) {
        if (err instanceof TableInputError) throw invalid(`train dataset: ${err.message}`);
        throw err;
      }
      if (d.city !== input.city) throw invalid(`train dataset ${input.datasetPath} is for ${d.city}, not ${input.city}`);
      const rows = usableRows(d, true, input.maxQuoteAgeMinutes);
      const days = new Set(Array.from(rows, (r) => d.date[r]!));
      if (days.size < MIN_TRAIN_DAYS) {
        throw ApplicationFailure.create({ type: 'InsufficientData', nonRetryable: true, message: `${days.size} settled days with market quotes in the range; at least ${MIN_TRAIN_DAYS} are needed to train` });
      }
      let split;
      try {
        split = splitRows(d, rows, input.testFraction, input.testFrom);
      } catch (err) {
        if (err instanceof RangeError) throw invalid(`train ${input.city}: ${err.message}`);
        throw err;
      }
      const { train, test } = split;
      const inner = splitRows(d, train, 0.2);

      const gbdt = params.data;
      const innerValid = bracketMatrix(d, inner.test, true);
      const early = await fitOnThread(bracketMatrix(d, inner.train, true), innerValid, gbdt, () => heartbeat('fit'));
      const rounds = Math.max(1, early.model.trees.length);
      const { earlyStoppingRounds: _unused, ...refitParams } = gbdt;
      // Without early stopping the validation rows only get evaluated; they do not shape the refit.
      const final = await fitOnThread(bracketMatrix(d, train, true), innerValid, { ...refitParams, numIterations: rounds }, () => heartbeat('refit'));

      const y = Float64Array.from(test, (r) => d.yBracket[r]!);
      const pModel = predictBrackets(final.model, d, test);
      const pMarket = marketBrackets(d, test);
      const diff = pairedBootstrapDiff(perRowLogLoss(pModel, y, BRACKETS), perRowLogLoss(pMarket, y, BRACKETS), Array.from(test, (r) => d.date[r]!), { reps: 2000, seed: 1 });
      const fcCol = d.features.column('fc.mean');
      const ladders = Array.from(test, (r) => d.events[d.event[r]!]!.brackets);
      const pClim = climatologyRows(d, test);
      const withForecast = Array.from(train).filter((r) => Number.isFinite(fcCol[r]!) && Number.isFinite(d.yHigh[r]!)).length;
      const pForecast = withForecast >= 2 ? forecastNormalProba(Float64Array.from(test, (r) => fcCol[r]!), ladders, fitForecastNormal(fcCol, d.yHigh, { rows: train }), pClim).proba : undefined;

      const version = `b-${createHash('sha256').update(`${d.inputHash}|${JSON.stringify(gbdt)}|${input.testFrom ?? input.testFraction}|${input.maxQuoteAgeMinutes ?? ''}`).digest('hex').slice(0, 12)}`;
      const artifactDir = join(deps.config.dataDir, 'models', input.city, version);
      const result: TrainCityResult = {
        city: input.city,
        kind: BRACKET_MODEL_KIND,
        version,
        artifactDir,
        trainDays: new Set(Array.from(train, (r) => d.date[r]!)).size,
        testDays: new Set(Array.from(test, (r) => d.date[r]!)).size,
        testRows: test.length,
        testFrom: split.testFrom,
        model: scores(pModel, y),
        market: scores(pMarket, y),
        forecastNormal: pForecast ? scores(pForecast, y) : null,
        ...(pForecast ? {} : { forecastNormalNote: `no daily forecast with a settled high in the training days (${withForecast} rows)` }),
        climatology: scores(pClim, y),
        logLossDiff: { estimate: diff.estimate, lo: diff.lo, hi: diff.hi },
        trees: final.model.trees.length,
      };
      heartbeat('write');
      await writeModelFiles(artifactDir, final.model);
      await writeJsonAtomic(join(artifactDir, 'params.json'), { ...refitParams, numIterations: rounds, testFraction: input.testFraction, testFrom: result.testFrom, maxQuoteAgeMinutes: input.maxQuoteAgeMinutes ?? null, dataset: input.datasetPath, study: input.study ?? null });
      await writeJsonAtomic(join(artifactDir, 'metrics.json'), result);
      // The report's data (wx ml report) from the test-row probabilities held only here.
      await writeJsonAtomic(join(artifactDir, 'report.json'), modelReportData({ city: input.city, version, kind: BRACKET_MODEL_KIND, probs: { model: pModel, market: pMarket, forecastNormal: pForecast, climatology: pClim }, y, days: Array.from(test, (r) => d.date[r]!), importance: final.importance, featureNames: final.model.featureNames }));
      await register(deps, result, { ...refitParams, numIterations: rounds });
      deps.log.info({ city: input.city, version, model: result.model.logLoss, market: result.market.logLoss }, 'train: bracket model registered');
      return result;
    },
  };
}

/**
 * Fits on a training thread (ml/train-worker.ts) while this thread heartbeats, so that a killed worker
 * is noticed within the heartbeat timeout and the fit retried elsewhere.
 */
export async function fitOnThread(train: GbdtDataset, valid: GbdtDataset, params: GbdtParamsInput, heartbeat: () => void): Promise<{ model: GbdtModel; importance: TrainResult['importance'] }> {
  const shared = (m: GbdtDataset): SharedRows => ({ x: Float64Array.from(m.x), rows: m.rows, y: Int32Array.from(m.y) });
  heartbeat();
  const beat = setInterval(heartbeat, 2000);
  try {
    const outcome = await trainInThread({ train: shared(train), valid: shared(valid), featureNames: train.featureNames, params: parseGbdtParams(params), reportEvery: 1_000_000, metric: 'logloss', returnModel: true });
    if (outcome.kind !== 'done' || !outcome.model || !outcome.importance) throw new Error('train: the training thread returned no model');
    return { model: outcome.model, importance: outcome.importance };
  } catch (err) {
    if (err instanceof TrainThreadError && /^InvalidGbdt/.test(err.originalName)) throw invalid(`train params: ${err.message}`);
    throw err;
  } finally {
    clearInterval(beat);
  }
}

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`);
  await rename(tmp, path);
}

/** Upserts the version and makes it the city's active model of its kind (the previous active one retires). */
export async function register(deps: ActivityDeps, r: TrainCityResult, params: Record<string, unknown>): Promise<void> {
  const artifactPath = relative(deps.config.dataDir, join(r.artifactDir, 'model.onnx'));
  await deps.db.transaction(async (tx) => {
    await tx
      .insert(mlModelVersion)
      .values({ cityId: r.city, kind: r.kind, version: r.version, params, metrics: r as unknown as Record<string, unknown>, artifactPath, status: 'active' })
      .onConflictDoUpdate({
        target: [mlModelVersion.cityId, mlModelVersion.kind, mlModelVersion.version],
        set: { params, metrics: r as unknown as Record<string, unknown>, artifactPath, status: 'active' },
      });
    await tx
      .update(mlModelVersion)
      .set({ status: 'retired' })
      .where(and(eq(mlModelVersion.cityId, r.city), eq(mlModelVersion.kind, r.kind), ne(mlModelVersion.version, r.version), eq(mlModelVersion.status, 'active')));
  });
}

export type TrainActivities = ReturnType<typeof createTrainActivities>;
