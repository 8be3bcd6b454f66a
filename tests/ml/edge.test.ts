/**
 * The edge classifier end to end: the real backfill over HTTP from a generated world (longshot-biased
 * market) into real PostgreSQL, then edgeClassifierWorkflow on the real Temporal dev server (dataset ->
 * out-of-fold bracket probabilities -> classifier -> threshold on validation days -> test days -> ONNX
 * -> ml.model_version). Run twice: one version. The ONNX file gives the TypeScript model's scores.
 * Bad input fails as InvalidInput naming what was wrong.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from '@temporalio/worker';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment, type TestWorkflowEnvironment } from '@temporalio/testing';
import { and, eq } from 'drizzle-orm';
import { loadConfig, type Config } from '../../temporal.config';
import { createDb } from '../../db/client';
import { createLogger } from '../../lib/logger';
import { createWorkers } from '../../workers/host';
import { startSandbox, type RunningSandbox } from '../../sandbox/server';
import { ALL_ROUTES } from '../../sandbox/routes/index';
import { createGeneratedWorld } from '../../sandbox/worlds/generated';
import { createEdgeActivities, type EdgeClassifierResult } from '../../activities/ml/edge';
import { DEFAULT_BRACKET_PARAMS } from '../../activities/ml/train';
import { marketBrackets, usableRows } from '../../domain/ml/bracket-model';
import { EDGE_FEATURES, edgeCandidates, edgeFeatures, selectCandidates } from '../../domain/ml/edge';
import { predictProba } from '../../domain/ml/gbdt/model';
import { readDatasetFile } from '../../ml/dataset-cache';
import { loadModelDir } from '../../ml/model-files';
import { mlModelVersion } from '../../schemas/db';
import { edgeProgressQuery, type EdgeClassifierWorkflowInput } from '../../workflows/edge';
import { CITY, STAGE } from '../../workflows/search-attributes';
import { isStageSkipped } from '../../schemas/stage';
import { startDevServer } from '../support/temporal';
import { freshDatabase } from '../support/postgres';

const log = createLogger('test', { level: 'warn' });
const FROM = '2024-03-01';
const TO = '2024-05-12';

describe('edge classifier workflow (real backfill, dev server, PostgreSQL)', { timeout: 120_000 }, () => {
  let env: TestWorkflowEnvironment;
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let db: ReturnType<typeof createDb>;
  let sandbox: RunningSandbox;
  let config: Config;
  let dataDir: string;
  let workers: Worker[];
  let running: Promise<unknown>;
  let suffix: string;

  const edge = (id: string, input: EdgeClassifierWorkflowInput) =>
    env.client.workflow.start('edgeClassifierWorkflow', { workflowId: `edge-${id}-${suffix}`, taskQueue: config.temporal.taskQueues.ml, args: [input] });

  beforeAll(async () => {
    [env, database] = await Promise.all([startDevServer(), freshDatabase()]);
    db = createDb(database.url);
    dataDir = mkdtempSync(join(tmpdir(), 'wx-edge-'));
    const world = createGeneratedWorld({ seed: 11, cities: ['chicago'], dates: { from: '2024-02-25', to: '2024-05-15' }, inefficiency: 'longshot' });
    sandbox = await startSandbox({ port: 0, world, routes: ALL_ROUTES });
    suffix = randomBytes(3).toString('hex');
    config = loadConfig({
      env: { WX_SANDBOX_PORT: String(sandbox.port), WX_DATA_DIR: dataDir, WX_LOG_LEVEL: 'warn' },
      overrides: { temporal: { taskQueues: Object.fromEntries(['pipeline', 'ingest', 'ml', 'backtest', 'trading'].map((r) => [r, `${r}-${suffix}`])) } },
    });
    workers = await createWorkers({ config, roles: ['ingest', 'ml'], connection: env.nativeConnection, deps: { db: db.db, pool: db.pool, log, config } });
    // The workers poll for the whole file (a worker that has stopped cannot run again).
    running = Promise.all(workers.map((w) => w.run()));
    const t0 = Date.now();
    await env.client.workflow.execute('backfillCityWorkflow', {
      workflowId: `backfill-${suffix}`,
      taskQueue: config.temporal.taskQueues.ingest,
      // Hourly candles only: the dataset's snapshots are hourly, and minute candles would triple the backfill.
      args: [{ city: 'chicago', from: FROM, to: TO, minuteCandlesFrom: '2099-01-01', sources: ['kalshi', 'settlements', 'forecasts'] }],
    });
    console.log(`backfill ${FROM}..${TO}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }, 120_000);

  afterAll(async () => {
    for (const w of workers ?? []) w.shutdown();
    await running;
    await sandbox?.close();
    await db?.close();
    await env?.teardown();
    await database?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  let result: EdgeClassifierResult;
  let datasetPath: string;

  it('fits, chooses its threshold on validation days before the test days, registers one version over two runs', async () => {
    const t0 = Date.now();
    // A faster bracket model than the defaults' (0.02): the test's time goes to the folds' fits.
    const input: EdgeClassifierWorkflowInput = { city: 'chicago', from: FROM, to: TO, bracketParams: { learningRate: 0.05 } };
    const h1 = await edge('a', input);
    const first = (await h1.result()) as EdgeClassifierResult;
    expect(isStageSkipped(first)).toBe(false);
    const t1 = Date.now();
    const progress = await h1.query(edgeProgressQuery);
    const attrs = (await h1.describe()).typedSearchAttributes;
    const second = (await (await edge('b', input)).result()) as EdgeClassifierResult;
    result = first;
    datasetPath = progress.dataset!.path;
    const s = (x: EdgeClassifierResult['test']['ungated']) =>
      `${x.trades} trades, win ${x.winRate === null ? '-' : (100 * x.winRate).toFixed(1)}%, P&L ${x.totalPnlCents.toFixed(1)}¢ (${x.pnlPerTradeCents === null ? '-' : x.pnlPerTradeCents.toFixed(2)}¢/trade)`;
    console.log(
      `edge ${first.version} in ${((t1 - t0) / 1000).toFixed(1)} s (second run ${((Date.now() - t1) / 1000).toFixed(1)} s): threshold ${first.threshold}, classifier ${first.classifier.trainTrades} trades on ${first.classifierDays.from}..${first.classifierDays.to}, ` +
        `validation ${first.validationDays.from}..${first.validationDays.to} (AUC ${first.classifier.validAuc?.toFixed(3)}): ungated ${s(first.validation.ungated)}; gated ${s(first.validation.gated)}\n` +
        `  test ${first.testFrom}.. (${first.testDays} days, ${first.test.candidates} candidates): edge > 0 alone ${s(first.test.ungated)}; gated ${s(first.test.gated)}`,
    );

    expect(second.version).toBe(first.version);
    expect(second).toEqual(first);
    const versions = await db.db.select().from(mlModelVersion).where(and(eq(mlModelVersion.cityId, 'chicago'), eq(mlModelVersion.kind, 'edge')));
    expect(versions.map((v) => [v.version, v.status])).toEqual([[first.version, 'active']]);
    expect(first.version).toMatch(/^e-[0-9a-f]{12}$/);
    expect(progress.stage).toBe('done');
    expect((progress.result as EdgeClassifierResult).version).toBe(first.version);
    expect(attrs.get(CITY)).toBe('chicago');
    expect(attrs.get(STAGE)).toBe('edge');

    // The days: out-of-fold classifier days, then validation days, then the test days, never overlapping.
    expect(first.classifierDays.to < first.validationDays.from).toBe(true);
    expect(first.validationDays.to < first.testFrom).toBe(true);
    expect(first.oofDays.to < first.testFrom).toBe(true);
    expect(first.validationDays.days).toBeGreaterThan(0);
    expect(first.classifier.trainTrades).toBeGreaterThanOrEqual(50);
    // The gate takes a subset of the signals, on validation and test days alike.
    expect(first.test.gated.trades).toBeLessThanOrEqual(first.test.ungated.trades);
    expect(first.validation.gated.trades).toBeLessThanOrEqual(first.validation.ungated.trades);
    // On validation days the chosen threshold made at least what taking every signal made, or refused all when that lost.
    // (taking every signal is one of the thresholds it weighed, refusing all another).
    expect(first.validation.gated.totalPnlCents).toBeGreaterThanOrEqual(Math.max(0, first.validation.ungated.totalPnlCents) - 1e-9);
    if (first.threshold === null) expect(first.validation.gated.trades).toBe(0);
    else expect(first.validation.gated.totalPnlCents).toBeGreaterThan(0);

    // Files: model pair, params.json with the threshold and the price rule, metrics.json = the result.
    for (const f of ['model.json', 'model.onnx', 'params.json', 'metrics.json']) expect(existsSync(join(first.artifactDir, f)), f).toBe(true);
    const params = JSON.parse(readFileSync(join(first.artifactDir, 'params.json'), 'utf8'));
    expect(params.threshold).toBe(first.threshold);
    expect(params.priceRule).toBe('ask');
    expect(params.fees).toEqual({ feeType: 'quadratic', feeMultiplier: 1 });
    expect(JSON.parse(readFileSync(join(first.artifactDir, 'metrics.json'), 'utf8'))).toEqual(first);
  });

  it('serves the same scores from model.onnx as from model.json (1e-5)', async () => {
    expect(result, 'the first test ran').toBeDefined();
    const { model, predictor } = await loadModelDir(result.artifactDir, { featureNames: [...EDGE_FEATURES] });
    try {
      const d = await readDatasetFile(datasetPath);
      const rows = usableRows(d, true);
      // Realistic rows: candidates priced against the market's own probabilities, every day of the dataset.
      const c = edgeCandidates(d, rows, marketBrackets(d, rows), { priceRule: 'ask', fees: { feeType: 'quadratic', feeMultiplier: 1 }, contracts: 10 });
      const ix = selectCandidates(c, () => true);
      const x = edgeFeatures(c, ix);
      const f32 = Float32Array.from(x);
      const onnx = await predictor.predict(f32, ix.length);
      // The TypeScript side on the same float32-rounded inputs the ONNX model sees.
      const ts = predictProba(model, Float64Array.from(f32), ix.length);
      expect(ix.length).toBeGreaterThan(1000);
      let worst = 0;
      for (let i = 0; i < ts.length; i++) worst = Math.max(worst, Math.abs(ts[i]! - onnx[i]!));
      console.log(`ONNX vs TS: ${ix.length} rows, max |diff| ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(1e-5);
    } finally {
      await predictor.close();
    }
  });

  it('takes the bracket parameters of the city\'s active bracket model (its params.json) when it has one', async () => {
    expect(datasetPath, 'the first test ran').toBeDefined();
    // A registered bracket model whose params.json fixes 40 rounds (a refit's, so no early stopping).
    const dir = join(dataDir, 'models', 'chicago', 'b-test');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'params.json'), JSON.stringify({ ...DEFAULT_BRACKET_PARAMS, earlyStoppingRounds: undefined, numIterations: 40, learningRate: 0.1, testFraction: 0.2, dataset: datasetPath }));
    await db.db.insert(mlModelVersion).values({ cityId: 'chicago', kind: 'bracket', version: 'b-test', artifactPath: 'models/chicago/b-test/model.onnx', status: 'active' });
    const activities = createEdgeActivities({ db: db.db, pool: db.pool, log, config });
    const r = (await new MockActivityEnvironment().run(activities.trainEdgeClassifier, { city: 'chicago', datasetPath })) as EdgeClassifierResult;
    expect(r.bracketParamsFrom).toBe('b-test');
    expect(r.version).not.toBe(result.version);
    const params = JSON.parse(readFileSync(join(r.artifactDir, 'params.json'), 'utf8'));
    expect(params.bracketParams.numIterations).toBe(40);
    expect(params.bracketParams.learningRate).toBe(0.1);
    expect(params.bracketParams.earlyStoppingRounds).toBeUndefined();
    // The newer edge version is the active one; the first is retired, not deleted.
    const rows = await db.db.select().from(mlModelVersion).where(and(eq(mlModelVersion.cityId, 'chicago'), eq(mlModelVersion.kind, 'edge')));
    expect(Object.fromEntries(rows.map((v) => [v.version, v.status]))).toEqual({ [result.version]: 'retired', [r.version]: 'active' });
  });

  const failure = async (id: string, input: EdgeClassifierWorkflowInput) => {
    const err = await (await edge(id, input)).result().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    let cause: unknown = (err as WorkflowFailedError).cause;
    while (cause && !(cause instanceof ApplicationFailure)) cause = (cause as Error).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe('InvalidInput');
    return (cause as ApplicationFailure).message;
  };

  it('fails as InvalidInput naming an unknown city, a range with no data, and bad settings', async () => {
    const [city, empty, rule, param] = await Promise.all([
      failure('atlantis', { city: 'atlantis', from: FROM, to: TO }),
      failure('empty', { city: 'chicago', from: '2023-01-01', to: '2023-01-31' }),
      failure('rule', { city: 'chicago', from: FROM, to: TO, priceRule: 'mid' as never }),
      failure('param', { city: 'chicago', from: FROM, to: TO, params: { numLeaves: 1 } }),
    ]);
    expect(city).toMatch(/city.*atlantis/);
    expect(empty).toMatch(/chicago 2023-01-01\.\.2023-01-31: no usable events/);
    expect(rule).toMatch(/^edge input priceRule "mid": /);
    expect(param).toMatch(/^edge params\.numLeaves 1: must be >= 2/);
  });

  it('succeeds with a note instead of a model when the range holds too few days (as the train stage does)', async () => {
    const r = await (await edge('short', { city: 'chicago', from: FROM, to: '2024-03-12' })).result();
    expect(r).toEqual({ city: 'chicago', skipped: expect.stringMatching(/^not enough history: edge chicago: 12 settled days .* at least 20 are needed/) });
  });
});
