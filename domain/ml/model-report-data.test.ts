import { describe, expect, it } from 'vitest';
import { dayNumberOf } from '../iso-date';
import { modelReportData, type ModelReportInput } from './model-report-data';

const U = 1 / 6;
// Two test rows on either side of a month boundary. Row 0: the model puts 0.5 on bracket 0, which
// settles; row 1: it is uniform and bracket 3 settles.
const model = [0.5, 0.1, 0.1, 0.1, 0.1, 0.1, U, U, U, U, U, U];
// The market is sure and right on row 0, uniform on row 1.
const market = [1, 0, 0, 0, 0, 0, U, U, U, U, U, U];
const uniform = Array.from({ length: 12 }, () => U);

const input = (over: Partial<ModelReportInput> = {}): ModelReportInput => ({
  city: 'chicago',
  version: 'b-test',
  kind: 'bracket',
  probs: { model, market, climatology: uniform },
  y: [0, 3],
  days: [dayNumberOf('2025-01-31'), dayNumberOf('2025-02-01')],
  importance: { gain: [0, 3, 1], split: [0, 2, 5] },
  featureNames: ['a', 'b', 'c'],
  ...over,
});

describe('modelReportData', () => {
  it('scores each source on the same rows', () => {
    const r = modelReportData(input());
    expect(r.test).toEqual({ from: '2025-01-31', to: '2025-02-01', days: 2, rows: 2 });
    expect([r.format, r.formatVersion, r.city, r.version, r.kind]).toEqual(['wx-model-report', 1, 'chicago', 'b-test', 'bracket']);
    // -ln 0.5 on row 0, -ln(1/6) on row 1.
    expect(r.sources.model.scores.logLoss).toBeCloseTo((Math.log(2) + Math.log(6)) / 2, 12);
    // Row 0: (0.5-1)^2 + 5 * 0.1^2 = 0.3; row 1: 5/36 + (5/6)^2 = 5/6.
    expect(r.sources.model.scores.brier).toBeCloseTo((0.3 + 5 / 6) / 2, 12);
    // Row 0: cdf 0.5..0.9 against 1: (0.25+0.16+0.09+0.04+0.01)/5 = 0.11; row 1: cdf k/6 against [0,0,0,1,1]:
    // (1/36 + 4/36 + 9/36 + 4/36 + 1/36) / 5 = 19/180.
    expect(r.sources.model.scores.rps).toBeCloseTo((0.11 + 19 / 180) / 2, 12);
    // Row 1's tie goes to bracket 0, which did not settle.
    expect(r.sources.model.scores.accuracy).toBe(0.5);
    // The market is certain and right on row 0 (log loss 0).
    expect(r.sources.market.scores.logLoss).toBeCloseTo(Math.log(6) / 2, 12);
    expect(r.sources.climatology.scores.logLoss).toBeCloseTo(Math.log(6), 12);
    expect(r.sources.forecastNormal).toBeNull();
  });

  it('bins every (row, bracket) pair for the reliability table, empty bins null', () => {
    const cal = modelReportData(input()).sources.model.calibration;
    expect(cal).toHaveLength(10);
    // Bin [0.1, 0.2): five 0.1s of row 0 (none settled) and six 1/6s of row 1 (one settled).
    expect(cal[1]!.count).toBe(11);
    expect(cal[1]!.meanPredicted).toBeCloseTo((5 * 0.1 + 1) / 11, 12);
    expect(cal[1]!.observedFrequency).toBeCloseTo(1 / 11, 12);
    // Bin [0.5, 0.6): row 0's 0.5, which settled.
    expect(cal[5]).toEqual({ lo: 0.5, hi: 0.6, count: 1, meanPredicted: 0.5, observedFrequency: 1 });
    expect(cal[0]).toEqual({ lo: 0, hi: 0.1, count: 0, meanPredicted: null, observedFrequency: null });
    expect(cal.reduce((s, b) => s + b.count, 0)).toBe(12);
    // The market's 1 falls in the last bin, which includes 1; its five 0s in the first.
    const mkt = modelReportData(input()).sources.market.calibration;
    expect(mkt[9]).toMatchObject({ count: 1, observedFrequency: 1 });
    expect(mkt[0]).toMatchObject({ count: 5, observedFrequency: 0 });
    expect(modelReportData(input(), { bins: 4 }).sources.model.calibration.map((b) => b.count)).toEqual([11, 0, 1, 0]);
  });

  it('splits the log loss by calendar month of the test day', () => {
    const r = modelReportData(input({ probs: { model, market, forecastNormal: market, climatology: uniform } }));
    expect(r.byMonth.map((m) => [m.month, m.days, m.rows])).toEqual([
      ['2025-01', 1, 1],
      ['2025-02', 1, 1],
    ]);
    expect(r.byMonth[0]!.logLoss.model).toBeCloseTo(Math.log(2), 12);
    expect(r.byMonth[0]!.logLoss.market).toBeCloseTo(0, 12);
    expect(r.byMonth[1]!.logLoss.model).toBeCloseTo(Math.log(6), 12);
    expect(r.byMonth[1]!.logLoss.forecastNormal).toBeCloseTo(Math.log(6), 12);
    expect(modelReportData(input()).byMonth[0]!.logLoss.forecastNormal).toBeNull();
    // Two rows on one day count one day.
    const sameDay = modelReportData(input({ days: [dayNumberOf('2025-03-02'), dayNumberOf('2025-03-02')] }));
    expect(sameDay.byMonth).toEqual([expect.objectContaining({ month: '2025-03', days: 1, rows: 2 })]);
    expect(sameDay.test).toMatchObject({ from: '2025-03-02', to: '2025-03-02', days: 1 });
  });

  it('lists the used features by gain with their share and split counts', () => {
    const r = modelReportData(input());
    expect(r.importance).toEqual({
      features: 3,
      used: 2,
      totalGain: 4,
      totalSplits: 7,
      top: [
        { name: 'b', gain: 3, gainShare: 0.75, split: 2 },
        { name: 'c', gain: 1, gainShare: 0.25, split: 5 },
      ],
    });
    expect(modelReportData(input(), { topFeatures: 1 }).importance.top.map((f) => f.name)).toEqual(['b']);
  });

  it('names the input whose shape is wrong', () => {
    expect(() => modelReportData(input({ days: [1] }))).toThrow('days has 1 entries for 2 rows');
    expect(() => modelReportData(input({ probs: { model: model.slice(1), market, climatology: uniform } }))).toThrow('probs.model has 11 values, want rows*6 = 12');
    expect(() => modelReportData(input({ importance: { gain: [1], split: [0, 2, 5] } }))).toThrow('importance.gain has 1 entries for 3 features');
    expect(() => modelReportData(input({ y: [] }))).toThrow('no test rows');
    expect(() => modelReportData(input({ y: [0, 6] }))).toThrow('y[1] must be a class in 0..5');
  });
});
