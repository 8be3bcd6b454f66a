/**
 * `wx ml gbdt` as a user runs it (a real process): it trains on generated Parquet and CSV files with a
 * learnable target, prints sane held-out metrics, writes model.json, model.onnx and the test
 * predictions (the ONNX model, loaded in onnxruntime-node, gives the CSV's probabilities), and refuses
 * every bad input with exit 2, one line naming the input, and nothing written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mulberry32 } from '../../domain/ml/rng';
import { Predictor } from '../../ml/predictor';
import { writeParquet } from '../../ml/tables';
import { newWxWorld, runWx, type WxWorld } from '../support/wx-process';
import { parseArgs, UsageError } from '../../cli/args';
import { MlGbdtArgsSchema } from '../../cli/commands/ml-gbdt';

let world: WxWorld;
let dir: string;
const p = (name: string) => join(dir, name);

interface Rows {
  cols: Record<string, Float64Array>;
  labels: string[];
  ids: string[];
}

/** Features x1..x4 (x2 missing on 20% of rows, x4 pure noise) and a label from `label(x1, x2, noise)`. */
function generate(seed: number, n: number, label: (x1: number, x2: number, e: number) => string): Rows {
  const rng = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const cols = { x1: new Float64Array(n), x2: new Float64Array(n), x3: new Float64Array(n), x4: new Float64Array(n) };
  const labels: string[] = [];
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const x1 = rng() * 4 - 2;
    const x2 = rng() * 4 - 2;
    cols.x1[i] = x1;
    cols.x2[i] = rng() < 0.2 ? NaN : x2;
    cols.x3[i] = x1 * 0.5 + gauss() * 0.5;
    cols.x4[i] = gauss();
    labels.push(label(x1, x2, gauss()));
    ids.push(`r${seed}-${i}`);
  }
  return { cols, labels, ids };
}

function toCsv(rows: Rows, target = 'y'): string {
  const names = Object.keys(rows.cols);
  const lines = [['id', ...names, target].join(',')];
  rows.labels.forEach((l, i) => lines.push([rows.ids[i], ...names.map((c) => (Number.isNaN(rows.cols[c]![i]!) ? 'NA' : String(rows.cols[c]![i]))), l].join(',')));
  return `${lines.join('\n')}\n`;
}

const toParquet = (path: string, rows: Rows) => writeParquet(path, { id: rows.ids, ...rows.cols, y: rows.labels }, { rowGroupSize: 250 });

// Binary: a nonlinear boundary (a tree model learns it; a linear one would not).
const binary = (x1: number, x2: number, e: number) => (x1 + Math.sin(2 * x2) + 0.3 * e > 0 ? 'pos' : 'neg');
// Ordinal: an ordered latent value cut into levels 1..5.
const ordinal = (x1: number, x2: number, e: number) => String(Math.min(5, Math.max(1, Math.round(3 + 1.2 * x1 + 0.5 * x2 + 0.4 * e))));
// Multiclass: three regions with no order.
const multi = (x1: number, x2: number, e: number) => (x1 + 0.2 * e > 0.5 ? 'a' : x2 + 0.2 * e > 0 ? 'b' : 'c');

let binTest: Rows;

beforeAll(async () => {
  world = await newWxWorld();
  dir = mkdtempSync(join(tmpdir(), 'wx-ml-gbdt-'));
  toParquet(p('bin-train.parquet'), generate(1, 1500, binary));
  writeFileSync(p('bin-valid.csv'), toCsv(generate(2, 400, binary)));
  binTest = generate(3, 400, binary);
  toParquet(p('bin-test.parquet'), binTest);
  writeFileSync(p('ord-train.csv'), toCsv(generate(4, 1200, ordinal)));
  writeFileSync(p('ord-test.csv'), toCsv(generate(5, 400, ordinal)));
  writeFileSync(p('multi-train.csv'), toCsv(generate(6, 1200, multi)));
  writeFileSync(p('multi-test.csv'), toCsv(generate(7, 400, multi)));
});

