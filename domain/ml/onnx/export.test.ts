/**
 * The exported ModelProto's structure, decoded with the same vendored schema: IR and opset versions,
 * input/output names and shapes, metadata, and the tree layout of a hand-made two-tree model (node
 * and leaf numbering, BRANCH_LEQ true = left, NaN direction from defaultLeft, the single-leaf tree).
 * Whether onnxruntime computes the same numbers is tests/ml/onnx-parity.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { GbdtModel } from '../gbdt/model';
import { exportOnnx, IR_VERSION, META, OPSET_AI_ONNX } from './export';
import { ModelProto } from './proto';

const model: GbdtModel = {
  format: 'wx-gbdt',
  version: 1,
  objective: 'ordinal',
  numClasses: 3,
  featureNames: ['tmax_fcst', 'climo'],
  baseScore: [0.25],
  ordinalThresholds: [-1, 1],
  trees: [
    // node 0: climo <= 2 (NaN right) ? node 1 : leaf 2;  node 1: tmax <= 0.5 (NaN left) ? leaf 0 : leaf 1
    { output: 0, splitFeature: [1, 0], threshold: [2, 0.5], defaultLeft: [false, true], left: [1, -1], right: [-3, -2], gain: [3, 1], leafValue: [-1, 0.5, 2] },
    { output: 0, splitFeature: [], threshold: [], defaultLeft: [], left: [], right: [], gain: [], leafValue: [0.125] },
  ],
  bestIteration: 2,
  params: {},
};

type Obj = Record<string, any>;
const decode = (bytes: Uint8Array): Obj => ModelProto.toObject(ModelProto.decode(bytes), { longs: Number, bytes: Array, defaults: true }) as Obj;
const attrs = (node: Obj): Record<string, Obj> => Object.fromEntries(node.attribute.map((a: Obj) => [a.name, a]));
const f32 = (t: Obj) => Array.from(new Float32Array(Uint8Array.from(t.raw_data).buffer));

describe('exportOnnx', () => {
  it('writes the model header, input, outputs and metadata', () => {
    const m = decode(exportOnnx(model, { modelHash: 'sha256:00' }));
    expect(m.ir_version).toBe(IR_VERSION);
    expect(m.opset_import).toEqual([
      { domain: '', version: OPSET_AI_ONNX },
      { domain: 'ai.onnx.ml', version: 5 },
    ]);
    const shape = (v: Obj) => v.type.tensor_type.shape.dim.map((d: Obj) => d.dim_param || d.dim_value);
    expect(m.graph.input.map((v: Obj) => [v.name, v.type.tensor_type.elem_type, shape(v)])).toEqual([['input', 1, ['N', 2]]]);
    expect(m.graph.output.map((v: Obj) => [v.name, shape(v)])).toEqual([
      ['probabilities', ['N', 3]],
      ['raw', ['N', 1]],
    ]);
    const meta = Object.fromEntries(m.metadata_props.map((p: Obj) => [p.key, p.value]));
    expect(meta).toEqual({
      [META.featureNames]: '["tmax_fcst","climo"]',
      [META.objective]: 'ordinal',
      [META.numClasses]: '3',
      [META.formatVersion]: '1',
      [META.treeOperator]: 'TreeEnsemble',
      [META.precision]: 'float32',
      [META.modelHash]: 'sha256:00',
    });
    // The ordinal link: upper and lower cut points with open ends.
    const init = Object.fromEntries(m.graph.initializer.map((t: Obj) => [t.name, [t.dims, f32(t)]]));
    expect(init).toEqual({ base_score: [[1], [0.25]], theta_upper: [[1, 3], [-1, 1, Infinity]], theta_lower: [[1, 3], [-Infinity, -1, 1]] });
    expect(m.graph.node.map((n: Obj) => n.op_type)).toEqual(['TreeEnsemble', 'Add', 'Sub', 'Sigmoid', 'Sub', 'Sigmoid', 'Sub', 'Relu']);
  });

  it('TreeEnsemble v5: flat nodes, leaves apart, true = left (x <= t), NaN per defaultLeft', () => {
    const a = attrs(decode(exportOnnx(model)).graph.node[0]);
    expect(a.tree_roots!.ints).toEqual([0, 2]);
    expect(a.nodes_featureids!.ints).toEqual([1, 0, 0]);
    expect(f32(a.nodes_splits!.t)).toEqual([2, 0.5, 0]);
    expect(a.nodes_modes!.t.raw_data).toEqual([0, 0, 0]);
    // node 0 -> true: node 1, false: leaf 2; node 1 -> true: leaf 0, false: leaf 1; node 2 (tree 2) -> leaf 3 both ways.
    expect(a.nodes_truenodeids!.ints).toEqual([1, 0, 3]);
    expect(a.nodes_trueleafs!.ints).toEqual([0, 1, 1]);
    expect(a.nodes_falsenodeids!.ints).toEqual([2, 1, 3]);
    expect(a.nodes_falseleafs!.ints).toEqual([1, 1, 1]);
    expect(a.nodes_missing_value_tracks_true!.ints).toEqual([0, 1, 0]);
    expect(a.leaf_targetids!.ints).toEqual([0, 0, 0, 0]);
    expect(f32(a.leaf_weights!.t)).toEqual([-1, 0.5, 2, 0.125]);
    expect([a.n_targets!.i, a.aggregate_function!.i, a.post_transform!.i]).toEqual([1, 1, 0]);
  });

  it('TreeEnsembleRegressor v3: per-tree node ids with leaves as LEAF nodes', () => {
    const m = decode(exportOnnx(model, { treeOperator: 'TreeEnsembleRegressor' }));
    expect(m.opset_import[1]).toEqual({ domain: 'ai.onnx.ml', version: 3 });
    const a = attrs(m.graph.node[0]);
    const modes = a.nodes_modes!.strings.map((s: number[]) => String.fromCharCode(...s));
    expect(modes).toEqual(['BRANCH_LEQ', 'BRANCH_LEQ', 'LEAF', 'LEAF', 'LEAF', 'LEAF']);
    expect(a.nodes_treeids!.ints).toEqual([0, 0, 0, 0, 0, 1]);
    expect(a.nodes_nodeids!.ints).toEqual([0, 1, 2, 3, 4, 0]);
    expect(a.nodes_truenodeids!.ints.slice(0, 2)).toEqual([1, 2]);
    expect(a.nodes_falsenodeids!.ints.slice(0, 2)).toEqual([4, 3]);
    expect(a.nodes_missing_value_tracks_true!.ints).toEqual([0, 1, 0, 0, 0, 0]);
    expect(a.target_treeids!.ints).toEqual([0, 0, 0, 1]);
    expect(a.target_nodeids!.ints).toEqual([2, 3, 4, 0]);
    expect(a.target_weights!.floats).toEqual([-1, 0.5, 2, 0.125]);
  });

  it('float64: double input, outputs and constants; thresholds and leaves exact', () => {
    const odd: GbdtModel = { ...model, trees: [{ ...model.trees[0]!, threshold: [2 - 1e-9, 0.1], leafValue: [-1, 0.1, 1 / 3] }, model.trees[1]!] };
    const m = decode(exportOnnx(odd, { precision: 'float64' }));
    const f64 = (t: Obj) => Array.from(new Float64Array(Uint8Array.from(t.raw_data).buffer));
    expect(m.graph.input[0].type.tensor_type.elem_type).toBe(11);
    expect(m.graph.output.map((v: Obj) => v.type.tensor_type.elem_type)).toEqual([11, 11]);
    expect(m.graph.initializer.map((t: Obj) => t.data_type)).toEqual([11, 11, 11]);
    const a = attrs(m.graph.node[0]);
    expect(f64(a.nodes_splits!.t)).toEqual([2 - 1e-9, 0.1, 0]);
    expect(f64(a.leaf_weights!.t)).toEqual([-1, 0.1, 1 / 3, 0.125]);
    expect(m.metadata_props.find((p: Obj) => p.key === META.precision).value).toBe('float64');
    // float32 rounds the same threshold DOWN (2 - 1e-9 is no float32), and 0.1 to the float32 below it.
    expect(f32(attrs(decode(exportOnnx(odd)).graph.node[0]).nodes_splits!.t).slice(0, 2)).toEqual([2 - 2 ** -23, 0.09999999403953552]);
  });

  it('binary and multiclass links', () => {
    const bin = decode(exportOnnx({ ...model, objective: 'binary', numClasses: 2, ordinalThresholds: undefined }));
    expect(bin.graph.node.map((n: Obj) => n.op_type)).toEqual(['TreeEnsemble', 'Add', 'Sigmoid', 'Sub', 'Concat']);
    const multi: GbdtModel = { ...model, objective: 'multiclass', numClasses: 3, baseScore: [0, 0, 0], ordinalThresholds: undefined, trees: model.trees.map((t, i) => ({ ...t, output: i + 1 })) };
    const mc = decode(exportOnnx(multi));
    expect(mc.graph.node.map((n: Obj) => n.op_type)).toEqual(['TreeEnsemble', 'Add', 'Softmax']);
    expect(attrs(mc.graph.node[0]).leaf_targetids!.ints).toEqual([1, 1, 1, 2]);
    expect(attrs(mc.graph.node[0]).n_targets!.i).toBe(3);
  });
});
