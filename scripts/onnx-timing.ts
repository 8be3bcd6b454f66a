/**
 * Quick inference timing (not a test, not the formal benchmark: bench/ml-inference.ts is): rows per
 * second of onnxruntime-node (TreeEnsemble v5 and TreeEnsembleRegressor v3) and of the TypeScript
 * predictProba on one random 300-tree, 63-leaf model over 40 features with 10% NaN, one thread; then
 * the single-row latency through the Predictor (the trader's path).
 *
 *   npx tsx scripts/onnx-timing.ts [--rows 100000] [--single 20000]
 */
import { performance } from 'node:perf_hooks';
import seedrandom from 'seedrandom';
import { predictProba } from '../domain/ml/gbdt/model';
import { exportOnnx, TREE_OPERATORS } from '../domain/ml/onnx/export';
import { randomModel, randomRows } from '../domain/ml/onnx/random-model';
import { Predictor } from '../ml/predictor';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const ROWS = arg('rows', 100_000);
const SINGLE = arg('single', 20_000);
const F = 40;

const rng = seedrandom('onnx-timing');
const model = randomModel(rng, { objective: 'binary', numFeatures: F, trees: 300, leaves: 63 });
const x = randomRows(rng, ROWS, F, 0.1);

const best = async (reps: number, fn: () => unknown | Promise<unknown>) => {
  let t = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    t = Math.min(t, performance.now() - t0);
  }
  return t;
};
const rate = (ms: number) => `${Math.round(ROWS / (ms / 1000)).toLocaleString('en-US')} rows/s (${ms.toFixed(0)} ms per ${ROWS.toLocaleString('en-US')} rows)`;

console.log(`model: 300 trees x 63 leaves, ${F} features, ${ROWS.toLocaleString('en-US')} rows with 10% NaN, 1 thread, best of 3`);
const ref = predictProba(model, x, ROWS);
const tsMs = await best(3, () => predictProba(model, x, ROWS));
console.log(`  TypeScript predictProba        ${rate(tsMs)}`);
for (const op of TREE_OPERATORS) {
  const p = await Predictor.load(exportOnnx(model, { treeOperator: op }));
  await p.predict(x.subarray(0, 1000 * F), 1000); // warm-up
  const ms = await best(3, () => p.predict(x, ROWS));
  const got = await p.predict(x, ROWS);
  let diff = 0;
  for (let i = 0; i < got.length; i++) diff = Math.max(diff, Math.abs(got[i]! - ref[i]!));
  console.log(`  onnxruntime-node ${op.padEnd(22)} ${rate(ms)}; max |p - predictProba| ${diff.toExponential(1)}`);

  const lat = new Float64Array(SINGLE);
  const row = new Float32Array(F);
  for (let i = 0; i < 2000; i++) await p.predictOne(x.subarray((i % ROWS) * F, (i % ROWS) * F + F));
  for (let i = 0; i < SINGLE; i++) {
    row.set(x.subarray((i % ROWS) * F, (i % ROWS) * F + F));
    const t0 = performance.now();
    await p.predictOne(row);
    lat[i] = (performance.now() - t0) * 1000;
  }
  lat.sort();
  const q = (f: number) => lat[Math.min(SINGLE - 1, Math.floor(f * SINGLE))]!.toFixed(1);
  console.log(`    single row via Predictor.predictOne (${SINGLE} calls): p50 ${q(0.5)} us, p99 ${q(0.99)} us, max ${lat[SINGLE - 1]!.toFixed(0)} us`);
  await p.close();
}
