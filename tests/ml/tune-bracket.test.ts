/**
 * The 'bracket' objective: its fold and day selection (trainCityModel's test days never tuned on),
 * then tuneWorkflow on the real Temporal dev server and a fresh PostgreSQL, the ML worker in this
 * process and the TPE sampler, on a generated city dataset (built by the real feature builder and
 * written by writeDatasetFile): a market whose quotes over-price longshots, forecasts with noise,
 * observations through the day. Bad options fail the study before any trial with one line naming
 * the option.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { createDb } from '../../db/client';
import { createLogger } from '../../lib/logger';
import { createWorkers, installTemporalRuntimeLogger } from '../../workers/host';
import {
  BRACKET_SEARCH_SPACE,
  BracketObjectiveError,
  bracketDataReads,
  bracketObjectiveOptions,
  loadBracketTuningData,
  planTuning,
  scoreFold,
} from '../../activities/ml/bracket-objective';
import { parseGbdtParams } from '../../domain/ml/gbdt/params';
import { DEFAULT_BRACKET_PARAMS, splitRows } from '../../activities/ml/train';
import { integerRange, type Bracket } from '../../domain/brackets';
import { climateDayWindowUtc } from '../../domain/climate-day';
import { BRACKETS, buildDataset, dateOfDayNumber, dayNumberOf, type Dataset, type DatasetInput, type QuoteColumns } from '../../domain/features';
import { marketBrackets, usableRows } from '../../domain/ml/bracket-model';
import { normalBracketMass } from '../../domain/ml/baselines';
import { logLoss } from '../../domain/ml/metrics';
import { parseSearchSpace } from '../../domain/ml/tpe/space';
import { inputHash, readDatasetFile, writeDatasetFile } from '../../ml/dataset-cache';
import { normal, rngFor } from '../../sandbox/worlds/generated/math';
import type { Config } from '../../temporal.config';
import { tuneWorkflowId, type TuneInput } from '../../schemas/tune';
import type { tuneWorkflow } from '../../workflows/tune';
import { startDevServer } from '../support/temporal';
import { freshDatabase } from '../support/postgres';
import { trialRows, tuneTestConfig } from './tune-support';

const log = createLogger('test', { level: 'error' });
const H = 3_600_000;

// ---------------------------------------------------------------- fold and day selection

describe('planTuning: the folds of the bracket objective', () => {
  // 12 days (day numbers 20000..20011), two rows each, rows not in date order; one row of day 2 and
  // both rows of day 20006 unusable (left out of `usable`), so day 6 is absent altogether.
  const dayOfRow = [20001, 20000, 20000, 20001, 20002, 20002, 20004, 20003, 20003, 20004, 20005, 20005, 20006, 20006, 20007, 20007, 20008, 20008, 20009, 20009, 20010, 20010, 20011, 20011];
  const d = { date: Int32Array.from(dayOfRow) };
  const usable = Int32Array.from(dayOfRow.map((_, r) => r).filter((r) => r !== 5 && dayOfRow[r] !== 20006));
  const iso = (...days: number[]) => days.map(dateOfDayNumber);
  const daysOf = (rows: Int32Array, r: { start: number; end: number }) => [...new Set(Array.from(rows.subarray(r.start, r.end), (x) => d.date[x]!))].map(dateOfDayNumber);

  it('leaves out trainCityModel\'s test days (the last fraction) and splits the rest into expanding folds with a gap', () => {
    // 11 distinct usable days; testFraction 0.25: round(2.75) = 3 test days (20009..20011), 8 to tune on.
    const plan = planTuning(d, usable, { testFraction: 0.25, folds: 2, gapDays: 1 });
    expect(plan.testDays).toEqual(iso(20009, 20010, 20011));
    // The same held-out days as trainCityModel's own split of the same rows.
    const theirs = splitRows(d as Dataset, usable, 0.25);
    expect(new Set(Array.from(theirs.test, (r) => dateOfDayNumber(d.date[r]!)))).toEqual(new Set(plan.testDays));
    // Every usable row of the 8 tuning days, none of a test day, in date order.
    expect(plan.rows.length).toBe(usable.length - 6);
    for (let i = 1; i < plan.rows.length; i++) expect(d.date[plan.rows[i]!]!).toBeGreaterThanOrEqual(d.date[plan.rows[i - 1]!]!);
    for (const r of plan.rows) expect(d.date[r]!).toBeLessThan(20009);
    // Tuning days 0..8 minus 6 (8 days); v = floor((8 - 1) / 3) = 2:
    // fold 0 validates on positions 4,5 of the day list (20004, 20005), gap 20003, trains on 20000..20002;
    // fold 1 validates on positions 6,7 (20007, 20008), gap 20005, trains on 20000..20004.
    expect(plan.folds.map((f) => [f.trainDays, f.gapDays, f.validDays])).toEqual([
      [iso(20000, 20001, 20002), iso(20003), iso(20004, 20005)],
      [iso(20000, 20001, 20002, 20003, 20004), iso(20005), iso(20007, 20008)],
    ]);
    for (const f of plan.folds) {
      expect(daysOf(plan.rows, f.fit)).toEqual(f.trainDays);
      expect(daysOf(plan.rows, f.valid)).toEqual(f.validDays);
      // Early stopping inside the training days: the last round(0.2 n) of them (at least one) validate.
      expect([...daysOf(plan.rows, f.stop!.train), ...daysOf(plan.rows, f.stop!.valid)]).toEqual(f.trainDays);
      expect(daysOf(plan.rows, f.stop!.valid)).toEqual(f.trainDays.slice(-1));
      expect(f.stop!.valid.end).toBe(f.fit.end);
    }
    // Day 20002 has one usable row, the others two.
    expect(plan.folds[0]!.fit).toEqual({ start: 0, end: 5 });
  });

  it('with testFrom, every day from it on is left out', () => {
    const plan = planTuning(d, usable, { testFraction: 0.2, testFrom: dateOfDayNumber(20007), folds: 1, gapDays: 2 });
    expect(plan.testDays).toEqual(iso(20007, 20008, 20009, 20010, 20011));
    // 6 tuning days (20000..20005); v = floor((6 - 2) / 2) = 2: valid 20004, 20005, gap 20002, 20003.
    expect(plan.folds.map((f) => [f.trainDays, f.gapDays, f.validDays])).toEqual([[iso(20000, 20001), iso(20002, 20003), iso(20004, 20005)]]);
    for (const r of plan.rows) expect(d.date[r]!).toBeLessThan(20007);
  });

  it('too few days for the folds is a RangeError naming folds and gap', () => {
    // 8 tuning days, gap 1: v = floor(7 / (folds + 1)) is 1 up to 6 folds, 0 at 7.
    expect(planTuning(d, usable, { testFraction: 0.25, folds: 6, gapDays: 1 }).folds).toHaveLength(6);
    expect(() => planTuning(d, usable, { testFraction: 0.25, folds: 7, gapDays: 1 })).toThrow(/timeSeriesFolds: 8 distinct days are too few for 7 folds with gapDays 1/);
  });
});

// ---------------------------------------------------------------- a generated city dataset

const FIRST_DAY = dayNumberOf('2025-02-01');
const DAYS = 40;

const cols = (rows: number[][]): QuoteColumns => ({
  endMs: Float64Array.from(rows, (r) => r[0]!),
  bid: Float64Array.from(rows, (r) => r[1]!),
  ask: Float64Array.from(rows, (r) => r[2]!),
  volume: Float64Array.from(rows, (r) => r[3]!),
});

/**
 * Chicago, DAYS days: a settled high around a slow seasonal swing, a daily forecast (an early run and
 * a better revision 5 h after the open), observations every 30 min peaking at the high at noon, and
 * quotes at five times per bracket from a fair distribution that narrows as the day goes on, priced
 * with a longshot bias (p^0.7, renormalised) and noise: something for the model to learn.
 */
