/**
 * ONNX parity: the exported model run by onnxruntime-node agrees with the TypeScript reference
 * predictor (domain/ml/gbdt/model.ts) to 1e-5 on every probability, for every objective and both
 * tree operators, on rows with NaN among them, with trees whose NaNs all go left or all go right,
 * single-leaf trees, and thresholds that are not float32 values. Both predictors see the same
 * float32 inputs. Each fixture also shows that it exercises what it claims (NaN rows and rows equal
 * to a threshold change the reference's answer when the export would get them wrong).
 */
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { predictProba, predictRaw, type GbdtModel, type Objective } from '../../domain/ml/gbdt/model';
import { exportOnnx, TREE_OPERATORS, type Precision, type TreeOperator } from '../../domain/ml/onnx/export';
import { nextFloat32Down } from '../../domain/ml/onnx/float32';
import { randomModel, randomRows, type RandomModelOptions } from '../../domain/ml/onnx/random-model';
import { Predictor } from '../../ml/predictor';

const TOL = 1e-5;
const OBJECTIVES: Objective[] = ['binary', 'multiclass', 'ordinal'];

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

async function onnxProba(m: GbdtModel, op: TreeOperator, x: Float32Array, rows: number, precision: Precision = 'float32') {
  const p = await Predictor.load(exportOnnx(m, { treeOperator: op, precision }));
  try {
    return { proba: await p.predict(x, rows), raw: await p.predictRaw(x, rows) };
  } finally {
    await p.close();
  }
}

/** The same model with every NaN direction flipped: its reference predictions must differ if NaN rows matter. */
const flipDefaults = (m: GbdtModel): GbdtModel => ({ ...m, trees: m.trees.map((t) => ({ ...t, defaultLeft: t.defaultLeft.map((d) => !d) })) });
/** `x < t` instead of `x <= t` (each threshold moved to the float32 below): differs iff rows sit on thresholds. */
const strictLess = (m: GbdtModel): GbdtModel => ({ ...m, trees: m.trees.map((t) => ({ ...t, threshold: t.threshold.map((v) => nextFloat32Down(Math.fround(v))) })) });

const cases: { name: string; opts: Omit<RandomModelOptions, 'objective'> }[] = [
  { name: 'mixed NaN directions, off-grid thresholds', opts: { numFeatures: 12, numClasses: 4, trees: 60, leaves: 15, offGridThresholds: 0.3 } },
  { name: 'every NaN goes left', opts: { numFeatures: 6, numClasses: 3, trees: 30, leaves: 8, defaultDirection: 'left' } },
  { name: 'every NaN goes right', opts: { numFeatures: 6, numClasses: 3, trees: 30, leaves: 8, defaultDirection: 'right' } },
];

