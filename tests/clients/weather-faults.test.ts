/**
 * The weather clients under seeded sandbox faults: with ~0.3 of requests failing (429, 5xx, dropped
 * connections, truncated and garbled bodies) every result is still complete and equal to the fault-free
 * one; schema drift at rate 1 is a PayloadShapeError naming the field path; the Visual Crossing key
 * never appears in an error message or a log line.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { startSandbox, type RunningSandbox } from '../../sandbox/server';
import { SANDBOX_PATHS } from '../../temporal.config';
import { registerVisualCrossingRoutes } from '../../sandbox/routes/visualcrossing';
import { registerIemRoutes } from '../../sandbox/routes/iem';
import { registerNwsRoutes } from '../../sandbox/routes/nws';
import { registerOpenMeteoRoutes } from '../../sandbox/routes/open-meteo';
import { registerNceiRoutes } from '../../sandbox/routes/ncei';
import { VisualCrossingClient } from '../../clients/visualcrossing';
import { IemClient } from '../../clients/iem';
import { NwsClient } from '../../clients/nws';
import { OpenMeteoClient } from '../../clients/open-meteo';
import { NceiClient } from '../../clients/ncei';
import { NonRetryableHttpError, PayloadShapeError } from '../../clients/http';
import { createLogger } from '../../lib/logger';
import type { FaultConfig } from '../../sandbox/faults';
import { buildWorld, VC_BASIS_DATE } from './weather-world';

const KEY = 'VCKEY-SECRET-7f3a9c';
const RECEIVED_AT = new Date('2026-07-16T12:00:00Z');
const ROUTES = [registerVisualCrossingRoutes, registerIemRoutes, registerNwsRoutes, registerOpenMeteoRoutes, registerNceiRoutes];
const SOURCES = ['visualcrossing', 'iem', 'nws', 'open-meteo', 'open-meteo-historical', 'open-meteo-previous-runs', 'ncei'];

function clients(url: string, attempts: number, extra: { log?: ReturnType<typeof createLogger> } = {}) {
  const common = { http: { minDelayMs: 1, maxDelayMs: 4, maxAttempts: attempts, timeoutMs: 5000 }, rateLimit: { limit: 1000, intervalMs: 1000 }, ...extra };
  return {
    // Current forecasts are stamped with their receipt time (domain/known-at.ts): one fixed clock, so two fetches compare equal.
    vc: new VisualCrossingClient({ baseUrl: `${url}${SANDBOX_PATHS.visualCrossing}`, apiKey: KEY, now: () => RECEIVED_AT, ...common }),
    iem: new IemClient({ baseUrl: `${url}${SANDBOX_PATHS.iem}`, ...common }),
    nws: new NwsClient({ baseUrl: `${url}${SANDBOX_PATHS.nws}`, userAgent: 'wx-kalshi tests', ...common }),
    om: new OpenMeteoClient({
      baseUrl: `${url}${SANDBOX_PATHS.openMeteo}`,
      historicalForecastBaseUrl: `${url}${SANDBOX_PATHS.openMeteoHistoricalForecast}`,
      previousRunsBaseUrl: `${url}${SANDBOX_PATHS.openMeteoPreviousRuns}`,
      now: () => RECEIVED_AT,
      ...common,
    }),
    ncei: new NceiClient({ baseUrl: `${url}${SANDBOX_PATHS.ncei}`, ...common }),
  };
}

type Clients = ReturnType<typeof clients>;
const day = { from: new Date('2026-07-15T06:00:00Z'), to: new Date('2026-07-16T06:00:00Z') };

/** One call per client method; results compared between a faulty and a clean sandbox. */
const CALLS: Array<[string, (c: Clients) => Promise<unknown>]> = [
  ['vc historical daily', (c) => c.vc.historicalDailyForecast('chicago', VC_BASIS_DATE, { from: '2026-07-14', to: '2026-07-20' })],
  ['vc historical hourly', (c) => c.vc.historicalHourlyForecast('chicago', VC_BASIS_DATE, { from: '2026-07-15', to: '2026-07-16' })],
  ['vc current', (c) => c.vc.currentForecast('denver')],
  ['vc observations', (c) => c.vc.observations('chicago', { from: '2026-07-14', to: '2026-07-16' })],
  ['iem cli', (c) => c.iem.cliReports('chicago', 2026)],
  ['iem asos', (c) => c.iem.asosObservations('chicago', { from: new Date('2026-07-14T00:00:00Z'), to: new Date('2026-07-17T00:00:00Z') })],
  ['iem mos', (c) => c.iem.mosForecasts('chicago', 'gfs', { from: '2026-07-14', to: '2026-07-15' })],
  ['nws hourly', (c) => c.nws.hourlyForecast('chicago')],
  ['nws observations', (c) => c.nws.observations('KMDW', day, 50)],
  ['om forecast', (c) => c.om.forecast('chicago')],
  ['om historical', (c) => c.om.historicalForecast('denver', { from: '2026-07-14', to: '2026-07-16' })],
  ['om historical, one day', (c) => c.om.historicalForecast('chicago', { from: '2026-07-15', to: '2026-07-15' })],
  ['om historical, two days', (c) => c.om.historicalForecast('chicago', { from: '2026-07-14', to: '2026-07-15' })],
  ['om previous runs', (c) => c.om.previousRuns('chicago', { from: '2026-07-14', to: '2026-07-16' }, [0, 1, 2])],
  ['ncei json', (c) => c.ncei.ghcnDaily('chicago', { from: '2026-07-14', to: '2026-07-16' })],
  ['ncei csv', (c) => c.ncei.ghcnDaily('chicago', { from: '2026-07-14', to: '2026-07-16' }, { format: 'csv' })],
  ['ncei station file', (c) => c.ncei.ghcnStationFile('chicago')],
  ['ncei dly', (c) => c.ncei.ghcnDly('chicago')],
];

