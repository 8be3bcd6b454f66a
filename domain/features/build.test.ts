import { describe, expect, it } from 'vitest';
import type { Bracket } from '../brackets';
import { climateDayWindowUtc } from '../climate-day';
import { buildDataset, dayNumberOf } from './build';
import { FeatureFrame } from './frame';
import type { DatasetInput, QuoteColumns } from './inputs';
import { assertNoLeak, findLeaks, LeakageError } from './leakage';
import { impliedDistribution, quoteMid } from './market';

const H = 3_600_000;
const DATE = '2025-03-06';
const DAY_START = climateDayWindowUtc('chicago', DATE).start.toMillis(); // 06:00Z
const OPEN = Date.parse('2025-03-05T15:00:00Z');
const CLOSE = DAY_START + 24 * H;

function ladder(f0: number): Bracket[] {
  const t = (s: string) => `KXHIGHCHI-25MAR06-${s}`;
  return [
    { ticker: t(`T${f0}`), strikeType: 'less', cap: f0 },
    ...[0, 1, 2, 3].map((k): Bracket => ({ ticker: t(`B${f0 + 2 * k + 0.5}`), strikeType: 'between', floor: f0 + 2 * k, cap: f0 + 2 * k + 1 })),
    { ticker: t(`T${f0 + 7}`), strikeType: 'greater', floor: f0 + 7 },
  ];
}

const cols = (rows: number[][]): QuoteColumns => ({
  endMs: Float64Array.from(rows, (r) => r[0]!),
  bid: Float64Array.from(rows, (r) => r[1]!),
  ask: Float64Array.from(rows, (r) => r[2]!),
  volume: Float64Array.from(rows, (r) => r[3]!),
});

/** One event: a forecast published late (after several snapshots), observations through the day, a few quotes. */
function input(): DatasetInput {
  const brackets = ladder(33);
  const obsTimes = Array.from({ length: 48 * 12 }, (_, i) => OPEN - 6 * H + i * 5 * 60_000);
  const temp = (t: number) => 30 + 10 * Math.max(0, Math.sin(((t - DAY_START) / (24 * H)) * Math.PI));
  return {
    city: 'chicago',
    events: [{ eventTicker: 'KXHIGHCHI-25MAR06', date: DATE, openMs: OPEN, closeMs: CLOSE, brackets, winner: 3 }],
    settlements: [
      { date: '2024-03-06', highF: 41, availableAt: Date.parse('2024-03-07T15:00:00Z') },
      { date: '2023-03-08', highF: 45, availableAt: Date.parse('2023-03-09T15:00:00Z') },
      { date: '2025-03-04', highF: 35, availableAt: Date.parse('2025-03-05T14:00:00Z') },
      // Published after the open: unknown at the open, known at later snapshots.
      { date: '2025-03-05', highF: 37, availableAt: Date.parse('2025-03-06T14:00:00Z') },
      // The event's own settlement: a target, never a feature.
      { date: DATE, highF: 38, availableAt: Date.parse('2025-03-07T15:00:00Z') },
    ],
    dailyForecasts: [
      { source: 'iem-mos', model: 'gfs', targetDate: DATE, basisMs: OPEN - 12 * H, leadDays: 1, highF: 36, availableAt: OPEN - 7 * H },
      // A newer run that became known 5 h after the open.
      { source: 'iem-mos', model: 'gfs', targetDate: DATE, basisMs: OPEN, leadDays: 1, highF: 39, availableAt: OPEN + 5 * H },
    ],
    hourlyRuns: [
      {
        source: 'open-meteo',
        model: 'best_match',
        basisMs: OPEN - 15 * H,
        validMs: Float64Array.from({ length: 24 }, (_, i) => DAY_START + i * H),
        tempF: Float64Array.from({ length: 24 }, (_, i) => 30 + i / 2),
        // The later hours of the day come from a later run: known only from the open + 2 h.
        availableAt: Float64Array.from({ length: 24 }, (_, i) => (i < 20 ? OPEN - 1 * H : OPEN + 2 * H)),
      },
    ],
    observations: {
      observedMs: Float64Array.from(obsTimes),
      availableAt: Float64Array.from(obsTimes, (t) => t + 15 * 60_000),
      tempF: Float64Array.from(obsTimes, temp),
    },
    quotes: new Map(
      brackets.map((b, j) => [
        b.ticker,
        cols([
          [OPEN + 60_000, [2, 10, 30, 35, 15, 0][j]!, [6, 14, 36, 40, 20, 4][j]!, 10],
          [OPEN + 3 * H, [1, 8, 25, 40, 20, 0][j]!, [4, 12, 30, 45, 24, 5][j]!, 5],
        ]),
      ]),
    ),
  };
}

