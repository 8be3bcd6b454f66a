/**
 * Grows one regression tree on gradients, leaf-wise (best-first) as LightGBM does: the leaf whose
 * best split gains most is split next, until numLeaves leaves or no split gains anything.
 *
 * Rows of each leaf are a contiguous slice of one row-index array, partitioned in place (stable)
 * at every split. Only the smaller child's histogram is built; the larger one is its parent's minus
 * the smaller one's. That histogram, the subtraction and the split search of both children go to
 * the HistogramBuilder as one step (split-search.ts), and the partition too, so that a threaded
 * builder can share all of them out. Gains and leaf outputs follow LightGBM (feature_histogram.hpp): L1 soft
 * threshold, L2 in the denominator, split only when the gain exceeds the parent's by more than
 * minGainToSplit. Monotone constraints use LightGBM's "basic" method: a split on a constrained
 * feature is rejected unless its child outputs are ordered, and each child's outputs are then
 * bounded by the midpoint of the two, so every leaf right of the split stays above every leaf left
 * of it.
 */
import type { BinMapper } from './binning';
import type { HistogramBuilder } from './histogram';
import { LEAF_STAT_SLOTS, SPLIT_RESULT_SLOTS, type StepJob } from './split-search';

export interface TreeParams {
  numLeaves: number;
  maxDepth: number; // Infinity for none
  minDataInLeaf: number;
  minSumHessianInLeaf: number;
  lambdaL1: number;
  lambdaL2: number;
  minGainToSplit: number;
  learningRate: number;
}

/** A grown tree in bin space (thresholds as bin indices) plus its leaves' row slices. */
export interface GrownTree {
  numNodes: number;
  splitFeature: Int32Array;
  thresholdBin: Int32Array;
  defaultLeft: Uint8Array;
  left: Int32Array;
  right: Int32Array;
  gain: Float64Array;
  numLeaves: number;
  /** Shrunk (× learningRate) and float32-rounded leaf outputs. */
  leafValue: Float64Array;
  leafStart: Int32Array;
  leafEnd: Int32Array;
}

const thresholdL1 = (g: number, l1: number): number => (g > l1 ? g - l1 : g < -l1 ? g + l1 : 0);

/** Growth state reused across trees (buffers sized once per training run). */
export class TreeGrower {
  private readonly hists: Float64Array[];
  private readonly histSize: number;
  private readonly tmp: Uint32Array;
  // Per leaf.
  private readonly lStart: Int32Array;
  private readonly lEnd: Int32Array;
  private readonly lG: Float64Array;
  private readonly lH: Float64Array;
  private readonly lC: Float64Array;
  private readonly lDepth: Int32Array;
  private readonly lLo: Float64Array;
  private readonly lHi: Float64Array;
  private readonly lHist: Int32Array;
  private readonly lParent: Int32Array; // node index, -1 for root
  private readonly lIsLeft: Uint8Array;
  // Best split per leaf.
  private readonly bGain: Float64Array;
  private readonly bFeature: Int32Array;
  private readonly bBin: Int32Array;
  private readonly bDefaultLeft: Uint8Array;
  private readonly bLG: Float64Array;
  private readonly bLH: Float64Array;
  private readonly bLC: Float64Array;
  private readonly bLOut: Float64Array;
  private readonly bROut: Float64Array;
  private readonly freeHists: number[] = [];
  // The builder's step, reused for every split.
  private readonly job: StepJob;
  private readonly res = new Float64Array(2 * SPLIT_RESULT_SLOTS);

  constructor(
    private readonly mapper: BinMapper,
    /** Bins column-major (feature f at f*rows): a leaf's rows (increasing) read one feature nearly sequentially. */
    private readonly colBins: Uint8Array | Uint16Array,
    private readonly builder: HistogramBuilder,
    private readonly p: TreeParams,
    private readonly monotone: Int8Array,
    private readonly rows: number,
    allocHist: (n: number) => Float64Array,
    allocRows: (n: number) => Uint32Array,
  ) {
    const L = p.numLeaves;
    this.histSize = mapper.totalBins * 2;
    // A histogram per leaf that may still split, plus one in flight.
    this.hists = Array.from({ length: L + 1 }, () => allocHist(this.histSize));
    this.tmp = allocRows(rows);
    this.lStart = new Int32Array(L);
    this.lEnd = new Int32Array(L);
    this.lG = new Float64Array(L);
    this.lH = new Float64Array(L);
    this.lC = new Float64Array(L);
    this.lDepth = new Int32Array(L);
    this.lLo = new Float64Array(L);
    this.lHi = new Float64Array(L);
    this.lHist = new Int32Array(L);
    this.lParent = new Int32Array(L);
    this.lIsLeft = new Uint8Array(L);
    this.bGain = new Float64Array(L);
    this.bFeature = new Int32Array(L);
    this.bBin = new Int32Array(L);
    this.bDefaultLeft = new Uint8Array(L);
    this.bLG = new Float64Array(L);
    this.bLH = new Float64Array(L);
    this.bLC = new Float64Array(L);
    this.bLOut = new Float64Array(L);
    this.bROut = new Float64Array(L);
    this.job = {
      idx: this.tmp,
      start: 0,
      end: 0,
      gh: new Float64Array(0),
      out: this.hists[0]!,
      parent: null,
      searches: 0,
      hists: [null, null],
      stats: new Float64Array(2 * LEAF_STAT_SLOTS),
      featureMask: new Uint8Array(0),
    };
  }

