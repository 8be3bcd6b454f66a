/**
 * trainGbdt with `numThreads` honoured: domain/ stays free of threads, so the worker-thread
 * histogram backend is plugged in here (for numThreads > 1) by whoever trains (CLI, activities, bench).
 */
import type { GbdtDataset } from '../../domain/ml/gbdt/dataset';
import { type GbdtParams, type GbdtParamsInput, parseGbdtParams } from '../../domain/ml/gbdt/params';
import { type TrainOptions, type TrainResult, trainGbdt } from '../../domain/ml/gbdt/train';
import { workerHistogramBackend } from './histogram-workers';

export function trainGbdtThreaded(train: GbdtDataset, params: GbdtParamsInput | GbdtParams, opts: Omit<TrainOptions, 'histogram'> = {}): TrainResult {
  const p = parseGbdtParams(params);
  if (p.numThreads <= 1) return trainGbdt(train, p, opts);
  return trainGbdt(train, p, { ...opts, histogram: workerHistogramBackend({ threads: p.numThreads }) });
}