async function sandboxWith(faults: FaultConfig, extraRoutes: Array<(app: FastifyInstance) => void> = []): Promise<RunningSandbox> {
  return startSandbox({ port: 0, world: buildWorld().world, routes: [...ROUTES, ...extraRoutes], faults });
}

describe('weather clients under faults', () => {
  const sandboxes: RunningSandbox[] = [];
  let clean: Clients;
  let faulty: Clients;
  let faultySandbox: RunningSandbox;
  let drift: Clients;
  const logLines: string[] = [];

  beforeAll(async () => {
    const rates = { rate429: 0.06, rate5xx: 0.06, rateDrop: 0.06, rateTruncate: 0.06, rateMalformed: 0.06 };
    const [a, b, c] = await Promise.all([
      sandboxWith({}),
      sandboxWith({ seed: 'weather-faults', all: rates }),
      sandboxWith({ all: { rateSchemaDrift: 1 } }),
    ]);
    sandboxes.push(a, b, c);
    faultySandbox = b;
    const log = createLogger('weather-faults', {
      level: 'debug',
      stream: new Writable({
        write(chunk, _enc, cb) {
          logLines.push(String(chunk));
          cb();
        },
      }),
    });
    clean = clients(a.url, 1);
    faulty = clients(b.url, 14, { log });
    drift = clients(c.url, 2);
  });
  afterAll(async () => Promise.all(sandboxes.map((s) => s.close())));

  it.each(CALLS)('%s: complete and identical under ~0.3 faults', async (_name, call) => {
    const expected = await call(clean);
    expect(JSON.stringify(expected).length).toBeGreaterThan(50);
    // Twice, so that each call meets several faults across the seeded schedule.
    expect(await call(faulty)).toEqual(expected);
    expect(await call(faulty)).toEqual(expected);
  });

  it('every fault kind was served, to every weather source', () => {
    const counts = faultySandbox.faults.counts;
    for (const source of SOURCES) {
      const c = counts[source] ?? {};
      const faults = Object.entries(c).filter(([k]) => k !== 'none').reduce((s, [, v]) => s + (v ?? 0), 0);
      expect(faults, source).toBeGreaterThan(0);
    }
    const kinds = new Set(Object.values(counts).flatMap((c) => Object.keys(c)));
    for (const k of ['429', '5xx', 'drop', 'truncate', 'malformed']) expect(kinds.has(k), k).toBe(true);
    // Truncated CSV bodies were among them (asos.py, NCEI CSV) and were retried.
    expect((counts.iem?.truncate ?? 0) + (counts.ncei?.truncate ?? 0)).toBeGreaterThan(0);
  });

  it.each([
    ['visual crossing', 'days.0.datetime', (c: Clients) => c.vc.historicalDailyForecast('chicago', VC_BASIS_DATE, { from: '2026-07-15', to: '2026-07-15' })],
    ['visual crossing observations', 'days.0.hours.0.minutes.0.datetime', (c: Clients) => c.vc.observations('chicago', { from: '2026-07-15', to: '2026-07-15' })],
    ['iem cli', 'results.0.station', (c: Clients) => c.iem.cliReports('chicago', 2026)],
    ['nws observations', 'features.0.geometry.type', (c: Clients) => c.nws.observations('KMDW', day)],
    ['nws points', 'geometry.type', (c: Clients) => c.nws.hourlyForecast('chicago')],
    ['open-meteo', 'hourly_units.time', (c: Clients) => c.om.historicalForecast('chicago', { from: '2026-07-15', to: '2026-07-15' })],
    ['ncei', '0.DATE', (c: Clients) => c.ncei.ghcnDaily('chicago', { from: '2026-07-14', to: '2026-07-16' })],
  ] as const)('%s: schema drift → PayloadShapeError naming %s', async (_name, path, call) => {
    const err = (await call(drift).catch((e: unknown) => e)) as PayloadShapeError;
    expect(err).toBeInstanceOf(PayloadShapeError);
    expect(err.issues[0]?.path).toBe(path);
    expect(err.message).toContain(`${path}:`);
    expect(err.message).not.toContain(KEY);
  });

  it('the Visual Crossing key never appears in errors or logs', async () => {
    const echo = await sandboxWith({}, [
      (app) => {
        // A service that echoes the key in its error bodies, retryable and not.
        app.get('/echo503/timeline/*', async (req, reply) => reply.code(503).type('text/plain').send(`busy for key ${(req.query as { key?: string }).key}`));
        app.get('/echo401/timeline/*', async (req, reply) => reply.code(401).type('text/plain').send(`No account found with API key ${(req.query as { key?: string }).key}`));
      },
    ]);
    sandboxes.push(echo);
    const log = createLogger('vc-key', {
      level: 'debug',
      stream: new Writable({
        write(chunk, _enc, cb) {
          logLines.push(String(chunk));
          cb();
        },
      }),
    });
    const make = (baseUrl: string, attempts = 3) => new VisualCrossingClient({ baseUrl, apiKey: KEY, log, http: { minDelayMs: 1, maxDelayMs: 2, maxAttempts: attempts, timeoutMs: 2000 } });
    const errors: unknown[] = [];
    errors.push(await make(`${echo.url}/echo503`).currentForecast('chicago').catch((e: unknown) => e));
    errors.push(await make(`${echo.url}/echo401`).observations('chicago', { from: '2026-07-15', to: '2026-07-15' }).catch((e: unknown) => e));
    errors.push(await make('http://127.0.0.1:9/vc', 2).currentForecast('chicago').catch((e: unknown) => e)); // connection refused
    errors.push(await drift.vc.currentForecast('chicago').catch((e: unknown) => e)); // payload drift
    errors.push(await make(`${echo.url}${SANDBOX_PATHS.visualCrossing}`).historicalDailyForecast('chicago', 'not-a-date', { from: '2026-07-15', to: '2026-07-15' }).catch((e: unknown) => e)); // 400
    expect(errors.every((e) => e instanceof NonRetryableHttpError)).toBe(true);
    expect((errors[0] as Error).message).toContain('busy for key ***');
    expect((errors[1] as NonRetryableHttpError).status).toBe(401);
    expect((errors[4] as Error).message).toContain('forecastBasisDate');
    for (const e of errors) {
      expect((e as Error).message).not.toContain(KEY);
      expect((e as Error).stack ?? '').not.toContain(KEY);
    }
    expect(logLines.some((l) => l.includes('retrying request'))).toBe(true);
    expect(logLines.join('\n')).not.toContain(KEY);
  });
});
