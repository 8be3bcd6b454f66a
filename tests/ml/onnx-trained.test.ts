/**
 * ONNX parity on TRAINED models (trainGbdt), binary, multiclass and ordinal: held-out rows (never
 * seen in training or early stopping), features missing at random, all-NaN rows, and rows set
 * exactly on the trained thresholds; onnxruntime-node through the Predictor (written by
 * writeModelFiles, read back by loadModelDir) agrees with predictProba to 1e-5.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import seedrandom from 'seedrandom';
import { afterAll, describe, expect, it } from 'vitest';
import type { GbdtDataset } from '../../domain/ml/gbdt/dataset';
import { predictProba, type Objective } from '../../domain/ml/gbdt/model';
import { trainGbdt } from '../../domain/ml/gbdt/train';
import { TREE_OPERATORS } from '../../domain/ml/onnx/export';
import { nextFloat32Down } from '../../domain/ml/onnx/float32';
import { loadModelDir, writeModelFiles } from '../../ml/model-files';

const F = 8;
const root = mkdtempSync(join(tmpdir(), 'wx-onnx-trained-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Rows with features 0-3 informative (2 and 3 missing on 30% of rows), 4-7 noise; a latent score. */
function synth(seed: string, rows: number) {
  const rng = seedrandom(seed);
  const x = new Float32Array(rows * F);
  const latent = new Float64Array(rows);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < F; f++) x[r * F + f] = gauss();
    const v = (f: number) => x[r * F + f]!;
    latent[r] = 1.2 * v(0) + Math.sin(2 * v(1)) + 0.8 * v(2) * v(3) + 0.5 * gauss();
    if (rng() < 0.3) x[r * F + 2] = NaN;
    if (rng() < 0.3) x[r * F + 3] = NaN;
  }
  return { x, latent };
}

function labels(objective: Objective, latent: Float64Array): Int32Array {
  const cuts = objective === 'binary' ? [0] : objective === 'ordinal' ? [-1.5, -0.5, 0.5, 1.5] : [-0.8, 0, 0.8];
  return Int32Array.from(latent, (z) => cuts.filter((c) => z > c).length);
}

const dataset = (objective: Objective, seed: string, rows: number): GbdtDataset => {
  const { x, latent } = synth(seed, rows);
  return { x, rows, featureNames: Array.from({ length: F }, (_, f) => `x${f}`), y: labels(objective, latent) };
};

const CLASSES: Record<Objective, number> = { binary: 2, multiclass: 4, ordinal: 5 };

describe('trained models: predictProba vs onnxruntime-node', () => {
  for (const objective of ['binary', 'multiclass', 'ordinal'] as Objective[]) {
    it(objective, async () => {
      const train = dataset(objective, `train/${objective}`, 3000);
      const valid = dataset(objective, `valid/${objective}`, 1000);
      const { model } = trainGbdt(
        train,
        { objective, numClasses: CLASSES[objective], numIterations: 40, numLeaves: 15, learningRate: 0.1, minDataInLeaf: 10, earlyStoppingRounds: 10, seed: 7 },
        { valid },
      );
      // The fixture has what it claims: real splits, NaN sent both ways by the trainer.
      const defaults = model.trees.flatMap((t) => t.defaultLeft);
      expect(defaults.length).toBeGreaterThan(100);
      expect(defaults.some((d) => d) && defaults.some((d) => !d)).toBe(true);

      // Held-out rows, then all-NaN rows, then rows sitting exactly on trained thresholds.
      const test = dataset(objective, `test/${objective}`, 1500);
      const thresholds = model.trees.flatMap((t) => t.splitFeature.map((f, i) => [f, t.threshold[i]!] as const));
      const extra = 200;
      const rows = test.rows + 2 * extra;
      const x = new Float32Array(rows * F);
      x.set(test.x as Float32Array);
      x.fill(NaN, test.rows * F, (test.rows + extra) * F);
      const rng = seedrandom(`ties/${objective}`);
      for (let r = test.rows + extra; r < rows; r++) {
        for (let f = 0; f < F; f++) x[r * F + f] = test.x[Math.floor(rng() * test.rows) * F + f]!;
        for (let k = 0; k < 3; k++) {
          const [f, t] = thresholds[Math.floor(rng() * thresholds.length)]!;
          x[r * F + f] = t; // float32 of the trained threshold: equal to it when the trainer stores float32 thresholds
        }
      }
      const ref = predictProba(model, x, rows);
      // The tie rows matter: with x < t instead of x <= t the reference itself would answer differently.
      const strict = { ...model, trees: model.trees.map((t) => ({ ...t, threshold: t.threshold.map((v) => nextFloat32Down(Math.fround(v))) })) };
      const tieStart = (test.rows + extra) * CLASSES[objective];
      const strictRef = predictProba(strict, x, rows);
      let tieDiff = 0;
      for (let i = tieStart; i < ref.length; i++) tieDiff = Math.max(tieDiff, Math.abs(strictRef[i]! - ref[i]!));
      expect(tieDiff).toBeGreaterThan(1e-3);
      for (const op of TREE_OPERATORS) {
        const dir = join(root, `${objective}-${op}`);
        await writeModelFiles(dir, model, { treeOperator: op });
        const { predictor } = await loadModelDir(dir);
        try {
          const got = await predictor.predict(x, rows);
          let d = 0;
          for (let i = 0; i < ref.length; i++) d = Math.max(d, Math.abs(got[i]! - ref[i]!));
          expect(d, op).toBeLessThan(1e-5);
        } finally {
          await predictor.close();
        }
      }
    });
  }
});
