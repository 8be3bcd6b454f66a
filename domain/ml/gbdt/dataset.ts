/**
 * The trainer's input: a dense row-major feature matrix (NaN = missing), labels and optional
 * weights. Plain typed arrays so datasets read from Parquet go in without copying row objects.
 */
import { DomainError } from '../../errors';

export class InvalidGbdtDatasetError extends DomainError {}

export interface GbdtDataset {
  /** Row-major rows × features; NaN marks a missing value. */
  x: Float64Array | Float32Array;
  rows: number;
  featureNames: string[];
  /** 0/1 for binary; class 0..K-1 for multiclass and ordinal. */
  y: Float64Array | Int32Array;
  weight?: Float64Array;
}

/**
 * Checks shapes and labels (no zod: a million-row label array is checked in a tight loop).
 * `what` names the dataset in the message (e.g. "train", "valid").
 */
export function validateGbdtDataset(d: GbdtDataset, numClasses: number, what = 'dataset'): void {
  const fail = (msg: string): never => {
    throw new InvalidGbdtDatasetError(`${what}.${msg}`);
  };
  if (!Number.isInteger(d.rows) || d.rows < 1) fail(`rows: must be a positive integer, got ${d.rows}`);
  const nf = d.featureNames.length;
  if (nf < 1) fail('featureNames: must name at least one feature, got 0');
  const seen = new Set<string>();
  for (const name of d.featureNames) {
    if (seen.has(name)) fail(`featureNames: duplicate name ${JSON.stringify(name)}`);
    seen.add(name);
  }
  if (!(d.x instanceof Float64Array || d.x instanceof Float32Array)) fail('x: must be a Float64Array or Float32Array');
  if (d.x.length !== d.rows * nf) fail(`x: has ${d.x.length} values, want rows*features = ${d.rows}*${nf}`);
  for (let i = 0; i < d.x.length; i++) {
    const v = d.x[i]!;
    if (v === Infinity || v === -Infinity) fail(`x: row ${Math.floor(i / nf)} feature ${JSON.stringify(d.featureNames[i % nf])} is infinite (use NaN for missing)`);
  }
  if (d.y.length !== d.rows) fail(`y: has ${d.y.length} labels for ${d.rows} rows`);
  for (let r = 0; r < d.rows; r++) {
    const c = d.y[r]!;
    if (!Number.isInteger(c) || c < 0 || c >= numClasses) fail(`y[${r}]: must be a class in 0..${numClasses - 1}, got ${c}`);
  }
  if (d.weight !== undefined) {
    if (d.weight.length !== d.rows) fail(`weight: has ${d.weight.length} values for ${d.rows} rows`);
    for (let r = 0; r < d.rows; r++) {
      const w = d.weight[r]!;
      if (!(w >= 0 && Number.isFinite(w))) fail(`weight[${r}]: must be finite and >= 0, got ${w}`);
    }
  }
}
