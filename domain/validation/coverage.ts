import { DateTime } from 'luxon';
import { assertIsoDate, type IsoDate } from '../iso-date';

/** Every calendar date from `from` to `to`, both included. */
export function datesBetween(from: IsoDate, to: IsoDate): IsoDate[] {
  assertIsoDate(from, 'from');
  assertIsoDate(to, 'to');
  const out: IsoDate[] = [];
  let d = DateTime.fromISO(from, { zone: 'utc' });
  const end = DateTime.fromISO(to, { zone: 'utc' });
  while (d <= end) {
    out.push(d.toISODate() as IsoDate);
    d = d.plus({ days: 1 });
  }
  return out;
}

/** How many rows a source has on a date (dates without rows may be left out). */
export interface DayCount {
  source: string;
  date: string;
  count: number;
}

export interface CoverageCell {
  source: string;
  date: string;
  count: number;
  /** 0..100 */
  pct: number;
}

/**
 * - `presence`: a day is covered (100 %) when the source has any row for it (forecasts, settlements,
 *   markets);
 * - `median`: a day's coverage is its row count over the source's median count on the days it
 *   reported, capped at 100 % (observations: a 1-minute feed expects about 1440 rows, an hourly one
 *   about 24 plus specials; the median learns which).
 */
export type CoverageMode = 'presence' | 'median';

export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/**
 * One cell per (source, date) for every source that appears in `counts` or `sources`, every date in
 * `dates` (missing days are 0 %). Sorted by source, then date.
 */
export function coverageCells(dates: readonly string[], counts: readonly DayCount[], mode: CoverageMode, sources: readonly string[] = []): CoverageCell[] {
  const inRange = new Set(dates);
  const bySource = new Map<string, Map<string, number>>();
  for (const s of sources) bySource.set(s, new Map());
  for (const c of counts) {
    if (!inRange.has(c.date)) continue;
    const m = bySource.get(c.source) ?? new Map<string, number>();
    m.set(c.date, (m.get(c.date) ?? 0) + c.count);
    bySource.set(c.source, m);
  }
  const out: CoverageCell[] = [];
  for (const source of [...bySource.keys()].sort()) {
    const m = bySource.get(source)!;
    const expected = mode === 'median' ? median([...m.values()].filter((n) => n > 0)) : 1;
    for (const date of dates) {
      const count = m.get(date) ?? 0;
      const pct = count <= 0 || !expected ? 0 : mode === 'presence' ? 100 : round1(Math.min(1, count / expected) * 100);
      out.push({ source, date, count, pct });
    }
  }
  return out;
}

export interface CoverageSummary {
  source: string;
  days: number;
  daysWithData: number;
  /** Mean of the daily coverage, 0..100. */
  pct: number;
}

/** Per source: days, days with any data, mean daily coverage. */
export function summarizeCoverage(cells: readonly CoverageCell[]): CoverageSummary[] {
  const m = new Map<string, CoverageCell[]>();
  for (const c of cells) m.set(c.source, [...(m.get(c.source) ?? []), c]);
  return [...m.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([source, list]) => ({
      source,
      days: list.length,
      daysWithData: list.filter((c) => c.count > 0).length,
      pct: round1(list.reduce((a, c) => a + c.pct, 0) / Math.max(1, list.length)),
    }));
}