afterAll(() => {
  // No server was started (the command trains on files), so the data directory can simply go.
  if (world) rmSync(world.dataDir, { recursive: true, force: true });
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const wx = (args: string[]) => runWx(world, ['ml', 'gbdt', ...args]);
const params = (extra: Record<string, unknown> = {}) => ['--params', JSON.stringify({ numIterations: 60, numLeaves: 15, learningRate: 0.15, ...extra })];

function readCsv(path: string): string[][] {
  return readFileSync(path, 'utf8').trim().split('\n').map((l) => l.split(','));
}

describe('wx ml gbdt', { timeout: 120_000 }, () => {
  it('binary on Parquet + CSV: AUC > 0.9, files written, model.onnx in onnxruntime-node gives the CSV probabilities', async () => {
    const out = p('bin-out');
    const res = await wx(['--train', p('bin-train.parquet'), '--valid', p('bin-valid.csv'), '--test', p('bin-test.parquet'), '--target', 'y', '--ignore', 'id', ...params(), '--out', out]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/objective binary, target "y", classes p_0="neg" p_1="pos"/);
    expect(res.stdout).toMatch(/^trained \d+ trees in \d+\.\d+ s/m);
    const test = res.stdout.match(/^test \(400 rows\): log loss ([\d.]+), AUC ([\d.]+), accuracy ([\d.]+)$/m);
    expect(test, res.stdout).not.toBeNull();
    const [logLoss, auc, acc] = test!.slice(1).map(Number) as [number, number, number];
    expect(auc).toBeGreaterThan(0.9);
    expect(acc).toBeGreaterThan(0.8);
    // Far below the constant model (the base rate's entropy).
    const base = binTest.labels.filter((l) => l === 'pos').length / binTest.labels.length;
    expect(logLoss).toBeLessThan(0.7 * -(base * Math.log(base) + (1 - base) * Math.log(1 - base)));
    expect(res.stdout).toMatch(/^valid \(400 rows\): log loss/m);
    // Importance: the noise feature x4 is not on top; x1 (the strongest signal) is among the first two.
    const imp = res.stdout.split('\n').slice(res.stdout.split('\n').findIndex((l) => l.startsWith('feature importance')) + 1).filter((l) => /^\s{2}x\d/.test(l));
    expect(imp.map((l) => l.trim().split(/\s+/)[0])).toHaveLength(4);
    expect(imp.slice(0, 2).map((l) => l.trim().split(/\s+/)[0])).toContain('x1');
    // Progress on stderr.
    expect(res.stderr).toMatch(/^iteration \d+\/60/m);

    expect(readdirSync(out).sort()).toEqual(['metrics.json', 'model.json', 'model.onnx', 'predictions.csv']);
    const csv = readCsv(join(out, 'predictions.csv'));
    expect(csv[0]).toEqual(['row', 'label', 'p_0', 'p_1']);
    expect(csv).toHaveLength(401);
    csv.slice(1).forEach((r, i) => {
      expect(r[0]).toBe(String(i + 1));
      expect(r[1]).toBe(binTest.labels[i]);
      expect(Number(r[2]) + Number(r[3])).toBeCloseTo(1, 9);
    });
    const features = ['x1', 'x2', 'x3', 'x4'];
    const x = new Float32Array(400 * 4);
    for (let r = 0; r < 400; r++) features.forEach((f, j) => (x[r * 4 + j] = binTest.cols[f]![r]!));
    const predictor = await Predictor.load(join(out, 'model.onnx'), { featureNames: features });
    try {
      const proba = await predictor.predict(x, 400);
      let maxDiff = 0;
      csv.slice(1).forEach((r, i) => {
        for (let k = 0; k < 2; k++) maxDiff = Math.max(maxDiff, Math.abs(proba[i * 2 + k]! - Number(r[2 + k])));
      });
      expect(maxDiff).toBeLessThan(1e-5);
    } finally {
      await predictor.close();
    }
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.classes).toEqual(['neg', 'pos']);
    expect(metrics.metrics.test.auc).toBeCloseTo(auc, 4);
    // Nothing else was left beside --out.
    expect(readdirSync(dir).filter((n) => n.includes('bin-out'))).toEqual(['bin-out']);
  });

  it('ordinal on CSV, two threads: valid probabilities, RPS below the class frequencies\' RPS', async () => {
    const out = p('ord-out');
    const res = await wx(['--train', p('ord-train.csv'), '--test', p('ord-test.csv'), '--target', 'y', '--ignore', 'id', '--objective', 'ordinal', ...params({ numThreads: 2 }), '--out', out]);
    expect(res.code, res.stderr).toBe(0);
    const m = res.stdout.match(/^test \(400 rows\): log loss ([\d.]+), RPS ([\d.]+), accuracy ([\d.]+)$/m);
    expect(m, res.stdout).not.toBeNull();
    const rps = Number(m![2]);
    const csv = readCsv(join(out, 'predictions.csv'));
    expect(csv[0]).toEqual(['row', 'label', 'p_0', 'p_1', 'p_2', 'p_3', 'p_4']);
    const labels = csv.slice(1).map((r) => Number(r[1]));
    for (const r of csv.slice(1)) {
      const ps = r.slice(2).map(Number);
      for (const v of ps) expect(v).toBeGreaterThanOrEqual(0);
      expect(ps.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    }
    // The constant forecast of the test's own class frequencies (a generous baseline).
    const freq = [1, 2, 3, 4, 5].map((c) => labels.filter((l) => l === c).length / labels.length);
    let baseline = 0;
    for (const l of labels) {
      let cdf = 0;
      for (let k = 0; k < 4; k++) {
        cdf += freq[k]!;
        baseline += (cdf - (l <= k + 1 ? 1 : 0)) ** 2 / 4;
      }
    }
    baseline /= labels.length;
    expect(rps).toBeLessThan(0.5 * baseline);
  });

  it('--json: one JSON object on stdout, no progress lines; default objective multiclass; default --out under the data directory', async () => {
    const res = await wx(['--train', p('multi-train.csv'), '--test', p('multi-test.csv'), '--target', 'y', '--ignore', 'id', ...params(), '--json']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).not.toMatch(/iteration/);
    const r = JSON.parse(res.stdout);
    expect(r.objective).toBe('multiclass');
    expect(r.classes).toEqual(['a', 'b', 'c']);
    expect(r.metrics.test.rows).toBe(400);
    expect(r.metrics.test.accuracy).toBeGreaterThan(0.8);
    expect(r.metrics.test.auc).toBeUndefined();
    expect(r.out.startsWith(join(world.dataDir, 'models', 'gbdt-'))).toBe(true);
    expect(readdirSync(r.out).sort()).toEqual(['metrics.json', 'model.json', 'model.onnx', 'predictions.csv']);
  });

  describe('bad input: exit 2, one line naming it, nothing written', () => {
    const base = () => ['--train', p('bin-train.parquet'), '--target', 'y', '--ignore', 'id'];
    const cases: Array<[string, () => string[], RegExp]> = [
      ['a missing file', () => ['--train', p('nope.csv'), '--target', 'y'], /^wx: --train: .*nope\.csv: cannot be read \(ENOENT\)$/],
      ['an empty file', () => ['--train', p('empty.csv'), '--target', 'y'], /^wx: --train: .*empty\.csv: is empty$/],
      ['a corrupt Parquet file', () => ['--train', p('corrupt.parquet'), '--target', 'y'], /^wx: --train: .*corrupt\.parquet: is not a Parquet file/],
      ['an unknown target column', () => ['--train', p('bin-train.parquet'), '--target', 'label'], /^wx: .*bin-train\.parquet: --target: no column "label" \(columns: id, x1, x2, x3, x4, y\)$/],
      ['--params that is not JSON', () => [...base(), '--params', '{nope'], /^wx: --params: "\{nope" is not JSON/],
      ['an unknown parameter', () => [...base(), '--params', '{"numLeavs":7}'], /^wx: --params numLeavs: unknown parameter$/],
      ['a bad parameter value', () => [...base(), '--params', '{"numLeaves":1.5}'], /^wx: --params numLeaves: must be an integer, got 1\.5$/],
      ['a target with one class', () => ['--train', p('one-class.csv'), '--target', 'y'], /^wx: .*one-class\.csv: --target "y": one class only \("a"\); need at least two$/],
      ['non-integer labels for ordinal', () => ['--train', p('halves.csv'), '--target', 'y', '--objective', 'ordinal'], /^wx: --objective ordinal: target "y" has label 0\.5 in .*halves\.csv; ordinal labels must be integers$/],
      ['binary with three classes', () => ['--train', p('multi-train.csv'), '--target', 'y', '--ignore', 'id', '--objective', 'binary'], /^wx: --objective binary: target "y" has 3 classes in .*multi-train\.csv \("a", "b", "c"\)/],
      ['features differing between files', () => [...base(), '--valid', p('extra-col.csv')], /^wx: .*extra-col\.csv: column "x5" is not in .*bin-train\.parquet/],
      ['a feature value that is not a number', () => ['--train', p('text-feature.csv'), '--target', 'y'], /^wx: .*text-feature\.csv: column "x1", row 3 \(line 4\): "abc" is not a number/],
      ['monotone constraints for the wrong number of features', () => [...base(), '--params', '{"monotoneConstraints":[1,0]}'], /^wx: --params monotoneConstraints: has 2 entries for 4 features \(x1, x2, x3, x4\)$/],
    ];

    beforeAll(() => {
      writeFileSync(p('empty.csv'), '');
      writeFileSync(p('corrupt.parquet'), Buffer.from('PAR1 this is not parquet at all PAR1'.replace(/^PAR1/, 'PARX')));
      writeFileSync(p('one-class.csv'), 'x,y\n1,a\n2,a\n3,a\n');
      writeFileSync(p('halves.csv'), 'x,y\n1,0.5\n2,1.5\n3,2.5\n4,0.5\n');
      writeFileSync(p('extra-col.csv'), 'id,x1,x2,x3,x4,x5,y\nr,1,2,3,4,5,pos\n');
      writeFileSync(p('text-feature.csv'), 'x1,y\n1,a\n2,b\nabc,a\n');
    });

    // Independent processes: run a few at once (each is mostly tsx start-up).
    it.concurrent.for(cases)('%s', async ([name, args, line], { expect }) => {
      const out = p(`refused-${name.replace(/\W+/g, '-')}`);
      const res = await wx([...args(), '--out', out]);
      const lines = res.stderr.split('\n').filter(Boolean);
      expect(res.code, `stdout:\n${res.stdout}\nstderr:\n${res.stderr}`).toBe(2);
      expect(lines, res.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(line);
      expect(res.stderr).not.toMatch(/^\s+at /m);
      expect(existsSync(out), 'nothing written to --out').toBe(false);
      expect(readdirSync(dir).filter((n) => n.includes('refused-') || n.includes('.partial'))).toEqual([]);
    });

    it('argument errors (checked before any file is opened) name the flag', () => {
      const refused = (raw: Record<string, unknown>) => {
        try {
          parseArgs(MlGbdtArgsSchema, raw);
        } catch (err) {
          expect(err).toBeInstanceOf(UsageError);
          return (err as Error).message;
        }
        throw new Error(`accepted ${JSON.stringify(raw)}`);
      };
      expect(refused({ train: 't.csv' })).toBe('--target COL is required');
      expect(refused({ target: 'y' })).toBe('--train FILE is required');
      expect(refused({ train: 't.csv', target: 'y', objective: 'regression' })).toBe('--objective: "regression" is not one of binary, multiclass, ordinal');
      expect(refused({ train: 't.csv', target: 'y', params: '[1]' })).toBe('--params: "[1]" is not a JSON object');
      expect(refused({ train: 't.csv', target: 'y', params: '{"objective":"binary"}' })).toBe('--params: objective comes from --objective and the target\'s classes, not from --params');
      expect(parseArgs(MlGbdtArgsSchema, { train: 't.csv', target: 'y', ignore: 'id, date,' }).ignore).toEqual(['id', 'date']);
    });

    it('an --out directory that is not empty is refused before training and left as it was', async () => {
      const out = p('full-out');
      mkdirSync(out);
      writeFileSync(join(out, 'keep.txt'), 'mine');
      const res = await wx([...base(), '--out', out]);
      expect(res.code).toBe(2);
      expect(res.stderr.trim()).toMatch(/^wx: --out: .*full-out exists and is not empty$/);
      expect(readdirSync(out)).toEqual(['keep.txt']);
      expect(readdirSync(dir).filter((n) => n.includes('.partial'))).toEqual([]);
    });
  });
});
