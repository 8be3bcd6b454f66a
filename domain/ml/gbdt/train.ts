/**
 * The boosting loop: binning, gradients per objective, one tree per output per round (K for
 * multiclass, one latent score for binary and ordinal), bagging and feature subsets from seeded
 * streams, evaluation, early stopping on the validation loss with the best round kept.
 */
import { type BinMapper, binMatrix, binningToJson, fitBinMapper } from './binning';
import { type GbdtDataset, InvalidGbdtDatasetError, validateGbdtDataset } from './dataset';
import { type HistogramBackend, type HistogramBuilder, singleThreadBuilder } from './histogram';
import { type GbdtModel, MODEL_FORMAT_VERSION, type Tree, sigmoid } from './model';
import { initialThresholds, ordinalRow, refitThresholds } from './ordinal';
import { type GbdtParams, type GbdtParamsInput, InvalidGbdtParamsError, parseGbdtParams } from './params';
import { sampleSorted, streamFor } from '../rng';
import type { SplitSearchInput } from './split-search';
import { type GrownTree, TreeGrower } from './tree';

export interface IterationEvent {
  iteration: number;
  train: number;
  valid?: number;
}

export interface TrainOptions {
  valid?: GbdtDataset;
  onIteration?: (e: IterationEvent) => void;
  /** Histogram construction hook (ml/parallel/ supplies worker threads). */
  histogram?: HistogramBackend;
  /** Compute the training loss every round (default true); off saves a pass per round. */
  evalTrain?: boolean;
}

export interface TrainResult {
  model: GbdtModel;
  evals: IterationEvent[];
  importance: { gain: Float64Array; split: Int32Array };
}

const P_MIN = 1e-15;
const STREAM_BINNING = 0;
const STREAM_BAGGING = 1;
const STREAM_FEATURES = 2;

/** Per-row loss of the current scores (weighted mean), and the gradients for the next round. */
interface Objective {
  outputs: number;
  baseScore: number[];
  /** Fill gh for output k from the scores (called once per output per round, k in order). */
  gradients(scores: Float64Array, k: number, gh: Float64Array): void;
  loss(scores: Float64Array, y: ArrayLike<number>, w: Float64Array | undefined): number;
  /** After each round's trees (ordinal: refit the cut points). */
  afterRound?(scores: Float64Array): void;
  thresholds?(): number[];
}

function weightedMean(values: (r: number) => number, n: number, w: Float64Array | undefined): number {
  let s = 0;
  let sw = 0;
  for (let r = 0; r < n; r++) {
    const wr = w ? w[r]! : 1;
    s += wr * values(r);
    sw += wr;
  }
  return s / sw;
}

function binaryObjective(y: ArrayLike<number>, w: Float64Array | undefined): Objective {
  const n = y.length;
  let pos = 0;
  let tot = 0;
  for (let r = 0; r < n; r++) {
    const wr = w ? w[r]! : 1;
    pos += wr * y[r]!;
    tot += wr;
  }
  const p0 = Math.min(1 - 1e-12, Math.max(1e-12, pos / tot));
  return {
    outputs: 1,
    baseScore: [Math.log(p0 / (1 - p0))],
    gradients(s, _k, gh) {
      for (let r = 0; r < n; r++) {
        const p = sigmoid(s[r]!);
        const wr = w ? w[r]! : 1;
        gh[2 * r] = (p - y[r]!) * wr;
        gh[2 * r + 1] = p * (1 - p) * wr;
      }
    },
    loss(s, yy, ww) {
      return weightedMean((r) => {
        const p = sigmoid(s[r]!);
        return -Math.log(Math.max(P_MIN, yy[r] === 1 ? p : 1 - p));
      }, yy.length, ww);
    },
  };
}

