/**
 * World → sandbox routes → real clients over HTTP: every weather client returns the world's rows, and
 * the routes answer bad requests the way the real services do.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../../sandbox/server';
import { SANDBOX_PATHS } from '../../temporal.config';
import { registerVisualCrossingRoutes } from '../../sandbox/routes/visualcrossing';
import { registerIemRoutes } from '../../sandbox/routes/iem';
import { registerNwsRoutes } from '../../sandbox/routes/nws';
import { registerOpenMeteoRoutes } from '../../sandbox/routes/open-meteo';
import { registerNceiRoutes } from '../../sandbox/routes/ncei';
import { VisualCrossingClient } from '../../clients/visualcrossing';
import { IemClient, mosToDailyForecastRow } from '../../clients/iem';
import { NwsClient } from '../../clients/nws';
import { OpenMeteoClient, OpenMeteoError } from '../../clients/open-meteo';
import { NceiClient, tenthsCToF } from '../../clients/ncei';
import { NonRetryableHttpError } from '../../clients/http';
import { climateDayWindowUtc } from '../../domain/climate-day';
import { addDays, civilDayWindow, eachDate, localDateOf, roundHalfUp } from '../../clients/weather-shared';
import type { DailyForecastRow, HourlyForecastRow, ObservationRow, SettlementRow } from '../../schemas/records';
import type { Served } from '../../sandbox/world';
import { buildWorld, OM_CURRENT_BASIS, VC_BASIS_DATE, VC_CURRENT_BASIS } from './weather-world';

const KEY = 'TESTKEY-0123456789';
const fast = { http: { minDelayMs: 1, maxDelayMs: 5, maxAttempts: 3, timeoutMs: 5000 }, rateLimit: { limit: 1000, intervalMs: 1000 } };

const n = <T>(v: T | undefined) => (v === undefined ? null : v);
const settlement = (r: Served<SettlementRow>) => ({ cityId: r.cityId, date: r.date, source: r.source, highF: r.highF, lowF: n(r.lowF), issuedAt: n(r.issuedAt), isPreliminary: n(r.isPreliminary) });
const OBS_FIELDS = ['tempF', 'dewpointF', 'relativeHumidity', 'windSpeedMph', 'windGustMph', 'windDirectionDeg', 'pressureMb', 'skyCover', 'conditions'] as const;
const obs = (r: Served<ObservationRow>, fields: readonly (typeof OBS_FIELDS)[number][] = OBS_FIELDS) => ({
  station: r.station,
  observedAt: r.observedAt.toISOString(),
  ...Object.fromEntries(fields.map((f) => [f, n(r[f])])),
});
const DAILY_FIELDS = ['tempmaxF', 'tempminF', 'tempF', 'feelslikemaxF', 'dewF', 'humidity', 'precipIn', 'precipProb', 'snowIn', 'windspeedMph', 'windgustMph', 'cloudcover', 'pressureMb', 'conditions'] as const;
const daily = (r: Served<DailyForecastRow>) => ({
  cityId: r.cityId,
  source: r.source,
  model: r.model,
  targetDate: r.targetDate,
  basisTime: r.basisTime.toISOString(),
  basisDate: r.basisDate,
  leadDays: r.leadDays,
  ...Object.fromEntries(DAILY_FIELDS.map((f) => [f, n(r[f])])),
});
const HOURLY_FIELDS = ['tempF', 'dewF', 'humidity', 'precipIn', 'precipProb', 'windspeedMph', 'cloudcover'] as const;
const hourly = (r: Served<HourlyForecastRow>, fields: readonly (typeof HOURLY_FIELDS)[number][] = HOURLY_FIELDS) => ({
  cityId: r.cityId,
  source: r.source,
  model: r.model,
  basisTime: r.basisTime.toISOString(),
  validTime: r.validTime.toISOString(),
  ...Object.fromEntries(fields.map((f) => [f, n(r[f])])),
});
const byTime = <T extends { observedAt?: string; validTime?: string; targetDate?: string }>(a: T, b: T) =>
  String(a.observedAt ?? a.validTime ?? a.targetDate).localeCompare(String(b.observedAt ?? b.validTime ?? b.targetDate));

describe('weather clients round-trip the world through the sandbox', () => {
  const w = buildWorld();
  let sandbox: RunningSandbox;
  let vc: VisualCrossingClient;
  let iem: IemClient;
  let nws: NwsClient;
  let om: OpenMeteoClient;
  let ncei: NceiClient;

  beforeAll(async () => {
    sandbox = await startSandbox({
      port: 0,
      world: w.world,
      routes: [registerVisualCrossingRoutes, registerIemRoutes, registerNwsRoutes, registerOpenMeteoRoutes, registerNceiRoutes],
    });
    const u = sandbox.url;
    vc = new VisualCrossingClient({ baseUrl: `${u}${SANDBOX_PATHS.visualCrossing}`, apiKey: KEY, ...fast });
    iem = new IemClient({ baseUrl: `${u}${SANDBOX_PATHS.iem}`, ...fast });
    nws = new NwsClient({ baseUrl: `${u}${SANDBOX_PATHS.nws}`, userAgent: 'wx-kalshi tests (dev@example.com)', ...fast });
    om = new OpenMeteoClient({
      baseUrl: `${u}${SANDBOX_PATHS.openMeteo}`,
      historicalForecastBaseUrl: `${u}${SANDBOX_PATHS.openMeteoHistoricalForecast}`,
      previousRunsBaseUrl: `${u}${SANDBOX_PATHS.openMeteoPreviousRuns}`,
      ...fast,
    });
    ncei = new NceiClient({ baseUrl: `${u}${SANDBOX_PATHS.ncei}`, ...fast });
  });
  afterAll(async () => sandbox?.close());

  describe('IEM', () => {
    it('CLI reports: the world rows, issue times and preliminary flags', async () => {
      const rows = await iem.cliReports('chicago', 2026);
      expect(rows.map(settlement)).toEqual(w.cli.filter((r) => r.cityId === 'chicago').map(settlement));
      expect(rows[0]!.raw).toMatchObject({ product: '202607150633-KLOT-CDUS43-CLIMDW' });
      expect((await iem.cliReports('denver', 2026)).map(settlement)).toEqual(w.cli.filter((r) => r.cityId === 'denver').map(settlement));
      expect(await iem.cliReports('chicago', 2025)).toEqual([]);
    });

    it('ASOS CSV: every observation in [from, to), two-decimal values exact', async () => {
      const range = { from: new Date('2026-07-15T06:00:00Z'), to: new Date('2026-07-16T06:00:00Z') };
      const rows = await iem.asosObservations('chicago', range);
      const expected = w.world.observations('chicago', range);
      expect(rows).toHaveLength(288);
      expect(rows.every((r) => r.source === 'iem-asos')).toBe(true);
      expect(rows.map((r) => obs(r))).toEqual(expected.map((r) => obs(r)));
    });

    it('MOS: runs in the range as daily forecast rows (source iem-mos)', async () => {
      const rows = await iem.mosForecasts('chicago', 'gfs', { from: '2026-07-14', to: '2026-07-14' });
      const expected = w.mos.filter((m) => m.model === 'GFS' && m.runTime.toISOString().startsWith('2026-07-14')).map((m) => mosToDailyForecastRow('chicago', m));
      expect(rows.map(daily)).toEqual(expected.map(daily));
      expect(rows[0]).toMatchObject({ source: 'iem-mos', model: 'gfs', basisDate: '2026-07-13', targetDate: '2026-07-14', leadDays: 1, tempmaxF: 85 });
      const nbm = await iem.mosForecasts('chicago', 'nbm', { from: '2026-07-15', to: '2026-07-15' });
      expect(nbm).toHaveLength(6);
      expect(nbm.every((r) => r.model === 'nbm')).toBe(true);
    });

    it('answers bad parameters with 422 naming the parameter', async () => {
      const res = await fetch(`${sandbox.url}/iem/cgi-bin/request/asos.py?station=MDW&sts=yesterday&ets=2026-07-16T00:00Z`);
      expect(res.status).toBe(422);
      expect(await res.text()).toContain('sts');
      const cli = await fetch(`${sandbox.url}/iem/json/cli.py?station=kmdw&year=2026`);
      expect(cli.status).toBe(422);
      expect(await cli.text()).toContain('station');
    });
  });

  describe('NCEI', () => {
    it('daily-summaries JSON in stored units: tenths °C → °F half up, raw kept', async () => {
      const rows = await ncei.ghcnDaily('chicago', { from: '2026-07-14', to: '2026-07-16' });
      expect(rows.map((r) => [r.date, r.highF, r.lowF])).toEqual([
        ['2026-07-14', 84, 70],
        ['2026-07-15', 87, 72],
        ['2026-07-16', 37, null],
      ]);
      expect(rows[1]).toMatchObject({ source: 'ghcn', raw: { tmaxTenthsC: 306, tminTenthsC: 222 } });
    });

    it('CSV, metric and standard units agree with JSON', async () => {
      const json = await ncei.ghcnDaily('chicago', { from: '2026-07-14', to: '2026-07-16' });
      for (const opts of [{ format: 'csv' as const }, { units: 'metric' as const }, { units: 'standard' as const, format: 'csv' as const }]) {
        const rows = await ncei.ghcnDaily('chicago', { from: '2026-07-14', to: '2026-07-16' }, opts);
        expect(rows.map((r) => [r.date, r.highF, r.lowF])).toEqual(json.map((r) => [r.date, r.highF, r.lowF]));
      }
      expect((await ncei.ghcnDaily('denver', { from: '2026-07-15', to: '2026-07-15' }))[0]).toMatchObject({ highF: tenthsCToF(344), lowF: 31 });
    });

    it('the per-station CSV and the .dly file carry the same values', async () => {
      const csv = await ncei.ghcnStationFile('chicago');
      const dly = await ncei.ghcnDly('chicago');
      expect(dly.map((v) => [v.date, v.tmaxTenthsC, v.tminTenthsC])).toEqual(w.ghcn.filter((g) => g.ghcnId === 'USW00014819').map((v) => [v.date, v.tmaxTenthsC, v.tminTenthsC]));
      expect(csv.map((r) => [r.date, r.highF])).toEqual([
        ['2026-07-14', 84],
        ['2026-07-15', 87],
        ['2026-07-16', 37],
      ]);
    });

    it('answers a bad date with 400 naming the parameter', async () => {
      const err = (await fetch(`${sandbox.url}/ncei/access/services/data/v1?dataset=daily-summaries&stations=USW00014819&startDate=20260714&endDate=2026-07-15`)) as Response;
      expect(err.status).toBe(400);
      expect(await err.text()).toContain('startDate');
    });
  });

  describe('Visual Crossing', () => {
    it('historical daily forecast: the run of basisDate 00Z, rows exact', async () => {
      const targets = { from: '2026-07-15', to: '2026-07-17' };
      const rows = await vc.historicalDailyForecast('chicago', VC_BASIS_DATE, targets);
      expect(rows).toHaveLength(3);
      const expected = w.world.dailyForecasts('chicago', 'visualcrossing', new Date(`${VC_BASIS_DATE}T00:00:00Z`), targets);
      expect(rows.map(daily)).toEqual(expected.map(daily));
      expect(rows[0]).toMatchObject({ basisDate: '2026-07-14', leadDays: 1, model: 'best_match' });
    });

    it('historical hourly forecast: every hour of the civil target days', async () => {
      const targets = { from: '2026-07-15', to: '2026-07-16' };
      const rows = await vc.historicalHourlyForecast('denver', VC_BASIS_DATE, targets);
      const basis = new Date(`${VC_BASIS_DATE}T00:00:00Z`);
      const expected = w.world.hourlyForecasts('denver', 'visualcrossing', basis, { from: civilDayWindow('denver', targets.from).from, to: civilDayWindow('denver', targets.to).to });
      expect(rows).toHaveLength(48);
      expect(rows.map((r) => hourly(r))).toEqual(expected.map((r) => hourly(r)).sort(byTime));
    });

    it('current forecast: basis = the response time, daily and hourly exact', async () => {
      const { basisTime, daily: d, hourly: h } = await vc.currentForecast('chicago');
      expect(basisTime).toEqual(VC_CURRENT_BASIS);
      expect([d.length, h.length]).toEqual([7, 7 * 24]);
      const today = localDateOf('chicago', VC_CURRENT_BASIS);
      const expectedDaily = w.world.dailyForecasts('chicago', 'visualcrossing', VC_CURRENT_BASIS, { from: today, to: addDays(today, 14) });
      expect(d.map(daily)).toEqual(expectedDaily.map(daily));
      const expectedHourly = w.world.hourlyForecasts('chicago', 'visualcrossing', VC_CURRENT_BASIS, { from: civilDayWindow('chicago', today).from, to: civilDayWindow('chicago', addDays(today, 14)).to });
      expect(h.map((r) => hourly(r))).toEqual(expectedHourly.map((r) => hourly(r)).sort(byTime));
    });

    it('station observations over whole climate days (LST window), minutes exact', async () => {
      const rows = await vc.observations('chicago', { from: '2026-07-15', to: '2026-07-15' });
      const win = climateDayWindowUtc('chicago', '2026-07-15');
      const expected = w.world.observations('chicago', { from: win.start.toJSDate(), to: win.end.toJSDate() });
      expect(rows[0]!.observedAt.toISOString()).toBe('2026-07-15T06:00:00.000Z');
      expect(rows).toHaveLength(288);
      expect(rows.every((r) => r.source === 'vc-obs')).toBe(true);
      const fields = ['tempF', 'dewpointF', 'relativeHumidity', 'windSpeedMph', 'windGustMph', 'windDirectionDeg', 'pressureMb', 'conditions'] as const;
      expect(rows.map((r) => obs(r, fields))).toEqual(expected.map((r) => obs(r, fields)));
    });

    it('401 without a key, 400 naming a bad parameter (plain text)', async () => {
      const base = `${sandbox.url}${SANDBOX_PATHS.visualCrossing}/timeline`;
      const noKey = await fetch(`${base}/stn:KMDW/2026-07-15`);
      expect(noKey.status).toBe(401);
      const badLoc = await fetch(`${base}/Nowhere/2026-07-15?key=x`);
      expect(badLoc.status).toBe(400);
      expect(await badLoc.text()).toBe('Bad API Request:Invalid location parameter value.');
      const badBasis = await fetch(`${base}/41.78412,-87.75514/2026-07-15?key=x&forecastBasisDate=2026-13-01`);
      expect(await badBasis.text()).toContain('forecastBasisDate');
      const badDate = await vc.historicalDailyForecast('chicago', VC_BASIS_DATE, { from: '2026-07-15', to: '2026-07-14' }).catch((e: unknown) => e as NonRetryableHttpError);
      expect(badDate).toBeInstanceOf(NonRetryableHttpError);
      expect((badDate as NonRetryableHttpError).status).toBe(400);
      expect((badDate as Error).message).toContain('date2');
      expect((badDate as Error).message).not.toContain(KEY);
    });
  });

  describe('NWS', () => {
    it('points → forecastHourly link → hourly periods (integers °F, basis = updateTime)', async () => {
      const point = await nws.points(41.78412, -87.75514);
      expect(point.gridId).toBe('LOT');
      const rows = await nws.hourlyForecast('chicago');
      const start = new Date(Math.floor(Date.parse('2026-07-16T18:00:00Z') / 3_600_000) * 3_600_000);
      const expected = w.world.hourlyForecasts('chicago', 'visualcrossing', VC_CURRENT_BASIS, { from: start, to: new Date(start.getTime() + 156 * 3_600_000) });
      expect(rows.length).toBe(expected.length);
      expect(rows.length).toBeGreaterThan(100);
      expect(rows[0]).toMatchObject({ source: 'nws', model: 'ndfd', basisTime: VC_CURRENT_BASIS, validTime: start });
      expect(rows.map((r) => [r.validTime.toISOString(), r.tempF, r.dewF, r.humidity])).toEqual(
        expected.map((h) => [h.validTime.toISOString(), roundHalfUp(h.tempF!), h.dewF, Math.round(h.humidity!)]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      );
    });

    it('observations: °C/km/h/Pa converted back exactly; paging by halving when the limit fills', async () => {
      const range = { from: new Date('2026-07-15T06:00:00Z'), to: new Date('2026-07-16T06:00:00Z') };
      const rows = await nws.observations('KMDW', range, 100);
      const expected = w.world.observations('chicago', range);
      expect(rows).toHaveLength(288);
      expect(rows.every((r) => r.source === 'nws-api')).toBe(true);
      expect(rows.map((r) => obs(r))).toEqual(expected.map((r) => obs(r)));
    });

    it('404 problem document for an unknown station', async () => {
      const err = (await nws.observations('KXYZ', { from: new Date('2026-07-15T00:00:00Z'), to: new Date('2026-07-15T06:00:00Z') }).catch((e: unknown) => e)) as NonRetryableHttpError;
      expect(err).toBeInstanceOf(NonRetryableHttpError);
      expect(err.status).toBe(404);
      expect(err.message).toContain('Station KXYZ not found');
      const res = await fetch(`${sandbox.url}/nws/stations/KMDW/observations?start=tomorrow`);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(await res.text()).toContain('start');
    });

    it('requires a User-Agent', () => {
      expect(() => new NwsClient({ baseUrl: 'http://x', userAgent: '' })).toThrow(/User-Agent/);
    });
  });

  describe('Open-Meteo', () => {
    it('forecast: the latest run, basis = current.time, best_match only', async () => {
      const { basisTime, daily: d, hourly: h } = await om.forecast('chicago');
      expect(basisTime).toEqual(OM_CURRENT_BASIS);
      expect([d.length, h.length]).toEqual([7, 7 * 24]);
      const today = localDateOf('chicago', OM_CURRENT_BASIS);
      const expectedDaily = w.world.dailyForecasts('chicago', 'open-meteo', OM_CURRENT_BASIS, { from: today, to: addDays(today, 6) });
      expect(d.map(daily)).toEqual(expectedDaily.map(daily));
      const expectedHourly = w.world.hourlyForecasts('chicago', 'open-meteo', OM_CURRENT_BASIS, { from: civilDayWindow('chicago', today).from, to: civilDayWindow('chicago', addDays(today, 6)).to });
      expect(h.map((r) => hourly(r))).toEqual(expectedHourly.map((r) => hourly(r)).sort(byTime));
    });

    it('historical forecast: basis D 00Z, lead 0, daily and hourly exact', async () => {
      const dates = { from: '2026-07-14', to: '2026-07-15' };
      const { daily: d, hourly: h } = await om.historicalForecast('chicago', dates);
      expect([d.length, h.length]).toEqual([2, 48]);
      const expectedDaily = eachDate(dates.from, dates.to).flatMap((x) => w.world.dailyForecasts('chicago', 'open-meteo', new Date(`${x}T00:00:00Z`), { from: x, to: x }).filter((r) => r.model === 'best_match'));
      expect(d.map(daily)).toEqual(expectedDaily.map(daily));
      const fields = ['tempF', 'dewF', 'humidity', 'precipIn', 'windspeedMph', 'cloudcover'] as const;
      const expectedHourly = eachDate(dates.from, dates.to).flatMap((x) => w.world.hourlyForecasts('chicago', 'open-meteo', new Date(`${x}T00:00:00Z`), civilDayWindow('chicago', x)));
      expect(h.map((r) => hourly(r, fields))).toEqual(expectedHourly.map((r) => hourly(r, fields)).sort(byTime));
    });

    it('previous runs: hourly per N with basis (D−N) 00Z; daily max/min derived, lead N', async () => {
      const dates = { from: '2026-07-15', to: '2026-07-16' };
      const { daily: d, hourly: h } = await om.previousRuns('denver', dates, [1, 2]);
      expect([d.length, h.length]).toEqual([4, 96]);
      const fields = ['tempF', 'dewF', 'humidity', 'precipIn', 'windspeedMph', 'cloudcover'] as const;
      for (const back of [1, 2]) {
        const expected = eachDate(dates.from, dates.to).flatMap((x) => w.world.hourlyForecasts('denver', 'open-meteo', new Date(`${addDays(x, -back)}T00:00:00Z`), civilDayWindow('denver', x)));
        const got = h.filter((r) => daysBack(r) === back);
        expect(got.map((r) => hourly(r, fields))).toEqual(expected.map((r) => hourly(r, fields)).sort(byTime));
        for (const x of eachDate(dates.from, dates.to)) {
          const temps = expected.filter((r) => localDateOf('denver', r.validTime) === x).map((r) => r.tempF!);
          expect(d.find((r) => r.targetDate === x && r.leadDays === back)).toMatchObject({
            basisDate: addDays(x, -back),
            basisTime: new Date(`${addDays(x, -back)}T00:00:00Z`),
            tempmaxF: Math.max(...temps),
            tempminF: Math.min(...temps),
          });
        }
      }
      function daysBack(r: Served<HourlyForecastRow>): number {
        const local = localDateOf('denver', r.validTime);
        return Math.round((Date.parse(`${local}T00:00:00Z`) - r.basisTime.getTime()) / 86_400_000);
      }
    });

    it('a 400 {error, reason} becomes an OpenMeteoError carrying the reason', async () => {
      const res = await fetch(`${sandbox.url}/open-meteo/v1/forecast?latitude=41.78&longitude=-87.75&hourly=tempeture_2m`);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: true, reason: 'Cannot initialize WeatherVariable from invalid String value tempeture_2m for key hourly' });
      const err = (await om.previousRuns('chicago', { from: '2026-07-16', to: '2026-07-15' }, [1]).catch((e: unknown) => e)) as OpenMeteoError;
      expect(err).toBeInstanceOf(OpenMeteoError);
      expect(err).toBeInstanceOf(NonRetryableHttpError);
      expect(err.reason).toContain('end_date');
    });
  });
});
