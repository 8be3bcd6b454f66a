/**
 * Ordinal comparison on the Chicago set's winning bracket (0..5, ordered): the ordinal objective
 * (cumulative logit), the K-1 cumulative binaries "y > k" (trainCumulativeBinaries, isotonic fix) and
 * multiclass softmax, on the same rows and settings; held-out log loss and ranked probability
 * score, with the market's own day-before quotes and the constant (class frequency) model beside
 * them. Two settings: the benchmark's (300 rounds, 63 leaves, lr 0.01) and early stopping on the
 * valid split (up to 3,000 rounds, patience 100, 15 leaves).
 *
 *   npm run bench -- ml-ordinal
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { trainGbdt } from '../domain/ml/gbdt/train';
import { predictProba } from '../domain/ml/gbdt/model';
import { trainCumulativeBinaries, predictCumulativeBinaries } from '../domain/ml/gbdt/cumulative';
import type { GbdtParamsInput } from '../domain/ml/gbdt/params';
import { logLoss, rankedProbabilityScore } from '../domain/ml/metrics';
import { ensureChicago, loadSet, splitOf, ML_BENCH_DIR } from './ml-data';
import { loadLine } from './ml-reference';

const K = 6;
const SETTINGS: Record<string, Omit<GbdtParamsInput, 'objective'>> = {
  'bench (300 rounds, 63 leaves, lr 0.01)': { numIterations: 300, learningRate: 0.01, numLeaves: 63, minDataInLeaf: 20, maxBins: 255 },
  'early stopping (<= 3000 rounds, 15 leaves, lr 0.01)': { numIterations: 3000, learningRate: 0.01, numLeaves: 15, minDataInLeaf: 20, maxBins: 255, earlyStoppingRounds: 100 },
};

export async function main(): Promise<void> {
  const ch = ensureChicago();
  if (!ch.path) {
    console.log(`SKIP ml-ordinal: ${ch.reason}`);
    return;
  }
  const set = await loadSet('chicago', ch.path);
  const target = 'y_bracket';
  const [train, valid, test] = (['train', 'valid', 'test'] as const).map((s) => splitOf(set, s, target)) as [ReturnType<typeof splitOf>, ReturnType<typeof splitOf>, ReturnType<typeof splitOf>];
  const ds = (s: typeof train) => ({ x: s.x, rows: s.rows, featureNames: set.featureNames, y: s.y });
  console.log(`\n## ordinal vs cumulative binaries vs multiclass (Chicago winning bracket, ${train.rows}/${valid.rows}/${test.rows} train/valid/test days; ${loadLine()})`);
  const results: Record<string, Record<string, number>> = {};
  const score = (name: string, proba: Float64Array, seconds?: number) => {
    // Rows whose observed class got (almost) no probability: what drives a log loss far above the RPS ranking.
    let zero = 0;
    for (let r = 0; r < test.rows; r++) if (proba[r * K + test.y[r]!]! < 1e-6) zero++;
    results[name] = { logLoss: logLoss(proba, test.y, K), rps: rankedProbabilityScore(proba, test.y, K), zero, ...(seconds !== undefined ? { seconds } : {}) };
  };
  const freq = new Float64Array(K);
  for (const y of train.y) freq[y]! += 1 / train.rows;
  const constant = new Float64Array(test.rows * K);
  for (let r = 0; r < test.rows; r++) constant.set(freq, r * K);
  score('constant (train class frequencies)', constant);
  // The market's own view: its normalised day-before quotes q0..q5, floored at 0.5% (a bracket left
  // unquoted is not impossible).
  const qi = ['q0', 'q1', 'q2', 'q3', 'q4', 'q5'].map((n) => set.featureNames.indexOf(n));
  const market = new Float64Array(test.rows * K);
  for (let r = 0; r < test.rows; r++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += market[r * K + k] = Math.max(0.005, test.x[r * set.featureNames.length + qi[k]!]!);
    for (let k = 0; k < K; k++) market[r * K + k]! /= s;
  }
  score('market quotes (normalised mids)', market);
  for (const [label, p] of Object.entries(SETTINGS)) {
    const opts = p.earlyStoppingRounds ? { valid: ds(valid), evalTrain: false } : { evalTrain: false };
    let t0 = Date.now();
    const ord = trainGbdt(ds(train), { ...p, objective: 'ordinal', numClasses: K }, opts).model;
    score(`${label}: ordinal (${ord.bestIteration} rounds)`, predictProba(ord, test.x, test.rows), (Date.now() - t0) / 1000);
    t0 = Date.now();
    const cb = trainCumulativeBinaries(ds(train), { ...p, numClasses: K }, p.earlyStoppingRounds ? { valid: ds(valid) } : {});
    score(`${label}: ${K - 1} cumulative binaries (${cb.models.map((m) => m.bestIteration).join('/')} rounds)`, predictCumulativeBinaries(cb, test.x, test.rows), (Date.now() - t0) / 1000);
    t0 = Date.now();
    const mc = trainGbdt(ds(train), { ...p, objective: 'multiclass', numClasses: K }, opts).model;
    score(`${label}: multiclass softmax (${mc.bestIteration} rounds)`, predictProba(mc, test.x, test.rows), (Date.now() - t0) / 1000);
  }
  console.table(Object.fromEntries(Object.entries(results).map(([k, v]) => [k, { 'log loss': v.logLoss!.toFixed(4), RPS: v.rps!.toFixed(4), 'P(obs)<1e-6': String(v.zero), 's': v.seconds?.toFixed(2) ?? '-' }])));
  for (const label of Object.keys(SETTINGS)) {
    const rows = Object.entries(results).filter(([k]) => k.startsWith(label));
    const by = (m: 'logLoss' | 'rps') => rows.reduce((a, b) => (b[1][m]! < a[1][m]! ? b : a))[0].slice(label.length + 2);
    console.log(`${label}: best log loss ${by('logLoss')}; best RPS ${by('rps')}`);
  }
  mkdirSync(ML_BENCH_DIR, { recursive: true });
  writeFileSync(join(ML_BENCH_DIR, 'ordinal-results.json'), JSON.stringify({ at: new Date().toISOString(), load: loadLine(), results }, null, 2));
  console.log(`written: ${join(ML_BENCH_DIR, 'ordinal-results.json')}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
