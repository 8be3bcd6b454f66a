/**
 * Quick inference timing (not a test, not the formal benchmark: bench/ml-inference.ts is): rows per
 * second of onnxruntime-node (TreeEnsemble v5, also at float64, and TreeEnsembleRegressor v3, through
 * the Predictor and in 4096-row chunks) and of the TypeScript predictProba on one random 300-tree, 63-leaf model over 40
 * features with 10% NaN, one thread; then the single-row latency through the Predictor (the
 * trader's path). Methods are timed in interleaved rounds (best round kept) so that a busy machine
 * slows them alike.
 *
 *   npx tsx scripts/onnx-timing.ts [--rows 100000] [--rounds 5] [--single 20000]
 */
import { loadavg } from 'node:os';
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
const ROUNDS = arg('rounds', 5);
const SINGLE = arg('single', 20_000);
const F = 40;
const CHUNK = 4096;

const rng = seedrandom('onnx-timing');
const model = randomModel(rng, { objective: 'binary', numFeatures: F, trees: 300, leaves: 63 });
const x = randomRows(rng, ROWS, F, 0.1);
const ref = predictProba(model, x, ROWS);
const predictors = new Map<string, Predictor>();
for (const op of TREE_OPERATORS) predictors.set(op, await Predictor.load(exportOnnx(model, { treeOperator: op })));
predictors.set('TreeEnsemble float64', await Predictor.load(exportOnnx(model, { precision: 'float64' })));

const chunked = (p: Predictor) => async () => {
  for (let r = 0; r < ROWS; r += CHUNK) {
    const n = Math.min(CHUNK, ROWS - r);
    await p.predict(x.subarray(r * F, (r + n) * F), n);
  }
};
const methods: [string, () => unknown][] = [['TypeScript predictProba', () => predictProba(model, x, ROWS)]];
for (const [op, p] of predictors) {
  methods.push([`onnxruntime-node ${op} (Predictor, 8192-row runs)`, () => p.predict(x, ROWS)]);
  methods.push([`onnxruntime-node ${op}, ${CHUNK}-row chunks`, chunked(p)]);
}

console.log(`model: 300 trees x 63 leaves, ${F} features; ${ROWS.toLocaleString('en-US')} rows with 10% NaN; 1 thread; best of ${ROUNDS} interleaved rounds; load average ${loadavg()[0]!.toFixed(1)} on ${(await import('node:os')).cpus().length} cores`);
for (const [op, p] of predictors) {
  const got = await p.predict(x, ROWS);
  let diff = 0;
  for (let i = 0; i < got.length; i++) diff = Math.max(diff, Math.abs(got[i]! - ref[i]!));
  console.log(`  parity ${op}: max |p - predictProba| = ${diff.toExponential(1)}`);
}
const best = new Map<string, number>();
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, fn] of methods) {
    const t0 = performance.now();
    await fn();
    const ms = performance.now() - t0;
    best.set(name, Math.min(best.get(name) ?? Infinity, ms));
  }
}
for (const [name, ms] of best) {
  console.log(`  ${name.padEnd(52)} ${Math.round(ROWS / (ms / 1000)).toLocaleString('en-US').padStart(9)} rows/s  (${ms.toFixed(0)} ms)`);
}

for (const [op, p] of predictors) {
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
  console.log(`  single row, Predictor.predictOne, ${op} (${SINGLE} calls): p50 ${q(0.5)} us, p90 ${q(0.9)} us, p99 ${q(0.99)} us`);
  await p.close();
}
console.log(`load average at the end ${loadavg()[0]!.toFixed(1)}`);