function multiclassObjective(y: ArrayLike<number>, w: Float64Array | undefined, K: number): Objective {
  const n = y.length;
  const prior = new Float64Array(K);
  let tot = 0;
  for (let r = 0; r < n; r++) {
    const wr = w ? w[r]! : 1;
    prior[y[r]!] = prior[y[r]!]! + wr;
    tot += wr;
  }
  const proba = new Float64Array(n * K);
  // LightGBM's multiclass hessian factor K/(K-1) (multiclass_objective.hpp).
  const factor = K / (K - 1);
  const softmax = (s: Float64Array, r: number, out: Float64Array, o: number) => {
    let max = -Infinity;
    for (let j = 0; j < K; j++) max = Math.max(max, s[r * K + j]!);
    let sum = 0;
    for (let j = 0; j < K; j++) sum += out[o + j] = Math.exp(s[r * K + j]! - max);
    for (let j = 0; j < K; j++) out[o + j] = out[o + j]! / sum;
  };
  return {
    outputs: K,
    baseScore: Array.from(prior, (c) => Math.log(Math.max(1e-12, c / tot))),
    gradients(s, k, gh) {
      // All K trees of a round use the probabilities from before the round.
      if (k === 0) for (let r = 0; r < n; r++) softmax(s, r, proba, r * K);
      for (let r = 0; r < n; r++) {
        const p = proba[r * K + k]!;
        const wr = w ? w[r]! : 1;
        gh[2 * r] = (p - (y[r] === k ? 1 : 0)) * wr;
        gh[2 * r + 1] = factor * p * (1 - p) * wr;
      }
    },
    loss(s, yy, ww) {
      const row = new Float64Array(K);
      return weightedMean((r) => {
        softmax(s, r, row, 0);
        return -Math.log(Math.max(P_MIN, row[yy[r]!]!));
      }, yy.length, ww);
    },
  };
}

function ordinalObjective(y: ArrayLike<number>, w: Float64Array | undefined, K: number): Objective {
  const n = y.length;
  const theta = initialThresholds(y, w, K);
  const tmp = new Float64Array(3);
  return {
    outputs: 1,
    baseScore: [0],
    gradients(s, _k, gh) {
      for (let r = 0; r < n; r++) {
        ordinalRow(theta, y[r]!, s[r]!, tmp);
        const wr = w ? w[r]! : 1;
        gh[2 * r] = tmp[1]! * wr;
        gh[2 * r + 1] = tmp[2]! * wr;
      }
    },
    loss(s, yy, ww) {
      return weightedMean((r) => {
        ordinalRow(theta, yy[r]!, s[r]!, tmp);
        return -Math.log(tmp[0]!);
      }, yy.length, ww);
    },
    afterRound(s) {
      refitThresholds(theta, y, s, w);
    },
    thresholds: () => Array.from(theta),
  };
}

/** Leaf of a row by walking a grown tree on bins (rows outside the bag, validation rows). */
function leafOnBins(t: GrownTree, bins: Uint8Array | Uint16Array, base: number, nanBin: Int32Array): number {
  let node = t.numNodes === 0 ? -1 : 0;
  while (node >= 0) {
    const f = t.splitFeature[node]!;
    const b = bins[base + f]!;
    const left = b === nanBin[f] ? t.defaultLeft[node] === 1 : b <= t.thresholdBin[node]!;
    node = left ? t.left[node]! : t.right[node]!;
  }
  return ~node;
}

function toModelTree(t: GrownTree, mapper: BinMapper, output: number): Tree {
  const n = t.numNodes;
  return {
    output,
    splitFeature: Array.from(t.splitFeature.subarray(0, n)),
    threshold: Array.from({ length: n }, (_, i) => mapper.edges[t.splitFeature[i]!]![t.thresholdBin[i]!]!),
    defaultLeft: Array.from(t.defaultLeft.subarray(0, n), (d) => d === 1),
    left: Array.from(t.left.subarray(0, n)),
    right: Array.from(t.right.subarray(0, n)),
    gain: Array.from(t.gain.subarray(0, n)),
    leafValue: Array.from(t.leafValue.subarray(0, t.numLeaves)),
  };
}

function typed<T extends Float64Array | Uint32Array | Uint16Array | Uint8Array>(Ctor: { new (b: ArrayBuffer | SharedArrayBuffer): T; BYTES_PER_ELEMENT: number }, n: number, backend?: HistogramBackend): T {
  return backend ? new Ctor(backend.alloc(n * Ctor.BYTES_PER_ELEMENT)) : new Ctor(new ArrayBuffer(n * Ctor.BYTES_PER_ELEMENT));
}

