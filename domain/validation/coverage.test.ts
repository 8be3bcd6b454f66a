import { describe, expect, it } from 'vitest';
import { coverageCells, datesBetween, median, summarizeCoverage } from './coverage';
import { stalenessHours } from './freshness';

describe('coverage', () => {
  const dates = datesBetween('2025-02-27', '2025-03-02');

  it('datesBetween spans month ends and includes both ends', () => {
    expect(dates).toEqual(['2025-02-27', '2025-02-28', '2025-03-01', '2025-03-02']);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([])).toBeNull();
  });

  it('presence: a day with any row is covered; a missing day is 0 %', () => {
    const cells = coverageCells(
      dates,
      [
        { source: 'forecast:vc', date: '2025-02-27', count: 3 },
        { source: 'forecast:vc', date: '2025-03-01', count: 1 },
        { source: 'forecast:vc', date: '2025-03-02', count: 2 },
        { source: 'forecast:vc', date: '2025-03-09', count: 2 }, // outside the range
      ],
      'presence',
      ['forecast:om'],
    );
    expect(cells.filter((c) => c.source === 'forecast:vc').map((c) => c.pct)).toEqual([100, 0, 100, 100]);
    expect(cells.filter((c) => c.source === 'forecast:om').map((c) => c.pct)).toEqual([0, 0, 0, 0]);
    expect(summarizeCoverage(cells)).toEqual([
      { source: 'forecast:om', days: 4, daysWithData: 0, pct: 0 },
      { source: 'forecast:vc', days: 4, daysWithData: 3, pct: 75 },
    ]);
  });

  it('median: a day is measured against the source’s median daily count, capped at 100 %', () => {
    const cells = coverageCells(
      dates,
      [
        { source: 'obs:1min', date: '2025-02-27', count: 1440 },
        { source: 'obs:1min', date: '2025-02-28', count: 1440 },
        { source: 'obs:1min', date: '2025-03-01', count: 720 },
        { source: 'obs:1min', date: '2025-03-02', count: 1500 },
      ],
      'median',
    );
    expect(cells.map((c) => c.pct)).toEqual([100, 100, 50, 100]);
    expect(summarizeCoverage(cells)[0]!.pct).toBe(87.5);
  });

  it('staleness in hours, never negative, null without data', () => {
    expect(stalenessHours('2025-03-01T00:00:00Z', '2025-03-02T12:00:00Z')).toBe(36);
    expect(stalenessHours('2025-03-03T00:00:00Z', '2025-03-02T12:00:00Z')).toBe(0);
    expect(stalenessHours(null, '2025-03-02T12:00:00Z')).toBeNull();
  });
});
