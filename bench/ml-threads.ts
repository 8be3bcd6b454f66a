/**
 * The histogram backend the GBDT benches train with for N threads: ml/parallel/'s worker threads
 * when that module is present, otherwise the trainer's single-threaded builder (and the figures say
 * "1 thr", so a missing parallel backend is never reported as a 2-thread time).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { HistogramBackend } from '../domain/ml/gbdt/histogram';
import { PROJECT_ROOT } from '../runtime/temporal-cli';

export interface BenchBackend {
  backend: HistogramBackend | undefined;
  threads: number;
  close(): Promise<void>;
}

export async function histogramBackend(threads: number): Promise<BenchBackend> {
  const single: BenchBackend = { backend: undefined, threads: 1, close: async () => {} };
  if (threads <= 1 || !existsSync(join(PROJECT_ROOT, 'ml', 'parallel', 'histogram-workers.ts'))) return single;
  const { workerHistogramBackend } = await import('../ml/parallel/histogram-workers');
  // trainGbdt closes the backend (its worker threads) when training ends, also on error.
  return { backend: workerHistogramBackend({ threads }), threads, close: async () => {} };
}
