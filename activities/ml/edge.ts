/**
 * The edge stage's activity: fits a city's edge classifier (domain/ml/edge.ts), a binary GBDT that
 * says which of the bracket model's positive-edge trades to take, and registers it.
 *
 *   training days ──▶ out-of-fold bracket probabilities (day-grouped time-series folds: a row's
 *                      probability never comes from a model that saw its day)
 *                 ──▶ candidate trades, their edge after fees and settled P&L after fees
 *                 ──▶ classifier fitted on the earlier days' signals; threshold chosen on the last
 *                      days' (the validation days), maximising their P&L after fees
 *   test days    ──▶ the bracket model fitted on all training days ──▶ the same candidates: trades
 *                      taken on edge > minEdge alone vs gated by the classifier
 *
 * Files: data/models/{city}/{version}/{model.json, model.onnx, params.json, metrics.json}; the version
 * is `e-` + a hash of the dataset's inputs and every setting, so a retry writes the same files and
 * upserts the same ml.model_version row (kind 'edge', the city's active one).
 */
import { createHash } from 'node:crypto';
import { access, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { and, eq, isNotNull } from 'drizzle-orm';
import { z } from 'zod';
import { dateOfDayNumber, dayNumberOf, type Dataset } from '../../domain/features';
import { feeScheduleFromApi, FeeScheduleSchema, type FeeSchedule } from '../../domain/fees';
import { bracketMatrix, predictBrackets, usableRows } from '../../domain/ml/bracket-model';
import {
  chooseThreshold,
  edgeCandidates,
  edgeFeatures,
  edgeMatrix,
  outOfFoldBrackets,
  passes,
  PRICE_RULES,
  selectCandidates,
  summariseTrades,
  type EdgeCandidates,
  type TradeSummary,
} from '../../domain/ml/edge';
import { predictProba, type GbdtModel } from '../../domain/ml/gbdt/model';
import { gbdtParamsSchema, type GbdtParams } from '../../domain/ml/gbdt/params';
import { auc } from '../../domain/ml/metrics';
import { timeHoldout } from '../../domain/ml/splits';
import { readDatasetFile } from '../../ml/dataset-cache';
import { MODEL_JSON, MODEL_ONNX, writeModelFiles } from '../../ml/model-files';
import { trainGbdtThreaded } from '../../ml/parallel/train';
import { TableInputError } from '../../ml/tables';
import { kalshiSeries, mlModelVersion } from '../../schemas/db';
import type { ActivityDeps } from '../index';
import { BRACKET_MODEL_KIND, DEFAULT_BRACKET_PARAMS, register, splitRows, writeJsonAtomic, type TrainCityResult } from './train';

export const EDGE_MODEL_KIND = 'edge';

/** The classifier's defaults: small trees, strong leaves (a day's snapshots are alike), no early stopping (the validation days choose the threshold). */
export const DEFAULT_EDGE_PARAMS = {
  objective: 'binary',
  numIterations: 200,
  learningRate: 0.05,
  numLeaves: 8,
  minDataInLeaf: 50,
  lambdaL2: 1,
  featureFraction: 0.8,
  seed: 7,
  numThreads: 2,
} as const;

/** Settled, quoted days needed: test days, then out-of-fold folds of the training days, split again for the threshold. */
export const MIN_EDGE_DAYS = 20;

/** Fewer signals than this on the classifier's training days and it is not fitted (InvalidInput). */
export const MIN_EDGE_TRAIN_TRADES = 50;

export const TrainEdgeInputSchema = z
  .object({
    city: z.string(),
    datasetPath: z.string(),
    testFraction: z.number().gt(0).lt(1).default(0.2),
    /** Test on the days from this date on instead of the last testFraction of days (YYYY-MM-DD). */
    testFrom: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(),
    /** Only snapshots with a quote at most this old (sparse recorded quotes); default: every snapshot. */
    maxQuoteAgeMinutes: z.number().int().min(0).optional(),
    /** 'ask': a taker buy at the ask (the fill is certain); 'bid_plus_one': a maker buy one cent above the bid. */
    priceRule: z.enum(PRICE_RULES).default('ask'),
    /** Contracts per order (the fee is rounded up to a cent per order). */
    contracts: z.number().int().min(1).max(100_000).default(10),
    /** A signal: a candidate whose edge after fees exceeds this many cents a contract. */
    minEdgeCents: z.number().min(0).max(100).default(0),
    /** The last fraction of the out-of-fold training days on which the threshold is chosen. */
    validFraction: z.number().gt(0).lt(1).default(0.25),
    /** Out-of-fold bracket predictions: folds and gap days (domain/ml/splits.ts timeSeriesFolds). */
    folds: z.number().int().min(2).max(20).default(4),
    gapDays: z.number().int().min(0).max(30).default(1),
    /** The classifier's GBDT parameters over DEFAULT_EDGE_PARAMS. */
    params: z.record(z.string(), z.unknown()).optional(),
    /** The bracket model's, over the city's active bracket model's params.json (or DEFAULT_BRACKET_PARAMS without one). */
    bracketParams: z.record(z.string(), z.unknown()).optional(),
    /** The fee schedule; default: the city's series in kalshi.series. */
    fees: FeeScheduleSchema.optional(),
  })
  .strict();
export type TrainEdgeInput = z.input<typeof TrainEdgeInputSchema>;

export interface DayRange {
  from: string;
  to: string;
  days: number;
}

export interface EdgeClassifierResult {
  city: string;
  kind: string;
  version: string;
  artifactDir: string;
  priceRule: (typeof PRICE_RULES)[number];
  contracts: number;
  minEdgeCents: number;
  fees: FeeSchedule;
  /** Take a signal when the classifier's P(P&L after fees > 0) is at least this; null: take none. */
  threshold: number | null;
  /** Where the bracket parameters came from: the active bracket model's version, or 'defaults'. */
  bracketParamsFrom: string;
  /** Days the out-of-fold predictions cover, the classifier's training days and the validation days (all before testFrom). */
  oofDays: DayRange;
  classifierDays: DayRange;
  validationDays: DayRange;
  testFrom: string;
  testDays: number;
  classifier: { trainTrades: number; trainWinRate: number | null; trees: number; validAuc: number | null };
  /** P&L after fees in cents per contract (summed over trades): signals alone vs gated by the classifier. */
  validation: { candidates: number; ungated: TradeSummary; gated: TradeSummary };
  test: { candidates: number; ungated: TradeSummary; gated: TradeSummary };
}

const invalid = (message: string) => ApplicationFailure.create({ type: 'InvalidInput', nonRetryable: true, message });
/** Too little history to fit on (not a bad input): the workflow reports the stage skipped, as the train stage does. */
const insufficient = (message: string) => ApplicationFailure.create({ type: 'InsufficientData', nonRetryable: true, message });

/** One line naming the first bad field and the value given there. */
function issueLine(e: z.ZodError, given: unknown, prefix: string): string {
  const i = e.issues[0]!;
  if (i.code === 'unrecognized_keys') return `${prefix}${[...i.path, i.keys[0]].join('.')}: unknown setting`;
  let v: unknown = given;
  for (const k of i.path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return `${prefix}${i.path.join('.')} ${v === undefined ? 'missing' : JSON.stringify(v)}: ${i.message}`;
}

const dayRange = (days: Iterable<number>): DayRange => {
  const s = [...new Set(days)].sort((a, b) => a - b);
  return { from: s.length ? dateOfDayNumber(s[0]!) : '', to: s.length ? dateOfDayNumber(s[s.length - 1]!) : '', days: s.length };
};

/** The GBDT keys of a params.json (it also holds the split and the dataset path). */
const GBDT_KEYS = new Set(Object.keys(gbdtParamsSchema.shape));
const gbdtPart = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([k]) => GBDT_KEYS.has(k)));