export function trainGbdt(train: GbdtDataset, paramsInput: GbdtParamsInput | GbdtParams, opts: TrainOptions = {}): TrainResult {
  const params = parseGbdtParams(paramsInput);
  const K = params.numClasses;
  validateGbdtDataset(train, K, 'train');
  const F = train.featureNames.length;
  const valid = opts.valid;
  if (valid) {
    validateGbdtDataset(valid, K, 'valid');
    if (valid.featureNames.join('\u0000') !== train.featureNames.join('\u0000')) {
      const at = valid.featureNames.findIndex((name, i) => name !== train.featureNames[i]);
      throw new InvalidGbdtDatasetError(`valid.featureNames: must equal train.featureNames, got ${JSON.stringify(valid.featureNames[at])} at ${at === -1 ? valid.featureNames.length : at}`);
    }
  }
  if (params.earlyStoppingRounds !== undefined && !valid) {
    throw new InvalidGbdtParamsError(`params.earlyStoppingRounds: needs a validation set, got ${params.earlyStoppingRounds}`);
  }
  const monotone = new Int8Array(F);
  if (params.monotoneConstraints) {
    if (params.monotoneConstraints.length !== F) {
      throw new InvalidGbdtParamsError(`params.monotoneConstraints: must have one entry per feature (${F}), got ${params.monotoneConstraints.length}`);
    }
    monotone.set(params.monotoneConstraints);
  }

  const n = train.rows;
  const mapper = fitBinMapper(train.x, n, F, params.maxBins, params.minDataInBin, streamFor(params.seed, STREAM_BINNING));
  const backend = opts.histogram;
  let bins = binMatrix(mapper, train.x, n);
  if (backend) {
    const shared = bins instanceof Uint8Array ? new Uint8Array(backend.alloc(bins.byteLength)) : new Uint16Array(backend.alloc(bins.byteLength));
    shared.set(bins);
    bins = shared;
  }
  // Read by the partition, so in the backend's memory as well.
  const colBins = bins instanceof Uint8Array ? typed(Uint8Array, bins.length, backend) : typed(Uint16Array, bins.length, backend);
  for (let r = 0; r < n; r++) for (let f = 0; f < F; f++) colBins[f * n + r] = bins[r * F + f]!;
  const validBins = valid ? binMatrix(mapper, valid.x, valid.rows) : undefined;
  const nanBin = Int32Array.from(mapper.numBins, (nb) => nb - 1);

  const w = train.weight;
  const y = train.y;
  const obj = params.objective === 'binary' ? binaryObjective(y, w) : params.objective === 'multiclass' ? multiclassObjective(y, w, K) : ordinalObjective(y, w, K);
  const O = obj.outputs;
  const scores = new Float64Array(n * O);
  const validScores = valid ? new Float64Array(valid.rows * O) : undefined;
  for (let r = 0; r < n; r++) for (let k = 0; k < O; k++) scores[r * O + k] = obj.baseScore[k]!;
  if (valid) for (let r = 0; r < valid.rows; r++) for (let k = 0; k < O; k++) validScores![r * O + k] = obj.baseScore[k]!;

  const gh = typed(Float64Array, 2 * n, backend);
  const idx = typed(Uint32Array, n, backend);
  const bag = new Uint32Array(n);
  let bagN = n;
  for (let i = 0; i < n; i++) bag[i] = i;
  const inBag = new Uint8Array(n).fill(1);
  const oob = new Uint32Array(n);
  let oobN = 0;

  let builder: HistogramBuilder | undefined;
  const evals: IterationEvent[] = [];
  const trees: Tree[] = [];
  const gainImp = new Float64Array(F);
  const splitImp = new Int32Array(F);
  // Read by the split search, so in the backend's memory as well.
  const featureMask = typed(Uint8Array, F, backend).fill(1);
  const bagRng = streamFor(params.seed, STREAM_BAGGING);
  const featRng = streamFor(params.seed, STREAM_FEATURES);
  const perm = new Int32Array(F);
  const evalTrain = opts.evalTrain !== false;

  let bestIteration = 0;
  let bestLoss = Infinity;
  let bestThresholds = obj.thresholds?.();
  try {
    const histInput = { bins, features: F, offset: mapper.offset, totalBins: mapper.totalBins, stride256: mapper.stride256, numBins: mapper.numBins };
    const searchInput: SplitSearchInput = {
      features: F,
      numBins: mapper.numBins,
      offset: mapper.offset,
      monotone,
      minDataInLeaf: params.minDataInLeaf,
      minSumHessianInLeaf: params.minSumHessianInLeaf,
      lambdaL1: params.lambdaL1,
      lambdaL2: params.lambdaL2,
    };
    builder = backend ? backend.create(histInput, searchInput) : singleThreadBuilder(histInput, searchInput);
    const grower = new TreeGrower(
      mapper,
      colBins,
      builder,
      {
        numLeaves: params.numLeaves,
        maxDepth: params.maxDepth ?? Infinity,
        minDataInLeaf: params.minDataInLeaf,
        minSumHessianInLeaf: params.minSumHessianInLeaf,
        lambdaL1: params.lambdaL1,
        lambdaL2: params.lambdaL2,
        minGainToSplit: params.minGainToSplit,
        learningRate: params.learningRate,
      },
      monotone,
      n,
      (len) => typed(Float64Array, len, backend),
      (len) => typed(Uint32Array, len, backend),
    );

    for (let it = 0; it < params.numIterations; it++) {
      if (params.baggingFreq > 0 && params.baggingFraction < 1 && it % params.baggingFreq === 0) {
        bagN = sampleSorted(n, Math.max(1, Math.round(n * params.baggingFraction)), bagRng, bag);
        inBag.fill(0);
        for (let i = 0; i < bagN; i++) inBag[bag[i]!] = 1;
        oobN = 0;
        for (let r = 0; r < n; r++) if (inBag[r] === 0) oob[oobN++] = r;
      }
      if (params.featureFraction < 1) {
        const take = Math.max(1, Math.round(F * params.featureFraction));
        for (let f = 0; f < F; f++) perm[f] = f;
        for (let i = 0; i < take; i++) {
          const j = i + Math.floor(featRng() * (F - i));
          const t = perm[i]!;
          perm[i] = perm[j]!;
          perm[j] = t;
        }
        featureMask.fill(0);
        for (let i = 0; i < take; i++) featureMask[perm[i]!] = 1;
      }
      // Gradients of every output first: multiclass trees of one round all see the same scores.
      const grown: GrownTree[] = [];
      const roundTrees: Tree[] = [];
      for (let k = 0; k < O; k++) {
        obj.gradients(scores, k, gh);
        idx.set(bag.subarray(0, bagN));
        const t = grower.grow(idx, bagN, gh, featureMask);
        grown.push(t);
        // Apply to in-bag rows by leaf slice now (the slices are overwritten by the next tree).
        for (let l = 0; l < t.numLeaves; l++) {
          const v = t.leafValue[l]!;
          for (let i = t.leafStart[l]!; i < t.leafEnd[l]!; i++) {
            const r = idx[i]!;
            scores[r * O + k] = scores[r * O + k]! + v;
          }
        }
        for (let i = 0; i < oobN; i++) {
          const r = oob[i]!;
          scores[r * O + k] = scores[r * O + k]! + t.leafValue[leafOnBins(t, bins, r * F, nanBin)]!;
        }
        if (valid) {
          for (let r = 0; r < valid.rows; r++) validScores![r * O + k] = validScores![r * O + k]! + t.leafValue[leafOnBins(t, validBins!, r * F, nanBin)]!;
        }
        roundTrees.push(toModelTree(t, mapper, O === 1 ? 0 : k));
      }
      trees.push(...roundTrees);
      obj.afterRound?.(scores);
      const e: IterationEvent = { iteration: it + 1, train: evalTrain ? obj.loss(scores, y, w) : NaN };
      if (valid) e.valid = obj.loss(validScores!, valid.y, valid.weight);
      evals.push(e);
      opts.onIteration?.(e);
      if (valid) {
        if (e.valid! < bestLoss) {
          bestLoss = e.valid!;
          bestIteration = it + 1;
          bestThresholds = obj.thresholds?.();
        } else if (params.earlyStoppingRounds !== undefined && it + 1 - bestIteration >= params.earlyStoppingRounds) break;
      } else {
        bestIteration = it + 1;
        bestThresholds = obj.thresholds?.();
      }
    }
  } finally {
    backend?.close?.();
  }

  const keptTrees = valid && params.earlyStoppingRounds !== undefined ? trees.slice(0, bestIteration * O) : trees;
  if (!(valid && params.earlyStoppingRounds !== undefined)) {
    bestIteration = evals.length;
    bestThresholds = obj.thresholds?.();
  }
  // Importance of the kept model only (rounds after the best one are dropped).
  for (const t of keptTrees) {
    for (let i = 0; i < t.splitFeature.length; i++) {
      gainImp[t.splitFeature[i]!] = gainImp[t.splitFeature[i]!]! + t.gain[i]!;
      splitImp[t.splitFeature[i]!] = splitImp[t.splitFeature[i]!]! + 1;
    }
  }
  const model: GbdtModel = {
    format: 'wx-gbdt',
    version: MODEL_FORMAT_VERSION,
    objective: params.objective,
    numClasses: K,
    featureNames: [...train.featureNames],
    baseScore: obj.baseScore,
    ...(bestThresholds ? { ordinalThresholds: bestThresholds } : {}),
    trees: keptTrees,
    bestIteration,
    params: JSON.parse(JSON.stringify(params)) as Record<string, unknown>,
    binning: binningToJson(mapper),
  };
  return { model, evals, importance: { gain: gainImp, split: splitImp } };
}
