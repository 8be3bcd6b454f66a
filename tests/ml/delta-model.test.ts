/**
 * The ordinal delta model end to end on a generated world: the real backfill workflow over HTTP from
 * the sandbox into real PostgreSQL, then deltaSweepWorkflow on the real dev server (dataset activity ->
 * sweep activity, a small table back), then trainDeltaModel (in the SDK's activity environment) twice:
 * exactly one ml.model_version row, its files, and the six-bracket probabilities served through
 * model.onnx (onnxruntime-node, the one Predictor) equal to the TypeScript predictor's to 1e-5.
 * Bad input is a non-retryable InvalidInput naming the field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment, type TestWorkflowEnvironment } from '@temporalio/testing';
import { and, eq } from 'drizzle-orm';
import { loadConfig, type Config } from '../../temporal.config';
import { createDb } from '../../db/client';
import { createLogger } from '../../lib/logger';
import { createWorkers } from '../../workers/host';
import { startSandbox, type RunningSandbox } from '../../sandbox/server';
import { ALL_ROUTES } from '../../sandbox/routes/index';
import { createGeneratedWorld } from '../../sandbox/worlds/generated';
import { createDeltaTrainActivities, deltaSplit, sweepSpecs, type TrainDeltaInput, type TrainDeltaResult } from '../../activities/ml/train-delta';
import { scores } from '../../activities/ml/train';
import { bracketsFromClassProba, deltaMatrix, deltaRows, DeltaSpecSchema, predictDelta } from '../../domain/ml/delta-model';
import { readDatasetFile } from '../../ml/dataset-cache';
import { loadModelDir } from '../../ml/model-files';
import { mlModelVersion } from '../../schemas/db';
import { renderDeltaSweepTable } from '../../cli/commands/ml-delta-sweep';
import type { DeltaSweepWorkflowResult } from '../../workflows/delta-sweep';
import { startDevServer } from '../support/temporal';
import { freshDatabase } from '../support/postgres';

const log = createLogger('test', { level: 'warn' });
const CITY = 'chicago';
// Long enough for a day split with an inner early-stopping split (>= 10 settled days), short enough to
// backfill fast. The WX_DELTA_* variables run the same scenario on a longer world (the figures reported in docs).
const FROM = process.env.WX_DELTA_FROM ?? '2024-04-01';
const TO = process.env.WX_DELTA_TO ?? '2024-04-28';
const shift = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
// Small fits: the test checks the plumbing and the parity, not the model's quality.
const RANGES = (process.env.WX_DELTA_RANGES ?? '4').split(',').map(Number);
const PARAMS = { numIterations: Number(process.env.WX_DELTA_ITERATIONS ?? 60), learningRate: Number(process.env.WX_DELTA_LEARNING_RATE ?? 0.1), numThreads: 1, earlyStoppingRounds: 20 };

describe('ordinal delta model (real backfill, dev server, PostgreSQL, onnxruntime-node)', { timeout: 600_000 }, () => {
  let env: TestWorkflowEnvironment;
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let db: ReturnType<typeof createDb>;
  let sandbox: RunningSandbox;
  let config: Config;
  let dataDir: string;
  let sweep: DeltaSweepWorkflowResult;

  beforeAll(async () => {
    [env, database] = await Promise.all([startDevServer(), freshDatabase()]);
    db = createDb(database.url);
    const world = createGeneratedWorld({ seed: 11, cities: [CITY], dates: { from: shift(FROM, -7), to: shift(TO, 10) }, inefficiency: (process.env.WX_DELTA_INEFFICIENCY as never) ?? 'none' });
    sandbox = await startSandbox({ port: 0, world, routes: ALL_ROUTES });
    dataDir = mkdtempSync(join(tmpdir(), 'wx-delta-'));
    const suffix = randomBytes(3).toString('hex');
    config = loadConfig({
      env: { WX_SANDBOX_PORT: String(sandbox.port), WX_DATA_DIR: dataDir, WX_LOG_LEVEL: 'warn' },
      overrides: { temporal: { taskQueues: Object.fromEntries(['pipeline', 'ingest', 'ml', 'backtest', 'trading'].map((r) => [r, `${r}-${suffix}`])) } },
    });
    const workers = await createWorkers({ config, roles: ['ingest', 'ml'], connection: env.nativeConnection, deps: { db: db.db, pool: db.pool, log, config } });
    const scenario = (async () => {
      await env.client.workflow.execute('backfillCityWorkflow', {
        workflowId: `backfill-delta-${suffix}`,
        taskQueue: config.temporal.taskQueues.ingest,
        args: [{ city: CITY, from: FROM, to: TO }],
      });
      const started = Date.now();
      const r = (await env.client.workflow.execute('deltaSweepWorkflow', {
        workflowId: `delta-sweep-${suffix}`,
        taskQueue: config.temporal.taskQueues.ml,
        args: [{ city: CITY, from: FROM, to: TO, specs: sweepSpecs(['forecast', 'market_mean', 'obs_max'], RANGES), params: PARAMS }],
      })) as DeltaSweepWorkflowResult;
      console.log(`delta sweep: ${((Date.now() - started) / 1000).toFixed(1)} s (dataset ${r.dataset.rows} rows, ${r.dataset.events} events)`);
      return r;
    })();
    await Promise.all(workers.map((w) => w.runUntil(scenario.catch(() => undefined))));
    sweep = await scenario;
  }, 2_400_000); // the backfill and the sweep: about 40 s by default, minutes on a WX_DELTA_* year

  afterAll(async () => {
    await sandbox?.close();
    await db?.close();
    await env?.teardown();
    await database?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const activities = () => {
    const real = createDeltaTrainActivities({ db: db.db, pool: db.pool, log, config });
    return {
      trainDeltaModel: (i: TrainDeltaInput) => new MockActivityEnvironment().run(real.trainDeltaModel, i) as Promise<TrainDeltaResult>,
      deltaSweep: (i: Parameters<typeof real.deltaSweep>[0]) => new MockActivityEnvironment().run(real.deltaSweep, i),
    };
  };

  it('deltaSweepWorkflow: one row per spec, each scored next to the market on its own test rows, the best marked', async () => {
    for (const line of renderDeltaSweepTable(sweep.sweep)) console.log(line);
    const { rows, best } = sweep.sweep;
    expect(rows.map((r) => r.label)).toEqual(['forecast', 'market_mean', 'obs_max'].flatMap((b) => RANGES.map((r) => `${b}±${r}`)));
    expect(best).toBe(rows.reduce((b, r, i) => (r.model.logLoss < rows[b]!.model.logLoss ? i : b), 0));
    const d = await readDatasetFile(sweep.dataset.path);
    const split = deltaSplit(d, { testFraction: 0.2 });
    for (const r of rows) {
      expect(r.testDays).toBeGreaterThanOrEqual(5);
      expect(Number.isFinite(r.model.logLoss) && Number.isFinite(r.market.logLoss)).toBe(true);
      // The market's score is on the spec's own rows: the split's test rows with its baseline known.
      const test = deltaRows(d, r.spec, split.test, true);
      expect(r.testRows).toBe(test.length);
    }
    // obs_max is unknown before the climate day begins: fewer test rows than the forecast baseline.
    const byBaseline = (b: string) => rows.find((r) => r.spec.baseline === b)!;
    expect(byBaseline('obs_max').testRows).toBeLessThan(byBaseline('forecast').testRows);
  });

  it('trainDeltaModel: files, one registered version on retry, ONNX-served six brackets equal the TS predictor to 1e-5', async () => {
    const act = activities();
    const input: TrainDeltaInput = { city: CITY, datasetPath: sweep.dataset.path, spec: { baseline: 'market_mean', lo: -6, hi: 6 }, params: PARAMS };
    const first: TrainDeltaResult = await act.trainDeltaModel(input);
    const again: TrainDeltaResult = await act.trainDeltaModel(input); // a retry after a crash: same version, same row
    expect(again.version).toBe(first.version);
    expect(first.version).toMatch(/^d-[0-9a-f]{12}$/);
    expect(first.kind).toBe('delta');
    const versions = await db.db.select().from(mlModelVersion).where(and(eq(mlModelVersion.cityId, CITY), eq(mlModelVersion.kind, 'delta')));
    expect(versions.map((v) => [v.version, v.status])).toEqual([[first.version, 'active']]);
    for (const f of ['model.json', 'model.onnx', 'params.json', 'metrics.json']) expect(existsSync(join(first.artifactDir, f)), f).toBe(true);
    expect(first.artifactDir).toBe(join(config.dataDir, 'models', CITY, first.version));
    expect(JSON.parse(readFileSync(join(first.artifactDir, 'params.json'), 'utf8')).spec).toEqual({ baseline: 'market_mean', lo: -6, hi: 6 });
    console.log(
      `trainDeltaModel market_mean±6: ${first.testDays} test days, ${first.testRows} rows: model ${first.model.logLoss.toFixed(4)} market ${first.market.logLoss.toFixed(4)} ` +
        `(diff ${first.logLossDiff.estimate.toFixed(4)} [${first.logLossDiff.lo.toFixed(4)}, ${first.logLossDiff.hi.toFixed(4)}]), RPS ${first.model.rps.toFixed(4)}/${first.market.rps.toFixed(4)}`,
    );

    // Served: the dataset's test rows through model.onnx, mapped onto the six brackets; against the TS predictor.
    const d = await readDatasetFile(sweep.dataset.path);
    const spec = DeltaSpecSchema.parse(input.spec);
    const test = deltaRows(d, spec, deltaSplit(d, { testFraction: 0.2 }).test, true);
    expect(test.length).toBe(first.testRows);
    const loaded = await loadModelDir(first.artifactDir);
    try {
      expect(loaded.model.objective).toBe('ordinal');
      expect(loaded.model.numClasses).toBe(13);
      const m = deltaMatrix(d, spec, test, false, loaded.model.featureNames);
      const onnx = bracketsFromClassProba(d, spec, test, m.b, await loaded.predictor.predict(Float32Array.from(m.x), m.rows));
      const ts = predictDelta(loaded.model, d, spec, test);
      let maxDiff = 0;
      for (let i = 0; i < ts.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ts[i]! - onnx[i]!));
      console.log(`ONNX vs TS six-bracket probabilities: max |diff| ${maxDiff.toExponential(2)} over ${test.length} rows`);
      expect(maxDiff).toBeLessThan(1e-5);
      // The registered metrics are the TS predictor's on those rows.
      expect(scores(ts, Float64Array.from(test, (r) => d.yBracket[r]!)).logLoss).toBeCloseTo(first.model.logLoss, 10);
    } finally {
      await loaded.predictor.close();
    }
  });

  it('bad input: InvalidInput naming the field, nothing registered', async () => {
    const act = activities();
    const path = sweep.dataset.path;
    const rejects = async (p: Promise<unknown>, message: RegExp) => {
      const err = (await p.then(() => undefined, (e: unknown) => e)) as { type?: string; nonRetryable?: boolean; message: string } | undefined;
      expect(err, String(message)).toBeDefined();
      expect(err!.type).toBe('InvalidInput');
      expect(err!.nonRetryable).toBe(true);
      expect(err!.message).toMatch(message);
    };
    const before = (await db.db.select().from(mlModelVersion)).length;
    await rejects(act.trainDeltaModel({ city: CITY, datasetPath: path, spec: { baseline: 'median' as never } }), /spec\.baseline "median"/);
    await rejects(act.trainDeltaModel({ city: CITY, datasetPath: path, spec: { lo: -1, hi: 0 } }), /spec\.hi 0: must be at least lo \+ 2/);
    await rejects(act.trainDeltaModel({ city: CITY, datasetPath: path, params: { objective: 'binary' } }), /params\.objective "binary"/);
    await rejects(act.trainDeltaModel({ city: CITY, datasetPath: path, params: { numLeaves: 1 } }), /params\.numLeaves 1: must be >= 2/);
    await rejects(act.trainDeltaModel({ city: 'austin', datasetPath: path }), /is for chicago, not austin/);
    await rejects(act.trainDeltaModel({ city: CITY, datasetPath: join(dataDir, 'nope.parquet') }), /train-delta dataset: .*nope\.parquet/);
    await rejects(act.trainDeltaModel({ city: CITY, datasetPath: path, testFrom: '2030-01-01' }), /train-delta: chicago: .*2030-01-01/);
    await rejects(act.deltaSweep({ city: CITY, datasetPath: path, specs: [] }), /delta-sweep input specs/);
    expect((await db.db.select().from(mlModelVersion)).length).toBe(before);
  });
});
