import { describe, expect, it } from 'vitest';
import { detectImpossibleObservations, detectObservationAnomalies, detectSpikes, detectStuck, findStuckRuns, type TempPoint } from './observations';

const T0 = Date.parse('2025-07-01T12:00:00Z');
const MIN = 60_000;
/** Readings every `step` minutes starting at T0. */
const series = (values: Array<number | null>, step = 5): TempPoint[] => values.map((v, i) => ({ t: T0 + i * step * MIN, v }));
const spike = { jumpF: 10, windowMinutes: 120 };
const stuck = { hours: 6, maxGapMinutes: 180 };

describe('detectSpikes', () => {
  it('flags a one-reading jump of more than X °F that comes back', () => {
    const flags = detectSpikes(series([70, 70.5, 71, 85, 71, 71]), spike);
    expect(flags.map((f) => f.index)).toEqual([3]);
    expect(flags[0]!.rule).toBe('obs_spike');
    expect(flags[0]!.detail).toContain('peak +14.0 °F');
  });

  it('flags every reading of a multi-reading excursion, up or down', () => {
    expect(detectSpikes(series([70, 84, 86, 83, 70]), spike).map((f) => f.index)).toEqual([1, 2, 3]);
    expect(detectSpikes(series([70, 50, 71]), spike).map((f) => f.index)).toEqual([1]);
  });

  it('does not flag a front (a jump that stays) nor a jump of exactly X', () => {
    expect(detectSpikes(series([70, 69, 57, 56, 56, 55, 55]), spike)).toEqual([]);
    expect(detectSpikes(series([70, 80, 70]), spike)).toEqual([]); // 10 is not more than 10
  });

  it('does not flag an excursion that comes back only after N minutes', () => {
    // base at 0, back at 150 min > 120
    const pts: TempPoint[] = [
      { t: T0, v: 70 },
      { t: T0 + 60 * MIN, v: 85 },
      { t: T0 + 120 * MIN, v: 85 },
      { t: T0 + 150 * MIN, v: 70 },
    ];
    expect(detectSpikes(pts, spike)).toEqual([]);
    expect(detectSpikes(pts, { jumpF: 10, windowMinutes: 150 }).map((f) => f.index)).toEqual([1, 2]);
  });

  it('skips missing readings and reports indices of the input', () => {
    expect(detectSpikes(series([70, null, 90, null, 70]), spike).map((f) => f.index)).toEqual([2]);
  });
});

describe('detectStuck', () => {
  const minutes = (n: number, v: number, start = T0) => Array.from({ length: n }, (_, i): TempPoint => ({ t: start + i * MIN, v }));

  it('flags every reading of a run of the same value longer than K hours', () => {
    const pts = [...series([71, 72]), ...minutes(7 * 60 + 1, 68.0, T0 + 10 * MIN), { t: T0 + 10 * MIN + 7 * 60 * MIN + 5 * MIN, v: 69 }];
    const runs = findStuckRuns(pts, stuck);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ startIndex: 2, endIndex: 2 + 7 * 60, value: 68, readings: 421 });
    expect(runs[0]!.hours).toBeCloseTo(7, 6);
    const flags = detectStuck(pts, stuck);
    expect(flags).toHaveLength(421);
    expect(flags.every((f) => f.rule === 'obs_stuck')).toBe(true);
    expect(flags[0]!.detail).toMatch(/^68\.0 °F unchanged for 7\.0 h \(421 readings/);
  });

  it('does not flag a run of K hours or less', () => {
    expect(detectStuck(minutes(6 * 60 + 1, 50), stuck)).toEqual([]); // exactly 6.0 h
    expect(detectStuck(minutes(6 * 60 + 2, 50), stuck)).toHaveLength(6 * 60 + 2);
  });

  it('a hole longer than the max gap ends a run (an outage is not a stuck sensor)', () => {
    const pts = [...minutes(4 * 60, 50), ...minutes(4 * 60, 50, T0 + 4 * 60 * MIN + 200 * MIN)];
    expect(detectStuck(pts, stuck)).toEqual([]);
    expect(detectStuck(pts, { hours: 6, maxGapMinutes: 240 })).toHaveLength(480);
  });

  it('hourly readings stuck for 8 h', () => {
    const pts = series([60, 61, 62, 62, 62, 62, 62, 62, 62, 62, 62, 63], 60);
    expect(detectStuck(pts, stuck).map((f) => f.index)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });
});

describe('impossible values', () => {
  it('flags readings outside [-60, 135] °F and non-finite ones', () => {
    const flags = detectImpossibleObservations(series([-61, -60, 70, 135, 135.5, Number.NaN, null]));
    expect(flags.map((f) => f.index)).toEqual([0, 4, 5]);
  });

  it('an impossible sentinel is reported once, as impossible, not also as a spike', () => {
    const flags = detectObservationAnomalies(series([70, 70, 999, 70, 70]), spike, stuck);
    expect(flags).toEqual([{ index: 2, rule: 'obs_impossible', detail: '999 °F outside [-60, 135]' }]);
  });
});
