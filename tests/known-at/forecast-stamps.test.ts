/**
 * Known-at stamps over every forecast row that the generated world and the recorded world
 * (../shared/data/real) produce through the real clients, over HTTP from the real sandbox. Each row's
 * `availableAt` must be at or after the latest run that can have produced it plus the source's
 * publication delay (the documented table FORECAST_DELAY_MS). The run each row implies is derived here
 * from the row's own fields and the APIs' documented semantics, not from domain/known-at.ts:
 *   - Visual Crossing by basis date: the 00:00Z snapshot of basisDate;
 *   - Open-Meteo `<var>_previous_dayN` (N = 0 for the plain variable): a run N×24 h before the valid
 *     time; a daily max/min, the run behind its civil day's last hour;
 *   - Open-Meteo historical forecast: a run at or before the valid time;
 *   - IEM MOS, NWS: the row's basis (run / update time);
 *   - current forecasts (no run named): not before the time the answer describes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { getCity, type CityId } from '../../domain/cities';
import { FORECAST_DELAY_MS } from '../../domain/known-at';
import { startSandbox, type RunningSandbox } from '../../sandbox/server';
import { ALL_ROUTES } from '../../sandbox/routes/index';
import { SANDBOX_PATHS } from '../../temporal.config';
import { createGeneratedWorld } from '../../sandbox/worlds/generated';
import { loadRecordedWorld } from '../../sandbox/worlds/recorded';
import { VisualCrossingClient } from '../../clients/visualcrossing';
import { OpenMeteoClient } from '../../clients/open-meteo';
import { IemClient } from '../../clients/iem';
import { NwsClient } from '../../clients/nws';
import type { DailyForecastRow, HourlyForecastRow } from '../../schemas/records';
import type { World } from '../../sandbox/world';
import { sharedReal } from '../support/shared';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const fast = { http: { minDelayMs: 1, maxDelayMs: 4, maxAttempts: 3, timeoutMs: 10_000 }, rateLimit: { limit: 1000, intervalMs: 1000 } };

function delay(source: string, model: string): number {
  const bySource = FORECAST_DELAY_MS[source];
  const ms = bySource?.[model] ?? bySource?.['*'];
  if (ms === undefined) throw new Error(`no documented delay for ${source}/${model}`);
  return ms;
}

const utcDate = (t: Date) => t.toISOString().slice(0, 10);
const civilDate = (city: CityId, t: Date) => DateTime.fromJSDate(t, { zone: getCity(city).timeZone }).toISODate()!;
const daysBetween = (a: string, b: string) => Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY);
/** Start of the last hour of a civil day (23:00 local; the day has 23 or 25 hours at DST changes). */
const lastHourOf = (city: CityId, date: string) => DateTime.fromISO(date, { zone: getCity(city).timeZone }).startOf('day').plus({ days: 1 }).toMillis() - HOUR;

interface Violation {
  row: string;
  availableAt: string;
  bound: string;
}

/** Collects every row whose availableAt is before its bound (an empty list is the pass). */
class Bounds {
  readonly violations: Violation[] = [];
  checked = 0;
  check(row: DailyForecastRow | HourlyForecastRow, boundMs: number): void {
    this.checked++;
    if (!(row.availableAt instanceof Date) || Number.isNaN(row.availableAt.getTime()) || row.availableAt.getTime() < boundMs) {
      const key = 'targetDate' in row ? `${row.source}/${row.model} ${row.cityId} target ${row.targetDate} basis ${row.basisTime.toISOString()}` : `${row.source}/${row.model} ${row.cityId} valid ${row.validTime.toISOString()} basis ${row.basisTime.toISOString()}`;
      this.violations.push({ row: key, availableAt: String(row.availableAt?.toISOString?.() ?? row.availableAt), bound: new Date(boundMs).toISOString() });
    }
  }
}

function clientsFor(url: string) {
  return {
    vc: new VisualCrossingClient({ baseUrl: `${url}${SANDBOX_PATHS.visualCrossing}`, apiKey: 'sandbox', ...fast }),
    om: new OpenMeteoClient({
      baseUrl: `${url}${SANDBOX_PATHS.openMeteo}`,
      historicalForecastBaseUrl: `${url}${SANDBOX_PATHS.openMeteoHistoricalForecast}`,
      previousRunsBaseUrl: `${url}${SANDBOX_PATHS.openMeteoPreviousRuns}`,
      ...fast,
    }),
    iem: new IemClient({ baseUrl: `${url}${SANDBOX_PATHS.iem}`, ...fast }),
    nws: new NwsClient({ baseUrl: `${url}${SANDBOX_PATHS.nws}`, userAgent: 'wx-kalshi tests (dev@example.com)', ...fast }),
  };
}
type Clients = ReturnType<typeof clientsFor>;

const eachDate = (from: string, to: string) => {
  const out: string[] = [];
  for (let d = from; d <= to; d = DateTime.fromISO(d, { zone: 'utc' }).plus({ days: 1 }).toISODate()!) out.push(d);
  return out;
};
const addDays = (d: string, n: number) => DateTime.fromISO(d, { zone: 'utc' }).plus({ days: n }).toISODate()!;

/** Visual Crossing by basis date: every daily and hourly row, lead 0..k. */
async function checkVisualCrossing(c: Clients, b: Bounds, city: CityId, dates: { from: string; to: string }, k: number): Promise<number> {
  let n = 0;
  for (const basis of eachDate(addDays(dates.from, -k), dates.to)) {
    const targets = { from: basis, to: addDays(basis, k) };
    const daily = await c.vc.historicalDailyForecast(city, basis, targets);
    const hourly = await c.vc.historicalHourlyForecast(city, basis, targets);
    for (const r of [...daily, ...hourly]) {
      expect(r.basisTime.toISOString()).toBe(`${basis}T00:00:00.000Z`);
      b.check(r, Date.parse(`${basis}T00:00:00Z`) + delay('visualcrossing', r.model));
    }
    n += daily.length + hourly.length;
  }
  return n;
}

