/**
 * The market clock: the snapshot instants of one event, from the markets' open to their close every
 * `stepMinutes` (the open itself included, the close excluded: nothing can be traded at it), plus,
 * when asked, every instant a quote of the event was recorded (sparse recorded worlds).
 */
import type { EventInput, QuoteColumns } from './inputs';

const MINUTE = 60_000;

export function snapshotTimes(event: EventInput, stepMinutes: number, quoteTimes: readonly QuoteColumns[] = []): Float64Array {
  if (!(event.closeMs > event.openMs)) throw new RangeError(`event ${event.eventTicker}: close is not after open`);
  const times = new Set<number>();
  for (let t = event.openMs; t < event.closeMs; t += stepMinutes * MINUTE) times.add(t);
  for (const q of quoteTimes) {
    for (const t of q.endMs) if (t >= event.openMs && t < event.closeMs) times.add(t);
  }
  return Float64Array.from(times).sort();
}