describe('TypeScript predictProba vs onnxruntime-node', () => {
  for (const op of TREE_OPERATORS) {
    for (const objective of OBJECTIVES) {
      for (const c of cases) {
        it(`${op} ${objective}: ${c.name}`, async () => {
          const rng = seedrandom(`${op}/${objective}/${c.name}`);
          const m = randomModel(rng, { objective, ...c.opts });
          // A single-leaf tree among them (a tree training could not split).
          m.trees[1] = { ...m.trees[1]!, splitFeature: [], threshold: [], defaultLeft: [], left: [], right: [], gain: [], leafValue: [0.4] };
          const rows = 3000;
          const F = c.opts.numFeatures;
          const x = randomRows(rng, rows, F, 0.2);
          const ref = predictProba(m, x, rows);
          const { proba, raw } = await onnxProba(m, op, x, rows);
          expect(maxAbsDiff(proba, ref)).toBeLessThan(TOL);
          // Raw scores agree far closer than one leaf value (about 0.3), so every row took the same path in every tree.
          expect(maxAbsDiff(raw, predictRaw(m, x, rows))).toBeLessThan(1e-4);
          // Every row a probability vector.
          const K = m.numClasses;
          let minP = Infinity;
          let worstSum = 0;
          for (let r = 0; r < rows; r++) {
            let s = 0;
            for (let k = 0; k < K; k++) {
              minP = Math.min(minP, proba[r * K + k]!);
              s += proba[r * K + k]!;
            }
            worstSum = Math.max(worstSum, Math.abs(s - 1));
          }
          expect(minP).toBeGreaterThanOrEqual(0);
          expect(worstSum).toBeLessThan(1e-5);
          // The fixture exercises NaN directions and ties at thresholds.
          expect(maxAbsDiff(predictProba(flipDefaults(m), x, rows), ref)).toBeGreaterThan(1e-3);
          expect(maxAbsDiff(predictProba(strictLess(m), x, rows), ref)).toBeGreaterThan(1e-3);
        });
      }
    }
  }

  it('the benchmark-sized model (300 trees x 63 leaves, 40 features) agrees too', async () => {
    const rng = seedrandom('big');
    const m = randomModel(rng, { objective: 'binary', numFeatures: 40, trees: 300, leaves: 63 });
    const x = randomRows(rng, 2000, 40, 0.1);
    const ref = predictProba(m, x, 2000);
    for (const op of TREE_OPERATORS) {
      const { proba } = await onnxProba(m, op, x, 2000);
      expect(maxAbsDiff(proba, ref), op).toBeLessThan(TOL);
    }
  });

  it('float64 models (TreeEnsemble): double thresholds, leaves and sums match the reference to float32 output rounding', async () => {
    for (const op of ['TreeEnsemble'] as const) {
      for (const objective of OBJECTIVES) {
        const rng = seedrandom(`float64/${op}/${objective}`);
        // Large leaves over many trees: float32 sums drift here, double sums do not.
        const m = randomModel(rng, { objective, numFeatures: 10, numClasses: 4, trees: 200, leaves: 31, offGridThresholds: 0.3, leafScale: 1 });
        m.trees[1] = { ...m.trees[1]!, splitFeature: [], threshold: [], defaultLeft: [], left: [], right: [], gain: [], leafValue: [0.4] };
        const rows = 2000;
        const x = randomRows(rng, rows, 10, 0.2);
        const rawRef = predictRaw(m, x, rows);
        const { proba, raw } = await onnxProba(m, op, x, rows, 'float64');
        // raw within float32 rounding of the output itself (|raw| up to ~40 here), probabilities likewise.
        let worst = 0;
        for (let i = 0; i < raw.length; i++) worst = Math.max(worst, Math.abs(raw[i]! - rawRef[i]!) / Math.max(1, Math.abs(rawRef[i]!)));
        expect(worst, `${op} ${objective} raw`).toBeLessThan(1.2e-7);
        expect(maxAbsDiff(proba, predictProba(m, x, rows)), `${op} ${objective}`).toBeLessThan(1e-7);
      }
    }
    const m = randomModel(seedrandom('v3'), { objective: 'binary', numFeatures: 2, trees: 2, leaves: 3 });
    expect(() => exportOnnx(m, { treeOperator: 'TreeEnsembleRegressor', precision: 'float64' })).toThrow(
      'onnx export: precision float64 needs treeOperator TreeEnsemble (TreeEnsembleRegressor outputs float whatever its input)',
    );
  });

  it('a threshold below a float32 value: rows equal to that value go right in both', async () => {
    // The threshold 1.5 - 1e-9 is no float32; rounded to nearest it would become 1.5 and send x = 1.5 left.
    const v = Math.fround(1.5);
    const m: GbdtModel = {
      format: 'wx-gbdt',
      version: 1,
      objective: 'binary',
      numClasses: 2,
      featureNames: ['a'],
      baseScore: [0],
      trees: [{ output: 0, splitFeature: [0], threshold: [v - 1e-9], defaultLeft: [true], left: [-1], right: [-2], gain: [1], leafValue: [-2, 2] }],
      bestIteration: 1,
      params: {},
    };
    const x = new Float32Array([v, nextFloat32Down(v), NaN, 1.6]);
    const ref = predictProba(m, x, 4);
    // By hand: v goes right (p = sigmoid(2)), the float below goes left, NaN left (default), 1.6 right.
    const hi = 1 / (1 + Math.exp(-2));
    expect(Array.from(ref.filter((_, i) => i % 2 === 1))).toEqual([hi, 1 - hi, 1 - hi, hi].map((p) => expect.closeTo(p, 12)));
    for (const op of TREE_OPERATORS) {
      const { proba } = await onnxProba(m, op, x, 4);
      expect(maxAbsDiff(proba, ref)).toBeLessThan(TOL);
    }
  });

  it('a multiclass model whose last class has no tree (its score is the base score)', async () => {
    const rng = seedrandom('class without trees');
    const m = randomModel(rng, { objective: 'multiclass', numFeatures: 4, numClasses: 3, trees: 12, leaves: 5 });
    const pruned = { ...m, trees: m.trees.filter((t) => t.output !== 2) };
    const x = randomRows(rng, 500, 4, 0.2);
    const ref = predictProba(pruned, x, 500);
    for (const op of TREE_OPERATORS) {
      const { proba } = await onnxProba(pruned, op, x, 500);
      expect(maxAbsDiff(proba, ref), op).toBeLessThan(TOL);
    }
  });

  it('a model with no trees predicts its base score', async () => {
    const m: GbdtModel = {
      format: 'wx-gbdt',
      version: 1,
      objective: 'multiclass',
      numClasses: 3,
      featureNames: ['a', 'b'],
      baseScore: [0.2, -0.1, 0.5],
      trees: [],
      bestIteration: 0,
      params: {},
    };
    const x = new Float32Array([1, NaN, NaN, 2]);
    const ref = predictProba(m, x, 2);
    for (const op of TREE_OPERATORS) {
      const { proba } = await onnxProba(m, op, x, 2);
      expect(maxAbsDiff(proba, ref)).toBeLessThan(TOL);
    }
  });
});