/**
 * Fits a bracket model on `rows`: with earlyStoppingRounds, early stopping on the last fifth of their
 * days and a refit on all of them at that many rounds (as the train stage does); without, one fit.
 */
function fitBracket(d: Dataset, rows: Int32Array, params: GbdtParams): GbdtModel {
  if (params.earlyStoppingRounds === undefined) return trainGbdtThreaded(bracketMatrix(d, rows, true), params, { evalTrain: false }).model;
  const inner = splitRows(d, rows, 0.2);
  const early = trainGbdtThreaded(bracketMatrix(d, inner.train, true), params, { valid: bracketMatrix(d, inner.test, true), evalTrain: false });
  const { earlyStoppingRounds: _unused, ...refit } = params;
  return trainGbdtThreaded(bracketMatrix(d, rows, true), { ...refit, numIterations: Math.max(1, early.model.trees.length) }, { evalTrain: false }).model;
}

/** The classifier's P(P&L > 0) of candidates `ix`. */
function score(model: GbdtModel, c: EdgeCandidates, ix: Int32Array): Float64Array {
  if (ix.length === 0) return new Float64Array(0);
  const p = predictProba(model, edgeFeatures(c, ix), ix.length);
  return Float64Array.from({ length: ix.length }, (_, k) => p[k * 2 + 1]!);
}

