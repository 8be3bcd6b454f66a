/**
 * The as-of view: what was known at an instant. Every lookup the feature functions make goes through
 * these helpers over arrays sorted by the time each row became known, so a feature cannot see a row
 * stamped after its snapshot; the leakage check (leakage.ts) then proves it on every built dataset.
 */

/** Number of leading entries of ascending `times` that are <= t (so `count - 1` is the latest known). */
export function knownCount(times: ArrayLike<number>, t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the latest entry known at t, or -1 when none is. */
export const latestKnown = (times: ArrayLike<number>, t: number): number => knownCount(times, t) - 1;

/** Rows of one stream sorted by when they became known, with the sorted times beside them. */
export class AsOfRows<T> {
  readonly rows: readonly T[];
  readonly times: Float64Array;

  constructor(rows: readonly T[], knownAt: (row: T) => number) {
    const sorted = [...rows].sort((a, b) => knownAt(a) - knownAt(b));
    this.rows = sorted;
    this.times = Float64Array.from(sorted, knownAt);
  }

  /** The latest row known at t. */
  latest(t: number): T | undefined {
    const i = latestKnown(this.times, t);
    return i < 0 ? undefined : this.rows[i];
  }

  /** Every row known at t, oldest first. */
  known(t: number): readonly T[] {
    return this.rows.slice(0, knownCount(this.times, t));
  }
}

/** Groups rows by a key into AsOfRows, one stream per key. */
export function asOfBy<T>(rows: readonly T[], key: (row: T) => string, knownAt: (row: T) => number): Map<string, AsOfRows<T>> {
  const groups = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  return new Map([...groups].map(([k, g]) => [k, new AsOfRows(g, knownAt)]));
}
