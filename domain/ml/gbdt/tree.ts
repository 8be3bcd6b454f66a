/**
 * Grows one regression tree on gradients, leaf-wise (best-first) as LightGBM does: the leaf whose
 * best split gains most is split next, until numLeaves leaves or no split gains anything.
 *
 * Rows of each leaf are a contiguous slice of one row-index array, partitioned in place (stable)
 * at every split. Only the smaller child's histogram is built; the larger one is its parent's minus
 * the smaller one's. Gains and leaf outputs follow LightGBM (feature_histogram.hpp): L1 soft
 * threshold, L2 in the denominator, split only when the gain exceeds the parent's by more than
 * minGainToSplit. Monotone constraints use LightGBM's "basic" method: a split on a constrained
 * feature is rejected unless its child outputs are ordered, and each child's outputs are then
 * bounded by the midpoint of the two, so every leaf right of the split stays above every leaf left
 * of it.
 */
import type { BinMapper } from './binning';
import { type HistogramBuilder, subtractHistogram } from './histogram';

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
  private readonly goLeft: Uint8Array;
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

  constructor(
    private readonly mapper: BinMapper,
    /** Bins column-major (feature f at f*rows): a leaf's rows (increasing) read one feature nearly sequentially. */
    private readonly colBins: Uint8Array | Uint16Array,
    private readonly builder: HistogramBuilder,
    private readonly p: TreeParams,
    private readonly monotone: Int8Array,
    private readonly rows: number,
    allocHist: (n: number) => Float64Array,
  ) {
    const L = p.numLeaves;
    this.histSize = mapper.totalBins * 2;
    // A histogram per leaf that may still split, plus one in flight.
    this.hists = Array.from({ length: L + 1 }, () => allocHist(this.histSize));
    this.tmp = new Uint32Array(rows);
    this.goLeft = new Uint8Array(65536);
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
      this.builder.build(idx, 0, n, gh, this.hists[hi]!);
      this.findBestSplit(0, featureMask);
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
      this.split(t, best, idx, gh, featureMask);
    }

    for (let l = 0; l < t.numLeaves; l++) {
      t.leafValue[l] = Math.fround(this.output(this.lG[l]!, this.lH[l]!, this.lLo[l]!, this.lHi[l]!) * this.p.learningRate);
    }
    return t;
  }

  private canSplit(l: number): boolean {
    return this.lC[l]! >= 2 * this.p.minDataInLeaf && this.lH[l]! >= 2 * this.p.minSumHessianInLeaf && this.lDepth[l]! < this.p.maxDepth;
  }

  private split(t: GrownTree, l: number, idx: Uint32Array, gh: Float64Array, featureMask: Uint8Array): void {
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

    // Stable in-place partition: left rows compacted forwards, right rows via tmp.
    const start = this.lStart[l]!;
    const end = this.lEnd[l]!;
    const nanBin = this.mapper.numBins[f]! - 1;
    const col = this.colBins.subarray(f * this.rows, (f + 1) * this.rows);
    const tmp = this.tmp;
    // Side of every bin in a table and both writes unconditional: the left/right branch is a coin
    // flip the CPU cannot predict (this loop took about 2x longer with it).
    const goLeft = this.goLeft;
    for (let b = 0; b <= nanBin; b++) goLeft[b] = b === nanBin ? dl : b <= thr ? 1 : 0;
    let w = start;
    let nr = 0;
    for (let i = start; i < end; i++) {
      const row = idx[i]!;
      const g = goLeft[col[row]!]!;
      idx[w] = row;
      tmp[nr] = row;
      w += g;
      nr += 1 - g;
    }
    for (let i = 0; i < nr; i++) idx[w + i] = tmp[i]!;

    const G = this.lG[l]!;
    const H = this.lH[l]!;
    const C = this.lC[l]!;
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
    const sh = this.hists[smallHist]!;
    this.builder.build(idx, this.lStart[small]!, this.lEnd[small]!, gh, sh);
    const ph = this.hists[parentHist]!;
    const splitLarge = large === l ? splitL : splitR;
    const splitSmall = small === l ? splitL : splitR;
    if (splitLarge) {
      subtractHistogram(ph, sh, this.histSize);
      this.lHist[large] = parentHist;
    } else {
      this.lHist[large] = -1;
      this.freeHists.push(parentHist);
    }
    if (splitSmall) this.lHist[small] = smallHist;
    else {
      this.lHist[small] = -1;
      this.freeHists.push(smallHist);
    }
    if (splitL) this.findBestSplit(l, featureMask);
    if (splitR) this.findBestSplit(r, featureMask);
  }

  private findBestSplit(l: number, featureMask: Uint8Array): void {
    const hist = this.hists[this.lHist[l]!]!;
    const G = this.lG[l]!;
    const H = this.lH[l]!;
    const C = this.lC[l]!;
    const lo = this.lLo[l]!;
    const hi = this.lHi[l]!;
    const { minDataInLeaf: minData, minSumHessianInLeaf: minHess, minGainToSplit, lambdaL1: l1, lambdaL2: l2 } = this.p;
    const bounded = lo > -Infinity || hi < Infinity;
    // LightGBM's count of a bin, inferred from its hessian (cnt_factor = num_data / sum_hessian,
    // feature_histogram.hpp): exact for constant hessians, and for others it weighs rows by how
    // uncertain they are, which is how minDataInLeaf behaves in LightGBM. Leaf counts themselves
    // come from the partition and are exact.
    const cntFactor = H > 0 ? C / H : 0;
    const parentOut = this.output(G, H, lo, hi);
    const minGainShift = this.gainGiven(G, H, parentOut) + minGainToSplit;
    let bestGain = -Infinity;
    let bestF = -1;
    let bestBin = 0;
    let bestDL = 0;
    let bestLG = 0;
    let bestLH = 0;
    let bestLC = 0;
    const F = this.mapper.features;
    for (let f = 0; f < F; f++) {
      if (featureMask[f] === 0) continue;
      const nb = this.mapper.numBins[f]! - 1; // value bins
      if (nb < 2) continue;
      const off = this.mapper.offset[f]! * 2;
      const nanK = off + nb * 2;
      const gN = hist[nanK]!;
      const hN = hist[nanK + 1]!;
      const cN = Math.floor(hN * cntFactor + 0.5);
      // NaN rows present (the inferred count can round to 0).
      const hasNaN = hN > 0 || gN !== 0;
      const mono = this.monotone[f]!;
      if (!bounded && mono === 0 && l1 === 0) {
        // Fast path (no L1, no bounds): both NaN directions scored in one sweep.
        let gl = 0;
        let hl = 0;
        let cl = 0;
        for (let b = 0; b < nb - 1; b++) {
          const k = off + b * 2;
          const hb = hist[k + 1]!;
          gl += hist[k]!;
          hl += hb;
          cl += Math.floor(hb * cntFactor + 0.5);
          const cr = C - cl;
          const hr = H - hl;
          // Sending NaN left only shrinks the right side further.
          if (cr < minData || hr < minHess) break;
          if (cl >= minData && hl >= minHess) {
            const gr = G - gl;
            const gain = (gl * gl) / (hl + l2) + (gr * gr) / (hr + l2);
            if (gain > bestGain) {
              bestGain = gain;
              bestF = f;
              bestBin = b;
              // Without NaN rows, send missing values with the larger side.
              bestDL = hasNaN ? 0 : cl >= cr ? 1 : 0;
              bestLG = gl;
              bestLH = hl;
              bestLC = cl;
            }
          }
          if (hasNaN) {
            const gl2 = gl + gN;
            const hl2 = hl + hN;
            const cl2 = cl + cN;
            const cr2 = C - cl2;
            const hr2 = H - hl2;
            if (cl2 >= minData && hl2 >= minHess && cr2 >= minData && hr2 >= minHess) {
              const gr2 = G - gl2;
              const gain = (gl2 * gl2) / (hl2 + l2) + (gr2 * gr2) / (hr2 + l2);
              if (gain > bestGain) {
                bestGain = gain;
                bestF = f;
                bestBin = b;
                bestDL = 1;
                bestLG = gl2;
                bestLH = hl2;
                bestLC = cl2;
              }
            }
          }
        }
        continue;
      }
      // Pass 0: NaN right; pass 1: NaN left (only when the leaf has NaN rows for f).
      for (let pass = 0; pass < (hasNaN ? 2 : 1); pass++) {
        let gl = pass === 1 ? gN : 0;
        let hl = pass === 1 ? hN : 0;
        let cl = pass === 1 ? cN : 0;
        for (let b = 0; b < nb - 1; b++) {
          const k = off + b * 2;
          const hb = hist[k + 1]!;
          gl += hist[k]!;
          hl += hb;
          cl += Math.floor(hb * cntFactor + 0.5);
          if (cl < minData || hl < minHess) continue;
          const cr = C - cl;
          const hr = H - hl;
          if (cr < minData || hr < minHess) break;
          const gr = G - gl;
          let gain: number;
          if (!bounded && mono === 0) {
            const tl = thresholdL1(gl, l1);
            const tr = thresholdL1(gr, l1);
            gain = (tl * tl) / (hl + l2) + (tr * tr) / (hr + l2);
          } else {
            const ol = this.output(gl, hl, lo, hi);
            const or = this.output(gr, hr, lo, hi);
            if ((mono > 0 && ol > or) || (mono < 0 && ol < or)) continue;
            gain = this.gainGiven(gl, hl, ol) + this.gainGiven(gr, hr, or);
          }
          if (gain > bestGain) {
            bestGain = gain;
            bestF = f;
            bestBin = b;
            // Without NaN rows, send missing values with the larger side.
            bestDL = pass === 1 ? 1 : hasNaN ? 0 : cl >= cr ? 1 : 0;
            bestLG = gl;
            bestLH = hl;
            bestLC = cl;
          }
        }
      }
    }
    if (bestF < 0 || !(bestGain > minGainShift)) {
      this.bGain[l] = -Infinity;
      return;
    }
    this.bGain[l] = bestGain - minGainShift;
    this.bFeature[l] = bestF;
    this.bBin[l] = bestBin;
    this.bDefaultLeft[l] = bestDL;
    this.bLG[l] = bestLG;
    this.bLH[l] = bestLH;
    this.bLC[l] = bestLC;
    this.bLOut[l] = this.output(bestLG, bestLH, lo, hi);
    this.bROut[l] = this.output(G - bestLG, H - bestLH, lo, hi);
  }
}