function generatedInput(): DatasetInput {
  const input: DatasetInput & { events: DatasetInput['events'][number][]; settlements: DatasetInput['settlements'][number][]; dailyForecasts: DatasetInput['dailyForecasts'][number][] } = {
    city: 'chicago',
    events: [],
    settlements: [],
    dailyForecasts: [],
    hourlyRuns: [],
    observations: { observedMs: new Float64Array(), availableAt: new Float64Array(), tempF: new Float64Array() },
    quotes: new Map(),
  };
  const obs: number[][] = [];
  const quotes = input.quotes as Map<string, QuoteColumns>;
  for (let i = 0; i < DAYS; i++) {
    const date = dateOfDayNumber(FIRST_DAY + i);
    const rng = rngFor('tune-bracket', date);
    const high = Math.round(40 + 8 * Math.sin(i / 5) + 4 * normal(rng));
    const early = high + 3 * normal(rng);
    const late = high + 1.5 * normal(rng);
    const f0 = Math.round(early) - 4;
    const ticker = (s: string) => `KXHIGHCHI-${date}-${s}`;
    const brackets: Bracket[] = [
      { ticker: ticker(`T${f0}`), strikeType: 'less', cap: f0 },
      ...[0, 1, 2, 3].map((k): Bracket => ({ ticker: ticker(`B${f0 + 2 * k + 0.5}`), strikeType: 'between', floor: f0 + 2 * k, cap: f0 + 2 * k + 1 })),
      { ticker: ticker(`T${f0 + 7}`), strikeType: 'greater', floor: f0 + 7 },
    ];
    const winner = brackets.findIndex((b) => integerRange(b).min <= high && high <= integerRange(b).max);
    const dayStart = climateDayWindowUtc('chicago', date).start.toMillis();
    const open = dayStart - 15 * H;
    const close = dayStart + 24 * H;
    input.events.push({ eventTicker: `KXHIGHCHI-${date}`, date, openMs: open, closeMs: close, brackets, winner });
    input.settlements.push({ date, highF: high, availableAt: close + 9 * H });
    input.dailyForecasts.push(
      { source: 'iem-mos', model: 'gfs', targetDate: date, basisMs: open - 12 * H, leadDays: 1, highF: Math.round(early), availableAt: open - 7 * H },
      { source: 'iem-mos', model: 'gfs', targetDate: date, basisMs: open, leadDays: 1, highF: Math.round(late), availableAt: open + 5 * H },
    );
    for (let t = dayStart; t < dayStart + 24 * H; t += H / 2) obs.push([t, high - 12 + 12 * Math.max(0, Math.sin(((t - dayStart) / (24 * H)) * Math.PI))]);
    // Quote times: after the open, after the revision, the evening before, the morning, the afternoon.
    const times = [open + 60_000, open + 6 * H, open + 10 * H, dayStart + 10 * H, dayStart + 16 * H];
    const rows: number[][][] = brackets.map(() => []);
    times.forEach((t, k) => {
      const w = k / (times.length - 1);
      const mu = (k === 0 ? early : late) * (1 - w) + high * w;
      const fair = new Float64Array(BRACKETS);
      normalBracketMass(brackets, mu, 3 * (1 - w) + 0.7, fair);
      const biased = Array.from(fair, (p) => p ** 0.7);
      const s = biased.reduce((a, b) => a + b, 0);
      for (let j = 0; j < BRACKETS; j++) {
        const mid = Math.min(98, Math.max(1, Math.round((100 * biased[j]!) / s + 2 * normal(rng))));
        rows[j]!.push([t, Math.max(0, mid - 1), Math.min(100, mid + 2), 5 + Math.floor(20 * rng())]);
      }
    });
    brackets.forEach((b, j) => quotes.set(b.ticker, cols(rows[j]!)));
  }
  input.observations = {
    observedMs: Float64Array.from(obs, (o) => o[0]!),
    availableAt: Float64Array.from(obs, (o) => o[0]! + 15 * 60_000),
    tempF: Float64Array.from(obs, (o) => o[1]!),
  };
  return input;
}

