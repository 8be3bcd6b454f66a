/**
 * Worker threads for the GBDT trainer (domain/ml/gbdt's HistogramBackend hook). The features are
 * split into one range per thread; for every grower step (split-search.ts: the smaller child's
 * histogram, the larger one's by subtraction, the split search of both) the calling thread runs
 * the first range and each worker one other, all reading the same bins, gradients, row indices and
 * histograms from SharedArrayBuffers and writing disjoint parts. The calling thread then merges the
 * best splits in feature order, so the model is bit-identical to the single-thread one. The row
 * partition of large leaves is split too, by row chunks (partition.ts).
 *
 * Jobs are handed over with Atomics on a small control block (no message per job: a postMessage
 * round trip costs more than the histogram of a small leaf), with a short poll before sleeping.
 * Steps of small leaves whose split search is small too, and partitions of small leaves, run on the
 * calling thread alone.
 *
 * The workers run the kernels' own source (Function.prototype.toString, an eval worker), so the
 * threads execute exactly the single-thread code and need no TypeScript loader.
 */
import { Worker } from 'node:worker_threads';
import { buildHistogramRange, type HistogramBackend, type HistogramBuilder, type HistogramInput } from '../../domain/ml/gbdt/histogram';
import { mergePartitionChunks, partitionRange } from '../../domain/ml/gbdt/partition';
import { LEAF_STAT_SLOTS, runStepRange, searchSplitRange, SPLIT_RESULT_SLOTS, type SplitSearchInput } from '../../domain/ml/gbdt/split-search';

// Control block per worker (Int32 slots). Buffer ids index the backend's shared buffers; -1 for none.
const SEQ = 0;
const DONE = 1;
const IDX = 2;
const START = 3;
const END = 4;
const GH = 5;
const OUT = 6;
const F0 = 7;
const F1 = 8;
const READY = 9;
const FAILED = 10;
const KIND = 11; // KIND_BUILD, KIND_STEP or KIND_PARTITION
const PARENT = 12;
const SEARCHES = 13;
const HIST0 = 14;
const HIST1 = 15;
const MASK = 16;
// Partition jobs: the column block, its base, threshold, NaN bin, default left; the left count back.
const TMP = 17;
const COL = 18;
const COL_BASE = 19;
const THR = 20;
const NAN_BIN = 21;
const DEFAULT_LEFT = 22;
const LEFT = 23;
const SLOTS = 24;
const KIND_BUILD = 0;
const KIND_STEP = 1;
const KIND_PARTITION = 2;
// Float block per worker: the searched leaves' stats, then the worker's best splits.
const STATS_AT = 0;
const RES_AT = 2 * LEAF_STAT_SLOTS;
const FLOATS = RES_AT + 2 * SPLIT_RESULT_SLOTS;