  /** Raw (unshrunk) leaf output for sums g, h within bounds [lo, hi]. */
  private output(g: number, h: number, lo: number, hi: number): number {
    const d = h + this.p.lambdaL2;
    let o = d > 0 ? -thresholdL1(g, this.p.lambdaL1) / d : 0;
    if (o < lo) o = lo;
    else if (o > hi) o = hi;
    return o;
  }

  /** LightGBM's GetLeafGainGivenOutput: -(2 * T(g) * o + (h + l2) * o^2). */
  private gainGiven(g: number, h: number, o: number): number {
    return -(2 * thresholdL1(g, this.p.lambdaL1) * o + (h + this.p.lambdaL2) * o * o);
  }

  /**
   * Grows a tree over rows idx[0..n) with gradients gh. `featureMask[f]` = 1 for features usable
   * in this tree. idx is permuted (leaf slices) and stays valid for the returned leafStart/End.
   */
  grow(idx: Uint32Array, n: number, gh: Float64Array, featureMask: Uint8Array): GrownTree {
    const L = this.p.numLeaves;
    const t: GrownTree = {
      numNodes: 0,
      splitFeature: new Int32Array(L - 1),
      thresholdBin: new Int32Array(L - 1),
      defaultLeft: new Uint8Array(L - 1),
      left: new Int32Array(L - 1),
      right: new Int32Array(L - 1),
      gain: new Float64Array(L - 1),
      numLeaves: 1,
      leafValue: new Float64Array(L),
      leafStart: this.lStart,
      leafEnd: this.lEnd,
    };
    this.freeHists.length = 0;
    for (let i = this.hists.length - 1; i >= 0; i--) this.freeHists.push(i);
    this.job.idx = idx;
    this.job.gh = gh;
    this.job.featureMask = featureMask;

    let G = 0;
    let H = 0;
    for (let i = 0; i < n; i++) {
      const r = idx[i]!;
      G += gh[2 * r]!;
      H += gh[2 * r + 1]!;
    }
    this.lStart[0] = 0;
    this.lEnd[0] = n;
    this.lG[0] = G;
    this.lH[0] = H;
    this.lC[0] = n;
    this.lDepth[0] = 0;
    this.lLo[0] = -Infinity;
    this.lHi[0] = Infinity;
    this.lParent[0] = -1;
    this.lIsLeft[0] = 0;
    this.bGain[0] = -Infinity;
    if (this.canSplit(0)) {
      const hi = this.freeHists.pop()!;
      this.lHist[0] = hi;
      const job = this.job;
      job.start = 0;
      job.end = n;
      job.out = this.hists[hi]!;
      job.parent = null;
      job.searches = 0;
      this.addSearch(0);
      this.builder.step(job, this.res);
      this.takeBestSplit(0, 0);
    } else this.lHist[0] = -1;

    while (t.numLeaves < L) {
      let best = -1;
      let bestGain = 0;
      for (let l = 0; l < t.numLeaves; l++) {
        if (this.bGain[l]! > bestGain) {
          bestGain = this.bGain[l]!;
          best = l;
        }
      }
      if (best < 0) break;
      this.split(t, best, idx);
    }

    for (let l = 0; l < t.numLeaves; l++) {
      t.leafValue[l] = Math.fround(this.output(this.lG[l]!, this.lH[l]!, this.lLo[l]!, this.lHi[l]!) * this.p.learningRate);
    }
    return t;
  }

  private canSplit(l: number): boolean {
    return this.lC[l]! >= 2 * this.p.minDataInLeaf && this.lH[l]! >= 2 * this.p.minSumHessianInLeaf && this.lDepth[l]! < this.p.maxDepth;
  }

