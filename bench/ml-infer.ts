/**
 * Inference on the same 300-tree models, one thread each, on the synthetic set's 20,000 test rows
 * (10% NaN): rows per second of onnxruntime-node on our exported model (TreeEnsemble v5 and v3),
 * of the TypeScript predictor (predictProba), of LightGBM's own predict (in Python), and of
 * onnxruntime-node on LightGBM's model exported by onnxmltools; then the single-row latency
 * through the Predictor (predictOne, the trader's path). Targets: onnxruntime-node on our model
 * >= LightGBM's predict in rows/s; single-row p99 < 100 us.
 *
 *   npm run bench -- ml-infer        # uses data/bench/ml/models/ from ml-gbdt, else trains both
 */
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { parseModel, predictProba, type GbdtModel } from '../domain/ml/gbdt/model';
import { exportOnnx, type TreeOperator } from '../domain/ml/onnx/export';
import { Predictor } from '../ml/predictor';
import { ensureSynthetic, loadSet, splitOf, ML_BENCH_DIR } from './ml-data';
import { BENCH_PARAMS, CASES, modelPath, trainOurs } from './ml-gbdt';
import { loadLine, median, quantile, reference, runReference } from './ml-reference';

const REPEATS = Number(process.env.WX_BENCH_INFER_REPEATS ?? 5);
const SINGLE = Number(process.env.WX_BENCH_INFER_SINGLE ?? 20_000);

