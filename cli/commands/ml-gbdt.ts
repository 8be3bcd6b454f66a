/**
 * `wx ml gbdt`: trains the engine's GBDT on the user's own Parquet or CSV files, so it can be tried
 * on any data and compared with another library on the very same rows. Prints the training time, the
 * held-out metrics and the feature importance; writes model.json, model.onnx, the test predictions
 * and metrics.json into --out.
 *
 * Every input is checked before training starts (files, columns, labels, objective, parameters, the
 * output directory): bad input is exit 2 with one line and nothing written. The outputs go into a
 * temporary directory beside --out that is renamed at the end, so --out is complete or absent.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { jsonObjectFlag, parseArgs, UsageError } from '../args';

const OBJECTIVE_NAMES = ['binary', 'multiclass', 'ordinal'] as const;
/** More classes than this is almost surely a continuous target given by mistake. */
const MAX_CLASSES = 100;

const file = (flag: string) => z.string({ error: `${flag} FILE is required` }).min(1, { error: `${flag}: expected a file path` });

export const MlGbdtArgsSchema = z.object({
  train: file('--train'),
  valid: file('--valid').optional(),
  test: file('--test').optional(),
  target: z.string({ error: '--target COL is required' }).min(1, { error: '--target: expected a column name' }),
  ignore: z
    .string()
    .transform((s) => s.split(',').map((c) => c.trim()).filter(Boolean))
    .optional(),
  objective: z.enum(OBJECTIVE_NAMES, { error: (i) => `--objective: ${JSON.stringify(i.input)} is not one of ${OBJECTIVE_NAMES.join(', ')}` }).optional(),
  params: jsonObjectFlag('--params', '{"numIterations":200,"numLeaves":15}')
    .transform((parsed, ctx) => {
      for (const key of ['objective', 'numClasses']) {
        if (key in parsed) {
          ctx.addIssue({ code: 'custom', message: `--params: ${key} comes from --objective and the target's classes, not from --params` });
          return z.NEVER;
        }
      }
      return parsed as Record<string, unknown>;
    })
    .optional(),
  out: z.string().min(1, { error: '--out: expected a directory path' }).optional(),
  json: z.boolean().default(false),
});
export type MlGbdtArgs = z.infer<typeof MlGbdtArgsSchema>;

/** Adds `gbdt` to the `ml` command group; the heavy modules load only when it runs. */
export function registerMlGbdt(ml: Command): void {
  ml.command('gbdt')
    .description('train the GBDT on Parquet or CSV files: held-out metrics, feature importance; writes model.json, model.onnx, test predictions')
    .option('--train <file>', 'training rows (Parquet or CSV with a header)')
    .option('--valid <file>', 'validation rows (early stopping, metrics)')
    .option('--test <file>', 'test rows (metrics, predictions.csv)')
    .option('--target <col>', 'the label column')
    .option('--ignore <cols>', 'comma-separated columns that are not features')
    .option('--objective <kind>', 'binary, multiclass or ordinal (default: binary for two classes, else multiclass)')
    .option('--params <json>', 'training parameters (LightGBM\'s names, camelCased), e.g. \'{"numIterations":300,"numLeaves":63,"learningRate":0.05,"earlyStoppingRounds":30,"numThreads":2}\'')
    .option('--out <dir>', 'output directory (default: <dataDir>/models/gbdt-<timestamp>)')
    .option('--json', 'print the result as one JSON object')
    .action(async (raw: unknown, cmd: Command) => {
      const args = parseArgs(MlGbdtArgsSchema, raw);
      const { loadConfig } = await import('../../temporal.config');
      const config = loadConfig({ file: cmd.optsWithGlobals<{ config?: string }>().config });
      const out = (line: string) => process.stdout.write(`${line}\n`);
      const progress = args.json ? undefined : (line: string) => process.stderr.write(`${line}\n`);
      const result = await runMlGbdt(args, { dataDir: config.dataDir, progress });
      if (args.json) out(JSON.stringify(result, null, 2));
      else for (const line of renderResult(result)) out(line);
    });
}

export interface SetMetrics {
  file: string;
  rows: number;
  logLoss: number;
  /** Binary only. */
  auc?: number;
  /** Ordinal only. */
  rps?: number;
  accuracy: number;
}

export interface MlGbdtResult {
  out: string;
  files: string[];
  target: string;
  objective: 'binary' | 'multiclass' | 'ordinal';
  /** The label of each class index p_k. */
  classes: Array<number | string>;
  features: string[];
  rows: { train: number; valid?: number; test?: number };
  params: Record<string, unknown>;
  trainingSeconds: number;
  trees: number;
  /** Boosting rounds run (fewer than numIterations when early stopping stopped). */
  iterations: number;
  bestIteration: number;
  metrics: { valid?: SetMetrics; test?: SetMetrics };
  importance: Array<{ feature: string; gain: number; splits: number }>;
}

