/**
 * The leakage guard: every present feature value must have become known at or before its row's
 * snapshot instant. The builder runs it on every dataset it returns, and the cache runs it on every
 * dataset it reads back, so a feature that reaches past the as-of view fails loudly, naming itself.
 */
import type { FeatureFrame } from './frame';

export class LeakageError extends Error {
  override name = 'LeakageError';
}

export interface LeakReport {
  feature: string;
  rows: number;
  /** The first offending row, its snapshot and the value's as-of time. */
  firstRow: number;
  snapshotMs: number;
  asOfMs: number;
}

export function findLeaks(frame: FeatureFrame, snapshotMs: Float64Array): LeakReport[] {
  const leaks: LeakReport[] = [];
  for (const name of frame.names) {
    const values = frame.values.get(name)!;
    const asOf = frame.asOf.get(name)!;
    let count = 0;
    let first = -1;
    for (let r = 0; r < frame.rows; r++) {
      if (Number.isNaN(values[r]!)) continue;
      // A present value without an as-of time is as bad as one from the future: it cannot be checked.
      if (!(asOf[r]! <= snapshotMs[r]!)) {
        count++;
        if (first < 0) first = r;
      }
    }
    if (count > 0) leaks.push({ feature: name, rows: count, firstRow: first, snapshotMs: snapshotMs[first]!, asOfMs: asOf[first]! });
  }
  return leaks;
}

export function assertNoLeak(d: { features: FeatureFrame; snapshotMs: Float64Array }): void {
  const leaks = findLeaks(d.features, d.snapshotMs);
  if (leaks.length === 0) return;
  const l = leaks[0]!;
  const at = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms));
  throw new LeakageError(
    `feature ${l.feature} leaks: row ${l.firstRow} at ${at(l.snapshotMs)} uses a value known at ${at(l.asOfMs)}` +
      ` (${l.rows} rows; ${leaks.length} feature(s): ${leaks.map((x) => x.feature).join(', ')})`,
  );
}
