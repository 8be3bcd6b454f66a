/**
 * Training and validation tables read once per process: K trials running at once on one ML worker
 * share one parse and one copy of the rows (in SharedArrayBuffers, so training threads read them
 * without copying). An entry is keyed by the files' paths, target and ignored columns, and stamped
 * with each file's mtime and size: a rewritten file is read again, the stale copy dropped. Only the
 * few most recently used entries are kept, since a data set can be large.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { labelTables, readTable, type LabelledSet } from './tables';
import type { SharedRows } from './train-worker';

export interface TrainingData {
  features: string[];
  /** Label of each class index (sorted, as labelTables orders them). */
  classes: Array<number | string>;
  train: SharedRows;
  valid: SharedRows;
}

export interface TrainingDataSpec {
  train: string;
  valid: string;
  target: string;
  ignore?: string[];
}

const MAX_ENTRIES = 4;
const cache = new Map<string, { stamp: string; data: Promise<TrainingData> }>();

const stampOf = (file: string) => {
  const s = statSync(file);
  return `${s.mtimeMs}:${s.size}`;
};

/** The labelled rows of `spec`, from the cache when neither file changed since it was read. */
export function loadTrainingData(spec: TrainingDataSpec): Promise<TrainingData> {
  const train = resolve(spec.train);
  const valid = resolve(spec.valid);
  const key = JSON.stringify([train, valid, spec.target, [...(spec.ignore ?? [])].sort()]);
  const stamp = `${stampOf(train)}|${stampOf(valid)}`;
  const hit = cache.get(key);
  cache.delete(key);
  if (hit && hit.stamp === stamp) {
    cache.set(key, hit); // most recently used last
    return hit.data;
  }
  const data = read(spec);
  cache.set(key, { stamp, data });
  // A failed read is not kept: the next trial tries again (the file may have been fixed).
  data.catch(() => {
    if (cache.get(key)?.data === data) cache.delete(key);
  });
  while (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  return data;
}

let reads = 0;
/** How many times this process has read a data set from its files (a cache miss each). */
export const trainingDataReads = () => reads;

async function read(spec: TrainingDataSpec): Promise<TrainingData> {
  reads += 1;
  const [train, valid] = await Promise.all([readTable(spec.train), readTable(spec.valid)]);
  const labelled = labelTables({ train, valid }, { target: spec.target, ...(spec.ignore ? { ignore: spec.ignore } : {}) });
  return { features: labelled.features, classes: labelled.classes, train: shared(labelled.train), valid: shared(labelled.valid!) };
}

function shared(set: LabelledSet): SharedRows {
  // Row-major straight into shared memory (rowMajor's private copy would double the peak).
  const nf = set.columns.length;
  const x = new Float64Array(new SharedArrayBuffer(set.rows * nf * Float64Array.BYTES_PER_ELEMENT));
  set.columns.forEach((col, f) => {
    for (let r = 0; r < set.rows; r++) x[r * nf + f] = col[r]!;
  });
  const y = new Int32Array(new SharedArrayBuffer(set.rows * Int32Array.BYTES_PER_ELEMENT));
  y.set(set.labels);
  return { x, rows: set.rows, y };
}
