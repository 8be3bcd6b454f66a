/**
 * The trained GBDT model: a versioned JSON format (zod-validated on load) and the reference
 * TypeScript predictor. The trainer writes it, the ONNX exporter converts it, and the Predictor's
 * parity tests compare onnxruntime-node against `predictRaw` / `predictProba` here.
 *
 * Trees use raw feature values (not bins): a row goes left when `x <= threshold`, and a missing
 * value (NaN) goes the node's learned default direction. Thresholds and leaf values are stored as
 * float32-representable numbers and inputs are compared as float32 (`Math.fround`), because ONNX
 * tree ensembles hold float32 thresholds and take float32 inputs: comparing the same numbers the
 * same way is what makes the two predictors agree exactly on the path of every row.
 */
import { z } from 'zod';

export const MODEL_FORMAT_VERSION = 1 as const;

export const OBJECTIVES = ['binary', 'multiclass', 'ordinal'] as const;
export type Objective = (typeof OBJECTIVES)[number];

/**
 * One tree as parallel arrays over its internal nodes. A child index >= 0 is an internal node; a
 * negative child `c` is leaf `~c` (= -c - 1). A tree with no split has zero nodes and one leaf.
 */
export const treeSchema = z
  .object({
    /** Which raw score the tree adds to: 0 for binary and ordinal; the class for multiclass. */
    output: z.number().int().nonnegative(),
    splitFeature: z.array(z.number().int().nonnegative()),
    threshold: z.array(z.number()),
    /** true: NaN goes left. */
    defaultLeft: z.array(z.boolean()),
    left: z.array(z.number().int()),
    right: z.array(z.number().int()),
    /** Split gain per node (feature importance). */
    gain: z.array(z.number()),
    leafValue: z.array(z.number()).min(1),
  })
  .superRefine((t, ctx) => {
    const n = t.splitFeature.length;
    for (const key of ['threshold', 'defaultLeft', 'left', 'right', 'gain'] as const) {
      if (t[key].length !== n) ctx.addIssue({ code: 'custom', path: [key], message: `has ${t[key].length} entries for ${n} nodes` });
    }
    if (t.leafValue.length !== n + 1) ctx.addIssue({ code: 'custom', path: ['leafValue'], message: `has ${t.leafValue.length} leaves for ${n} nodes (want ${n + 1})` });
    for (const key of ['left', 'right'] as const) {
      t[key].forEach((c, i) => {
        if (c >= n || (c < 0 && ~c >= t.leafValue.length)) ctx.addIssue({ code: 'custom', path: [key, i], message: `child ${c} out of range` });
      });
    }
  });
export type Tree = z.infer<typeof treeSchema>;

/** Quantile bin upper edges per feature, fitted on the training rows (kept so training can resume and for inspection). */
export const binningSchema = z.object({
  maxBins: z.number().int().min(2).max(65535),
  /** upperEdges[f][b]: bin b holds values <= upperEdges[f][b] (the last edge is +Infinity, stored as null). */
  upperEdges: z.array(z.array(z.number().nullable())),
});
export type Binning = z.infer<typeof binningSchema>;

export const gbdtModelSchema = z
  .object({
    format: z.literal('wx-gbdt'),
    version: z.literal(MODEL_FORMAT_VERSION),
    objective: z.enum(OBJECTIVES),
    /** 2 for binary; K for multiclass and ordinal. */
    numClasses: z.number().int().min(2),
    featureNames: z.array(z.string()).min(1),
    /** Raw score before any tree: one per output (1 for binary and ordinal, K for multiclass). */
    baseScore: z.array(z.number()),
    /** Ordinal only: the K-1 increasing cut points theta_k of P(y <= k) = sigmoid(theta_k - f(x)). */
    ordinalThresholds: z.array(z.number()).optional(),
    trees: z.array(treeSchema),
    /** Best iteration kept after early stopping (number of boosting rounds). */
    bestIteration: z.number().int().nonnegative(),
    params: z.record(z.string(), z.unknown()),
    binning: binningSchema.optional(),
  })
  .superRefine((m, ctx) => {
    const outputs = m.objective === 'multiclass' ? m.numClasses : 1;
    if (m.objective === 'binary' && m.numClasses !== 2) ctx.addIssue({ code: 'custom', path: ['numClasses'], message: 'binary needs numClasses 2' });
    if (m.baseScore.length !== outputs) ctx.addIssue({ code: 'custom', path: ['baseScore'], message: `has ${m.baseScore.length} entries, want ${outputs}` });
    if (m.objective === 'ordinal') {
      const th = m.ordinalThresholds;
      if (!th || th.length !== m.numClasses - 1) ctx.addIssue({ code: 'custom', path: ['ordinalThresholds'], message: `want ${m.numClasses - 1} thresholds` });
      else for (let i = 1; i < th.length; i++) if (!(th[i]! > th[i - 1]!)) ctx.addIssue({ code: 'custom', path: ['ordinalThresholds', i], message: 'thresholds must increase' });
    }
    m.trees.forEach((t, i) => {
      if (t.output >= outputs) ctx.addIssue({ code: 'custom', path: ['trees', i, 'output'], message: `output ${t.output} >= ${outputs}` });
      t.splitFeature.forEach((f, j) => {
        if (f >= m.featureNames.length) ctx.addIssue({ code: 'custom', path: ['trees', i, 'splitFeature', j], message: `feature ${f} >= ${m.featureNames.length}` });
      });
    });
  });