const workerSource = (kernels: { build: string; search: string; step: string; partition: string }, spinPolls: number) => `
const { parentPort, workerData } = require('node:worker_threads');
const buildHistogramRange = ${kernels.build};
const searchSplitRange = ${kernels.search};
const runStepRange = ${kernels.step};
const partitionRange = ${kernels.partition};
const goLeft = new Uint8Array(65536);
const { ctrl: ctrlBuf, floats: floatBuf, buffers, input, search } = workerData;
const ctrl = new Int32Array(ctrlBuf);
const floats = new Float64Array(floatBuf);
const f64 = buffers.map((b) => new Float64Array(b, 0, Math.floor(b.byteLength / 8)));
const u32 = buffers.map((b) => new Uint32Array(b, 0, Math.floor(b.byteLength / 4)));
const u8 = buffers.map((b) => new Uint8Array(b));
const u16 = buffers.map((b) => new Uint16Array(b, 0, Math.floor(b.byteLength / 2)));
const bins = input.binsKind === 'u8' ? new Uint8Array(input.bins) : new Uint16Array(input.bins);
const inp = { bins, features: input.features, offset: new Int32Array(input.offset), totalBins: input.totalBins, stride256: input.stride256, numBins: new Int32Array(input.numBins) };
const sinp = { ...search, numBins: new Int32Array(search.numBins), offset: new Int32Array(search.offset), monotone: new Int8Array(search.monotone) };
const job = { idx: u32[0], start: 0, end: 0, gh: f64[0], out: f64[0], parent: null, searches: 0, hists: [null, null], stats: floats.subarray(${STATS_AT}, ${RES_AT}), featureMask: u8[0] };
Atomics.store(ctrl, ${READY}, 1);
Atomics.notify(ctrl, ${READY});
let seen = 0;
for (;;) {
  // Spin a little before sleeping: the next job usually comes within the grower's partition
  // (well under a millisecond), and a futex wake-up costs tens of microseconds per job.
  for (let i = 0; i < ${spinPolls} && Atomics.load(ctrl, ${SEQ}) === seen; i++);
  // Wait until the sequence number really moves: a wake-up alone is no new job. The calling thread
  // stores the number, then notifies; if it is descheduled in between, this thread can see the
  // number, run the job, come back here, and only then receive that notify. Running the job twice
  // would subtract a parent histogram twice or partition a slice already partitioned (a wrong
  // model, seen once on a loaded machine before this loop).
  while (Atomics.load(ctrl, ${SEQ}) === seen) Atomics.wait(ctrl, ${SEQ}, seen);
  seen = Atomics.load(ctrl, ${SEQ});
  if (seen < 0) break;
  try {
    if (ctrl[${KIND}] === ${KIND_PARTITION}) {
      const col = input.binsKind === 'u8' ? u8[ctrl[${COL}]] : u16[ctrl[${COL}]];
      ctrl[${LEFT}] = partitionRange(col, ctrl[${COL_BASE}], u32[ctrl[${IDX}]], ctrl[${START}], ctrl[${END}], u32[ctrl[${TMP}]], goLeft, ctrl[${THR}], ctrl[${NAN_BIN}], ctrl[${DEFAULT_LEFT}]);
    } else if (ctrl[${KIND}] === ${KIND_BUILD}) {
      buildHistogramRange(inp, u32[ctrl[${IDX}]], ctrl[${START}], ctrl[${END}], f64[ctrl[${GH}]], f64[ctrl[${OUT}]], ctrl[${F0}], ctrl[${F1}]);
    } else {
      job.idx = u32[ctrl[${IDX}]];
      job.start = ctrl[${START}];
      job.end = ctrl[${END}];
      job.gh = f64[ctrl[${GH}]];
      job.out = f64[ctrl[${OUT}]];
      job.parent = ctrl[${PARENT}] < 0 ? null : f64[ctrl[${PARENT}]];
      job.searches = ctrl[${SEARCHES}];
      job.hists[0] = ctrl[${HIST0}] < 0 ? null : f64[ctrl[${HIST0}]];
      job.hists[1] = ctrl[${HIST1}] < 0 ? null : f64[ctrl[${HIST1}]];
      job.featureMask = u8[ctrl[${MASK}]];
      runStepRange(buildHistogramRange, inp, sinp, job, ctrl[${F0}], ctrl[${F1}], floats, ${RES_AT});
    }
  } catch (e) {
    Atomics.store(ctrl, ${FAILED}, 1);
    parentPort.postMessage(String((e && e.stack) || e));
  }
  Atomics.store(ctrl, ${DONE}, seen);
  Atomics.notify(ctrl, ${DONE});
}
`;

export interface WorkerHistogramOptions {
  /** Threads in all, the calling thread included (>= 2). */
  threads: number;
  /** Leaves with fewer rows are built on the calling thread only. */
  minRowsParallel?: number;
  /**
   * A grower step whose histogram is below minRowsParallel still goes to the workers when its split
   * search covers at least this many bins (searched leaves x value bins of all features): the
   * search costs the same at any leaf size, and on 100k x 40 most steps are small leaves.
   */
  minSearchBinsParallel?: number;
  /** Splits of leaves with fewer rows are partitioned on the calling thread only. */
  minRowsPartitionParallel?: number;
  /**
   * Atomics.load polls a thread makes before it sleeps on the next job (workers) or on the
   * workers' end (calling thread): a futex round trip cost about 130 us on the 2-core VM, 10 us
   * with polling. A poll took about 9 ns there, so the default 2000 waits about 17 us: it catches
   * the short gaps (a small leaf's partition) and wastes little when other processes want the
   * cores. Longer polls helped about 6% on a quiet machine (20000-30000) but made a 2-thread run
   * at load 8 several times slower, as OMP_WAIT_POLICY=ACTIVE does to LightGBM.
   */
  spinPolls?: number;
}