// ---------------------------------------------------------------- through tuneWorkflow

describe('the bracket objective through tuneWorkflow (real dev server, real PostgreSQL)', () => {
  let env: TestWorkflowEnvironment;
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let db: ReturnType<typeof createDb>;
  let config: Config;
  let workers: Worker[];
  let running: Promise<void>;
  let stop: () => void;
  let dir: string;
  let dataset: string;

  beforeAll(async () => {
    installTemporalRuntimeLogger(log);
    dir = mkdtempSync(join(tmpdir(), 'wx-tune-bracket-'));
    dataset = join(dir, 'chicago.parquet');
    const input = generatedInput();
    writeDatasetFile(dataset, buildDataset(input, { city: 'chicago', from: dateOfDayNumber(FIRST_DAY), to: dateOfDayNumber(FIRST_DAY + DAYS - 1) }), inputHash(input));
    [env, database] = await Promise.all([startDevServer(), freshDatabase('wx_tune_bracket')]);
    db = createDb(database.url, { log });
    config = tuneTestConfig().config;
    workers = await createWorkers({ config, roles: ['ml'], connection: env.nativeConnection, deps: { db: db.db, pool: db.pool, log, config } });
    const until = new Promise<void>((resolve) => (stop = resolve));
    running = Promise.all(workers.map((w) => w.runUntil(until))).then(() => undefined);
  });

  afterAll(async () => {
    stop?.();
    await running;
    await db?.close();
    await env?.teardown();
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // Rounds capped for the test's time; early stopping (DEFAULT_BRACKET_PARAMS) still picks them per fold.
  const options = (extra: Record<string, unknown> = {}) => ({ dataset, fixed: { numIterations: 120, earlyStoppingRounds: 15 }, ...extra });
  const study = (name: string, trials: number, extra: Partial<TuneInput> = {}): TuneInput => ({
    study: name,
    space: BRACKET_SEARCH_SPACE,
    direction: 'minimize',
    objective: { name: 'bracket', options: options() },
    trials,
    parallelism: 2,
    sampler: { kind: 'tpe', seed: 5, options: { nStartupTrials: 3 } },
    ...extra,
  });
  const run = (input: TuneInput) =>
    env.client.workflow.execute<typeof tuneWorkflow>('tuneWorkflow', { workflowId: tuneWorkflowId(input.study), taskQueue: config.temporal.taskQueues.ml, args: [input] });

  it('the default space is one parseSearchSpace accepts, over parameters the objective tunes', () => {
    expect(Object.keys(parseSearchSpace(BRACKET_SEARCH_SPACE))).toEqual(['learningRate', 'numLeaves', 'minDataInLeaf', 'featureFraction', 'lambdaL2']);
  });

  it('tunes the bracket model with TPE on time-series folds of the training days only: every trial complete, best no worse than the first', async () => {
    const readsBefore = bracketDataReads();
    // A short heartbeat timeout, and one failure fails the study: training must leave the event loop free.
    const result = await run(study('bracket-tpe', 6, { heartbeatTimeoutSeconds: 3, maxFailedTrials: 1 }));
    expect(result).toMatchObject({ status: 'done', requested: 6, done: 6, complete: 6, failed: 0 });
    const trials = await trialRows(database.url, 'bracket-tpe');
    expect(trials.map((t) => t.state)).toEqual(Array(6).fill('complete'));
    for (const t of trials) {
      expect(Number.isFinite(t.value)).toBe(true);
      // One running mean per fold (three), the last of which is the value.
      expect(Object.keys(t.intermediate_values).sort()).toEqual(['0', '1', '2']);
      expect(t.intermediate_values['2']).toBeCloseTo(t.value!, 12);
    }
    const first = trials.find((t) => t.number === 0)!;
    expect(Number.isFinite(result.best!.value)).toBe(true);
    expect(result.best!.value).toBeLessThanOrEqual(first.value!);
    expect(result.best!.value).toBe(Math.min(...trials.map((t) => t.value!)));
    // Read and laid out once for the study, though two trials ran at a time.
    expect(bracketDataReads() - readsBefore).toBe(1);

    // Scale: a uniform ladder scores ln 6; the market's own (normalised mids) on the same validation days.
    const d = await readDatasetFile(dataset);
    const data = await loadBracketTuningData(bracketObjectiveOptions.parse(options()));
    const market = data.plan.folds.map((f) => {
      const rows = data.plan.rows.subarray(f.valid.start, f.valid.end);
      return logLoss(marketBrackets(d, rows), Float64Array.from(rows, (r) => d.yBracket[r]!), BRACKETS);
    });
    const marketMean = market.reduce((s, x) => s + x, 0) / market.length;
    const perFold = trials.map((t) => (t.finished_at!.getTime() - t.started_at.getTime()) / 3);
    console.log(
      `bracket-tpe: best ${result.best!.value.toFixed(4)}, first ${first.value!.toFixed(4)}, market ${marketMean.toFixed(4)} (same folds), uniform ${Math.log(6).toFixed(4)}; ` +
        `${data.plan.rows.length} tuning rows, folds train ${data.plan.folds.map((f) => f.trainDays.length).join('/')} days; trial wall time per fold ${Math.min(...perFold).toFixed(0)}..${Math.max(...perFold).toFixed(0)} ms (2 at once)`,
    );
    expect(result.best!.value).toBeLessThan(Math.log(6));
    // The planted longshot bias is there to learn: the best trial beats the market's own distribution.
    expect(result.best!.value).toBeLessThan(marketMean - 0.05);
  });

  it('never tunes on trainCityModel\'s test days, on the generated dataset', async () => {
    const d = await readDatasetFile(dataset);
    const usable = usableRows(d, true);
    const theirs = splitRows(d, usable, 0.2);
    const testDays = new Set(Array.from(theirs.test, (r) => d.date[r]!));
    expect(testDays.size).toBe(8); // round(40 * 0.2)
    const data = await loadBracketTuningData(bracketObjectiveOptions.parse(options()));
    expect(data.plan.testDays).toEqual([...testDays].sort((a, b) => a - b).map(dateOfDayNumber));
    expect(new Set(data.plan.rows)).toEqual(new Set(theirs.train));
    for (const f of data.plan.folds) {
      for (const day of [...f.trainDays, ...f.validDays]) expect(testDays.has(dayNumberOf(day))).toBe(false);
      expect(f.trainDays.at(-1)! < f.gapDays[0]! && f.gapDays.at(-1)! < f.validDays[0]!).toBe(true);
    }
  });

  it("earlyStopping 'fold' scores one fit per fold, its rounds chosen on the fold's validation days, no worse there than the inner stop", async () => {
    const data = await loadBracketTuningData(bracketObjectiveOptions.parse(options()));
    const gbdt = parseGbdtParams({ ...DEFAULT_BRACKET_PARAMS, numThreads: 1, numIterations: 120, earlyStoppingRounds: 15, objective: 'binary' });
    for (const [k, fold] of data.plan.folds.entries()) {
      const inner = await scoreFold(data, fold, k, gbdt, undefined, 'inner');
      const own = await scoreFold(data, fold, k, gbdt, undefined, 'fold');
      expect(Number.isFinite(own.logLoss)).toBe(true);
      expect(own.rounds).toBeGreaterThanOrEqual(1);
      expect(own.rounds).toBeLessThanOrEqual(120);
      // Picking the rounds on the very days scored can only help there (ties aside), which is why it is
      // the cheap option for ranking trials, not a held-out figure.
      expect(own.logLoss, `fold ${k}`).toBeLessThan(inner.logLoss + 0.05);
    }
  });

  it('rejects bad options before any trial, with one line naming the option', async () => {
    const missing = join(dir, 'nope.parquet');
    for (const [opts, message] of [
      [options({ foldz: 3 }), 'objective.options.foldz: unknown option (expected dataset, testFraction, testFrom, maxQuoteAgeMinutes, folds, gapDays, earlyStopping, fixed)'],
      [options({ dataset: missing }), `objective.options.dataset: ${JSON.stringify(missing)} rejected: no such file`],
      [options({ folds: 0 }), 'objective.options.folds: 0 rejected: must be >= 1'],
      [options({ fixed: { objective: 'multiclass' } }), 'objective.options.fixed.objective: "multiclass" rejected: is set by the objective (binary over bracket pairs)'],
    ] as const) {
      const err = await run(study('bracket-bad', 2, { objective: { name: 'bracket', options: opts } })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const cause = (err as WorkflowFailedError).cause?.cause as ApplicationFailure;
      expect(cause.type).toBe('InvalidInput');
      expect(cause.message).toBe(message);
    }
    const err = await run(study('bracket-bad', 2, { space: { learningRat: { type: 'float', low: 0.01, high: 0.1 } } })).catch((e: unknown) => e);
    expect(((err as WorkflowFailedError).cause?.cause as ApplicationFailure).message).toMatch(/^space\.learningRat: not a GBDT parameter the bracket objective can tune \(expected [^\n]+\)$/);
    expect(await trialRows(database.url, 'bracket-bad')).toEqual([]);
  });

  it('folds the training days cannot hold: the trial fails with one line naming folds and the gap', async () => {
    // 32 tuning days, gap 30: v = floor((32 - 30) / 4) = 0.
    const err = await loadBracketTuningData(bracketObjectiveOptions.parse(options({ gapDays: 30 }))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BracketObjectiveError);
    expect((err as Error).message).toMatch(/^objective\.options\.folds: timeSeriesFolds: 32 distinct days are too few for 3 folds with gapDays 30 [^\n]*$/);
  });
});
