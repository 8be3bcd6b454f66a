import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { climateDateOf } from '../climate-day';
import { checkDstDayCounts, dstTransitions, type ClimateDayCount } from './dst';
import { datesBetween } from './coverage';

/** Counts instants per climate day (Chicago) as the activity's SQL does: rows, distinct UTC hours and minutes. */
function countByClimateDay(source: string, instants: DateTime[]): ClimateDayCount[] {
  const m = new Map<string, { count: number; hours: Set<string>; minutes: Set<string> }>();
  for (const t of instants) {
    const date = climateDateOf('chicago', t);
    const e = m.get(date) ?? { count: 0, hours: new Set(), minutes: new Set() };
    e.count++;
    e.hours.add(t.toUTC().toFormat("yyyy-MM-dd'T'HH"));
    e.minutes.add(t.toUTC().toFormat("yyyy-MM-dd'T'HH:mm"));
    m.set(date, e);
  }
  return [...m.entries()].map(([date, e]) => ({ source, date, count: e.count, hours: e.hours.size, minutes: e.minutes.size }));
}

describe('DST-change days (America/Chicago, 2025)', () => {
  const transitions = dstTransitions('America/Chicago', '2025-01-01', '2025-12-31');

  it('finds 2025-03-09 (spring forward) and 2025-11-02 (fall back)', () => {
    expect(transitions).toEqual([
      { date: '2025-03-09', kind: 'spring' },
      { date: '2025-11-02', kind: 'fall' },
    ]);
    expect(dstTransitions('America/Phoenix', '2025-01-01', '2025-12-31')).toEqual([]);
  });

  // Two weeks around each change.
  const days = [...datesBetween('2025-03-02', '2025-03-16'), ...datesBetween('2025-10-26', '2025-11-09')];

  it('a feed of UTC instants has 24 hours on every climate day, DST days included: no deviation', () => {
    // Hourly METAR-like readings at :53 past every UTC hour.
    const start = DateTime.fromISO('2025-03-01T00:53:00Z', { zone: 'utc' });
    const instants = Array.from({ length: 24 * 300 }, (_, i) => start.plus({ hours: i }));
    const counts = countByClimateDay('obs:iem-asos', instants).filter((c) => days.includes(c.date));
    expect(counts.every((c) => c.hours === 24 && c.count === 24)).toBe(true);
    const findings = checkDstDayCounts(counts, transitions, { minuteTolerance: 30 });
    expect(findings.map((f) => [f.date, f.hours, f.medianHours, f.deviates])).toEqual([
      ['2025-03-09', 24, 24, false],
      ['2025-11-02', 24, 24, false],
    ]);
  });

  it('a feed of readings at local clock hours 00..23 misses an hour of the 25-hour fall-back day', () => {
    // One reading at each local clock hour 00:00..23:00 of every civil day (luxon takes the first 01:00).
    const instants = days.flatMap((d) => Array.from({ length: 24 }, (_, h) => DateTime.fromISO(d, { zone: 'America/Chicago' }).set({ hour: h })));
    const counts = countByClimateDay('obs:clock-hours', instants).filter((c) => days.slice(1, -1).includes(c.date));
    const findings = checkDstDayCounts(counts, transitions, { minuteTolerance: 30 });
    expect(findings.map((f) => [f.date, f.kind, f.hours, f.medianHours, f.deviates])).toEqual([
      ['2025-03-09', 'spring', 24, 24, false], // the climate day also takes 00:00 CDT of the 10th
      ['2025-11-02', 'fall', 23, 24, true],
    ]);
    expect(findings[1]!.detail).toBe('23 distinct hours vs median 24');
  });

  it('a feed whose wall-clock stamps were read as standard time misses an hour of the spring-forward day', () => {
    // Every real hourly reading, stamped with its local wall-clock label, then parsed at the fixed CST offset.
    const instants = days.flatMap((d) => {
      const start = DateTime.fromISO(d, { zone: 'America/Chicago' }).startOf('day');
      const end = start.plus({ days: 1 }).startOf('day');
      const out: DateTime[] = [];
      for (let t = start; t < end; t = t.plus({ hours: 1 })) out.push(DateTime.fromISO(t.toFormat("yyyy-MM-dd'T'HH:mm"), { zone: 'UTC-6' }));
      return out;
    });
    const unique = [...new Map(instants.map((t) => [t.toMillis(), t])).values()]; // the primary key keeps one row per instant
    const counts = countByClimateDay('obs:wall-clock', unique).filter((c) => days.slice(1, -1).includes(c.date));
    const findings = checkDstDayCounts(counts, transitions, { minuteTolerance: 30 });
    expect(findings.map((f) => [f.date, f.kind, f.hours, f.medianHours, f.deviates])).toEqual([
      ['2025-03-09', 'spring', 23, 24, true],
      ['2025-11-02', 'fall', 24, 24, false],
    ]);
    expect(counts.filter((c) => !['2025-03-09', '2025-11-02'].includes(c.date)).every((c) => c.hours === 24)).toBe(true);
  });

  it('minute feeds: a missing hour of minutes deviates, scattered missing minutes within tolerance do not', () => {
    const row = (date: string, minutes: number, hours = 24): ClimateDayCount => ({ source: 'obs:1min', date, count: minutes, hours, minutes });
    const others = ['2025-03-07', '2025-03-08', '2025-03-10', '2025-03-11'].map((d) => row(d, 1436));
    const spring = transitions.slice(0, 1);
    expect(checkDstDayCounts([...others, row('2025-03-09', 1376, 23)], spring, { minuteTolerance: 30 })[0]).toMatchObject({
      deviates: true,
      detail: '23 distinct hours vs median 24; 1376 distinct minutes vs median 1436 (tolerance 30)',
    });
    expect(checkDstDayCounts([...others, row('2025-03-09', 1420)], spring, { minuteTolerance: 30 })[0]!.deviates).toBe(false);
    // A DST day with no data at all counts as zero.
    expect(checkDstDayCounts(others, spring, { minuteTolerance: 30 })[0]).toMatchObject({ count: 0, hours: 0, deviates: true });
  });
});
