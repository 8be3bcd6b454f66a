/**
 * GbdtModel -> ONNX ModelProto bytes (pure). The graph:
 *
 *   input [N, F] float ──tree ensemble──▶ sum [N, S] ──Add base score──▶ raw [N, S]
 *   raw ──link──▶ probabilities [N, K]
 *
 * with S = K raw scores for multiclass and 1 for binary and ordinal, and the link in standard
 * operators: binary Sigmoid then [1-p, p]; multiclass Softmax; ordinal
 * P(y = k) = Relu(Sigmoid(upper_k - f) - Sigmoid(lower_k - f)) with upper = [theta_0..theta_{K-2}, +inf]
 * and lower = [-inf, theta_0..theta_{K-2}] (so the first and last classes take the open-ended tails
 * without a Concat of N-row constant columns, which ONNX cannot broadcast; Relu is the reference
 * predictor's max(0, .) against rounding).
 *
 * The tree ensemble is ai.onnx.ml TreeEnsemble (opset 5) by default, or the deprecated
 * TreeEnsembleRegressor (opset 3) on request. Both pass the same parity tests; TreeEnsemble is the
 * default because it is the maintained operator, its files are 2.6x smaller (leaves are not nodes,
 * modes are one byte) and load about 3x faster; batch throughput was the same within the noise of a
 * busy 2-core machine (v5 ahead in three of four runs of scripts/onnx-timing.ts, by up to 1.3x; v3 in one).
 */
import { outputCount, type GbdtModel, type Tree } from '../gbdt/model';
import { float32AtOrBelow, float32Bytes, float64Bytes } from './float32';
import { AttributeType, DataType, encodeModel } from './proto';

export const TREE_OPERATORS = ['TreeEnsemble', 'TreeEnsembleRegressor'] as const;
export type TreeOperator = (typeof TREE_OPERATORS)[number];

/** ONNX IR 10 (ONNX 1.16, the release that added ai.onnx.ml opset 5): the oldest IR that can carry TreeEnsemble, so older runtimes read it too; onnxruntime-node 1.30 accepts IR 8..13 (tried). */
export const IR_VERSION = 10;
export const OPSET_AI_ONNX = 21;
export const INPUT_NAME = 'input';
export const PROBABILITIES_NAME = 'probabilities';
export const RAW_NAME = 'raw';

/** metadata_props keys. */
export const META = {
  featureNames: 'wx.feature_names', // JSON array of strings, in input column order
  objective: 'wx.objective',
  numClasses: 'wx.num_classes',
  formatVersion: 'wx.model_format_version',
  treeOperator: 'wx.tree_operator',
  modelHash: 'wx.model_hash',
  precision: 'wx.precision',
} as const;

export const PRECISIONS = ['float32', 'float64'] as const;
export type Precision = (typeof PRECISIONS)[number];

export interface ExportOptions {
  treeOperator?: TreeOperator;
  /** Recorded in metadata_props (e.g. sha256 of model.json) so a model.onnx can be matched to its JSON. */
  modelHash?: string;
  /**
   * float32 (default): float input, thresholds and leaves, the usual ONNX tree model. float64: a
   * double input (the Predictor widens the caller's float32 rows), exact double thresholds and
   * leaves, and double sums, so the scores equal the reference predictor's to rounding; about 20%
   * slower, and for ensembles large enough that float32 sums drift. TreeEnsemble only
   * (TreeEnsembleRegressor's output is float whatever its input).
   */
  precision?: Precision;
}

/** How numbers are stored at one precision: the tensor type, constant tensors, and split thresholds. */
interface Numeric {
  precision: Precision;
  elemType: number;
  tensor(values: ArrayLike<number>, dims: number[], name?: string): Record<string, unknown>;
  /** The stored threshold keeping `fround(x) <= t` for every float32 input x. */
  threshold(t: number): number;
}

