/**
 * The 'gbdt' objective through tuneWorkflow: the real Temporal dev server, a fresh PostgreSQL, the
 * ML worker in this process, the TPE sampler and the median pruner, on small generated files (a CSV
 * training set and a Parquet validation set with a learnable nonlinear target). Also: its options and
 * space checked up front with one-line errors, a bad parameter combination failing the trial (not the
 * worker), heartbeats arriving while a trial trains longer than the heartbeat timeout, and the
 * training thread stopped by the pruner's answer or by cancellation.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { WorkflowFailedError } from '@temporalio/client';
import seedrandom from 'seedrandom';
import { createDb } from '../../db/client';
import { createLogger } from '../../lib/logger';
import { createWorkers, installTemporalRuntimeLogger } from '../../workers/host';
import { checkStudySpec } from '../../activities/ml/tune';
import { parseGbdtParams } from '../../domain/ml/gbdt/params';
import { logLoss, rankedProbabilityScore } from '../../domain/ml/metrics';
import { writeParquet } from '../../ml/tables';
import { loadTrainingData, trainingDataReads } from '../../ml/training-data-cache';
import { trainInThread } from '../../ml/train-worker';
import type { Config } from '../../temporal.config';
import { tuneWorkflowId, type StudySpec, type TuneInput } from '../../schemas/tune';
import type { tuneWorkflow } from '../../workflows/tune';
import { startDevServer } from '../support/temporal';
import { freshDatabase } from '../support/postgres';
import { trialRows, tuneTestConfig } from './tune-support';

const log = createLogger('test', { level: 'error' });

/** Rows of a binary target that trees can learn: P(y=1) = sigmoid(3 sin(3 a) + 4 b c - 2 d), e pure noise; 10% of b missing. */
type Columns = Record<'a' | 'b' | 'c' | 'd' | 'e' | 'y', Float64Array>;

