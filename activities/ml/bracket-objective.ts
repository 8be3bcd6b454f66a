/**
 * The 'bracket' tuning objective: the per-city bracket model (domain/ml/bracket-model.ts) scored on
 * time-series folds of a cached dataset's training days. The days trainCityModel holds out for its
 * test (the same testFraction / testFrom / maxQuoteAgeMinutes, the same splitRows call) are never read
 * here, so tuning cannot select parameters on the days the final model is scored on.
 *
 * Each trial, for each fold (expanding window over the training days, `gapDays` left out before the
 * validation block; domain/ml/splits.ts timeSeriesFolds): fit the binary GBDT over (snapshot, bracket)
 * pairs as trainCityModel does (early stopping on the last fifth of the fold's training days, then a
 * refit on all of them with that many rounds), predict the validation days, renormalise over each
 * ladder and take the bracket log loss. The running mean over folds is reported after each fold (the
 * median pruner's intermediate values); the value is the mean over all folds.
 *
 * Training runs on a worker thread (ml/train-worker.ts), so the activity's heartbeat timers keep
 * firing. The dataset is read and its pair matrix built once per process and options (K trials at once
 * share one copy, in SharedArrayBuffers): every fold's sets are contiguous day ranges of the training
 * days in date order, so each is a view into that one matrix.
 *
 * This module imports only types from ./objectives (which imports it): no cycle at load time.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { BRACKETS, dateOfDayNumber, type Dataset } from '../../domain/features';
import { BRACKET_FEATURES, bracketMatrix, normaliseOverLadder, usableRows } from '../../domain/ml/bracket-model';
import { DomainError } from '../../domain/errors';
import { gbdtParamsSchema, parseGbdtParams, type GbdtParams } from '../../domain/ml/gbdt/params';
import { logLoss } from '../../domain/ml/metrics';
import { timeHoldout, timeSeriesFolds } from '../../domain/ml/splits';
import { TrialPruned } from '../../domain/ml/tpe/study';
import type { SearchSpace } from '../../domain/ml/tpe/types';
import { readDatasetFile } from '../../ml/dataset-cache';
import { TableInputError } from '../../ml/tables';
import { TrainThreadError, trainInThread, type SharedRows, type TrainOutcome } from '../../ml/train-worker';
import type { ObjectiveDefinition } from './objectives';
import { DEFAULT_BRACKET_PARAMS, TrainCityInputSchema, splitRows } from './train';

/** A failure that is the options', the data's or the parameters' fault (the study or the trial fails with it). */
export class BracketObjectiveError extends DomainError {}

/** GBDT parameters a space or `fixed` may set (the objective is binary by construction). */
const TUNABLE = Object.keys(gbdtParamsSchema.shape).filter((k) => k !== 'objective' && k !== 'numClasses');

/**
 * The default search space: learning rate and regularisation on log scales; leaves kept small and
 * leaves large, as the defaults are (a day's ~40 snapshots are alike, so a leaf of a few hundred pair
 * rows is only a few days). Rounds are not searched: early stopping (DEFAULT_BRACKET_PARAMS: up to 1500,
 * patience 100) picks them per fold, so a smaller learning rate buys more rounds, not underfitting.
 */
export { BRACKET_SEARCH_SPACE } from '../../domain/ml/bracket-space';

// Checked where the study is opened (the CLI and the ML workers share files in this deployment).
const datasetFile = z
  .string({ error: 'must be the path of a dataset Parquet file' })
  .min(1, { error: 'must be the path of a dataset Parquet file' })
  .refine((p) => existsSync(p) && statSync(p).isFile(), { error: 'no such file' });