export async function runMlGbdt(args: MlGbdtArgs, deps: { dataDir: string; progress?: (line: string) => void; now?: () => Date }): Promise<MlGbdtResult> {
  const { existsSync, mkdirSync, readdirSync, renameSync, rmSync, rmdirSync, statSync, writeFileSync } = await import('node:fs');
  const { basename, dirname, join, resolve } = await import('node:path');
  const { labelTables, readTable, rowMajor, TableInputError } = await import('../../ml/tables');
  const { parseGbdtParams, InvalidGbdtParamsError } = await import('../../domain/ml/gbdt/params');
  // numThreads > 1 trains with worker-thread histograms.
  const { trainGbdtThreaded: trainGbdt } = await import('../../ml/parallel/train');
  const { InvalidGbdtDatasetError } = await import('../../domain/ml/gbdt/dataset');
  const { predictProba } = await import('../../domain/ml/gbdt/model');
  const metricsLib = await import('../../domain/ml/metrics');
  const { writeModelFiles } = await import('../../ml/model-files');

  // 1. Inputs, all checked before any training or writing.
  const read = async (flag: string, path: string) => {
    try {
      return await readTable(path);
    } catch (err) {
      if (err instanceof TableInputError) throw new UsageError(`${flag}: ${err.message}`);
      throw err;
    }
  };
  const train = await read('--train', args.train);
  const valid = args.valid ? await read('--valid', args.valid) : undefined;
  const test = args.test ? await read('--test', args.test) : undefined;
  let data: ReturnType<typeof labelTables>;
  try {
    data = labelTables({ train, valid, test }, { target: args.target, ignore: args.ignore });
  } catch (err) {
    if (err instanceof TableInputError) throw new UsageError(err.message);
    throw err;
  }
  const K = data.classes.length;
  const classList = data.classes.map((c) => JSON.stringify(c)).join(', ');
  if (K > MAX_CLASSES) throw new UsageError(`--target ${JSON.stringify(args.target)}: ${K} distinct values in ${args.train}; more than ${MAX_CLASSES} classes is not a class label (the engine classifies)`);
  const objective = args.objective ?? (K === 2 ? 'binary' : 'multiclass');
  if (objective === 'binary' && K !== 2) throw new UsageError(`--objective binary: target ${JSON.stringify(args.target)} has ${K} classes in ${args.train} (${classList}); binary needs exactly two`);
  if (objective === 'ordinal') {
    const bad = data.classes.find((c) => typeof c !== 'number' || !Number.isInteger(c));
    if (bad !== undefined) throw new UsageError(`--objective ordinal: target ${JSON.stringify(args.target)} has label ${JSON.stringify(bad)} in ${args.train}; ordinal labels must be integers`);
    if (K < 3) throw new UsageError(`--objective ordinal: target ${JSON.stringify(args.target)} has ${K} classes in ${args.train}; ordinal needs at least 3 (use binary)`);
  }
  let params: ReturnType<typeof parseGbdtParams>;
  try {
    params = parseGbdtParams({ ...(args.params ?? {}), objective, numClasses: K });
  } catch (err) {
    if (err instanceof InvalidGbdtParamsError) throw new UsageError(`--params ${err.message.replace(/^params\.?/, '')}`);
    throw err;
  }
  const mono = params.monotoneConstraints;
  if (mono && mono.length !== data.features.length) {
    throw new UsageError(`--params monotoneConstraints: has ${mono.length} entries for ${data.features.length} features (${data.features.join(', ')})`);
  }
  const now = deps.now?.() ?? new Date();
  const outDir = resolve(args.out ?? join(deps.dataDir, 'models', `gbdt-${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`));
  if (existsSync(outDir)) {
    if (!statSync(outDir).isDirectory()) throw new UsageError(`--out: ${outDir} is a file, not a directory`);
    if (readdirSync(outDir).length > 0) throw new UsageError(`--out: ${outDir} exists and is not empty`);
  }

  // 2. Training.
  const dataset = (set: NonNullable<typeof data.valid>) => ({ x: rowMajor(set), rows: set.rows, featureNames: data.features, y: set.labels });
  const trainSet = dataset(data.train);
  const validSet = data.valid ? dataset(data.valid) : undefined;
  const every = Math.max(1, Math.round(params.numIterations / 20));
  const started = performance.now();
  let trained: ReturnType<typeof trainGbdt>;
  try {
    trained = trainGbdt(trainSet, params, {
      ...(validSet ? { valid: validSet } : {}),
      ...(deps.progress ? { onIteration: progressLine(deps.progress, every, params.numIterations) } : {}),
    });
  } catch (err) {
    // The trainer's own checks of the parameters and rows (those the checks above do not repeat).
    if (err instanceof InvalidGbdtParamsError || err instanceof InvalidGbdtDatasetError) throw new UsageError(err.message);
    throw err;
  }
  const trainingSeconds = (performance.now() - started) / 1000;
  const { model } = trained;

  // 3. Held-out metrics and test predictions.
  const evaluate = (set: NonNullable<typeof data.valid>, x: Float64Array): { metrics: SetMetrics; proba: Float64Array } => {
    const proba = predictProba(model, x, set.rows);
    const m: SetMetrics = { file: set.file, rows: set.rows, logLoss: metricsLib.logLoss(proba, set.labels, K), accuracy: metricsLib.accuracy(proba, set.labels, K) };
    if (objective === 'binary') m.auc = metricsLib.auc(proba.filter((_, i) => i % 2 === 1), set.labels);
    if (objective === 'ordinal') m.rps = metricsLib.rankedProbabilityScore(proba, set.labels, K);
    return { metrics: m, proba };
  };
  const metrics: MlGbdtResult['metrics'] = {};
  if (validSet) metrics.valid = evaluate(data.valid!, validSet.x).metrics;
  let predictionsCsv: string | undefined;
  if (data.test) {
    const x = rowMajor(data.test);
    const { metrics: m, proba } = evaluate(data.test, x);
    metrics.test = m;
    const lines = [['row', 'label', ...data.classes.map((_, k) => `p_${k}`)].join(',')];
    for (let r = 0; r < data.test.rows; r++) {
      const ps = Array.from(proba.subarray(r * K, (r + 1) * K), String);
      lines.push([test!.sourceRows[r]! + 1, csvCell(String(data.classes[data.test.labels[r]!])), ...ps].join(','));
    }
    predictionsCsv = `${lines.join('\n')}\n`;
  }
  const importance = data.features
    .map((feature, f) => ({ feature, gain: trained.importance.gain[f]!, splits: trained.importance.split[f]! }))
    .sort((a, b) => b.gain - a.gain || a.feature.localeCompare(b.feature));

  // 4. Outputs: written beside --out and renamed into place.
  const files = ['model.json', 'model.onnx', ...(predictionsCsv ? ['predictions.csv'] : []), 'metrics.json'];
  const result: MlGbdtResult = {
    out: outDir,
    files,
    target: data.target,
    objective,
    classes: data.classes,
    features: data.features,
    rows: { train: data.train.rows, ...(data.valid ? { valid: data.valid.rows } : {}), ...(data.test ? { test: data.test.rows } : {}) },
    params: { ...params },
    trainingSeconds,
    trees: model.trees.length,
    iterations: trained.evals.length,
    bestIteration: model.bestIteration,
    metrics,
    importance,
  };
  mkdirSync(dirname(outDir), { recursive: true });
  const tmp = join(dirname(outDir), `.${basename(outDir)}.${process.pid}.partial`);
  rmSync(tmp, { recursive: true, force: true });
  try {
    mkdirSync(tmp);
    await writeModelFiles(tmp, model);
    if (predictionsCsv) writeFileSync(join(tmp, 'predictions.csv'), predictionsCsv);
    writeFileSync(join(tmp, 'metrics.json'), `${JSON.stringify({ ...result, out: undefined, files: undefined }, null, 2)}\n`);
    if (existsSync(outDir)) rmdirSync(outDir); // empty (checked above)
    renameSync(tmp, outDir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return result;
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A progress line every `every` iterations (1-based) and at the last one. */
function progressLine(say: (line: string) => void, every: number, total: number) {
  return (e: { iteration: number; train: number; valid?: number }) => {
    if (e.iteration % every !== 0 && e.iteration !== total) return;
    const parts = [`iteration ${e.iteration}/${total}`];
    if (Number.isFinite(e.train)) parts.push(`train loss ${e.train.toFixed(5)}`);
    if (e.valid !== undefined) parts.push(`valid loss ${e.valid.toFixed(5)}`);
    say(parts.join('  '));
  };
}

export function renderResult(r: MlGbdtResult): string[] {
  const fmt = (v: number) => v.toFixed(4);
  const lines = [
    `train: ${r.rows.train} rows, ${r.features.length} features${r.rows.valid !== undefined ? `; valid: ${r.rows.valid} rows` : ''}${r.rows.test !== undefined ? `; test: ${r.rows.test} rows` : ''}`,
    `objective ${r.objective}, target ${JSON.stringify(r.target)}, classes ${r.classes.map((c, k) => `p_${k}=${JSON.stringify(c)}`).join(' ')}`,
    `trained ${r.trees} trees in ${r.trainingSeconds.toFixed(2)} s (${r.iterations} iterations, best ${r.bestIteration})`,
  ];
  for (const name of ['valid', 'test'] as const) {
    const m = r.metrics[name];
    if (!m) continue;
    const parts = [`log loss ${fmt(m.logLoss)}`];
    if (m.auc !== undefined) parts.push(`AUC ${fmt(m.auc)}`);
    if (m.rps !== undefined) parts.push(`RPS ${fmt(m.rps)}`);
    parts.push(`accuracy ${fmt(m.accuracy)}`);
    lines.push(`${name} (${m.rows} rows): ${parts.join(', ')}`);
  }
  if (!r.metrics.valid && !r.metrics.test) lines.push('no held-out metrics: give --valid or --test');
  lines.push('feature importance (gain, top 10):');
  const width = Math.max(...r.importance.slice(0, 10).map((i) => i.feature.length));
  for (const i of r.importance.slice(0, 10)) lines.push(`  ${i.feature.padEnd(width)}  ${i.gain.toFixed(1).padStart(10)}  ${String(i.splits).padStart(5)} splits`);
  lines.push(`wrote ${r.out}: ${r.files.join(', ')}`);
  return lines;
}
