import { DateTime } from 'luxon';
import { datesBetween, median } from './coverage';
import type { IsoDate } from '../iso-date';

/*
 * The climate day is a fixed 24-hour UTC window (local standard time all year), so a feed stored as UTC
 * instants must have as many hours and minutes on the DST-change days as on any other day. A feed that
 * was fetched or bucketed by the civil (wall-clock) day shows 23 or 25 hours there instead.
 */

export interface DstTransition {
  date: IsoDate;
  /** spring: clocks go forward (the civil day has 23 h); fall: back (25 h). */
  kind: 'spring' | 'fall';
}

/** The dates in [from, to] on which `zone` (IANA) changes its UTC offset. */
export function dstTransitions(zone: string, from: IsoDate, to: IsoDate): DstTransition[] {
  const out: DstTransition[] = [];
  for (const date of datesBetween(from, to)) {
    const start = DateTime.fromISO(date, { zone }).startOf('day');
    const next = start.plus({ days: 1 }).startOf('day');
    if (start.offset !== next.offset) out.push({ date, kind: next.offset > start.offset ? 'spring' : 'fall' });
  }
  return out;
}

/** A source's readings on one climate day: rows, distinct UTC hours, distinct UTC minutes. */
export interface ClimateDayCount {
  source: string;
  date: string;
  count: number;
  hours: number;
  minutes: number;
}

export interface DstFinding {
  source: string;
  date: string;
  kind: DstTransition['kind'];
  count: number;
  hours: number;
  minutes: number;
  /** Medians over the source's other (non-transition) days with data; null without such days. */
  medianHours: number | null;
  medianMinutes: number | null;
  deviates: boolean;
  detail: string;
}

export interface DstCheckOptions {
  /** For minute-resolution feeds (median ≥ 600 distinct minutes a day): allowed |minutes − median|. */
  minuteTolerance: number;
}

/**
 * For each source and each transition date: the day deviates when its distinct hours differ from the
 * median of the other days by one or more, or (minute feeds) its distinct minutes by more than the
 * tolerance. A transition day without any row counts as zero.
 */
export function checkDstDayCounts(rows: readonly ClimateDayCount[], transitions: readonly DstTransition[], opts: DstCheckOptions): DstFinding[] {
  const transitionDates = new Set(transitions.map((t) => t.date));
  const sources = [...new Set(rows.map((r) => r.source))].sort();
  const out: DstFinding[] = [];
  for (const source of sources) {
    const mine = rows.filter((r) => r.source === source);
    const reference = mine.filter((r) => !transitionDates.has(r.date) && r.hours > 0);
    const medianHours = median(reference.map((r) => r.hours));
    const medianMinutes = median(reference.map((r) => r.minutes));
    for (const t of transitions) {
      const row = mine.find((r) => r.date === t.date) ?? { count: 0, hours: 0, minutes: 0 };
      const reasons: string[] = [];
      if (medianHours !== null && Math.abs(row.hours - medianHours) >= 1) reasons.push(`${row.hours} distinct hours vs median ${medianHours}`);
      if (medianMinutes !== null && medianMinutes >= 600 && Math.abs(row.minutes - medianMinutes) > opts.minuteTolerance) {
        reasons.push(`${row.minutes} distinct minutes vs median ${medianMinutes} (tolerance ${opts.minuteTolerance})`);
      }
      out.push({
        source,
        date: t.date,
        kind: t.kind,
        count: row.count,
        hours: row.hours,
        minutes: row.minutes,
        medianHours,
        medianMinutes,
        deviates: reasons.length > 0,
        detail: medianHours === null ? 'no other days to compare with' : reasons.length ? reasons.join('; ') : 'same as other days',
      });
    }
  }
  return out;
}