export type GbdtModel = z.infer<typeof gbdtModelSchema>;

/** Parses a model (e.g. JSON.parse of model.json); the error names the first bad field's path. */
export function parseModel(value: unknown): GbdtModel {
  const r = gbdtModelSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new Error(`model: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return r.data;
}

/** Number of raw scores per row. */
export const outputCount = (m: Pick<GbdtModel, 'objective' | 'numClasses'>): number => (m.objective === 'multiclass' ? m.numClasses : 1);

/** Leaf index of one row (features row-major at `offset`). */
export function leafOf(tree: Tree, x: ArrayLike<number>, offset: number): number {
  let node = tree.splitFeature.length === 0 ? -1 : 0;
  while (node >= 0) {
    const v = x[offset + tree.splitFeature[node]!]!;
    const goLeft = Number.isNaN(v) ? tree.defaultLeft[node]! : Math.fround(v) <= tree.threshold[node]!;
    node = goLeft ? tree.left[node]! : tree.right[node]!;
  }
  return ~node;
}

/** Raw scores, row-major [rows × outputs], for `rows` rows of `featureNames.length` features (row-major). */
export function predictRaw(m: GbdtModel, x: ArrayLike<number>, rows: number): Float64Array {
  const nf = m.featureNames.length;
  const k = outputCount(m);
  if (x.length !== rows * nf) throw new RangeError(`predictRaw: ${x.length} values for ${rows} rows of ${nf} features`);
  const out = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) for (let j = 0; j < k; j++) out[r * k + j] = m.baseScore[j]!;
  for (const t of m.trees) {
    for (let r = 0; r < rows; r++) out[r * k + t.output] = out[r * k + t.output]! + t.leafValue[leafOf(t, x, r * nf)]!;
  }
  return out;
}

export const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/**
 * Probabilities, row-major [rows × numClasses]: binary [1-p, p]; multiclass softmax; ordinal
 * P(y = k) = sigmoid(theta_k - f) - sigmoid(theta_{k-1} - f), with theta_{-1} = -inf, theta_{K-1} = +inf.
 */
export function predictProba(m: GbdtModel, x: ArrayLike<number>, rows: number): Float64Array {
  const raw = predictRaw(m, x, rows);
  const K = m.numClasses;
  const out = new Float64Array(rows * K);
  for (let r = 0; r < rows; r++) {
    if (m.objective === 'binary') {
      const p = sigmoid(raw[r]!);
      out[r * 2] = 1 - p;
      out[r * 2 + 1] = p;
    } else if (m.objective === 'multiclass') {
      let max = -Infinity;
      for (let j = 0; j < K; j++) max = Math.max(max, raw[r * K + j]!);
      let sum = 0;
      for (let j = 0; j < K; j++) sum += out[r * K + j] = Math.exp(raw[r * K + j]! - max);
      for (let j = 0; j < K; j++) out[r * K + j] = out[r * K + j]! / sum;
    } else {
      const f = raw[r]!;
      const th = m.ordinalThresholds!;
      let prev = 0;
      for (let j = 0; j < K; j++) {
        const cum = j === K - 1 ? 1 : sigmoid(th[j]! - f);
        out[r * K + j] = Math.max(0, cum - prev);
        prev = cum;
      }
    }
  }
  return out;
}