function rows(n: number, seed: string): Columns {
  const rnd = seedrandom(seed);
  const cols: Columns = { a: new Float64Array(n), b: new Float64Array(n), c: new Float64Array(n), d: new Float64Array(n), e: new Float64Array(n), y: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    const [a, b, c, d, e] = [rnd() * 2 - 1, rnd() * 2 - 1, rnd() * 2 - 1, rnd(), rnd()];
    const z = 3 * Math.sin(3 * a) + 4 * b * c - 2 * d;
    cols.a[i] = a;
    cols.b[i] = rnd() < 0.1 ? NaN : b;
    cols.c[i] = c;
    cols.d[i] = d;
    cols.e[i] = e;
    cols.y[i] = rnd() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  return cols;
}

function writeCsv(path: string, cols: Record<string, Float64Array>): void {
  const names = Object.keys(cols);
  const n = cols[names[0]!]!.length;
  const lines = [names.join(',')];
  for (let i = 0; i < n; i++) lines.push(names.map((c) => (Number.isNaN(cols[c]![i]!) ? '' : String(cols[c]![i]))).join(','));
  writeFileSync(path, `${lines.join('\n')}\n`);
}

const SPACE = {
  // Down to 1e-4: a region where 40 rounds barely leave the constant model, which the pruner should stop.
  learningRate: { type: 'float', low: 1e-4, high: 0.5, log: true },
  numLeaves: { type: 'int', low: 2, high: 31 },
  minDataInLeaf: { type: 'int', low: 5, high: 80 },
  lambdaL2: { type: 'float', low: 1e-3, high: 10, log: true },
  featureFraction: { type: 'float', low: 0.5, high: 1 },
} as const;

describe('the gbdt objective through tuneWorkflow (real dev server, real PostgreSQL)', () => {
  let env: TestWorkflowEnvironment;
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let db: ReturnType<typeof createDb>;
  let config: Config;
  let workers: Worker[];
  let running: Promise<void>;
  let stop: () => void;
  let dir: string;
  let train: string;
  let valid: string;

  beforeAll(async () => {
    installTemporalRuntimeLogger(log);
    dir = mkdtempSync(join(tmpdir(), 'wx-tune-gbdt-'));
    train = join(dir, 'train.csv');
    valid = join(dir, 'valid.parquet');
    writeCsv(train, rows(3000, 'train'));
    writeParquet(valid, rows(1500, 'valid'));
    [env, database] = await Promise.all([startDevServer(), freshDatabase('wx_tune_gbdt')]);
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

  const options = (extra: Record<string, unknown> = {}) => ({ train, valid, target: 'y', fixed: { numIterations: 40 }, reportEvery: 5, ...extra });
  const study = (name: string, trials: number, extra: Partial<TuneInput> = {}): TuneInput => ({
    study: name,
    space: SPACE,
    direction: 'minimize',
    objective: { name: 'gbdt', options: options() },
    trials,
    parallelism: 2,
    sampler: { kind: 'tpe', seed: 3, options: { nStartupTrials: 6 } },
    pruner: { kind: 'median', options: { nStartupTrials: 4, nWarmupSteps: 1 } },
    ...extra,
  });
  const run = (input: TuneInput) =>
    env.client.workflow.execute<typeof tuneWorkflow>('tuneWorkflow', { workflowId: tuneWorkflowId(input.study), taskQueue: config.temporal.taskQueues.ml, args: [input] });

  it('tunes the GBDT with TPE and the median pruner: all trials done, bad regions pruned, best far below a bad config', async () => {
    const readsBefore = trainingDataReads();
    const result = await run(study('gbdt-tpe', 16));
    expect(result).toMatchObject({ status: 'done', requested: 16, done: 16, failed: 0 });
    const trials = await trialRows(database.url, 'gbdt-tpe');
    const done = trials.filter((t) => t.state === 'complete' || t.state === 'pruned');
    expect(done).toHaveLength(16);
    const pruned = trials.filter((t) => t.state === 'pruned');
    expect(pruned.length).toBeGreaterThan(0);
    // 40 rounds reported every 5: steps 0..7 for a complete trial, fewer for a pruned one.
    for (const t of trials.filter((r) => r.state === 'complete')) expect(Object.keys(t.intermediate_values).map(Number).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    for (const t of pruned) {
      const steps = Object.keys(t.intermediate_values).length;
      expect(steps).toBeGreaterThan(1); // nWarmupSteps 1: never before step 1
      expect(steps).toBeLessThan(8);
    }
    // Both files were read once for the whole study, though two trials ran at a time.
    expect(trainingDataReads() - readsBefore).toBe(1);

    // The same engine, the same rows, a deliberately bad fixed configuration.
    const data = await loadTrainingData({ train, valid, target: 'y' });
    const bad = await trainInThread({
      train: data.train,
      valid: data.valid,
      featureNames: data.features,
      params: parseGbdtParams({ objective: 'binary', numIterations: 40, learningRate: 1e-4, numLeaves: 2 }),
      reportEvery: 40,
      metric: 'logloss',
    });
    expect(bad.kind).toBe('done');
    const badValue = (bad as { value: number }).value;
    // A constant model predicting the training base rate, for scale.
    const rate = data.train.y.reduce((s, v) => s + v, 0) / data.train.rows;
    const constant = logLoss(Float64Array.from({ length: data.valid.rows * 2 }, (_, i) => (i % 2 ? rate : 1 - rate)), data.valid.y, 2);
    expect(badValue).toBeGreaterThan(constant - 0.01);
    expect(result.best!.value).toBeLessThan(badValue - 0.1);
    expect(result.best!.value).toBe(Math.min(...trials.filter((t) => t.state === 'complete').map((t) => t.value!)));
  });

  it('keeps heartbeating while a trial trains longer than the heartbeat timeout', async () => {
    // One trial, 1 s heartbeat timeout, a few seconds of training with no intermediate reports (reportEvery
    // beyond the last round): only the activity's heartbeat timer shows life, which a trainer on the
    // activity's own thread would starve.
    const input = study('gbdt-heartbeat', 1, {
      parallelism: 1,
      space: { learningRate: { type: 'float', low: 0.005, high: 0.01 } }, // slow learning keeps every round's tree large
      objective: { name: 'gbdt', options: options({ fixed: { numIterations: 3000, numLeaves: 63, minDataInLeaf: 5 }, reportEvery: 100_000 }) },
      heartbeatTimeoutSeconds: 1,
      maxFailedTrials: 1,
      pruner: { kind: 'none' },
    });
    const result = await run(input);
    expect(result).toMatchObject({ status: 'done', done: 1, complete: 1, failed: 0 });
    const [t] = await trialRows(database.url, 'gbdt-heartbeat');
    expect(t!.state).toBe('complete');
    expect(t!.attempt).toBe(1);
    // The scenario itself: the trial did outlast the heartbeat timeout (1 s) by half again at least.
    expect(t!.finished_at!.getTime() - t!.started_at.getTime()).toBeGreaterThan(1500);
  });

  it('fails a trial with a bad parameter combination with the reason, and the worker carries on', async () => {
    const input = study('gbdt-bad-combo', 2, {
      space: { numLeaves: { type: 'int', low: 1, high: 1 } },
      maxFailedTrials: 2,
      pruner: { kind: 'none' },
    });
    const err = await run(input).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const trials = await trialRows(database.url, 'gbdt-bad-combo');
    expect(trials.length).toBeGreaterThanOrEqual(2);
    for (const t of trials) {
      expect(t.state).toBe('fail');
      expect(t.error).toContain('params.numLeaves: must be >= 2, got 1');
    }
    // The same worker still runs trials.
    expect(await run(study('gbdt-after-bad', 2, { pruner: { kind: 'none' } }))).toMatchObject({ status: 'done', complete: 2 });
  });

  it('tunes an ordinal model on RPS (no intermediate values: none pruned)', async () => {
    // An ordered target 0..3: the latent nonlinear score cut at fixed points.
    const ordinal = (n: number, seed: string) => {
      const c = rows(n, seed);
      const rnd = seedrandom(`${seed}-noise`);
      c.y = Float64Array.from(c.a, (a: number, i: number) => {
        const z = 2 * Math.sin(3 * a) + 3 * c.c[i]! * (Number.isNaN(c.b[i]!) ? 0 : c.b[i]!) + (rnd() - 0.5);
        return z < -1 ? 0 : z < 0 ? 1 : z < 1 ? 2 : 3;
      });
      return c;
    };
    const otrain = join(dir, 'ordinal-train.parquet');
    const ovalid = join(dir, 'ordinal-valid.csv');
    writeParquet(otrain, ordinal(2000, 'otrain'));
    writeCsv(ovalid, ordinal(800, 'ovalid'));
    const result = await run(
      study('gbdt-ordinal', 4, {
        space: { learningRate: { type: 'float', low: 0.05, high: 0.3, log: true }, numLeaves: { type: 'int', low: 4, high: 16 } },
        objective: { name: 'gbdt', options: { train: otrain, valid: ovalid, target: 'y', ignore: ['e'], objective: 'ordinal', metric: 'rps', fixed: { numIterations: 40 } } },
        sampler: { kind: 'random', seed: 5, options: {} },
      }),
    );
    expect(result).toMatchObject({ status: 'done', done: 4, complete: 4, pruned: 0, failed: 0 });
    const trials = await trialRows(database.url, 'gbdt-ordinal');
    for (const t of trials) expect(t.intermediate_values).toEqual({});
    // RPS of the training class frequencies on the same validation rows, for scale.
    const data = await loadTrainingData({ train: otrain, valid: ovalid, target: 'y', ignore: ['e'] });
    expect(data.classes).toEqual([0, 1, 2, 3]);
    const freq = [0, 1, 2, 3].map((k) => data.train.y.filter((v) => v === k).length / data.train.rows);
    const constant = rankedProbabilityScore(Float64Array.from({ length: data.valid.rows * 4 }, (_, i) => freq[i % 4]!), data.valid.y, 4);
    expect(result.best!.value).toBeGreaterThan(0);
    expect(result.best!.value).toBeLessThan(constant * 0.7);
  });

  it('checks options and space up front: one line naming the field', async () => {
    const spec = (options: Record<string, unknown>, space: Record<string, unknown> = SPACE): StudySpec => ({
      ...(study('x', 1) as StudySpec),
      space: space as StudySpec['space'],
      objective: { name: 'gbdt', options },
    });
    const message = (s: StudySpec) => {
      try {
        checkStudySpec(s);
      } catch (e) {
        return (e as Error).message;
      }
      return 'accepted';
    };
    expect(message(spec(options()))).toBe('accepted');
    expect(message(spec(options({ valid: join(dir, 'nope.csv') })))).toBe(`objective.options.valid: ${JSON.stringify(join(dir, 'nope.csv'))} rejected: no such file (Parquet or CSV)`);
    expect(message(spec(options({ metrik: 'rps' })))).toMatch(/^objective\.options\.metrik: unknown option \(expected train, valid, target, /);
    expect(message(spec(options({ metric: 'auc' })))).toBe('objective.options.metric: "auc" rejected: must be logloss or rps');
    expect(message(spec(options({ fixed: { numIteration: 10 } })))).toMatch(/^objective\.options\.fixed\.numIteration: 10 rejected: is not a GBDT parameter \(expected numIterations, /);
    expect(message(spec(options({ fixed: { numClasses: 3 } })))).toBe('objective.options.fixed.numClasses: 3 rejected: is set by the objective option and the data');
    expect(message(spec(options({ fixed: { numIterations: 0 } })))).toBe('objective.options.fixed.numIterations: 0 rejected: must be >= 1');
    expect(message(spec(options(), { ...SPACE, leaves: { type: 'int', low: 2, high: 8 } }))).toMatch(/^space\.leaves: not a GBDT parameter the gbdt objective can tune \(expected /);
    for (const m of ['objective.options.valid', 'objective.options.metrik', 'space.leaves']) expect(m).not.toContain('\n');

    // Through the workflow: openStudy refuses it, nothing is written.
    const err = await run(study('gbdt-unknown-param', 2, { space: { ...SPACE, leaves: { type: 'int', low: 2, high: 8 } } })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(String(((err as WorkflowFailedError).cause?.cause as Error | undefined)?.message)).toMatch(/^space\.leaves: not a GBDT parameter/);
    expect(await trialRows(database.url, 'gbdt-unknown-param')).toEqual([]);
  });

  it('reads a data set again only when one of its files changed', async () => {
    const spec = { train, valid: join(dir, 'valid-copy.csv'), target: 'y', ignore: ['e'] };
    writeCsv(spec.valid, rows(200, 'copy'));
    const before = trainingDataReads();
    const [first, second] = await Promise.all([loadTrainingData(spec), loadTrainingData(spec)]);
    expect(second).toBe(first);
    expect(first.features).toEqual(['a', 'b', 'c', 'd']);
    expect(trainingDataReads() - before).toBe(1);
    writeCsv(spec.valid, rows(300, 'copy')); // another size
    const third = await loadTrainingData(spec);
    expect(trainingDataReads() - before).toBe(2);
    expect(third.valid.rows).toBe(300);
    expect(third.train.x.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it('stops the training thread when the pruner says so or the run is cancelled', async () => {
    const data = await loadTrainingData({ train, valid, target: 'y' });
    const job = {
      train: data.train,
      valid: data.valid,
      featureNames: data.features,
      params: parseGbdtParams({ objective: 'binary', numIterations: 100_000 }),
      reportEvery: 5,
      metric: 'logloss' as const,
    };
    // 100,000 rounds would take minutes: both runs end at the first reports.
    const seen: number[] = [];
    const stopped = await trainInThread(job, { onProgress: async (step) => (seen.push(step), step === 2) });
    expect(stopped).toEqual({ kind: 'stopped', step: 2 });
    expect(seen).toEqual([0, 1, 2]);

    const abort = new AbortController();
    const cancelled = trainInThread(job, { signal: abort.signal, onProgress: async () => (abort.abort(new Error('cancelled by the test')), false) });
    await expect(cancelled).rejects.toThrow('cancelled by the test');
  });
});
