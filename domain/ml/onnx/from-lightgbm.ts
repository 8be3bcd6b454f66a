/**
 * A LightGBM model (Booster.dump_model() JSON) as a GbdtModel, so that a LightGBM-trained model runs
 * through the same exporter, Predictor and TypeScript predictor as ours: the benchmark can time all
 * runtimes on the very same trees, and LightGBM's own predict checks our split and NaN semantics.
 *
 * LightGBM's numerical split (Tree::NumericalDecision): with missing_type "NaN" a NaN goes the
 * node's default direction; with "None" a NaN is read as 0.0 and compared, i.e. it goes left iff
 * 0 <= threshold; otherwise x <= threshold goes left. "Zero" (zero_as_missing, where 0 itself is
 * missing) and categorical splits have no equivalent here and are refused, naming the node.
 * Thresholds stay doubles: the exporter rounds them to float32 without changing any float32 comparison.
 */
import { z } from 'zod';
import { MODEL_FORMAT_VERSION, parseModel, type GbdtModel, type Tree } from '../gbdt/model';

type DumpNode =
  | { leaf_value: number; leaf_index?: number }
  | {
      split_feature: number;
      threshold: number | string;
      decision_type: string;
      default_left: boolean;
      missing_type: string;
      split_gain?: number;
      left_child: DumpNode;
      right_child: DumpNode;
    };

const nodeSchema: z.ZodType<DumpNode> = z.lazy(() =>
  z.union([
    z.object({
      split_feature: z.number().int().nonnegative(),
      threshold: z.union([z.number(), z.string()]),
      decision_type: z.string(),
      default_left: z.boolean(),
      missing_type: z.string(),
      split_gain: z.number().optional(),
      left_child: nodeSchema,
      right_child: nodeSchema,
    }),
    z.object({ leaf_value: z.number(), leaf_index: z.number().int().optional() }),
  ]),
);

const dumpSchema = z.object({
  name: z.literal('tree'),
  num_class: z.number().int().min(1),
  num_tree_per_iteration: z.number().int().min(1),
  objective: z.string(),
  average_output: z.boolean().optional(),
  feature_names: z.array(z.string()).min(1),
  tree_info: z.array(z.object({ tree_index: z.number().int(), shrinkage: z.number().optional(), tree_structure: nodeSchema })),
});

/** The GbdtModel of a LightGBM dump_model() object (binary with sigmoid:1, or multiclass softmax). */
export function fromLightGbmDump(value: unknown): GbdtModel {
  const r = dumpSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new Error(`lightgbm dump: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const d = r.data;
  const [kind, ...rest] = d.objective.split(' ');
  let objective: 'binary' | 'multiclass';
  if (kind === 'binary') {
    if (!rest.includes('sigmoid:1')) throw new Error(`lightgbm dump: objective: ${JSON.stringify(d.objective)}: only sigmoid:1 maps onto a plain logistic link`);
    objective = 'binary';
  } else if (kind === 'multiclass') objective = 'multiclass';
  else throw new Error(`lightgbm dump: objective: ${JSON.stringify(d.objective)} is not supported (binary or multiclass)`);
  if (d.average_output) throw new Error('lightgbm dump: average_output: random-forest averaging is not supported');
  const K = objective === 'binary' ? 2 : d.num_class;
  if (objective === 'multiclass' && d.num_tree_per_iteration !== K) throw new Error(`lightgbm dump: num_tree_per_iteration ${d.num_tree_per_iteration} != num_class ${K}`);

  const trees = d.tree_info.map((info, ti): Tree => {
    const t: Tree = { output: objective === 'multiclass' ? ti % K : 0, splitFeature: [], threshold: [], defaultLeft: [], left: [], right: [], gain: [], leafValue: [] };
    // Depth-first, parents numbered before their children (so the root is node 0); recursion depth is the tree depth.
    const visit = (n: DumpNode, path: string): number => {
      if ('leaf_value' in n) {
        t.leafValue.push(n.leaf_value);
        return ~(t.leafValue.length - 1);
      }
      const at = `tree_info.${ti}${path}`;
      if (n.decision_type !== '<=') throw new Error(`lightgbm dump: ${at}.decision_type: ${JSON.stringify(n.decision_type)} (categorical splits) is not supported`);
      const threshold = typeof n.threshold === 'number' ? n.threshold : Number(n.threshold);
      if (!Number.isFinite(threshold)) throw new Error(`lightgbm dump: ${at}.threshold: ${JSON.stringify(n.threshold)} is not a finite number`);
      let defaultLeft: boolean;
      if (n.missing_type === 'NaN') defaultLeft = n.default_left;
      else if (n.missing_type === 'None') defaultLeft = 0 <= threshold;
      else throw new Error(`lightgbm dump: ${at}.missing_type: ${JSON.stringify(n.missing_type)} is not supported (train with zero_as_missing=false)`);
      const id = t.splitFeature.length;
      t.splitFeature.push(n.split_feature);
      t.threshold.push(threshold);
      t.defaultLeft.push(defaultLeft);
      t.gain.push(n.split_gain ?? 0);
      t.left.push(0);
      t.right.push(0);
      t.left[id] = visit(n.left_child, `${path}.left_child`);
      t.right[id] = visit(n.right_child, `${path}.right_child`);
      return id;
    };
    visit(info.tree_structure, '.tree_structure');
    return t;
  });

  return parseModel({
    format: 'wx-gbdt',
    version: MODEL_FORMAT_VERSION,
    objective,
    numClasses: K,
    featureNames: d.feature_names,
    baseScore: Array.from({ length: objective === 'multiclass' ? K : 1 }, () => 0), // LightGBM folds its init score into the first trees
    trees,
    bestIteration: Math.ceil(trees.length / (objective === 'multiclass' ? K : 1)),
    params: { source: 'lightgbm', objective: d.objective },
  });
}