async function timeBatches(fn: () => Promise<unknown> | unknown, rows: number): Promise<{ rowsPerSecond: number; seconds: number[] }> {
  await fn(); // warm-up
  const seconds: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    seconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return { rowsPerSecond: rows / median(seconds), seconds };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export async function main(): Promise<void> {
  const c = CASES[0]!; // synthetic binary
  const set = await loadSet('synthetic', ensureSynthetic());
  const test = splitOf(set, 'test', c.target);
  const nf = set.featureNames.length;
  let model: GbdtModel;
  if (existsSync(modelPath(c))) model = parseModel(JSON.parse(readFileSync(modelPath(c), 'utf8')));
  else {
    console.log(`no ${modelPath(c)} (run ml-gbdt first to reuse it): training ours (${loadLine()})`);
    model = (await trainOurs(set, c)).model;
    mkdirSync(join(ML_BENCH_DIR, 'models'), { recursive: true });
    writeFileSync(modelPath(c), JSON.stringify(model));
  }
  const leaves = model.trees.reduce((a, t) => a + t.leafValue.length, 0);
  console.log(`\n## inference, one thread, ${test.rows} rows x ${nf} features (10% NaN); our model ${model.trees.length} trees, ${(leaves / model.trees.length).toFixed(1)} leaves per tree (${loadLine()})`);
  const rows: Record<string, Record<string, string>> = {};
  const figures: Record<string, unknown> = {};
  const x = test.x;
  const tsProba = predictProba(model, x, test.rows);
  const ts = await timeBatches(() => predictProba(model, x, test.rows), test.rows);
  rows['TypeScript predictProba (ours)'] = { 'rows/s': ts.rowsPerSecond.toFixed(0) };
  figures.typescript = ts;
  const ortFigures: Record<string, number> = {};
  for (const op of ['TreeEnsemble', 'TreeEnsembleRegressor'] as TreeOperator[]) {
    const predictor = await Predictor.load(exportOnnx(model, { treeOperator: op }), { intraOpNumThreads: 1 });
    const parity = maxAbsDiff(await predictor.predict(x, test.rows), tsProba);
    const r = await timeBatches(() => predictor.predict(x, test.rows), test.rows);
    rows[`onnxruntime-node, ours (${op})`] = { 'rows/s': r.rowsPerSecond.toFixed(0), 'max |diff| vs TS': parity.toExponential(1) };
    ortFigures[op] = r.rowsPerSecond;
    figures[`ort-${op}`] = { ...r, parity };
    await predictor.close();
  }
  // The trader's path: one row at a time through the Predictor, rows cycling over the test set.
  const predictor = await Predictor.load(exportOnnx(model), { intraOpNumThreads: 1 });
  const lat: number[] = [];
  for (let i = 0; i < SINGLE + 1000; i++) {
    const r = i % test.rows;
    const row = x.subarray(r * nf, (r + 1) * nf);
    const t0 = process.hrtime.bigint();
    await predictor.predictOne(row);
    if (i >= 1000) lat.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  await predictor.close();
  const p50 = quantile(lat, 0.5);
  const p99 = quantile(lat, 0.99);
  figures.singleRow = { calls: SINGLE, p50, p99, p999: quantile(lat, 0.999) };

  let lgbRate: number | undefined;
  const ref = reference();
  const lgbModel = join(ML_BENCH_DIR, 'models', `${c.set}-${c.objective}.lightgbm.txt`);
  if (ref.ok) {
    if (!existsSync(lgbModel)) {
      console.log(`no ${lgbModel}: training LightGBM (${loadLine()})`);
      await runReference(['gbdt', '--data', set.path, '--target', c.target, '--objective', c.objective, '--params', JSON.stringify(BENCH_PARAMS), '--threads', '2', '--model-out', lgbModel]);
    }
    const onnxOut = join(ML_BENCH_DIR, 'models', `${c.set}-${c.objective}.lightgbm.onnx`);
    const probaOut = join(ML_BENCH_DIR, 'models', `${c.set}-${c.objective}.lightgbm.proba`);
    const r = await runReference<{ trees: number; predict: { rowsPerSecond: number }; singleRowMicros: { p50: number; p99: number } }>([
      'lgb-infer', '--model', lgbModel, '--data', set.path, '--target', c.target, '--onnx-out', onnxOut, '--proba-out', probaOut, '--predict-rows', String(test.rows), '--predict-repeats', String(REPEATS),
    ]);
    lgbRate = r.predict.rowsPerSecond;
    rows[`LightGBM predict (Python, ${r.trees} trees)`] = { 'rows/s': r.predict.rowsPerSecond.toFixed(0), 'single row p50/p99 us': `${r.singleRowMicros.p50.toFixed(1)}/${r.singleRowMicros.p99.toFixed(1)}` };
    figures.lightgbm = r;
    const lgbProba = new Float64Array(readFileSync(probaOut).buffer.slice(0));
    const session = await ort.InferenceSession.create(onnxOut, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
    const outName = session.outputNames.includes('probabilities') ? 'probabilities' : session.outputNames.at(-1)!;
    const run = async () => (await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', x, [test.rows, nf]) }, [outName]))[outName]!.data as Float32Array;
    const ortLgb = await run();
    const p1 = Float64Array.from({ length: test.rows }, (_, i) => ortLgb[i * 2 + 1]!);
    const o = await timeBatches(run, test.rows);
    rows['onnxruntime-node, LightGBM model (onnxmltools)'] = { 'rows/s': o.rowsPerSecond.toFixed(0), 'max |diff| vs TS': `${maxAbsDiff(p1, lgbProba).toExponential(1)} vs LightGBM` };
    figures.ortLightgbm = o;
    await session.release();
  } else rows['LightGBM'] = { 'rows/s': `SKIP: ${ref.reason}` };
  rows['Predictor.predictOne (ours, v5)'] = { 'single row p50/p99 us': `${p50.toFixed(1)}/${p99.toFixed(1)}` };
  console.table(rows);
  const ortBest = ortFigures.TreeEnsemble!;
  if (lgbRate !== undefined) console.log(`onnxruntime-node (ours, TreeEnsemble) / LightGBM predict rows/s: ${(ortBest / lgbRate).toFixed(2)}x ${ortBest >= lgbRate ? 'PASS' : 'MISS'} (>= 1x)`);
  console.log(`single-row p99 through the Predictor: ${p99.toFixed(1)} us ${p99 < 100 ? 'PASS' : 'MISS'} (< 100 us); ${loadLine()}`);
  writeFileSync(join(ML_BENCH_DIR, 'infer-results.json'), JSON.stringify({ at: new Date().toISOString(), load: loadLine(), figures }, null, 2));
  console.log(`written: ${join(ML_BENCH_DIR, 'infer-results.json')}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
