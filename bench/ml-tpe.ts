/**
 * TPE vs Optuna's TPESampler (defaults) vs random search, at 50 and 100 trials, on Branin,
 * Hartmann-6 and one GBDT-tuning objective: median best value over seeds, with the IQR and a
 * bootstrap 95% interval of median(ours) - median(Optuna). Target: not worse than Optuna beyond
 * noise, i.e. that interval reaches 0 or below (all three are minimised).
 *
 *   npm run bench -- ml-tpe
 *   WX_BENCH_TPE_SEEDS=20 WX_BENCH_TPE_GBDT_SEEDS=10 npm run bench -- ml-tpe
 *
 * The GBDT objective: valid log loss of our GBDT (binary, 60 rounds) trained on 4,000 rows of the
 * synthetic set and scored on 2,000 valid rows, over learningRate, numLeaves, minDataInLeaf and
 * lambdaL2. Optuna proposes its parameters from a Python child over ask/tell JSON lines and the
 * objective runs here, so both tuners score exactly the same function.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createStudy } from '../domain/ml/tpe/study';
import { TPESampler } from '../domain/ml/tpe/tpe-sampler';
import { RandomSampler } from '../domain/ml/tpe/random-sampler';
import { NopPruner } from '../domain/ml/tpe/median-pruner';
import { TEST_PROBLEMS } from '../domain/ml/tpe/test-functions';
import type { Params, SearchSpace, Sampler } from '../domain/ml/tpe/types';
import { predictProba } from '../domain/ml/gbdt/model';
import { logLoss } from '../domain/ml/metrics';
import { ensureSynthetic, loadSet, splitOf, ML_BENCH_DIR } from './ml-data';
import { bootstrapMedianDiff, loadLine, median, optunaAskTell, quantile, reference, runReference } from './ml-reference';

const CHECKPOINTS = [50, 100] as const;
type Best = Record<(typeof CHECKPOINTS)[number], number>;

async function runOurs(space: SearchSpace, sampler: Sampler, objective: (p: Params) => number): Promise<Best> {
  const study = createStudy({ space, sampler, pruner: new NopPruner() });
  let best = Infinity;
  const at = {} as Best;
  for (let n = 1; n <= CHECKPOINTS.at(-1)!; n++) {
    const trial = await study.ask();
    const v = objective(trial.params);
    await study.tell(trial.number, v);
    best = Math.min(best, v);
    if ((CHECKPOINTS as readonly number[]).includes(n)) at[n as 50 | 100] = best;
  }
  return at;
}

function gbdtObjective(): Promise<{ space: SearchSpace; evaluate: (p: Params) => number }> {
  return (async () => {
    const { trainGbdt } = await import('../domain/ml/gbdt/train');
    const set = await loadSet('synthetic', ensureSynthetic());
    const take = (s: ReturnType<typeof splitOf>, n: number) => ({ x: s.x.subarray(0, n * set.featureNames.length), rows: n, y: s.y.subarray(0, n) });
    const train = take(splitOf(set, 'train', 'y_binary'), 4000);
    const valid = take(splitOf(set, 'valid', 'y_binary'), 2000);
    const space: SearchSpace = {
      learningRate: { type: 'float', low: 0.01, high: 0.3, log: true },
      numLeaves: { type: 'int', low: 4, high: 128, log: true, step: 1 },
      minDataInLeaf: { type: 'int', low: 5, high: 100, log: false, step: 1 },
      lambdaL2: { type: 'float', low: 1e-3, high: 10, log: true },
    };
    const evaluate = (p: Params): number => {
      const { model } = trainGbdt(
        { x: train.x, rows: train.rows, featureNames: set.featureNames, y: train.y },
        { objective: 'binary', numIterations: 60, learningRate: p.learningRate as number, numLeaves: p.numLeaves as number, minDataInLeaf: p.minDataInLeaf as number, lambdaL2: p.lambdaL2 as number, numThreads: 1 },
        { evalTrain: false },
      );
      return logLoss(predictProba(model, valid.x, valid.rows), valid.y, 2);
    };
    return { space, evaluate };
  })();
}

interface Row {
  problem: string;
  sampler: string;
  seeds: number;
  bestBySeed: Best[];
}

function summarise(rows: Row[]): void {
  const table: Record<string, Record<string, string>> = {};
  for (const r of rows) {
    const cells: Record<string, string> = { seeds: String(r.seeds) };
    for (const n of CHECKPOINTS) {
      const xs = r.bestBySeed.map((b) => b[n]);
      cells[`median@${n}`] = median(xs).toPrecision(5);
      cells[`IQR@${n}`] = `${quantile(xs, 0.25).toPrecision(4)}..${quantile(xs, 0.75).toPrecision(4)}`;
    }
    table[`${r.problem} ${r.sampler}`] = cells;
  }
  console.table(table);
  for (const problem of new Set(rows.map((r) => r.problem))) {
    const ours = rows.find((r) => r.problem === problem && r.sampler === 'ours TPE');
    const optuna = rows.find((r) => r.problem === problem && r.sampler === 'Optuna TPE');
    const random = rows.find((r) => r.problem === problem && r.sampler === 'ours random');
    for (const n of CHECKPOINTS) {
      const o = ours!.bestBySeed.map((b) => b[n]);
      if (random) {
        const rr = random.bestBySeed.map((b) => b[n]);
        const [lo, hi] = bootstrapMedianDiff(o, rr);
        console.log(`${problem} @${n}: ours TPE - random median ${(median(o) - median(rr)).toPrecision(4)} (95% ${lo.toPrecision(3)}..${hi.toPrecision(3)}) ${hi < 0 ? 'TPE better' : 'not separated'}`);
      }
      if (optuna) {
        const q = optuna.bestBySeed.map((b) => b[n]);
        const [lo, hi] = bootstrapMedianDiff(o, q);
        const pass = lo <= 0;
        console.log(`${problem} @${n}: ours TPE - Optuna TPE median ${(median(o) - median(q)).toPrecision(4)} (95% ${lo.toPrecision(3)}..${hi.toPrecision(3)}) ${pass ? 'PASS' : 'MISS'} (not worse beyond noise)`);
      }
    }
  }
}

export async function main(): Promise<void> {
  const seeds = Number(process.env.WX_BENCH_TPE_SEEDS ?? 20);
  const gbdtSeeds = Number(process.env.WX_BENCH_TPE_GBDT_SEEDS ?? 10);
  const ref = reference();
  console.log(`\n## TPE vs Optuna TPESampler vs random (${seeds} seeds; GBDT objective ${gbdtSeeds} seeds; ${loadLine()})`);
  const rows: Row[] = [];
  for (const problem of Object.values(TEST_PROBLEMS)) {
    const t0 = Date.now();
    const seedsList = Array.from({ length: seeds }, (_, s) => s);
    const tpe: Best[] = [];
    const rnd: Best[] = [];
    for (const s of seedsList) {
      tpe.push(await runOurs(problem.space, new TPESampler({ seed: s }), problem.evaluate));
      rnd.push(await runOurs(problem.space, new RandomSampler({ seed: s }), problem.evaluate));
    }
    rows.push({ problem: problem.name, sampler: 'ours TPE', seeds, bestBySeed: tpe }, { problem: problem.name, sampler: 'ours random', seeds, bestBySeed: rnd });
    console.log(`${problem.name}: ours ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    if (ref.ok) {
      for (const sampler of ['tpe', 'random'] as const) {
        const r = await runReference<{ bestBySeed: Array<Record<string, number>>; seconds: number; optuna: string }>([
          'tpe', '--function', problem.name, '--space', JSON.stringify(problem.space), '--sampler', sampler, '--seeds', String(seeds), '--checkpoints', CHECKPOINTS.join(','),
        ]);
        rows.push({ problem: problem.name, sampler: `Optuna ${sampler === 'tpe' ? 'TPE' : 'random'}`, seeds, bestBySeed: r.bestBySeed.map((b) => ({ 50: b['50']!, 100: b['100']! })) });
        console.log(`${problem.name}: Optuna ${r.optuna} ${sampler} ${r.seconds.toFixed(1)} s`);
      }
    }
  }
  if (gbdtSeeds > 0) {
    const { space, evaluate } = await gbdtObjective();
    const t0 = Date.now();
    const tpe: Best[] = [];
    const rnd: Best[] = [];
    const opt: Best[] = [];
    for (let s = 0; s < gbdtSeeds; s++) {
      tpe.push(await runOurs(space, new TPESampler({ seed: s }), evaluate));
      rnd.push(await runOurs(space, new RandomSampler({ seed: s }), evaluate));
      if (ref.ok) {
        const values = await optunaAskTell(space, { sampler: 'tpe', seed: s, trials: CHECKPOINTS.at(-1)! }, (p) => evaluate(p));
        opt.push({ 50: Math.min(...values.slice(0, 50)), 100: Math.min(...values) });
      }
      console.log(`gbdt seed ${s}: ${((Date.now() - t0) / 1000).toFixed(0)} s so far (${loadLine()})`);
    }
    rows.push({ problem: 'gbdt-tuning', sampler: 'ours TPE', seeds: gbdtSeeds, bestBySeed: tpe }, { problem: 'gbdt-tuning', sampler: 'ours random', seeds: gbdtSeeds, bestBySeed: rnd });
    if (ref.ok) rows.push({ problem: 'gbdt-tuning', sampler: 'Optuna TPE', seeds: gbdtSeeds, bestBySeed: opt });
  }
  summarise(rows);
  mkdirSync(ML_BENCH_DIR, { recursive: true });
  writeFileSync(join(ML_BENCH_DIR, 'tpe-results.json'), JSON.stringify({ at: new Date().toISOString(), load: loadLine(), rows }, null, 2));
  console.log(`written: ${join(ML_BENCH_DIR, 'tpe-results.json')}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