export const bracketObjectiveOptions = z
  .strictObject({
    /** A city's cached dataset (data/datasets/{city}/{hash}.parquet, ml/dataset-cache.ts). */
    dataset: datasetFile,
    /** The test split of trainCityModel, whose days are left out here (same meaning, same defaults). */
    testFraction: TrainCityInputSchema.shape.testFraction,
    testFrom: TrainCityInputSchema.shape.testFrom,
    maxQuoteAgeMinutes: TrainCityInputSchema.shape.maxQuoteAgeMinutes,
    folds: z.number({ error: 'must be a number' }).int({ error: 'must be an integer' }).min(1, { error: 'must be >= 1' }).max(20, { error: 'must be <= 20' }).default(3),
    gapDays: z.number({ error: 'must be a number' }).int({ error: 'must be an integer' }).min(0, { error: 'must be >= 0' }).max(60, { error: 'must be <= 60' }).default(1),
    /**
     * Where each fold's rounds are chosen: 'inner' early-stops on the last fifth of the fold's training
     * days and refits on all of them (two fits, as trainCityModel does); 'fold' early-stops on the fold's
     * validation days and scores that model (one fit, as LightGBM's cv does: the rounds are picked on the
     * days scored, alike for every trial, at half the cost).
     */
    earlyStopping: z.enum(['inner', 'fold'], { error: 'must be inner or fold' }).default('inner'),
    /** GBDT parameters every trial shares, over DEFAULT_BRACKET_PARAMS (numThreads 1: trials already run in parallel); the trial's own override them. */
    fixed: z.record(z.string(), z.unknown(), { error: 'must be an object of GBDT parameters' }).default({}),
  })
  .superRefine((o, ctx) => {
    for (const key of Object.keys(o.fixed)) {
      if (!TUNABLE.includes(key)) {
        const why = key === 'objective' || key === 'numClasses' ? 'is set by the objective (binary over bracket pairs)' : `is not a GBDT parameter (expected ${TUNABLE.join(', ')})`;
        ctx.addIssue({ code: 'custom', path: ['fixed', key], message: why });
        return;
      }
    }
    const r = gbdtParamsSchema.safeParse(gbdtParamsOf(o.fixed, {}));
    if (!r.success) {
      const issue = r.error.issues[0]!;
      ctx.addIssue({ code: 'custom', path: ['fixed', ...issue.path.map(String)], message: issue.message });
    }
  });
export type BracketObjectiveOptions = z.infer<typeof bracketObjectiveOptions>;
export type BracketObjectiveOptionsInput = z.input<typeof bracketObjectiveOptions>;

/** DEFAULT_BRACKET_PARAMS, one histogram thread, then `fixed`, then the trial's parameters. */
function gbdtParamsOf(fixed: Record<string, unknown>, params: Record<string, unknown>): Record<string, unknown> {
  return { ...DEFAULT_BRACKET_PARAMS, numThreads: 1, ...fixed, ...params, objective: 'binary' };
}

// ---------------------------------------------------------------- folds (pure)

/** Positions [start, end) into TuningPlan.rows. */
export interface PositionRange {
  start: number;
  end: number;
}

export interface TuningFold {
  /** The fold's training days: the refit (and, without early stopping, the only fit). */
  fit: PositionRange;
  /** Early stopping inside the fold's training days (their last fifth validates); absent when they are one day. */
  stop?: { train: PositionRange; valid: PositionRange };
  valid: PositionRange;
  trainDays: string[];
  gapDays: string[];
  validDays: string[];
}

export interface TuningPlan {
  /** Dataset rows tuned on (trainCityModel's training rows), in date order. */
  rows: Int32Array;
  /** trainCityModel's test days: no row of theirs is in `rows`. */
  testDays: string[];
  folds: TuningFold[];
}

export interface TuningPlanOptions {
  testFraction: number;
  testFrom?: string | undefined;
  folds: number;
  gapDays: number;
}

/**
 * The folds of a study. `usable` are the model's rows (usableRows); trainCityModel's split of them
 * (the same splitRows call) gives the test days, which are dropped; the rest, in date order, are
 * split into expanding-window folds by day. Every set of every fold is a run of whole consecutive
 * days, hence a contiguous range of positions. Errors (too few days) are RangeErrors from splits.ts.
 */
export function planTuning(d: Pick<Dataset, 'date'>, usable: Int32Array, o: TuningPlanOptions): TuningPlan {
  // splitRows reads only the rows' dates.
  const split = splitRows(d as Dataset, usable, o.testFraction, o.testFrom);
  const testDays = [...new Set(Array.from(split.test, (r) => d.date[r]!))].sort((a, b) => a - b).map(dateOfDayNumber);
  const rows = Int32Array.from(split.train).sort((a, b) => d.date[a]! - d.date[b]! || a - b);
  const days = Int32Array.from(rows, (r) => d.date[r]!);
  const folds = timeSeriesFolds(days, { folds: o.folds, gapDays: o.gapDays }).map((f): TuningFold => {
    const fit = contiguous(f.train.rows);
    let stop: TuningFold['stop'];
    if (f.train.days.length >= 2) {
      // trainCityModel's inner split: splitRows(d, train, 0.2), a day holdout of the last fifth.
      const inner = timeHoldout(days.subarray(fit.start, fit.end), { testFraction: 0.2 });
      stop = { train: contiguous(inner.train.rows, fit.start), valid: contiguous(inner.test.rows, fit.start) };
    }
    return { fit, ...(stop ? { stop } : {}), valid: contiguous(f.test.rows), trainDays: f.train.days, gapDays: f.gap, validDays: f.test.days };
  });
  return { rows, testDays, folds };
}