export function workerHistogramBackend(opts: WorkerHistogramOptions): HistogramBackend {
  if (!Number.isInteger(opts.threads) || opts.threads < 2) throw new RangeError(`threads: must be an integer >= 2, got ${opts.threads}`);
  const minRows = opts.minRowsParallel ?? 4096;
  const minRowsPartition = opts.minRowsPartitionParallel ?? 16384;
  const minSearchBins = opts.minSearchBinsParallel ?? 8192;
  const spinPolls = opts.spinPolls ?? 2000;
  // Written into the worker's source: a plain integer only.
  if (!Number.isInteger(spinPolls) || spinPolls < 0) throw new RangeError(`spinPolls: must be an integer >= 0, got ${spinPolls}`);
  const shared: SharedArrayBuffer[] = [];
  const workers: Worker[] = [];
  let lastError: string | undefined;
  return {
    alloc(bytes) {
      const b = new SharedArrayBuffer(bytes);
      shared.push(b);
      return b;
    },
    create(input: HistogramInput, search: SplitSearchInput): HistogramBuilder {
      const F = input.features;
      const nt = Math.min(opts.threads, F);
      // Feature ranges with about equal bin counts (the work per row is per feature, but wider
      // features cost more in the split search that follows; equal features is close enough).
      // Range starts on multiples of 4: the kernel then reads four uint8 bins per 32-bit load.
      const bounds = Array.from({ length: nt + 1 }, (_, i) => (i === nt ? F : Math.min(F, 4 * Math.round((i * F) / nt / 4))));
      let valueBins = 0;
      for (let f = 0; f < F; f++) valueBins += search.numBins[f]! - 1;
      const ctrls: Int32Array[] = [];
      const floats: Float64Array[] = [];
      let started = false;
      // Buffers are registered at the first build: the trainer allocates its histogram pool after create().
      const ids = new Map<ArrayBufferLike, number>();
      const start = () => {
        shared.forEach((buf, i) => ids.set(buf, i));
        const buffers = [...shared];
        for (let w = 1; w < nt; w++) {
          const ctrl = new Int32Array(new SharedArrayBuffer(SLOTS * 4));
          ctrls.push(ctrl);
          const fl = new Float64Array(new SharedArrayBuffer(FLOATS * 8));
          floats.push(fl);
          const worker = new Worker(workerSource({ build: buildHistogramRange.toString(), search: searchSplitRange.toString(), step: runStepRange.toString(), partition: partitionRange.toString() }, spinPolls), {
            eval: true,
            workerData: {
              ctrl: ctrl.buffer,
              floats: fl.buffer,
              buffers,
              search: {
                minDataInLeaf: search.minDataInLeaf,
                minSumHessianInLeaf: search.minSumHessianInLeaf,
                lambdaL1: search.lambdaL1,
                lambdaL2: search.lambdaL2,
                features: search.features,
                numBins: Int32Array.from(search.numBins).buffer,
                offset: Int32Array.from(search.offset).buffer,
                monotone: Int8Array.from(search.monotone).buffer,
              },
              input: { bins: input.bins.buffer, binsKind: input.bins instanceof Uint8Array ? 'u8' : 'u16', features: F, offset: Int32Array.from(input.offset).buffer, totalBins: input.totalBins, stride256: input.stride256, numBins: Int32Array.from(input.numBins).buffer },
            },
          });
          // Seen only once the calling thread is free again; the FAILED flag stops the build at once.
          worker.on('message', (m) => {
            lastError = String(m);
          });
          worker.on('error', (e) => {
            lastError = String(e);
          });
          worker.unref();
          workers.push(worker);
        }
        for (const ctrl of ctrls) {
          while (Atomics.load(ctrl, READY) !== 1) Atomics.wait(ctrl, READY, 0, 50);
        }
        started = true;
      };
      const idOf = (a: Uint32Array | Float64Array | Uint16Array | Uint8Array): number => {
        const id = ids.get(a.buffer);
        if (id === undefined || a.byteOffset !== 0) throw new Error('histogram workers: array not allocated through the backend');
        return id;
      };
      let seq = 0;
      const waitAll = () => {
        for (const c of ctrls) {
          for (let i = 0; i < spinPolls && Atomics.load(c, DONE) !== seq; i++);
          while (Atomics.load(c, DONE) !== seq) Atomics.wait(c, DONE, seq - 1, 1000);
          if (Atomics.load(c, FAILED) === 1) throw new Error(`histogram worker failed${lastError ? `: ${lastError}` : ''}`);
        }
      };
      const goLeft = new Uint8Array(65536);
      const chunkBounds = new Int32Array(nt + 1);
      const chunkLefts = new Int32Array(nt);
      return {
        partition(idx, s, e, tmp, colBins, base, thr, nanBin, defaultLeft) {
          if (e - s < minRowsPartition) {
            chunkBounds[0] = s;
            chunkBounds[1] = e;
            chunkLefts[0] = partitionRange(colBins, base, idx, s, e, tmp, goLeft, thr, nanBin, defaultLeft);
            return mergePartitionChunks(idx, tmp, chunkBounds, chunkLefts, 1);
          }
          if (!started) start();
          seq++;
          // Equal row chunks, the calling thread's first.
          for (let c = 0; c <= nt; c++) chunkBounds[c] = s + Math.floor(((e - s) * c) / nt);
          const idxId = idOf(idx);
          const tmpId = idOf(tmp);
          const colId = idOf(colBins);
          for (let w = 0; w < ctrls.length; w++) {
            const c = ctrls[w]!;
            c[KIND] = KIND_PARTITION;
            c[IDX] = idxId;
            c[START] = chunkBounds[w + 1]!;
            c[END] = chunkBounds[w + 2]!;
            c[TMP] = tmpId;
            c[COL] = colId;
            c[COL_BASE] = base;
            c[THR] = thr;
            c[NAN_BIN] = nanBin;
            c[DEFAULT_LEFT] = defaultLeft;
            Atomics.store(c, SEQ, seq);
            Atomics.notify(c, SEQ);
          }
          chunkLefts[0] = partitionRange(colBins, base, idx, chunkBounds[0]!, chunkBounds[1]!, tmp, goLeft, thr, nanBin, defaultLeft);
          waitAll();
          for (let w = 0; w < ctrls.length; w++) chunkLefts[w + 1] = ctrls[w]![LEFT]!;
          return mergePartitionChunks(idx, tmp, chunkBounds, chunkLefts, nt);
        },
        build(idx, s, e, gh, out) {
          if (e - s < minRows) {
            buildHistogramRange(input, idx, s, e, gh, out, 0, F);
            return;
          }
          if (!started) start();
          seq++;
          const idxId = idOf(idx);
          const ghId = idOf(gh);
          const outId = idOf(out);
          for (let w = 0; w < ctrls.length; w++) {
            const c = ctrls[w]!;
            c[KIND] = KIND_BUILD;
            c[IDX] = idxId;
            c[START] = s;
            c[END] = e;
            c[GH] = ghId;
            c[OUT] = outId;
            c[F0] = bounds[w + 1]!;
            c[F1] = bounds[w + 2]!;
            Atomics.store(c, SEQ, seq);
            Atomics.notify(c, SEQ);
          }
          buildHistogramRange(input, idx, s, e, gh, out, bounds[0]!, bounds[1]!);
          waitAll();
        },
        step(job, res) {
          if (job.end - job.start < minRows && job.searches * valueBins < minSearchBins) {
            runStepRange(buildHistogramRange, input, search, job, 0, F, res, 0);
            return;
          }
          if (!started) start();
          seq++;
          const idxId = idOf(job.idx);
          const ghId = idOf(job.gh);
          const outId = idOf(job.out);
          const parentId = job.parent === null ? -1 : idOf(job.parent);
          const h0 = job.searches > 0 ? idOf(job.hists[0]!) : -1;
          const h1 = job.searches > 1 ? idOf(job.hists[1]!) : -1;
          const maskId = idOf(job.featureMask);
          const nStats = job.searches * LEAF_STAT_SLOTS;
          for (let w = 0; w < ctrls.length; w++) {
            const c = ctrls[w]!;
            const fl = floats[w]!;
            for (let i = 0; i < nStats; i++) fl[STATS_AT + i] = job.stats[i]!;
            c[KIND] = KIND_STEP;
            c[IDX] = idxId;
            c[START] = job.start;
            c[END] = job.end;
            c[GH] = ghId;
            c[OUT] = outId;
            c[PARENT] = parentId;
            c[SEARCHES] = job.searches;
            c[HIST0] = h0;
            c[HIST1] = h1;
            c[MASK] = maskId;
            c[F0] = bounds[w + 1]!;
            c[F1] = bounds[w + 2]!;
            Atomics.store(c, SEQ, seq);
            Atomics.notify(c, SEQ);
          }
          runStepRange(buildHistogramRange, input, search, job, bounds[0]!, bounds[1]!, res, 0);
          waitAll();
          // Merge in feature order with a strict "better": ties keep the lower feature, as one scan would.
          for (let j = 0; j < job.searches; j++) {
            const o = j * SPLIT_RESULT_SLOTS;
            for (const fl of floats) {
              const wo = RES_AT + o;
              if (fl[wo]! > res[o]!) for (let i = 0; i < SPLIT_RESULT_SLOTS; i++) res[o + i] = fl[wo + i]!;
            }
          }
        },
      };
    },
    close() {
      for (const w of workers) void w.terminate();
      workers.length = 0;
      // The backend can serve another training run: it allocates and registers afresh.
      shared.length = 0;
    },
  };
}
