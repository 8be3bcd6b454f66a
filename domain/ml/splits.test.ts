import { describe, expect, it } from 'vitest';
import { dayNumberOf } from '../features/build';
import { indexDays, timeHoldout, timeSeriesFolds } from './splits';

/** `days` consecutive dates from 2025-01-01, `perDay` rows each, rows shuffled across days. */
function rowsOver(days: number, perDay: number): string[] {
  const out: string[] = [];
  for (let k = 0; k < perDay; k++) for (let d = 0; d < days; d++) out.push(new Date(Date.UTC(2025, 0, 1 + d)).toISOString().slice(0, 10));
  return out;
}

const daysOf = (rowDays: readonly string[], rows: Int32Array): Set<string> => new Set(Array.from(rows, (r) => rowDays[r]!));

describe('indexDays', () => {
  it('sorts the distinct days and maps each row to its day', () => {
    const idx = indexDays(['2025-01-03', '2025-01-01', '2025-01-03', '2025-01-02']);
    expect(Array.from(idx.days)).toEqual(['2025-01-01', '2025-01-02', '2025-01-03'].map(dayNumberOf));
    expect(Array.from(idx.dayOfRow)).toEqual([2, 0, 2, 1]);
  });
  it('accepts day numbers as the dataset stores them and rejects a bad date', () => {
    expect(Array.from(indexDays(Int32Array.from([20000, 19999, 20000])).dayOfRow)).toEqual([1, 0, 1]);
    expect(() => indexDays(['2025-02-30'])).toThrow('no such calendar date');
  });
});

describe('timeHoldout', () => {
  it('puts the first 80% of days in train and the last 20% in test, each day on one side', () => {
    const rowDays = rowsOver(10, 3);
    const { train, test } = timeHoldout(rowDays);
    expect(train.days).toHaveLength(8);
    expect(test.days).toEqual(['2025-01-09', '2025-01-10']);
    expect(train.rows.length).toBe(24);
    expect(test.rows.length).toBe(6);
    const tr = daysOf(rowDays, train.rows);
    for (const d of daysOf(rowDays, test.rows)) expect(tr.has(d)).toBe(false);
    expect(train.days[train.days.length - 1]! < test.days[0]!).toBe(true);
    // Rows come back in increasing row order, and every row is on exactly one side.
    expect(Array.from(train.rows)).toEqual([...train.rows].sort((a, b) => a - b));
    expect(new Set([...train.rows, ...test.rows]).size).toBe(rowDays.length);
  });
  it('rounds the test share and keeps a day on each side', () => {
    expect(timeHoldout(rowsOver(7, 1), { testFraction: 0.3 }).test.days).toHaveLength(2); // round(2.1)
    expect(timeHoldout(rowsOver(2, 1), { testFraction: 0.01 }).test.days).toHaveLength(1);
    expect(timeHoldout(rowsOver(2, 1), { testFraction: 0.99 }).train.days).toHaveLength(1);
  });
  it('cuts at explicit dates, leaving out the days between trainBefore and testFrom', () => {
    const rowDays = rowsOver(10, 2);
    const s = timeHoldout(rowDays, { trainBefore: '2025-01-05', testFrom: '2025-01-07', testTo: '2025-01-08' });
    expect(s.train.days).toEqual(['2025-01-01', '2025-01-02', '2025-01-03', '2025-01-04']);
    expect(s.test.days).toEqual(['2025-01-07', '2025-01-08']);
    expect(daysOf(rowDays, s.test.rows)).toEqual(new Set(['2025-01-07', '2025-01-08']));
    expect(timeHoldout(rowDays, { trainBefore: '2025-01-09' }).test.days).toEqual(['2025-01-09', '2025-01-10']);
  });
  it('names a bad option and its value', () => {
    const rowDays = rowsOver(10, 1);
    expect(() => timeHoldout(rowDays, { testFraction: 1.5 })).toThrow(RangeError);
    expect(() => timeHoldout(rowDays, { testFraction: 1.5 })).toThrow('testFraction 1.5');
    expect(() => timeHoldout(rowDays, { trainBefore: '2025-13-01' })).toThrow('trainBefore "2025-13-01"');
    expect(() => timeHoldout(rowDays, { trainBefore: '2025-01-05', testFrom: '2025-01-04' })).toThrow('testFrom "2025-01-04"');
  });
  it('says clearly when there are too few days', () => {
    expect(() => timeHoldout(rowsOver(1, 5))).toThrow('need at least 2 distinct days');
    expect(() => timeHoldout([])).toThrow('got 0');
    expect(() => timeHoldout(rowsOver(5, 1), { trainBefore: '2024-12-01' })).toThrow('no day before trainBefore');
    expect(() => timeHoldout(rowsOver(5, 1), { trainBefore: '2025-02-01' })).toThrow('no day in the test range');
  });
});

describe('timeSeriesFolds', () => {
  it('builds expanding folds with the gap left out and validation after training', () => {
    const rowDays = rowsOver(21, 2);
    const folds = timeSeriesFolds(rowDays, { folds: 4, gapDays: 1 });
    // v = floor((21 - 1) / 5) = 4: validation blocks end at the last day.
    expect(folds.map((f) => f.test.days.length)).toEqual([4, 4, 4, 4]);
    expect(folds.map((f) => f.train.days.length)).toEqual([4, 8, 12, 16]);
    expect(folds[3]!.test.days[3]).toBe('2025-01-21');
    for (const f of folds) {
      expect(f.gap).toHaveLength(1);
      const trainDays = daysOf(rowDays, f.train.rows);
      const testDays = daysOf(rowDays, f.test.rows);
      for (const d of testDays) expect(trainDays.has(d)).toBe(false);
      for (const d of f.gap) {
        expect(trainDays.has(d)).toBe(false);
        expect(testDays.has(d)).toBe(false);
      }
      const lastTrain = f.train.days[f.train.days.length - 1]!;
      // One calendar day between the blocks: last train + 2 days = first validation day.
      expect(dayNumberOf(f.test.days[0]!) - dayNumberOf(lastTrain)).toBe(2);
      expect(f.train.rows.length).toBe(2 * f.train.days.length);
    }
    // Expanding: each training block contains the previous one.
    for (let i = 1; i < folds.length; i++) expect(folds[i]!.train.days.slice(0, folds[i - 1]!.train.days.length)).toEqual(folds[i - 1]!.train.days);
  });
  it('honours minTrainDays and a zero gap', () => {
    const folds = timeSeriesFolds(rowsOver(20, 1), { folds: 3, gapDays: 0, minTrainDays: 8 });
    // v = floor((20 - 0 - 8) / 3) = 4
    expect(folds.map((f) => [f.train.days.length, f.test.days.length])).toEqual([[8, 4], [12, 4], [16, 4]]);
    expect(folds[0]!.gap).toEqual([]);
  });
  it('rejects bad options and too few days', () => {
    expect(() => timeSeriesFolds(rowsOver(20, 1), { folds: 0 })).toThrow('folds 0');
    expect(() => timeSeriesFolds(rowsOver(20, 1), { gapDays: -1 })).toThrow('gapDays -1');
    expect(() => timeSeriesFolds(rowsOver(20, 1), { folds: 2.5 })).toThrow(RangeError);
    expect(() => timeSeriesFolds(rowsOver(5, 1), { folds: 4, gapDays: 1 })).toThrow('5 distinct days are too few for 4 folds');
    expect(() => timeSeriesFolds(rowsOver(10, 1), { folds: 2, minTrainDays: 9 })).toThrow('too few');
  });
});
