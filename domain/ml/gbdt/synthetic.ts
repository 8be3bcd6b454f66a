/**
 * Seeded synthetic datasets with a known truth (the tests' and benchmarks' ground truth): features
 * are standard normal, the label is drawn from a known nonlinear probability, so the noise floor
 * (the expected log loss of the true probabilities) is known for every row.
 */
import type { GbdtDataset } from './dataset';
import { sigmoid } from './model';
import { mulberry32 } from '../rng';

export interface SyntheticSet extends GbdtDataset {
  /** True class probabilities, row-major [rows × K]. */
  truth: Float64Array;
  numClasses: number;
}

function normals(rng: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

/** Nonlinear latent score of a row (features 0..4 matter, the rest are noise). */
export function latent(x: ArrayLike<number>, o: number): number {
  return 1.5 * Math.sin(2 * x[o]!) + x[o + 1]! * x[o + 2]! + 0.8 * Math.abs(x[o + 3]!) - 0.6 + (x[o + 4]! > 0.3 ? 0.8 : -0.4);
}

function features(rows: number, nf: number, seed: number): { x: Float64Array; rng: () => number } {
  const rng = mulberry32(seed);
  const g = normals(rng);
  const x = new Float64Array(rows * nf);
  for (let i = 0; i < x.length; i++) x[i] = g();
  return { x, rng };
}

const names = (nf: number) => Array.from({ length: nf }, (_, i) => `x${i}`);

export function binarySet(rows: number, seed: number, nf = 8): SyntheticSet {
  const { x, rng } = features(rows, nf, seed);
  const y = new Float64Array(rows);
  const truth = new Float64Array(rows * 2);
  for (let r = 0; r < rows; r++) {
    const p = sigmoid(latent(x, r * nf));
    truth[2 * r] = 1 - p;
    truth[2 * r + 1] = p;
    y[r] = rng() < p ? 1 : 0;
  }
  return { x, rows, y, featureNames: names(nf), truth, numClasses: 2 };
}

function drawClass(p: Float64Array, o: number, K: number, u: number): number {
  let c = 0;
  let acc = p[o]!;
  while (c < K - 1 && u >= acc) acc += p[o + ++c]!;
  return c;
}

/** Three classes, each with its own nonlinear score (softmax). */
export function multiclassSet(rows: number, seed: number, nf = 8): SyntheticSet {
  const K = 3;
  const { x, rng } = features(rows, nf, seed);
  const y = new Int32Array(rows);
  const truth = new Float64Array(rows * K);
  for (let r = 0; r < rows; r++) {
    const o = r * nf;
    const s = [1.5 * Math.sin(2 * x[o]!), x[o + 1]! * x[o + 2]!, Math.abs(x[o + 3]!) - 0.8 + (x[o + 4]! > 0.3 ? 0.8 : -0.4)];
    const m = Math.max(...s);
    const e = s.map((v) => Math.exp(v - m));
    const sum = e[0]! + e[1]! + e[2]!;
    for (let k = 0; k < K; k++) truth[r * K + k] = e[k]! / sum;
    y[r] = drawClass(truth, r * K, K, rng());
  }
  return { x, rows, y, featureNames: names(nf), truth, numClasses: K };
}

/**
 * An ordered target: a latent score plus logistic noise cut at fixed points (the cumulative logit
 * model itself), K classes.
 */
export function ordinalSet(rows: number, seed: number, K = 6, nf = 8): SyntheticSet {
  const { x, rng } = features(rows, nf, seed);
  const cuts = Array.from({ length: K - 1 }, (_, k) => -2.5 + (5 * k) / (K - 2));
  const y = new Int32Array(rows);
  const truth = new Float64Array(rows * K);
  for (let r = 0; r < rows; r++) {
    const f = latent(x, r * nf);
    let prev = 0;
    for (let k = 0; k < K; k++) {
      const cum = k === K - 1 ? 1 : sigmoid(cuts[k]! - f);
      truth[r * K + k] = cum - prev;
      prev = cum;
    }
    y[r] = drawClass(truth, r * K, K, rng());
  }
  return { x, rows, y, featureNames: names(nf), truth, numClasses: K };
}

/** Expected log loss of the true probabilities (the floor no model can beat on average). */
export function noiseFloor(s: SyntheticSet): number {
  let h = 0;
  for (let i = 0; i < s.truth.length; i++) {
    const p = s.truth[i]!;
    if (p > 0) h -= p * Math.log(p);
  }
  return h / s.rows;
}
