/**
 * An independent check of the exported files by the ONNX project's own Python package (installed by
 * scripts/install-ml-reference.mjs into .tools/ml-ref; skipped with a message when absent):
 * onnx.checker with full_check (schema, attribute types, shape inference) accepts every objective
 * and tree operator, and onnx.reference.ReferenceEvaluator (a second implementation of the
 * operators, not onnxruntime) computes the TypeScript predictor's probabilities, NaN rows included.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import seedrandom from 'seedrandom';
import { afterAll, describe, expect, it } from 'vitest';
import { predictProba, type Objective } from '../../domain/ml/gbdt/model';
import { exportOnnx, TREE_OPERATORS } from '../../domain/ml/onnx/export';
import { randomModel, randomRows } from '../../domain/ml/onnx/random-model';

const ML_REF = fileURLToPath(new URL('../../.tools/ml-ref', import.meta.url));
const python = process.env.PYTHON ?? 'python3';
const probe = existsSync(ML_REF)
  ? spawnSync(python, ['-c', 'import onnx, numpy; print(onnx.__version__)'], { env: { ...process.env, PYTHONPATH: ML_REF }, encoding: 'utf8' })
  : undefined;
const available = probe?.status === 0;
if (!available) console.warn(`[onnx-checker] skipped: the onnx Python package is not in ${ML_REF} (node scripts/install-ml-reference.mjs installs it)`);

const SCRIPT = `
import json, sys, numpy as np, onnx
from onnx.reference import ReferenceEvaluator
out = {}
for path in sys.argv[1:]:
    onnx.checker.check_model(onnx.load(path), full_check=True)
    rows = json.load(open(path + '.rows.json'))
    x = np.array([[np.nan if v is None else v for v in r] for r in rows], dtype=np.float64 if 'float64' in path else np.float32)
    out[path] = ReferenceEvaluator(path).run(['probabilities'], {'input': x})[0].astype(float).tolist()
print(json.dumps(out))
`;

const dir = mkdtempSync(join(tmpdir(), 'wx-onnx-checker-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!available)('onnx (Python) checker and reference evaluator', () => {
  it('accept every export and agree with predictProba to 1e-5', () => {
    const F = 5;
    const rows = 150;
    const expected = new Map<string, Float64Array>();
    const variants = [...TREE_OPERATORS.map((op) => [op, 'float32'] as const), ['TreeEnsemble', 'float64'] as const];
    for (const [op, precision] of variants) {
      for (const objective of ['binary', 'multiclass', 'ordinal'] as Objective[]) {
        const rng = seedrandom(`checker/${op}/${objective}`);
        const m = randomModel(rng, { objective, numFeatures: F, numClasses: 4, trees: 12, leaves: 7, offGridThresholds: 0.3 });
        m.trees[0] = { ...m.trees[0]!, splitFeature: [], threshold: [], defaultLeft: [], left: [], right: [], gain: [], leafValue: [0.3] };
        const x = randomRows(rng, rows, F, 0.2);
        const path = join(dir, `${op}-${precision}-${objective}.onnx`);
        writeFileSync(path, exportOnnx(m, { treeOperator: op, precision }));
        const asRows = Array.from({ length: rows }, (_, r) => Array.from(x.subarray(r * F, r * F + F), (v) => (Number.isNaN(v) ? null : v)));
        writeFileSync(`${path}.rows.json`, JSON.stringify(asRows));
        expected.set(path, predictProba(m, x, rows));
      }
    }
    const res = spawnSync(python, ['-c', SCRIPT, ...expected.keys()], { env: { ...process.env, PYTHONPATH: ML_REF }, encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(res.status, `python: ${res.stderr.trim().split('\n').at(-1)}`).toBe(0);
    const got = JSON.parse(res.stdout) as Record<string, number[][]>;
    for (const [path, ref] of expected) {
      const flat = got[path]!.flat();
      expect(flat.length, path).toBe(ref.length);
      let d = 0;
      for (let i = 0; i < ref.length; i++) d = Math.max(d, Math.abs(flat[i]! - ref[i]!));
      expect(d, path).toBeLessThan(1e-5);
    }
  });
});
