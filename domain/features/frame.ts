/**
 * A feature frame: one Float64Array of values per feature (NaN = absent at that time, never a made-up
 * value) and, beside each, the instant the value became known (its as-of time, epoch ms; NaN when the
 * value is absent). The as-of columns are what the leakage check reads.
 */
export class FeatureFrame {
  readonly rows: number;
  readonly names: readonly string[];
  readonly values: ReadonlyMap<string, Float64Array>;
  readonly asOf: ReadonlyMap<string, Float64Array>;

  constructor(names: readonly string[], rows: number) {
    if (new Set(names).size !== names.length) throw new RangeError('FeatureFrame: duplicate feature names');
    this.rows = rows;
    this.names = names;
    this.values = new Map(names.map((n) => [n, new Float64Array(rows).fill(NaN)]));
    this.asOf = new Map(names.map((n) => [n, new Float64Array(rows).fill(NaN)]));
  }

  /** Writes a value and when it was known; a non-finite value stays absent (NaN, no as-of). */
  set(name: string, row: number, value: number, knownAt: number): void {
    const v = this.values.get(name);
    if (!v) throw new RangeError(`FeatureFrame: unknown feature ${JSON.stringify(name)}`);
    if (!Number.isFinite(value)) return;
    v[row] = value;
    this.asOf.get(name)![row] = knownAt;
  }

  column(name: string): Float64Array {
    const v = this.values.get(name);
    if (!v) throw new RangeError(`FeatureFrame: unknown feature ${JSON.stringify(name)}`);
    return v;
  }
}
