/**
 * Every weather fixture in shared/reference/fixtures (and the recorded NWS points response in
 * shared/data/real) served verbatim at its real path; the real clients parse it over HTTP.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../../sandbox/server';
import type { World } from '../../sandbox/world';
import { SANDBOX_PATHS } from '../../temporal.config';
import { VisualCrossingClient } from '../../clients/visualcrossing';
import { IemClient } from '../../clients/iem';
import { NwsClient } from '../../clients/nws';
import { OpenMeteoClient, OpenMeteoError } from '../../clients/open-meteo';
import { NceiClient } from '../../clients/ncei';
import { sharedFixtures, sharedReal } from '../support/shared';

const FIXTURES = sharedFixtures().path;
const REAL = sharedReal().path;
const HAVE_SHARED = sharedFixtures().present && sharedReal().present;
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');
const fast = { http: { minDelayMs: 1, maxDelayMs: 5, maxAttempts: 2, timeoutMs: 5000 }, rateLimit: { limit: 1000, intervalMs: 1000 } };
const world = { description: 'fixtures', cities: ['chicago'] } as unknown as World;

function fixtureRoutes(app: FastifyInstance): void {
  const json = (path: string, file: string, type = 'application/json') =>
    app.get(path, async (_req, reply) => reply.type(type).send(fixture(file)));
  const vc = `${SANDBOX_PATHS.visualCrossing}/timeline`;
  json(`${vc}/41.78412,-87.75514/2026-07-15/2026-07-15`, 'vc-timeline-historical-forecast.json');
  json(`${vc}/stn:KMDW/*`, 'vc-timeline-obs-minutes.json');
  json(`${SANDBOX_PATHS.iem}/json/cli.py`, 'iem-cli.json');
  app.get(`${SANDBOX_PATHS.iem}/cgi-bin/request/asos.py`, async (_req, reply) => reply.type('text/plain').send(fixture('iem-asos.csv')));
  json(`${SANDBOX_PATHS.nws}/points/41.7841,-87.7551`, 'nws-points.json', 'application/geo+json');
  json(`${SANDBOX_PATHS.nws}/gridpoints/LOT/72,69/forecast/hourly`, 'nws-forecast-hourly.json', 'application/geo+json');
  json(`${SANDBOX_PATHS.nws}/stations/KMDW/observations`, 'nws-observations.json', 'application/geo+json');
  app.get(`${SANDBOX_PATHS.nws}/points/40.7789,-73.9692`, async (_req, reply) =>
    reply.type('application/geo+json').send(readFileSync(join(REAL, 'tmer234_kalshi_weather_fixtures/points_nyc.json'), 'utf8')),
  );
  json(`${SANDBOX_PATHS.openMeteo}/forecast`, 'open-meteo-forecast.json');
  json(`${SANDBOX_PATHS.openMeteoHistoricalForecast}/forecast`, 'open-meteo-historical-forecast.json');
  json(`${SANDBOX_PATHS.openMeteoPreviousRuns}/forecast`, 'open-meteo-previous-runs.json');
  app.get('/om-error/v1/forecast', async (_req, reply) => reply.code(400).type('application/json').send(fixture('open-meteo-error.json')));
  json(`${SANDBOX_PATHS.ncei}/access/services/data/v1`, 'ncei-daily-summaries.json');
  app.get(`${SANDBOX_PATHS.ncei}/data/global-historical-climatology-network-daily/access/USW00014819.csv`, async (_req, reply) =>
    reply.type('text/csv').send(fixture('ncei-ghcnd-access.csv')),
  );
}

describe.skipIf(!HAVE_SHARED)('weather fixtures parse through the real clients', () => {
  let sandbox: RunningSandbox;
  let url: string;
  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, world, routes: [fixtureRoutes] });
    url = sandbox.url;
  });
  afterAll(async () => sandbox?.close());

  const vc = () => new VisualCrossingClient({ baseUrl: `${url}${SANDBOX_PATHS.visualCrossing}`, apiKey: 'k', ...fast });
  const om = (base = SANDBOX_PATHS.openMeteo) =>
    new OpenMeteoClient({
      baseUrl: `${url}${base}`,
      historicalForecastBaseUrl: `${url}${SANDBOX_PATHS.openMeteoHistoricalForecast}`,
      previousRunsBaseUrl: `${url}${SANDBOX_PATHS.openMeteoPreviousRuns}`,
      now: () => new Date('2026-07-15T12:00:00Z'),
      ...fast,
    });

  it('vc-timeline-historical-forecast.json: daily 88.4 °F as issued 07-14, 24 forecast hours', async () => {
    const days = await vc().historicalDailyForecast('chicago', '2026-07-14', { from: '2026-07-15', to: '2026-07-15' });
    expect(days).toHaveLength(1);
    expect(days[0]).toMatchObject({
      cityId: 'chicago',
      source: 'visualcrossing',
      model: 'best_match',
      targetDate: '2026-07-15',
      basisTime: new Date('2026-07-14T00:00:00Z'),
      basisDate: '2026-07-14',
      leadDays: 1,
      tempmaxF: 88.4,
      tempminF: 72,
      precipProb: 15,
      windgustMph: 23.2,
      conditions: 'Partially cloudy',
      raw: { vcSource: 'fcst' },
    });
    const hours = await vc().historicalHourlyForecast('chicago', '2026-07-14', { from: '2026-07-15', to: '2026-07-15' });
    expect(hours).toHaveLength(24);
    expect(hours[0]).toMatchObject({ validTime: new Date(1784091600 * 1000), tempF: 75, dewF: 66, precipProb: 5 });
    expect(hours[0]!.validTime.toISOString()).toBe('2026-07-15T05:00:00.000Z');
  });

  it('vc-timeline-obs-minutes.json: 15-minute observations inside the climate day, max 87.1', async () => {
    const rows = await vc().observations('chicago', { from: '2026-07-15', to: '2026-07-15' });
    // The civil day starts 05:00Z (CDT); the climate day 06:00Z: the first local hour is cut.
    expect(rows).toHaveLength(96 - 4);
    expect(rows[0]).toMatchObject({ station: 'KMDW', source: 'vc-obs', observedAt: new Date('2026-07-15T06:00:00Z'), tempF: 75.2 });
    expect(Math.max(...rows.map((r) => r.tempF!))).toBe(87.1);
  });

  it('iem-cli.json: highs 84 and 87, "M"/"T" conventions, issue time from the product id', async () => {
    const rows = await new IemClient({ baseUrl: `${url}${SANDBOX_PATHS.iem}`, ...fast }).cliReports('chicago', 2026);
    expect(rows.map((r) => [r.date, r.highF, r.lowF])).toEqual([
      ['2026-07-14', 84, 70],
      ['2026-07-15', 87, 72],
    ]);
    expect(rows[1]).toMatchObject({ source: 'cli', issuedAt: new Date('2026-07-16T06:29:00Z'), isPreliminary: false, raw: { high_time: '318 PM' } });
  });

  it('iem-asos.csv: 25 reports, the 16:12 special with missing dew point, max 87.08', async () => {
    const rows = await new IemClient({ baseUrl: `${url}${SANDBOX_PATHS.iem}`, ...fast }).asosObservations('chicago', {
      from: new Date('2026-07-15T06:00:00Z'),
      to: new Date('2026-07-16T06:00:00Z'),
    });
    expect(rows).toHaveLength(25);
    expect(rows[0]).toMatchObject({ station: 'KMDW', source: 'iem-asos', observedAt: new Date('2026-07-15T06:53:00Z'), tempF: 74.66, dewpointF: 65.84, relativeHumidity: 74.04 });
    expect(rows.find((r) => r.observedAt.toISOString() === '2026-07-15T16:12:00.000Z')).toMatchObject({ tempF: 84.2, dewpointF: null, relativeHumidity: null });
    expect(Math.max(...rows.map((r) => r.tempF!))).toBe(87.08);
  });

  it('nws-points.json, nws-forecast-hourly.json: grid LOT 72,69, six hourly periods', async () => {
    const nws = new NwsClient({ baseUrl: `${url}${SANDBOX_PATHS.nws}`, userAgent: 'wx-kalshi tests', ...fast });
    expect(await nws.points(41.78412, -87.75514)).toMatchObject({ gridId: 'LOT', gridX: 72, gridY: 69, timeZone: 'America/Chicago' });
    const rows = await nws.hourlyForecast('chicago');
    expect(rows).toHaveLength(6);
    expect(rows[0]).toMatchObject({
      source: 'nws',
      model: 'ndfd',
      basisTime: new Date('2026-07-15T16:55:32Z'),
      validTime: new Date('2026-07-15T18:00:00Z'),
      tempF: 87,
      dewF: 67,
      humidity: 52,
      precipProb: 8,
      windspeedMph: 12,
    });
  });

  it('nws-observations.json: °C → °F (30.6 → 87.08), km/h → mph, QC flags kept', async () => {
    const nws = new NwsClient({ baseUrl: `${url}${SANDBOX_PATHS.nws}`, userAgent: 'wx-kalshi tests', ...fast });
    const rows = await nws.observations('KMDW', { from: new Date('2026-07-15T00:00:00Z'), to: new Date('2026-07-16T00:00:00Z') });
    expect(rows).toHaveLength(3);
    const peak = rows.find((r) => r.observedAt.toISOString() === '2026-07-15T19:53:00.000Z');
    expect(peak).toMatchObject({ station: 'KMDW', source: 'nws-api', tempF: 87.08, dewpointF: 65.84, windDirectionDeg: 210, pressureMb: 1012.7, skyCover: 'FEW', conditions: 'Mostly Clear' });
    expect(rows.at(-1)).toMatchObject({ tempF: 86.18, windSpeedMph: 13.81, qualityFlags: { temperature: 'V' } });
  });

  it('a recorded api.weather.gov /points response (NYC) parses', async () => {
    const nws = new NwsClient({ baseUrl: `${url}${SANDBOX_PATHS.nws}`, userAgent: 'wx-kalshi tests', ...fast });
    const p = await nws.points(40.7789, -73.9692);
    expect(p.gridId).toBe('OKX');
    expect(p.forecastHourly).toMatch(/\/gridpoints\/OKX\/\d+,\d+\/forecast\/hourly$/);
  });

  it('open-meteo-forecast.json: local times at utc_offset_seconds, daily 87.8', async () => {
    const { daily, hourly } = await om().forecast('chicago');
    expect(daily).toHaveLength(1);
    expect(daily[0]).toMatchObject({ source: 'open-meteo', model: 'best_match', targetDate: '2026-07-15', tempmaxF: 87.8, basisDate: '2026-07-15', leadDays: 0 });
    expect(hourly).toHaveLength(24);
    expect(hourly[0]).toMatchObject({ validTime: new Date('2026-07-15T05:00:00Z'), tempF: 74.4 });
    expect(Math.max(...hourly.map((h) => h.tempF!))).toBe(87.8);
  });

  it('open-meteo-historical-forecast.json: 24 hours, nominal basis 07-15 00Z', async () => {
    const { daily, hourly } = await om().historicalForecast('chicago', { from: '2026-07-15', to: '2026-07-15' });
    expect(daily).toEqual([]);
    expect(hourly).toHaveLength(24);
    expect(hourly.every((h) => h.basisTime.toISOString() === '2026-07-15T00:00:00.000Z')).toBe(true);
    expect(Math.max(...hourly.map((h) => h.tempF!))).toBe(86.8);
  });

  it('open-meteo-previous-runs.json: day0/day1/day2 curves, derived daily maxima 86.8 / 87.5 / 89.2', async () => {
    const { daily, hourly } = await om().previousRuns('chicago', { from: '2026-07-15', to: '2026-07-15' }, [0, 1, 2]);
    expect(hourly).toHaveLength(72);
    expect(daily.map((d) => [d.leadDays, d.basisDate, d.tempmaxF, d.tempminF])).toEqual([
      [0, '2026-07-15', 86.8, 72.1],
      [1, '2026-07-14', 87.5, 71.1],
      [2, '2026-07-13', 89.2, 72.8],
    ]);
  });

  it('open-meteo-error.json: a non-retryable OpenMeteoError with its reason', async () => {
    const err = (await om('/om-error/v1').forecast('chicago').catch((e: unknown) => e)) as OpenMeteoError;
    expect(err).toBeInstanceOf(OpenMeteoError);
    expect(err.status).toBe(400);
    expect(err.reason).toBe('Cannot initialize WeatherVariable from invalid String value tempeture_2m for key hourly');
  });

  it('ncei-daily-summaries.json (units=standard): 84 and 87 °F', async () => {
    const ncei = new NceiClient({ baseUrl: `${url}${SANDBOX_PATHS.ncei}`, ...fast });
    const rows = await ncei.ghcnDaily('chicago', { from: '2026-07-14', to: '2026-07-15' }, { units: 'standard' });
    expect(rows.map((r) => [r.date, r.highF, r.lowF, r.source])).toEqual([
      ['2026-07-14', 84, 70, 'ghcn'],
      ['2026-07-15', 87, 72, 'ghcn'],
    ]);
  });

  it('ncei-ghcnd-access.csv: TMAX 306 tenths °C → 87 °F, raw tenths kept', async () => {
    const ncei = new NceiClient({ baseUrl: `${url}${SANDBOX_PATHS.ncei}`, ...fast });
    const rows = await ncei.ghcnStationFile('chicago');
    expect(rows.map((r) => [r.date, r.highF, r.lowF])).toEqual([
      ['2026-07-14', 84, 70],
      ['2026-07-15', 87, 72],
    ]);
    expect(rows[1]!.raw).toMatchObject({ ghcnId: 'USW00014819', tmaxTenthsC: 306, tminTenthsC: 222 });
  });
});