const build = () => buildDataset(input(), { city: 'chicago', from: DATE, to: DATE, stepMinutes: 60 });

describe('dataset builder (market clock, as-of features)', () => {
  it('has one row per hour from the open to the close, with targets from the market result and the settled high', () => {
    const d = build();
    expect(d.features.rows).toBe((CLOSE - OPEN) / H);
    expect(d.snapshotMs[0]).toBe(OPEN);
    expect(d.snapshotMs[d.features.rows - 1]).toBe(CLOSE - H);
    expect([...new Set(d.date)]).toEqual([dayNumberOf(DATE)]);
    expect([...new Set(d.yBracket)]).toEqual([3]);
    expect([...new Set(d.yHigh)]).toEqual([38]);
  });

  it('uses a forecast only once it was published, and its revision after a newer run', () => {
    const d = build();
    const high = d.features.column('fc.iem-mos/gfs.high');
    const rev = d.features.column('fc.iem-mos/gfs.rev');
    expect(high[0]).toBe(36); // at the open, only the older run was out
    expect(high[4]).toBe(36);
    expect(high[5]).toBe(39); // 5 h after the open
    expect(rev[4]).toBeNaN();
    expect(rev[5]).toBe(3);
  });

  it('builds the hourly curve only from values already known, and settled highs only once published', () => {
    const d = build();
    // At the open only hours 0..19 are known (fewer than the 18 needed? no: 20), so the max is hour 19's.
    expect(d.features.column('hc.open-meteo/best_match.max')[0]).toBe(30 + 19 / 2);
    expect(d.features.column('hc.open-meteo/best_match.max')[2]).toBe(30 + 23 / 2);
    const last = d.features.column('recent.last');
    const daysAgo = d.features.column('recent.days_ago');
    expect([last[0], daysAgo[0]]).toEqual([35, 2]);
    const later = (Date.parse('2025-03-06T14:00:00Z') - OPEN) / H;
    expect([last[later], daysAgo[later]]).toEqual([37, 1]);
    // Climatology: earlier years within ±7 days of the day of year; never the event's own year.
    expect(d.features.column('clim.mean')[0]).toBe(43);
    expect(d.features.column('clim.count')[0]).toBe(2);
  });

  it('observations: the running max covers only the climate day and what was reported by the snapshot', () => {
    const d = build();
    const max = d.features.column('obs.max');
    const latest = d.features.column('obs.latest');
    expect(max[0]).toBeNaN(); // the open is before the climate day
    expect(latest[0]).toBeGreaterThan(0);
    const row = (DAY_START + 12 * H - OPEN) / H; // noon local standard time
    const t = d.snapshotMs[row]!;
    // The newest observation known at noon was taken 15 minutes earlier.
    const expected = 30 + 10 * Math.sin(((t - 15 * 60_000 - DAY_START) / (24 * H)) * Math.PI);
    expect(max[row]).toBeCloseTo(expected, 9);
    expect(d.features.column('obs.age_min')[row]).toBe(15);
  });

  it('market: forward-filled quotes with their age, and an implied distribution that sums to one', () => {
    const d = build();
    expect(d.features.column('m3.mid')[0]).toBeNaN(); // nothing quoted at the very open
    expect(d.features.column('m3.mid')[1]).toBe(37.5);
    expect(d.features.column('m3.age_min')[1]).toBe(59);
    expect(d.features.column('m3.mid')[3]).toBe(42.5);
    const p = [0, 1, 2, 3, 4, 5].map((j) => d.features.column(`mkt.p${j}`)[1]!);
    expect(p.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 12);
    expect(d.features.column('m5.bid')[1]).toBeNaN(); // a 0 bid is no bid
  });

  it('every present value was known at its snapshot (the guard runs on every build)', () => {
    const d = build();
    expect(findLeaks(d.features, d.snapshotMs)).toEqual([]);
    let checked = 0;
    for (const name of d.features.names) {
      const v = d.features.values.get(name)!;
      const a = d.features.asOf.get(name)!;
      for (let r = 0; r < d.features.rows; r++) if (!Number.isNaN(v[r]!)) expect(a[r]!).toBeLessThanOrEqual(d.snapshotMs[r]!), checked++;
    }
    expect(checked).toBeGreaterThan(d.features.rows * 40);
  });

  it('catches a deliberately leaky feature: the event\'s own settled high used as a feature', () => {
    const d = build();
    const frame = new FeatureFrame([...d.features.names, 'leaky.settled_high'], d.features.rows);
    for (const n of d.features.names) {
      frame.values.get(n)!.set(d.features.values.get(n)!);
      frame.asOf.get(n)!.set(d.features.asOf.get(n)!);
    }
    const own = input().settlements.find((s) => s.date === DATE)!;
    for (let r = 0; r < frame.rows; r++) frame.set('leaky.settled_high', r, own.highF, own.availableAt);
    expect(() => assertNoLeak({ features: frame, snapshotMs: d.snapshotMs })).toThrow(LeakageError);
    expect(() => assertNoLeak({ features: frame, snapshotMs: d.snapshotMs })).toThrow(/feature leaky\.settled_high leaks: row 0/);
  });

  it('an as-of join that the old nominal stamps would have leaked: a run stamped at its basis time is not used before it was out', () => {
    const i = input();
    // Stamped by the run's nominal time (basis = the open), the newer run would be visible at the open.
    const nominal = { ...i, dailyForecasts: i.dailyForecasts.map((f) => ({ ...f, availableAt: f.basisMs })) };
    const leaky = buildDataset(nominal, { city: 'chicago', from: DATE, to: DATE });
    expect(leaky.features.column('fc.iem-mos/gfs.high')[0]).toBe(39);
    expect(build().features.column('fc.iem-mos/gfs.high')[0]).toBe(36);
  });

  it('skips events without six brackets and rejects bad parameters naming the field', () => {
    const i = input();
    const five = { ...i, events: [{ ...i.events[0]!, brackets: i.events[0]!.brackets.slice(0, 5) }] };
    expect(buildDataset(five, { city: 'chicago', from: DATE, to: DATE }).features.rows).toBe(0);
    expect(() => buildDataset(i, { city: 'chicago', from: DATE, to: DATE, stepMinutes: 1 })).toThrow(/stepMinutes/);
    expect(() => buildDataset(i, { city: 'austin', from: DATE, to: DATE })).toThrow(/params\.city austin/);
  });
});

describe('market helpers', () => {
  it('a one-sided book reads as at most 5 cents from its only side', () => {
    expect(quoteMid(0, 99)).toBe(94);
    expect(quoteMid(0, 4)).toBe(2);
    expect(quoteMid(96, 100)).toBe(98);
    expect(quoteMid(40, 44)).toBe(42);
    expect(quoteMid(0, 100)).toBeNaN();
  });

  it('implied distribution needs at least four quoted brackets', () => {
    const b = ladder(40);
    expect(impliedDistribution([NaN, NaN, 50, 50, NaN, NaN], b).mean).toBeNaN();
    const d = impliedDistribution([5, 10, 35, 35, 10, 5], b);
    expect(d.mean).toBeCloseTo(43.5, 12); // symmetric: between the two middle bins' centres, 42.5 and 44.5
    expect(d.skew).toBeCloseTo(0, 12);
    expect(d.overround).toBeCloseTo(1, 12);
  });
});