const NUMERIC: Record<Precision, Numeric> = {
  float32: {
    precision: 'float32',
    elemType: DataType.FLOAT,
    tensor: (values, dims, name) => ({ ...(name ? { name } : {}), dims, data_type: DataType.FLOAT, raw_data: float32Bytes(values) }),
    threshold: float32AtOrBelow,
  },
  float64: {
    precision: 'float64',
    elemType: DataType.DOUBLE,
    tensor: (values, dims, name) => ({ ...(name ? { name } : {}), dims, data_type: DataType.DOUBLE, raw_data: float64Bytes(values) }),
    // A float32 input widened to double compares with the double threshold exactly as the reference does.
    threshold: (t) => {
      if (Number.isNaN(t)) throw new RangeError('threshold is NaN');
      return t;
    },
  },
};

type Attr = Record<string, unknown>;
type NodeProto = { op_type: string; domain?: string; input: string[]; output: string[]; name: string; attribute?: Attr[] };

const ints = (name: string, values: ArrayLike<number>): Attr => ({ name, type: AttributeType.INTS, ints: Array.from(values) });
const int = (name: string, i: number): Attr => ({ name, type: AttributeType.INT, i });
const floats = (name: string, values: ArrayLike<number>): Attr => ({ name, type: AttributeType.FLOATS, floats: Array.from(values, Math.fround) });
const str = (name: string, s: string): Attr => ({ name, type: AttributeType.STRING, s: new TextEncoder().encode(s) });
const tensorAttr = (name: string, t: Record<string, unknown>): Attr => ({ name, type: AttributeType.TENSOR, t });

/** Nodes of all trees in one flat numbering, with leaves numbered apart (the TreeEnsemble layout). */
interface FlatTrees {
  roots: number[];
  feature: number[];
  split: number[];
  trueId: number[];
  trueLeaf: number[];
  falseId: number[];
  falseLeaf: number[];
  missingTrue: number[];
  leafTarget: number[];
  leafWeight: number[];
}

/** A model with no trees still needs one (ONNX ensembles cannot be empty): a single zero leaf. */
const ZERO_TREE: Tree = { output: 0, splitFeature: [], threshold: [], defaultLeft: [], left: [], right: [], gain: [], leafValue: [0] };

function flatten(trees: readonly Tree[], num: Numeric): FlatTrees {
  const f: FlatTrees = { roots: [], feature: [], split: [], trueId: [], trueLeaf: [], falseId: [], falseLeaf: [], missingTrue: [], leafTarget: [], leafWeight: [] };
  trees.forEach((t, ti) => {
    const nodeBase = f.feature.length;
    const leafBase = f.leafTarget.length;
    f.roots.push(nodeBase);
    for (const v of t.leafValue) {
      f.leafTarget.push(t.output);
      f.leafWeight.push(v);
    }
    if (t.splitFeature.length === 0) {
      // A single leaf: one node whose both branches reach it (the specification's own recipe).
      f.feature.push(0);
      f.split.push(0);
      f.trueId.push(leafBase);
      f.trueLeaf.push(1);
      f.falseId.push(leafBase);
      f.falseLeaf.push(1);
      f.missingTrue.push(0);
      return;
    }
    for (let i = 0; i < t.splitFeature.length; i++) {
      f.feature.push(t.splitFeature[i]!);
      let thr: number;
      try {
        thr = num.threshold(t.threshold[i]!);
      } catch (e) {
        throw new Error(`onnx export: trees.${ti}.threshold.${i}: ${(e as Error).message}`);
      }
      f.split.push(thr);
      // BRANCH_LEQ: the true branch is x <= threshold, i.e. our left child; NaN follows defaultLeft.
      const l = t.left[i]!;
      const r = t.right[i]!;
      f.trueId.push(l >= 0 ? nodeBase + l : leafBase + ~l);
      f.trueLeaf.push(l >= 0 ? 0 : 1);
      f.falseId.push(r >= 0 ? nodeBase + r : leafBase + ~r);
      f.falseLeaf.push(r >= 0 ? 0 : 1);
      f.missingTrue.push(t.defaultLeft[i] ? 1 : 0);
    }
  });
  return f;
}