/** Open-Meteo previous runs (N = 0..k) and historical forecast. */
async function checkOpenMeteo(c: Clients, b: Bounds, city: CityId, dates: { from: string; to: string }, k: number): Promise<{ leads: Set<number>; rows: number }> {
  const leads = new Set<number>();
  const prev = await c.om.previousRuns(city, dates, Array.from({ length: k + 1 }, (_, i) => i));
  for (const r of prev.hourly) {
    const n = daysBetween(utcDate(r.basisTime), civilDate(city, r.validTime));
    expect(n).toBeGreaterThanOrEqual(0);
    b.check(r, r.validTime.getTime() - n * DAY + delay('open-meteo', r.model));
  }
  for (const r of prev.daily) {
    leads.add(r.leadDays);
    b.check(r, lastHourOf(city, r.targetDate) - r.leadDays * DAY + delay('open-meteo', r.model));
    // Never before any hour it was derived from.
    for (const h of prev.hourly) {
      if (h.basisTime.getTime() === r.basisTime.getTime() && civilDate(city, h.validTime) === r.targetDate) b.check(r, h.availableAt.getTime());
    }
  }
  const hist = await c.om.historicalForecast(city, dates);
  for (const r of hist.hourly) b.check(r, r.validTime.getTime() + delay('open-meteo', r.model));
  for (const r of hist.daily) b.check(r, lastHourOf(city, r.targetDate) + delay('open-meteo', r.model));
  return { leads, rows: prev.hourly.length + prev.daily.length + hist.hourly.length + hist.daily.length };
}

async function checkMos(c: Clients, b: Bounds, city: CityId, models: Array<'gfs' | 'nam' | 'nbm'>, runs: { from: string; to: string }): Promise<number> {
  let n = 0;
  for (const model of models) {
    const rows = await c.iem.mosForecasts(city, model, runs);
    for (const r of rows) b.check(r, r.basisTime.getTime() + delay('iem-mos', r.model));
    n += rows.length;
  }
  return n;
}

async function withSandbox(world: World, fn: (c: Clients) => Promise<void>): Promise<void> {
  const sandbox: RunningSandbox = await startSandbox({ port: 0, world, routes: ALL_ROUTES });
  try {
    await fn(clientsFor(sandbox.url));
  } finally {
    await sandbox.close();
  }
}

describe('available_at over every forecast row the worlds produce through the clients', () => {
  it('generated world: Visual Crossing, Open-Meteo (previous runs, historical, current), IEM MOS, NWS', async () => {
    // Two cities, a range across the spring DST change (2025-03-09), lead 0..3.
    const dates = { from: '2025-03-07', to: '2025-03-11' };
    const world = createGeneratedWorld({ seed: 7, cities: ['chicago', 'los_angeles'], dates: { from: '2025-03-01', to: '2025-03-12' }, now: new Date('2025-03-11T18:00:00Z') });
    const b = new Bounds();
    const counts: Record<string, number> = {};
    const leads = new Set<number>();
    await withSandbox(world, async (c) => {
      for (const city of ['chicago', 'los_angeles'] as const) {
        counts.visualcrossing = (counts.visualcrossing ?? 0) + (await checkVisualCrossing(c, b, city, dates, 3));
        const om = await checkOpenMeteo(c, b, city, dates, 3);
        counts['open-meteo'] = (counts['open-meteo'] ?? 0) + om.rows;
        for (const l of om.leads) leads.add(l);
        counts['iem-mos'] = (counts['iem-mos'] ?? 0) + (await checkMos(c, b, city, ['gfs', 'nam', 'nbm'], { from: addDays(dates.from, -3), to: dates.to }));
        const nws = await c.nws.hourlyForecast(city);
        for (const r of nws) b.check(r, r.basisTime.getTime() + delay('nws', r.model));
        counts.nws = (counts.nws ?? 0) + nws.length;
        for (const cur of [await c.vc.currentForecast(city), await c.om.forecast(city)]) {
          for (const r of [...cur.daily, ...cur.hourly]) b.check(r, cur.basisTime.getTime());
          counts.current = (counts.current ?? 0) + cur.daily.length + cur.hourly.length;
        }
      }
    });
    expect(b.violations).toEqual([]);
    // Every product answered, so the bounds were checked on real rows, including same-day (lead 0) ones.
    for (const source of ['visualcrossing', 'open-meteo', 'iem-mos', 'nws', 'current']) expect(counts[source], source).toBeGreaterThan(0);
    expect([...leads].sort()).toEqual([0, 1, 2, 3]);
    expect(b.checked).toBeGreaterThan(1000);
  });

  const real = sharedReal();
  it.skipIf(!real.present)('recorded world (../shared/data/real): every IEM MOS row it serves', async () => {
    // The corpus holds MOS maxima (GFS and NAM, Logan's KORD and KPHL files) and no other forecasts.
    const world = loadRecordedWorld(real.path, { cities: ['chicago', 'philadelphia'], dates: { from: '2025-01-01', to: '2025-03-31' } });
    const b = new Bounds();
    let rows = 0;
    await withSandbox(world, async (c) => {
      for (const city of ['chicago', 'philadelphia'] as const) rows += await checkMos(c, b, city, ['gfs', 'nam'], { from: '2024-12-29', to: '2025-03-31' });
    });
    expect(b.violations).toEqual([]);
    expect(rows).toBeGreaterThan(100);
  });
});