function contiguous(positions: Int32Array, offset = 0): PositionRange {
  const start = positions[0]! + offset;
  const end = positions[positions.length - 1]! + 1 + offset;
  // Days are consecutive blocks of a date-sorted array, so a day range is a position range.
  if (positions.length === 0 || end - start !== positions.length) throw new Error(`bracket objective: a fold's rows are not one contiguous range (${positions.length} rows over ${start}..${end})`);
  return { start, end };
}

// ---------------------------------------------------------------- data, once per process

export interface BracketTuningData {
  plan: TuningPlan;
  /** The (snapshot, bracket) pairs of plan.rows in their order, six per row, over SharedArrayBuffers. */
  pairs: SharedRows;
  /** Settled bracket per position of plan.rows. */
  yBracket: Float64Array;
}

const MAX_ENTRIES = 4;
const cache = new Map<string, { stamp: string; data: Promise<BracketTuningData> }>();
let reads = 0;
/** How many times this process has read a dataset for the bracket objective (a cache miss each). */
export const bracketDataReads = () => reads;

type DataKey = Pick<BracketObjectiveOptions, 'dataset' | 'testFraction' | 'testFrom' | 'maxQuoteAgeMinutes' | 'folds' | 'gapDays'>;

/** The folds and pair matrix of `o`, from the cache when the file did not change since it was read. */
export function loadBracketTuningData(o: DataKey): Promise<BracketTuningData> {
  const path = resolve(o.dataset);
  const key = JSON.stringify([path, o.testFraction, o.testFrom ?? null, o.maxQuoteAgeMinutes ?? null, o.folds, o.gapDays]);
  let stamp: string;
  try {
    const s = statSync(path);
    stamp = `${s.mtimeMs}:${s.size}`;
  } catch (err) {
    // Checked when the study opened; gone since (a cache cleared under a running study).
    return Promise.reject(new BracketObjectiveError(`objective.options.dataset: ${JSON.stringify(o.dataset)}: ${(err as Error).message}`));
  }
  const hit = cache.get(key);
  cache.delete(key);
  if (hit && hit.stamp === stamp) {
    cache.set(key, hit); // most recently used last
    return hit.data;
  }
  const data = prepare(path, o);
  cache.set(key, { stamp, data });
  // A failed read is not kept: the next trial tries again (the file may have been fixed).
  data.catch(() => {
    if (cache.get(key)?.data === data) cache.delete(key);
  });
  while (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  return data;
}

async function prepare(path: string, o: DataKey): Promise<BracketTuningData> {
  reads += 1;
  let d: Dataset;
  try {
    d = await readDatasetFile(path);
  } catch (err) {
    if (err instanceof TableInputError) throw new BracketObjectiveError(`objective.options.dataset: ${err.message}`);
    throw err;
  }
  let plan: TuningPlan;
  try {
    plan = planTuning(d, usableRows(d, true, o.maxQuoteAgeMinutes), o);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    // timeSeriesFolds names the folds and the gap; timeHoldout the test split.
    const field = err.message.startsWith('timeSeriesFolds') ? 'folds' : o.testFrom ? 'testFrom' : 'testFraction';
    throw new BracketObjectiveError(`objective.options.${field}: ${err.message} (${path}, maxQuoteAgeMinutes ${o.maxQuoteAgeMinutes ?? 'none'})`);
  }
  const m = bracketMatrix(d, plan.rows, true);
  // Straight into shared memory: training threads read it without copying.
  const x = new Float64Array(new SharedArrayBuffer(m.x.length * Float64Array.BYTES_PER_ELEMENT));
  x.set(m.x);
  const y = new Int32Array(new SharedArrayBuffer(m.rows * Int32Array.BYTES_PER_ELEMENT));
  for (let i = 0; i < m.rows; i++) y[i] = m.y[i]!;
  return { plan, pairs: { x, rows: m.rows, y }, yBracket: Float64Array.from(plan.rows, (r) => d.yBracket[r]!) };
}

/** The pairs of positions [start, end): views into the shared matrix, no copy. */
function pairsOf(all: SharedRows, r: PositionRange): SharedRows {
  const nf = BRACKET_FEATURES.length;
  return { x: all.x.subarray(r.start * BRACKETS * nf, r.end * BRACKETS * nf), rows: (r.end - r.start) * BRACKETS, y: all.y.subarray(r.start * BRACKETS, r.end * BRACKETS) };
}

// ---------------------------------------------------------------- the objective

/** Bracket log loss of each fold, and their running mean as reported. */
export interface FoldScore {
  fold: number;
  logLoss: number;
  rounds: number;
  ms: number;
}

export const bracketObjective: ObjectiveDefinition<BracketObjectiveOptions> = {
  description: 'bracket model: mean bracket log loss over time-series folds of the training days of a city dataset',
  options: bracketObjectiveOptions,
  params: () => [],
  checkSpace(space) {
    for (const name of Object.keys(space)) {
      if (!TUNABLE.includes(name)) throw new BracketObjectiveError(`space.${name}: not a GBDT parameter the bracket objective can tune (expected ${TUNABLE.join(', ')})`);
    }
  },
  async run(params, o, ctx) {
    const data = await loadBracketTuningData(o);
    // A bad combination (a space value the trainer refuses) fails this trial with the reason.
    const gbdt = parseGbdtParams(gbdtParamsOf(o.fixed, params));
    const losses: number[] = [];
    for (const [k, fold] of data.plan.folds.entries()) {
      ctx.heartbeat();
      const score = await scoreFold(data, fold, k, gbdt, ctx.signal, o.earlyStopping);
      losses.push(score.logLoss);
      const mean = losses.reduce((s, x) => s + x, 0) / losses.length;
      if (await ctx.report(k, mean)) throw new TrialPruned(`pruned after fold ${k} (running mean ${mean})`);
    }
    return losses.reduce((s, x) => s + x, 0) / losses.length;
  },
};

/** One fold: early stopping inside its training days (when the parameters ask for it), refit, bracket log loss on its validation days. */
export async function scoreFold(data: BracketTuningData, fold: TuningFold, k: number, gbdt: GbdtParams, signal?: AbortSignal, earlyStopping: 'inner' | 'fold' = 'inner'): Promise<FoldScore> {
  const t0 = performance.now();
  let fitParams = gbdt;
  if (gbdt.earlyStoppingRounds !== undefined && earlyStopping === 'fold') {
    const fit = done(await train(data.pairs, fold.fit, fold.valid, gbdt, true, signal));
    return { fold: k, logLoss: foldLogLoss(data, fold, fit.proba!), rounds: fit.bestIteration, ms: performance.now() - t0 };
  }
  if (gbdt.earlyStoppingRounds !== undefined) {
    if (!fold.stop) throw new BracketObjectiveError(`objective.options.folds: fold ${k} trains on one day (${fold.trainDays[0]}), too few to hold out early-stopping days; use fewer folds or a dataset with more days`);
    const early = done(await train(data.pairs, fold.stop.train, fold.stop.valid, gbdt, false, signal));
    const { earlyStoppingRounds: _unused, ...rest } = gbdt;
    fitParams = { ...rest, numIterations: Math.max(1, early.bestIteration) };
  }
  const final = done(await train(data.pairs, fold.fit, fold.valid, fitParams, true, signal));
  return { fold: k, logLoss: foldLogLoss(data, fold, final.proba!), rounds: fitParams.numIterations, ms: performance.now() - t0 };
}

/** Bracket log loss of a fold's validation days from the thread's (pair, class) probabilities, renormalised over each ladder. */
function foldLogLoss(data: BracketTuningData, fold: TuningFold, proba: Float64Array): number {
  const snapshots = fold.valid.end - fold.valid.start;
  const yes = new Float64Array(snapshots * BRACKETS);
  for (let i = 0; i < yes.length; i++) yes[i] = proba[i * 2 + 1]!;
  return logLoss(normaliseOverLadder(yes, snapshots), data.yBracket.subarray(fold.valid.start, fold.valid.end), BRACKETS);
}

async function train(all: SharedRows, fit: PositionRange, valid: PositionRange, params: GbdtParams, returnProba: boolean, signal?: AbortSignal): Promise<TrainOutcome> {
  try {
    return await trainInThread(
      // No per-round reports: the pruner judges whole folds, the thread's own loss is per pair, not per ladder.
      { train: pairsOf(all, fit), valid: pairsOf(all, valid), featureNames: [...BRACKET_FEATURES], params, reportEvery: Number.MAX_SAFE_INTEGER, metric: 'logloss', returnProba },
      signal ? { signal } : {},
    );
  } catch (err) {
    if (err instanceof TrainThreadError && /^InvalidGbdt/.test(err.originalName)) throw new BracketObjectiveError(err.message);
    throw err;
  }
}

function done(o: TrainOutcome): Extract<TrainOutcome, { kind: 'done' }> {
  // Without onProgress the thread is never stopped by a report; only an abort ends it early, which rejects.
  if (o.kind !== 'done') throw new Error(`bracket objective: training stopped at step ${o.step} with no pruner attached`);
  return o;
}
