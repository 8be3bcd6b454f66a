import { describe, expect, it } from 'vitest';
import { buildDataset, dayNumberOf } from './build';
import { FeatureFrame } from './frame';
import { CLOSE, DATE, DAY_START, fixtureInput, H, ladder, OPEN } from './test-fixture';
import { assertNoLeak, findLeaks, LeakageError } from './leakage';
import { impliedDistribution, quoteMid } from './market';

const build = () => buildDataset(fixtureInput(), { city: 'chicago', from: DATE, to: DATE, stepMinutes: 60 });

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
    const own = fixtureInput().settlements.find((s) => s.date === DATE)!;
    for (let r = 0; r < frame.rows; r++) frame.set('leaky.settled_high', r, own.highF, own.availableAt);
    expect(() => assertNoLeak({ features: frame, snapshotMs: d.snapshotMs })).toThrow(LeakageError);
    expect(() => assertNoLeak({ features: frame, snapshotMs: d.snapshotMs })).toThrow(/feature leaky\.settled_high leaks: row 0/);
  });

  it('an as-of join that the old nominal stamps would have leaked: a run stamped at its basis time is not used before it was out', () => {
    const i = fixtureInput();
    // Stamped by the run's nominal time (basis = the open), the newer run would be visible at the open.
    const nominal = { ...i, dailyForecasts: i.dailyForecasts.map((f) => ({ ...f, availableAt: f.basisMs })) };
    const leaky = buildDataset(nominal, { city: 'chicago', from: DATE, to: DATE });
    expect(leaky.features.column('fc.iem-mos/gfs.high')[0]).toBe(39);
    expect(build().features.column('fc.iem-mos/gfs.high')[0]).toBe(36);
  });

  it('skips events without six brackets and rejects bad parameters naming the field', () => {
    const i = fixtureInput();
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