function treeEnsembleV5(f: FlatTrees, nTargets: number, out: string, num: Numeric): { node: NodeProto; mlOpset: number } {
  const n = f.feature.length;
  return {
    mlOpset: 5,
    node: {
      op_type: 'TreeEnsemble',
      domain: 'ai.onnx.ml',
      name: 'trees',
      input: [INPUT_NAME],
      output: [out],
      attribute: [
        int('aggregate_function', 1), // SUM
        int('post_transform', 0), // NONE: the link is explicit below
        int('n_targets', nTargets),
        ints('tree_roots', f.roots),
        ints('nodes_featureids', f.feature),
        tensorAttr('nodes_splits', num.tensor(f.split, [n])),
        tensorAttr('nodes_modes', { dims: [n], data_type: DataType.UINT8, raw_data: new Uint8Array(n) }), // 0 = BRANCH_LEQ
        ints('nodes_truenodeids', f.trueId),
        ints('nodes_trueleafs', f.trueLeaf),
        ints('nodes_falsenodeids', f.falseId),
        ints('nodes_falseleafs', f.falseLeaf),
        ints('nodes_missing_value_tracks_true', f.missingTrue),
        ints('leaf_targetids', f.leafTarget),
        tensorAttr('leaf_weights', num.tensor(f.leafWeight, [f.leafWeight.length])),
      ],
    },
  };
}

/** The v3 layout: per-tree node ids, leaves as LEAF nodes carrying target weights. */
function treeEnsembleV3(trees: readonly Tree[], nTargets: number, out: string, num: Numeric): { node: NodeProto; mlOpset: number } {
  const treeIds: number[] = [];
  const nodeIds: number[] = [];
  const features: number[] = [];
  const modes: Uint8Array[] = [];
  const values: number[] = [];
  const trueIds: number[] = [];
  const falseIds: number[] = [];
  const missingTrue: number[] = [];
  const tTree: number[] = [];
  const tNode: number[] = [];
  const tTarget: number[] = [];
  const tWeight: number[] = [];
  const enc = new TextEncoder();
  const LEQ = enc.encode('BRANCH_LEQ');
  const LEAF = enc.encode('LEAF');
  trees.forEach((t, ti) => {
    const n = t.splitFeature.length;
    // Internal nodes keep their index; leaf j becomes node n + j.
    const id = (c: number) => (c >= 0 ? c : n + ~c);
    for (let i = 0; i < n; i++) {
      treeIds.push(ti);
      nodeIds.push(i);
      features.push(t.splitFeature[i]!);
      modes.push(LEQ);
      try {
        values.push(num.threshold(t.threshold[i]!));
      } catch (e) {
        throw new Error(`onnx export: trees.${ti}.threshold.${i}: ${(e as Error).message}`);
      }
      trueIds.push(id(t.left[i]!));
      falseIds.push(id(t.right[i]!));
      missingTrue.push(t.defaultLeft[i] ? 1 : 0);
    }
    t.leafValue.forEach((v, j) => {
      treeIds.push(ti);
      nodeIds.push(n + j);
      features.push(0);
      modes.push(LEAF);
      values.push(0);
      trueIds.push(0);
      falseIds.push(0);
      missingTrue.push(0);
      tTree.push(ti);
      tNode.push(n + j);
      tTarget.push(t.output);
      tWeight.push(v);
    });
  });
  return {
    mlOpset: 3,
    node: {
      op_type: 'TreeEnsembleRegressor',
      domain: 'ai.onnx.ml',
      name: 'trees',
      input: [INPUT_NAME],
      output: [out],
      attribute: [
        str('aggregate_function', 'SUM'),
        str('post_transform', 'NONE'),
        int('n_targets', nTargets),
        ints('nodes_treeids', treeIds),
        ints('nodes_nodeids', nodeIds),
        ints('nodes_featureids', features),
        { name: 'nodes_modes', type: AttributeType.STRINGS, strings: modes },
        floats('nodes_values', values),
        ints('nodes_truenodeids', trueIds),
        ints('nodes_falsenodeids', falseIds),
        ints('nodes_missing_value_tracks_true', missingTrue),
        ints('target_treeids', tTree),
        ints('target_nodeids', tNode),
        ints('target_ids', tTarget),
        floats('target_weights', tWeight),
      ],
    },
  };
}

const op = (op_type: string, input: string[], output: string, attribute?: Attr[]): NodeProto => ({
  op_type,
  input,
  output: [output],
  name: output,
  ...(attribute ? { attribute } : {}),
});

