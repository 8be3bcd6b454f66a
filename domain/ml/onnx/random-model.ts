/**
 * Seeded random GbdtModels and input rows, for the ONNX parity tests and the inference benchmark
 * (a model of any size without training one). Trees grow leaf-wise by splitting a random leaf, so
 * their shapes are irregular like trained ones; thresholds and inputs are drawn from one grid of
 * quarter-units so that many rows land exactly ON a threshold (where `<=` versus `<` would show),
 * and NaN inputs take each node's default direction.
 */
import { MODEL_FORMAT_VERSION, parseModel, type GbdtModel, type Objective, type Tree } from '../gbdt/model';
import type { Rng } from '../rng';

export type { Rng } from '../rng';

export interface RandomModelOptions {
  objective: Objective;
  numFeatures: number;
  /** 2 for binary; K for multiclass and ordinal. */
  numClasses?: number;
  trees: number;
  /** Leaves per tree (a tree with 1 leaf has no split). */
  leaves: number;
  /** NaN direction of every split: 'left', 'right' or a coin per node (default). */
  defaultDirection?: 'left' | 'right' | 'random';
  /** Share of thresholds moved just below a grid point by a non-float32 amount (exercises the exporter's rounding). */
  offGridThresholds?: number;
  /** Spread of the leaf values (default 0.3). */
  leafScale?: number;
}

/** The grid that thresholds and inputs share: quarter-units in [-GRID_HALF_WIDTH, GRID_HALF_WIDTH]. */
export const GRID_HALF_WIDTH = 4;
const gridValue = (rng: Rng) => (Math.floor(rng() * (8 * GRID_HALF_WIDTH + 1)) - 4 * GRID_HALF_WIDTH) / 4;

const gaussian = (rng: Rng) => {
  const u = 1 - rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
};

export function randomTree(rng: Rng, o: RandomModelOptions, output: number): Tree {
  const t: Tree = { output, splitFeature: [], threshold: [], defaultLeft: [], left: [], right: [], gain: [], leafValue: [] };
  // Where each leaf hangs: its parent node and side (-1 for the root leaf).
  const parent: { node: number; side: 'left' | 'right' }[] = [{ node: -1, side: 'left' }];
  const scale = o.leafScale ?? 0.3;
  for (let leaves = 1; leaves < o.leaves; leaves++) {
    const leaf = Math.floor(rng() * leaves);
    const node = t.splitFeature.length;
    const p = parent[leaf]!;
    if (p.node >= 0) t[p.side][p.node] = node;
    t.splitFeature.push(Math.floor(rng() * o.numFeatures));
    const g = gridValue(rng);
    // Just below a grid point, by an amount a float32 cannot hold: rounding to nearest would land on the point.
    t.threshold.push(rng() < (o.offGridThresholds ?? 0) ? g - 1e-9 : g);
    const dir = o.defaultDirection ?? 'random';
    t.defaultLeft.push(dir === 'left' ? true : dir === 'right' ? false : rng() < 0.5);
    t.left.push(~leaf);
    t.right.push(~leaves);
    t.gain.push(rng());
    parent[leaf] = { node, side: 'left' };
    parent[leaves] = { node, side: 'right' };
  }
  for (let j = 0; j < o.leaves; j++) t.leafValue.push(Math.fround(gaussian(rng) * scale));
  return t;
}

export function randomModel(rng: Rng, o: RandomModelOptions): GbdtModel {
  const K = o.objective === 'binary' ? 2 : (o.numClasses ?? 3);
  const outputs = o.objective === 'multiclass' ? K : 1;
  const trees: Tree[] = [];
  for (let i = 0; i < o.trees; i++) trees.push(randomTree(rng, o, i % outputs));
  const model = {
    format: 'wx-gbdt',
    version: MODEL_FORMAT_VERSION,
    objective: o.objective,
    numClasses: K,
    featureNames: Array.from({ length: o.numFeatures }, (_, f) => `f${f}`),
    baseScore: Array.from({ length: outputs }, () => Math.fround(gaussian(rng) * 0.5)),
    ...(o.objective === 'ordinal'
      ? { ordinalThresholds: Array.from({ length: K - 1 }, (_, k) => Math.fround((k - (K - 2) / 2) * 1.5 + rng() * 0.2)) }
      : {}),
    trees,
    bestIteration: Math.ceil(o.trees / outputs),
    params: { generator: 'random-model', leaves: o.leaves },
  };
  return parseModel(model);
}

/** Rows × features, row-major float32: grid values (so some equal thresholds exactly), NaN at `nanRate`. */
export function randomRows(rng: Rng, rows: number, numFeatures: number, nanRate = 0.1): Float32Array {
  const x = new Float32Array(rows * numFeatures);
  for (let i = 0; i < x.length; i++) {
    const u = rng();
    x[i] = u < nanRate ? NaN : u < 0.5 ? gridValue(rng) : (rng() * 2 - 1) * (GRID_HALF_WIDTH + 1);
  }
  return x;
}
