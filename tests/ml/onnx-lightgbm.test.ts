/**
 * LightGBM as an outside referee of the split and NaN semantics: LightGBM (from .tools/ml-ref, see
 * scripts/install-ml-reference.mjs; skipped with a message when absent) trains binary and multiclass
 * models on rows with NaN, including a feature that has no NaN in training (missing_type "None",
 * where LightGBM reads a NaN as 0) but has NaN at prediction; its dump_model() becomes a GbdtModel
 * (domain/ml/onnx/from-lightgbm.ts). Then LightGBM's own predict, predictProba and the exported
 * model in onnxruntime-node all agree, on float32 inputs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import seedrandom from 'seedrandom';
import { afterAll, describe, expect, it } from 'vitest';
import { predictProba } from '../../domain/ml/gbdt/model';
import { TREE_OPERATORS } from '../../domain/ml/onnx/export';
import { fromLightGbmDump } from '../../domain/ml/onnx/from-lightgbm';
import { Predictor } from '../../ml/predictor';

const ML_REF = fileURLToPath(new URL('../../.tools/ml-ref', import.meta.url));
const python = process.env.PYTHON ?? 'python3';
const env = { ...process.env, PYTHONPATH: ML_REF };
const available = existsSync(ML_REF) && spawnSync(python, ['-c', 'import lightgbm, numpy'], { env }).status === 0;
if (!available) console.warn(`[onnx-lightgbm] skipped: lightgbm is not in ${ML_REF} (node scripts/install-ml-reference.mjs installs it)`);

const SCRIPT = `
import json, sys, numpy as np, lightgbm as lgb
d = json.load(open(sys.argv[1]))
arr = lambda rows: np.array([[np.nan if v is None else v for v in r] for r in rows], dtype=np.float64)
xtr, xte = arr(d['train']), arr(d['test'])
out = {}
for name, y, params in [('binary', d['yBinary'], {'objective': 'binary'}), ('multiclass', d['yMulti'], {'objective': 'multiclass', 'num_class': 3})]:
    params.update({'num_leaves': 15, 'learning_rate': 0.2, 'min_data_in_leaf': 5, 'num_threads': 1, 'deterministic': True, 'seed': 1, 'verbose': -1})
    b = lgb.train(params, lgb.Dataset(xtr, np.array(y), feature_name=d['names']), num_boost_round=25)
    p = b.predict(xte)
    if name == 'binary':
        p = np.column_stack([1 - p, p])
    out[name] = {'dump': b.dump_model(), 'proba': p.tolist()}
json.dump(out, open(sys.argv[2], 'w'), allow_nan=False)
`;

const dir = mkdtempSync(join(tmpdir(), 'wx-onnx-lightgbm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!available)('LightGBM dump -> GbdtModel -> ONNX', () => {
  it('LightGBM predict, predictProba and onnxruntime-node agree (NaN in "NaN" and "None" features)', async () => {
    const F = 5;
    const rng = seedrandom('lightgbm');
    const gauss = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
    // Feature 4 has no NaN in training (LightGBM marks its splits missing_type None) but 20% NaN at test.
    const rows = (n: number, nanIn4: number) =>
      Array.from({ length: n }, () => Array.from({ length: F }, (_, f) => (rng() < (f === 4 ? nanIn4 : f >= 2 ? 0.25 : 0) ? null : Math.fround(gauss()))));
    const train = rows(1500, 0);
    const test = rows(600, 0.2);
    const v = (r: (number | null)[], f: number) => r[f] ?? 0;
    const z = train.map((r) => v(r, 0) + Math.sin(2 * v(r, 1)) + (r[2] === null ? 0.8 : v(r, 2) * v(r, 3)) + 0.6 * v(r, 4) + 0.4 * gauss());
    const input = join(dir, 'data.json');
    const output = join(dir, 'out.json');
    writeFileSync(input, JSON.stringify({ names: ['a', 'b', 'c', 'd', 'e'], train, test, yBinary: z.map((s) => (s > 0 ? 1 : 0)), yMulti: z.map((s) => (s < -0.7 ? 0 : s < 0.7 ? 1 : 2)) }));
    const res = spawnSync(python, ['-c', SCRIPT, input, output], { env, encoding: 'utf8' });
    expect(res.status, `python: ${res.stderr.trim().split('\n').at(-1)}`).toBe(0);
    const out = JSON.parse(readFileSync(output, 'utf8')) as Record<string, { dump: { tree_info: unknown[] }; proba: number[][] }>;

    const x = Float32Array.from(test.flat(), (val) => (val === null ? NaN : val));
    for (const name of ['binary', 'multiclass']) {
      const { dump, proba } = out[name]!;
      expect(JSON.stringify(dump)).toContain('"missing_type":"None"');
      expect(JSON.stringify(dump)).toContain('"missing_type":"NaN"');
      const model = fromLightGbmDump(dump);
      expect(model.objective).toBe(name);
      expect(model.trees.length).toBe(name === 'binary' ? 25 : 75);
      const lgbm = proba.flat();
      const ours = predictProba(model, x, test.length);
      let d = 0;
      for (let i = 0; i < lgbm.length; i++) d = Math.max(d, Math.abs(ours[i]! - lgbm[i]!));
      expect(d, `${name}: predictProba vs LightGBM`).toBeLessThan(1e-9); // both sum double leaves over the same paths
      for (const op of TREE_OPERATORS) {
        const p = await Predictor.fromModel(model, { treeOperator: op });
        try {
          const got = await p.predict(x, test.length);
          let e = 0;
          for (let i = 0; i < lgbm.length; i++) e = Math.max(e, Math.abs(got[i]! - lgbm[i]!));
          expect(e, `${name}: ${op} vs LightGBM`).toBeLessThan(1e-5);
        } finally {
          await p.close();
        }
      }
    }
  });

  it('refuses what has no equivalent, naming the node', () => {
    const leaf = { leaf_value: 0.1 };
    const dump = (node: object, objective = 'binary sigmoid:1') => ({
      name: 'tree',
      num_class: 1,
      num_tree_per_iteration: 1,
      objective,
      feature_names: ['a'],
      tree_info: [{ tree_index: 0, tree_structure: node }],
    });
    const split = (over: object) => ({ split_feature: 0, threshold: 0.5, decision_type: '<=', default_left: true, missing_type: 'NaN', left_child: leaf, right_child: leaf, ...over });
    expect(() => fromLightGbmDump(dump(split({ missing_type: 'Zero' })))).toThrow('lightgbm dump: tree_info.0.tree_structure.missing_type: "Zero" is not supported (train with zero_as_missing=false)');
    expect(() => fromLightGbmDump(dump(split({ right_child: split({ decision_type: '==' }) })))).toThrow(
      'lightgbm dump: tree_info.0.tree_structure.right_child.decision_type: "==" (categorical splits) is not supported',
    );
    expect(() => fromLightGbmDump(dump(leaf, 'regression'))).toThrow('lightgbm dump: objective: "regression" is not supported (binary or multiclass)');
    expect(() => fromLightGbmDump(dump(leaf, 'binary sigmoid:2'))).toThrow('only sigmoid:1');
    // "None": a NaN is read as 0, so it goes left iff 0 <= threshold.
    expect(fromLightGbmDump(dump(split({ missing_type: 'None', threshold: -0.5 }))).trees[0]!.defaultLeft).toEqual([false]);
    expect(fromLightGbmDump(dump(split({ missing_type: 'None', threshold: 0.5 }))).trees[0]!.defaultLeft).toEqual([true]);
    expect(fromLightGbmDump(dump(leaf)).trees[0]!.leafValue).toEqual([0.1]);
  });
});