/** The link from raw scores to probabilities: nodes and their constant initializers. */
function linkNodes(m: GbdtModel, num: Numeric): { nodes: NodeProto[]; initializers: Record<string, unknown>[] } {
  const K = m.numClasses;
  if (m.objective === 'binary') {
    return {
      nodes: [op('Sigmoid', [RAW_NAME], 'p1'), op('Sub', ['one', 'p1'], 'p0'), op('Concat', ['p0', 'p1'], PROBABILITIES_NAME, [int('axis', 1)])],
      initializers: [num.tensor([1], [1], 'one')],
    };
  }
  if (m.objective === 'multiclass') {
    return { nodes: [op('Softmax', [RAW_NAME], PROBABILITIES_NAME, [int('axis', 1)])], initializers: [] };
  }
  const th = m.ordinalThresholds!;
  return {
    nodes: [
      op('Sub', ['theta_upper', RAW_NAME], 'z_upper'),
      op('Sigmoid', ['z_upper'], 'cdf_upper'),
      op('Sub', ['theta_lower', RAW_NAME], 'z_lower'),
      op('Sigmoid', ['z_lower'], 'cdf_lower'),
      op('Sub', ['cdf_upper', 'cdf_lower'], 'p_diff'),
      op('Relu', ['p_diff'], PROBABILITIES_NAME),
    ],
    initializers: [num.tensor([...th, Infinity], [1, K], 'theta_upper'), num.tensor([-Infinity, ...th], [1, K], 'theta_lower')],
  };
}

const tensorType = (elemType: number, dims: (number | string)[]) => ({
  tensor_type: {
    elem_type: elemType,
    shape: { dim: dims.map((d) => (typeof d === 'string' ? { dim_param: d } : { dim_value: d })) },
  },
});

/** The ONNX ModelProto bytes of a (zod-validated) GbdtModel. */
export function exportOnnx(m: GbdtModel, options: ExportOptions = {}): Uint8Array {
  const treeOperator = options.treeOperator ?? 'TreeEnsemble';
  const num = NUMERIC[options.precision ?? 'float32'];
  if (num.precision === 'float64' && treeOperator !== 'TreeEnsemble') {
    throw new Error(`onnx export: precision float64 needs treeOperator TreeEnsemble (${treeOperator} outputs float whatever its input)`);
  }
  const S = outputCount(m);
  const F = m.featureNames.length;
  const trees = m.trees.length > 0 ? m.trees : [ZERO_TREE];
  const ensemble = treeOperator === 'TreeEnsemble' ? treeEnsembleV5(flatten(trees, num), S, 'tree_sum', num) : treeEnsembleV3(trees, S, 'tree_sum', num);
  const link = linkNodes(m, num);
  const metadata: [string, string][] = [
    [META.featureNames, JSON.stringify(m.featureNames)],
    [META.objective, m.objective],
    [META.numClasses, String(m.numClasses)],
    [META.formatVersion, String(m.version)],
    [META.treeOperator, treeOperator],
    [META.precision, num.precision],
  ];
  if (options.modelHash) metadata.push([META.modelHash, options.modelHash]);
  return encodeModel({
    ir_version: IR_VERSION,
    opset_import: [
      { domain: '', version: OPSET_AI_ONNX },
      { domain: 'ai.onnx.ml', version: ensemble.mlOpset },
    ],
    producer_name: 'wx-kalshi',
    producer_version: String(m.version),
    doc_string: `wx-gbdt ${m.objective} model, ${m.trees.length} trees, ${F} features, ${m.numClasses} classes`,
    metadata_props: metadata.map(([key, value]) => ({ key, value })),
    graph: {
      name: `wx_gbdt_${m.objective}`,
      node: [ensemble.node, op('Add', ['tree_sum', 'base_score'], RAW_NAME), ...link.nodes],
      initializer: [num.tensor(m.baseScore, [S], 'base_score'), ...link.initializers],
      input: [{ name: INPUT_NAME, type: tensorType(num.elemType, ['N', F]) }],
      output: [
        { name: PROBABILITIES_NAME, type: tensorType(num.elemType, ['N', m.numClasses]) },
        { name: RAW_NAME, type: tensorType(num.elemType, ['N', S]) },
      ],
    },
  });
}