export function createEdgeActivities(deps: ActivityDeps) {
  /** The city's active bracket model's GBDT parameters, if it has one. */
  async function activeBracketParams(city: string): Promise<{ version: string; params: Record<string, unknown> } | undefined> {
    const [row] = await deps.db
      .select({ version: mlModelVersion.version, artifactPath: mlModelVersion.artifactPath })
      .from(mlModelVersion)
      .where(and(eq(mlModelVersion.cityId, city), eq(mlModelVersion.kind, BRACKET_MODEL_KIND), eq(mlModelVersion.status, 'active')));
    if (!row?.artifactPath) return undefined;
    const path = join(deps.config.dataDir, dirname(row.artifactPath), 'params.json');
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw new Error(`edge: the active bracket model ${row.version} of ${city} has no readable ${path}: ${(err as Error).message}`);
    }
    return { version: row.version, params: gbdtPart(JSON.parse(text) as Record<string, unknown>) };
  }

  /** The fee schedule of the city's series (kalshi.series); one schedule, or the input must name it. */
  async function cityFees(city: string): Promise<FeeSchedule> {
    const rows = await deps.db
      .selectDistinct({ feeType: kalshiSeries.feeType, feeMultiplier: kalshiSeries.feeMultiplier })
      .from(kalshiSeries)
      .where(and(eq(kalshiSeries.cityId, city), isNotNull(kalshiSeries.feeType)));
    if (rows.length !== 1) throw invalid(`edge fees: ${rows.length} fee schedules for ${city} in kalshi.series (run the registry and backfill first, or pass fees)`);
    return feeScheduleFromApi({ fee_type: rows[0]!.feeType!, fee_multiplier: rows[0]!.feeMultiplier ?? 1 });
  }

  /**
   * The result of a run already registered under this version with its files in place (a retry after
   * the registration, or the same inputs again): the same version is the same fit, so it is not redone.
   */
  async function registeredResult(city: string, version: string, artifactDir: string): Promise<{ result: EdgeClassifierResult; params: Record<string, unknown> } | undefined> {
    const [row] = await deps.db
      .select({ version: mlModelVersion.version })
      .from(mlModelVersion)
      .where(and(eq(mlModelVersion.cityId, city), eq(mlModelVersion.kind, EDGE_MODEL_KIND), eq(mlModelVersion.version, version)));
    if (!row) return undefined;
    let texts: string[];
    try {
      await Promise.all([MODEL_JSON, MODEL_ONNX].map((f) => access(join(artifactDir, f))));
      texts = await Promise.all(['metrics.json', 'params.json'].map((f) => readFile(join(artifactDir, f), 'utf8')));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      deps.log.warn({ city, version, artifactDir }, 'edge: registered version is missing files; refitting');
      return undefined;
    }
    return { result: JSON.parse(texts[0]!) as EdgeClassifierResult, params: JSON.parse(texts[1]!) as Record<string, unknown> };
  }

  return {
    async trainEdgeClassifier(raw: TrainEdgeInput): Promise<EdgeClassifierResult> {
      const parsed = TrainEdgeInputSchema.safeParse(raw);
      if (!parsed.success) throw invalid(issueLine(parsed.error, raw, 'edge input '));
      const input = parsed.data;
      const edgeGiven = { ...DEFAULT_EDGE_PARAMS, ...(input.params ?? {}) };
      const edgeParams = gbdtParamsSchema.safeParse(edgeGiven);
      if (!edgeParams.success) throw invalid(issueLine(edgeParams.error, edgeGiven, 'edge params.'));
      if (edgeParams.data.objective !== 'binary') throw invalid(`edge params.objective: must be binary, got ${JSON.stringify(edgeParams.data.objective)}`);
      const heartbeat = (stage: string) => Context.current().heartbeat({ stage });

      let d: Awaited<ReturnType<typeof readDatasetFile>>;
      try {
        d = await readDatasetFile(input.datasetPath);
      } catch (err) {
        if (err instanceof TableInputError) throw invalid(`edge dataset: ${err.message}`);
        throw err;
      }
      if (d.city !== input.city) throw invalid(`edge city: dataset ${input.datasetPath} is for ${d.city}, not ${input.city}`);

      const active = await activeBracketParams(input.city);
      // The active model's parameters as they are (its refit's fixed rounds, no early stopping), else the defaults (early stopping per fold).
      const bracketGiven = { ...(active ? active.params : DEFAULT_BRACKET_PARAMS), ...(input.bracketParams ?? {}) };
      const bracket = gbdtParamsSchema.safeParse(bracketGiven);
      if (!bracket.success) throw invalid(issueLine(bracket.error, bracketGiven, 'edge bracketParams.'));
      const bracketParams = { ...bracket.data, numClasses: 2 } as GbdtParams;
      const fees = input.fees ?? (await cityFees(input.city));
      const trade = { priceRule: input.priceRule, fees, contracts: input.contracts };
      // The dataset's inputs and build parameters (not its path), and every setting: the same run, the same version.
      const settings = { ...input, datasetPath: undefined, dataset: d.params, fees, bracketParams, edgeParams: edgeParams.data };
      const version = `e-${createHash('sha256').update(`${d.inputHash}|${JSON.stringify(settings)}`).digest('hex').slice(0, 12)}`;
      const artifactDir = join(deps.config.dataDir, 'models', input.city, version);
      const done = await registeredResult(input.city, version, artifactDir);
      if (done) {
        // Registered again, so the version is the active one as after a fit (a later run may have retired it).
        await register(deps, done.result as unknown as TrainCityResult, done.params);
        deps.log.info({ city: input.city, version }, 'edge: already fitted and registered; kept');
        return done.result;
      }

      const rows = usableRows(d, true, input.maxQuoteAgeMinutes);
      const allDays = new Set(Array.from(rows, (r) => d.date[r]!));
      if (allDays.size < MIN_EDGE_DAYS) throw insufficient(`edge ${input.city}: ${allDays.size} settled days with market quotes in ${input.datasetPath}; at least ${MIN_EDGE_DAYS} are needed for the edge classifier`);
      let split;
      try {
        split = splitRows(d, rows, input.testFraction, input.testFrom);
      } catch (err) {
        if (err instanceof RangeError) throw invalid(`edge testFrom: ${err.message}`);
        throw err;
      }

      // Out of fold on the training days: the classifier learns from probabilities like the ones it will be served.
      heartbeat('oof');
      let oof;
      try {
        oof = outOfFoldBrackets(d, split.train, (train) => {
          heartbeat('oof');
          const model = fitBracket(d, train, bracketParams);
          return (valid) => predictBrackets(model, d, valid);
        }, { folds: input.folds, gapDays: input.gapDays });
      } catch (err) {
        if (err instanceof RangeError) throw invalid(`edge folds: ${err.message}`);
        throw err;
      }
      const trainCands = edgeCandidates(d, oof.rows, oof.p, trade);
      const oofDays = Array.from(oof.rows, (r) => d.date[r]!);
      const inner = timeHoldout(oofDays, { testFraction: input.validFraction });
      const validDaySet = new Set(inner.test.days.map(dayNumberOf));
      const isValid = (i: number) => validDaySet.has(trainCands.day[i]!);
      const signal = (c: EdgeCandidates) => (i: number) => c.edgeCents[i]! > input.minEdgeCents;
      const fitIx = selectCandidates(trainCands, (i) => !isValid(i) && signal(trainCands)(i));
      const validIx = selectCandidates(trainCands, (i) => isValid(i) && signal(trainCands)(i));
      const fitSet = edgeMatrix(trainCands, fitIx);
      let wins = 0;
      for (let k = 0; k < fitSet.rows; k++) wins += fitSet.y[k]!;
      if (fitIx.length < MIN_EDGE_TRAIN_TRADES || wins === 0 || wins === fitIx.length) {
        throw insufficient(`edge ${input.city}: ${fitIx.length} trades with edge > ${input.minEdgeCents}¢ (${wins} won) on the classifier's training days ${inner.train.days[0]}..${inner.train.days.at(-1)}; at least ${MIN_EDGE_TRAIN_TRADES} with both outcomes are needed`);
      }

      heartbeat('classifier');
      const classifier = trainGbdtThreaded(fitSet, edgeParams.data, { evalTrain: false }).model;
      const validScores = score(classifier, trainCands, validIx);
      const validPnl = Float64Array.from(validIx, (i) => trainCands.pnlCents[i]!);
      const chosen = chooseThreshold(validScores, validPnl);
      const validY = Float64Array.from(validPnl, (p) => (p > 0 ? 1 : 0));
      const validAuc = validIx.length > 0 && validY.some((y) => y === 1) && validY.some((y) => y === 0) ? auc(validScores, validY) : null;
      const gatedValid = Int32Array.from(validIx.filter((_, k) => passes(validScores[k]!, chosen.threshold)));

      heartbeat('final');
      const final = fitBracket(d, split.train, bracketParams);
      const testCands = edgeCandidates(d, split.test, predictBrackets(final, d, split.test), trade);
      const testIx = selectCandidates(testCands, signal(testCands));
      const testScores = score(classifier, testCands, testIx);
      const gatedTest = Int32Array.from(testIx.filter((_, k) => passes(testScores[k]!, chosen.threshold)));

      const result: EdgeClassifierResult = {
        city: input.city,
        kind: EDGE_MODEL_KIND,
        version,
        artifactDir,
        priceRule: input.priceRule,
        contracts: input.contracts,
        minEdgeCents: input.minEdgeCents,
        fees,
        threshold: chosen.threshold,
        bracketParamsFrom: active ? active.version : 'defaults',
        oofDays: dayRange(oofDays),
        classifierDays: dayRange(inner.train.days.map(dayNumberOf)),
        validationDays: dayRange(inner.test.days.map(dayNumberOf)),
        testFrom: split.testFrom,
        testDays: new Set(Array.from(split.test, (r) => d.date[r]!)).size,
        classifier: { trainTrades: fitIx.length, trainWinRate: wins / fitIx.length, trees: classifier.trees.length, validAuc },
        validation: { candidates: validIx.length, ungated: summariseTrades(trainCands.pnlCents, validIx), gated: summariseTrades(trainCands.pnlCents, gatedValid) },
        test: { candidates: testCands.n, ungated: summariseTrades(testCands.pnlCents, testIx), gated: summariseTrades(testCands.pnlCents, gatedTest) },
      };
      heartbeat('write');
      const params = {
        ...edgeParams.data,
        threshold: chosen.threshold,
        priceRule: input.priceRule,
        contracts: input.contracts,
        minEdgeCents: input.minEdgeCents,
        fees,
        bracketParams,
        bracketParamsFrom: result.bracketParamsFrom,
        testFraction: input.testFraction,
        testFrom: result.testFrom,
        validFraction: input.validFraction,
        folds: input.folds,
        gapDays: input.gapDays,
        maxQuoteAgeMinutes: input.maxQuoteAgeMinutes ?? null,
        dataset: input.datasetPath,
      };
      await writeModelFiles(artifactDir, classifier);
      await writeJsonAtomic(join(artifactDir, 'params.json'), params);
      await writeJsonAtomic(join(artifactDir, 'metrics.json'), result);
      // register() reads only city, kind, version and artifactDir, and stores the whole result as the metrics.
      await register(deps, result as unknown as TrainCityResult, params);
      deps.log.info({ city: input.city, version, threshold: chosen.threshold, ungated: result.test.ungated, gated: result.test.gated }, 'edge: classifier registered');
      return result;
    },
  };
}

export type EdgeActivities = ReturnType<typeof createEdgeActivities>;