  private split(t: GrownTree, l: number, idx: Uint32Array): void {
    const node = t.numNodes++;
    const r = t.numLeaves++;
    const f = this.bFeature[l]!;
    const thr = this.bBin[l]!;
    const dl = this.bDefaultLeft[l]!;
    t.splitFeature[node] = f;
    t.thresholdBin[node] = thr;
    t.defaultLeft[node] = dl;
    t.gain[node] = this.bGain[l]!;
    t.left[node] = ~l;
    t.right[node] = ~r;
    const parent = this.lParent[l]!;
    if (parent >= 0) {
      if (this.lIsLeft[l]) t.left[parent] = node;
      else t.right[parent] = node;
    }

    // Stable partition: left rows then right rows, in the leaf's slice.
    const start = this.lStart[l]!;
    const end = this.lEnd[l]!;
    const w = this.builder.partition(idx, start, end, this.tmp, this.colBins, f * this.rows, thr, this.mapper.numBins[f]! - 1, dl);

    const G = this.lG[l]!;
    const H = this.lH[l]!;
    const lo = this.lLo[l]!;
    const hi = this.lHi[l]!;
    const depth = this.lDepth[l]! + 1;
    const parentHist = this.lHist[l]!;

    this.lStart[r] = w;
    this.lEnd[r] = end;
    this.lEnd[l] = w;
    this.lG[r] = G - this.bLG[l]!;
    this.lH[r] = H - this.bLH[l]!;
    this.lC[r] = end - w;
    this.lG[l] = this.bLG[l]!;
    this.lH[l] = this.bLH[l]!;
    this.lC[l] = w - start;
    this.lDepth[l] = depth;
    this.lDepth[r] = depth;
    this.lParent[l] = node;
    this.lParent[r] = node;
    this.lIsLeft[l] = 1;
    this.lIsLeft[r] = 0;
    let lLo = lo;
    let lHi = hi;
    let rLo = lo;
    let rHi = hi;
    const m = this.monotone[f]!;
    if (m !== 0) {
      const mid = (this.bLOut[l]! + this.bROut[l]!) / 2;
      if (m > 0) {
        lHi = Math.min(hi, mid);
        rLo = Math.max(lo, mid);
      } else {
        lLo = Math.max(lo, mid);
        rHi = Math.min(hi, mid);
      }
    }
    this.lLo[l] = lLo;
    this.lHi[l] = lHi;
    this.lLo[r] = rLo;
    this.lHi[r] = rHi;
    this.bGain[l] = -Infinity;
    this.bGain[r] = -Infinity;

    const splitL = this.canSplit(l);
    const splitR = this.canSplit(r);
    if (!splitL && !splitR) {
      this.lHist[l] = -1;
      this.lHist[r] = -1;
      this.freeHists.push(parentHist);
      return;
    }
    // Build the smaller child; the larger is parent - smaller (in the parent's buffer).
    const leftSmaller = this.lC[l]! <= this.lC[r]!;
    const small = leftSmaller ? l : r;
    const large = leftSmaller ? r : l;
    const smallHist = this.freeHists.pop()!;
    const job = this.job;
    job.start = this.lStart[small]!;
    job.end = this.lEnd[small]!;
    job.out = this.hists[smallHist]!;
    const splitLarge = large === l ? splitL : splitR;
    const splitSmall = small === l ? splitL : splitR;
    if (splitLarge) {
      job.parent = this.hists[parentHist]!;
      this.lHist[large] = parentHist;
    } else {
      job.parent = null;
      this.lHist[large] = -1;
    }
    this.lHist[small] = splitSmall ? smallHist : -1;
    job.searches = 0;
    if (splitL) this.addSearch(l);
    if (splitR) this.addSearch(r);
    this.builder.step(job, this.res);
    if (!splitLarge) this.freeHists.push(parentHist);
    if (!splitSmall) this.freeHists.push(smallHist);
    let j = 0;
    if (splitL) this.takeBestSplit(l, j++);
    if (splitR) this.takeBestSplit(r, j);
  }

  /** Queues leaf l's split search in the step (its histogram and stats). */
  private addSearch(l: number): void {
    const job = this.job;
    const j = job.searches++;
    job.hists[j] = this.hists[this.lHist[l]!]!;
    const o = j * LEAF_STAT_SLOTS;
    job.stats[o] = this.lG[l]!;
    job.stats[o + 1] = this.lH[l]!;
    job.stats[o + 2] = this.lC[l]!;
    job.stats[o + 3] = this.lLo[l]!;
    job.stats[o + 4] = this.lHi[l]!;
  }

  /** Leaf l's best split from the step's result j, kept if it beats not splitting by minGainToSplit. */
  private takeBestSplit(l: number, j: number): void {
    const res = this.res;
    const o = j * SPLIT_RESULT_SLOTS;
    const bestGain = res[o]!;
    const bestF = res[o + 1]!;
    const G = this.lG[l]!;
    const H = this.lH[l]!;
    const lo = this.lLo[l]!;
    const hi = this.lHi[l]!;
    const minGainShift = this.gainGiven(G, H, this.output(G, H, lo, hi)) + this.p.minGainToSplit;
    if (bestF < 0 || !(bestGain > minGainShift)) {
      this.bGain[l] = -Infinity;
      return;
    }
    const bestLG = res[o + 4]!;
    const bestLH = res[o + 5]!;
    this.bGain[l] = bestGain - minGainShift;
    this.bFeature[l] = bestF;
    this.bBin[l] = res[o + 2]!;
    this.bDefaultLeft[l] = res[o + 3]!;
    this.bLG[l] = bestLG;
    this.bLH[l] = bestLH;
    this.bLC[l] = res[o + 6]!;
    this.bLOut[l] = this.output(bestLG, bestLH, lo, hi);
    this.bROut[l] = this.output(G - bestLG, H - bestLH, lo, hi);
  }
}
