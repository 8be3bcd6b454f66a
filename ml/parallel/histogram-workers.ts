/**
 * Histograms over worker threads for the GBDT trainer (domain/ml/gbdt's HistogramBackend hook):
 * the features are split into one range per thread; the calling thread builds the first range and
 * each worker one other, all reading the same bins, gradients and row indices from
 * SharedArrayBuffers and writing disjoint parts of the same histogram.
 *
 * Jobs are handed over with Atomics on a small control block (no message per histogram: a
 * postMessage round trip costs more than the histogram of a small leaf). Leaves below
 * `minRowsParallel` rows are built on the calling thread alone.
 *
 * The worker runs the kernel's own source (`buildHistogramRange.toString()`, an eval worker), so
 * the threads execute exactly the single-thread code and need no TypeScript loader.
 */
import { Worker } from 'node:worker_threads';
import { buildHistogramRange, type HistogramBackend, type HistogramBuilder, type HistogramInput } from '../../domain/ml/gbdt/histogram';

// Control block per worker (Int32 slots).
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
const SLOTS = 11;

const workerSource = (kernel: string) => `
const { parentPort, workerData } = require('node:worker_threads');
const buildHistogramRange = ${kernel};
const { ctrl: ctrlBuf, buffers, input } = workerData;
const ctrl = new Int32Array(ctrlBuf);
const f64 = buffers.map((b) => new Float64Array(b, 0, Math.floor(b.byteLength / 8)));
const u32 = buffers.map((b) => new Uint32Array(b, 0, Math.floor(b.byteLength / 4)));
const bins = input.binsKind === 'u8' ? new Uint8Array(input.bins) : new Uint16Array(input.bins);
const inp = { bins, features: input.features, offset: new Int32Array(input.offset), totalBins: input.totalBins, stride256: input.stride256 };
Atomics.store(ctrl, ${READY}, 1);
Atomics.notify(ctrl, ${READY});
let seen = 0;
for (;;) {
  Atomics.wait(ctrl, ${SEQ}, seen);
  seen = Atomics.load(ctrl, ${SEQ});
  if (seen < 0) break;
  try {
    buildHistogramRange(inp, u32[ctrl[${IDX}]], ctrl[${START}], ctrl[${END}], f64[ctrl[${GH}]], f64[ctrl[${OUT}]], ctrl[${F0}], ctrl[${F1}]);
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
}

export function workerHistogramBackend(opts: WorkerHistogramOptions): HistogramBackend {
  if (!Number.isInteger(opts.threads) || opts.threads < 2) throw new RangeError(`threads: must be an integer >= 2, got ${opts.threads}`);
  const minRows = opts.minRowsParallel ?? 4096;
  const shared: SharedArrayBuffer[] = [];
  const workers: Worker[] = [];
  let lastError: string | undefined;
  return {
    alloc(bytes) {
      const b = new SharedArrayBuffer(bytes);
      shared.push(b);
      return b;
    },
    create(input: HistogramInput): HistogramBuilder {
      const F = input.features;
      const nt = Math.min(opts.threads, F);
      // Feature ranges with about equal bin counts (the work per row is per feature, but wider
      // features cost more in the split search that follows; equal features is close enough).
      // Range starts on multiples of 4: the kernel then reads four uint8 bins per 32-bit load.
      const bounds = Array.from({ length: nt + 1 }, (_, i) => (i === nt ? F : Math.min(F, 4 * Math.round((i * F) / nt / 4))));
      const ctrls: Int32Array[] = [];
      let started = false;
      // Buffers are registered at the first build: the trainer allocates its histogram pool after create().
      const ids = new Map<ArrayBufferLike, number>();
      const start = () => {
        shared.forEach((buf, i) => ids.set(buf, i));
        const buffers = [...shared];
        for (let w = 1; w < nt; w++) {
          const ctrl = new Int32Array(new SharedArrayBuffer(SLOTS * 4));
          ctrls.push(ctrl);
          const worker = new Worker(workerSource(buildHistogramRange.toString()), {
            eval: true,
            workerData: {
              ctrl: ctrl.buffer,
              buffers,
              input: { bins: input.bins.buffer, binsKind: input.bins instanceof Uint8Array ? 'u8' : 'u16', features: F, offset: Int32Array.from(input.offset).buffer, totalBins: input.totalBins, stride256: input.stride256 },
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
      const idOf = (a: Uint32Array | Float64Array): number => {
        const id = ids.get(a.buffer);
        if (id === undefined || a.byteOffset !== 0) throw new Error('histogram workers: array not allocated through the backend');
        return id;
      };
      let seq = 0;
      return {
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
          for (const c of ctrls) {
            while (Atomics.load(c, DONE) !== seq) Atomics.wait(c, DONE, seq - 1, 1000);
            if (Atomics.load(c, FAILED) === 1) throw new Error(`histogram worker failed${lastError ? `: ${lastError}` : ''}`);
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
