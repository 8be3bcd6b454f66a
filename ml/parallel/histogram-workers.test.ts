import { describe, expect, it } from 'vitest';
import { binarySet, multiclassSet } from '../../domain/ml/gbdt/synthetic';
import type { GbdtParamsInput } from '../../domain/ml/gbdt/params';
import { trainGbdt } from '../../domain/ml/gbdt/train';
import { workerHistogramBackend } from './histogram-workers';
import { trainGbdtThreaded } from './train';

describe('worker-thread histograms', () => {
  it('train the bit-identical model of the single-thread kernel (binary, NaN, bagging)', () => {
    const d = binarySet(20000, 3, 10);
    for (let i = 0; i < d.x.length; i += 9) d.x[i] = NaN;
    const params = { objective: 'binary', numIterations: 15, numLeaves: 31, baggingFraction: 0.8, baggingFreq: 1, seed: 4 } as const;
    const single = JSON.stringify(trainGbdt(d, params).model);
    // minRowsParallel 1: every histogram (and partition) goes through the workers.
    const threaded = JSON.stringify(trainGbdt(d, params, { histogram: workerHistogramBackend({ threads: 2, minRowsParallel: 1, minRowsPartitionParallel: 1 }) }).model);
    expect(threaded).toBe(single);
  });

  it('search their own features in the workers: same model with L1, monotone bounds and feature subsets', () => {
    const d = binarySet(6000, 8, 12);
    for (let i = 0; i < d.x.length; i += 7) d.x[i] = NaN;
    const params: GbdtParamsInput = {
      objective: 'binary',
      numIterations: 12,
      numLeaves: 15,
      lambdaL1: 0.5,
      lambdaL2: 1,
      featureFraction: 0.6,
      monotoneConstraints: [1, -1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0],
      seed: 3,
    };
    const single = JSON.stringify(trainGbdt(d, params).model);
    // Three threads: the merge of more than one worker's best splits.
    for (const threads of [2, 3]) {
      const backend = workerHistogramBackend({ threads, minRowsParallel: 1, minSearchBinsParallel: 1, minRowsPartitionParallel: 1 });
      expect(JSON.stringify(trainGbdt(d, params, { histogram: backend }).model)).toBe(single);
    }
  });

  it('numThreads selects the backend (multiclass, three threads)', () => {
    const d = multiclassSet(12000, 5, 9);
    const params = { objective: 'multiclass', numClasses: 3, numIterations: 8, numLeaves: 15 } as const;
    const single = JSON.stringify(trainGbdt(d, params).model);
    const threaded = JSON.stringify(trainGbdtThreaded(d, { ...params, numThreads: 3 }).model);
    // params are stored in the model: only numThreads differs.
    expect(threaded.replace('"numThreads":3', '"numThreads":1')).toBe(single);
  });

  it('one backend serves consecutive training runs', () => {
    const d = binarySet(8000, 6, 6);
    const params = { objective: 'binary', numIterations: 5, numLeaves: 7 } as const;
    const backend = workerHistogramBackend({ threads: 2, minRowsParallel: 1, minRowsPartitionParallel: 1 });
    const single = JSON.stringify(trainGbdt(d, params).model);
    expect(JSON.stringify(trainGbdt(d, params, { histogram: backend }).model)).toBe(single);
    expect(JSON.stringify(trainGbdt(d, params, { histogram: backend }).model)).toBe(single);
  });

  it('rejects fewer than two threads', () => {
    expect(() => workerHistogramBackend({ threads: 1 })).toThrow('threads: must be an integer >= 2, got 1');
  });
});
