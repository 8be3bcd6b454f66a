/**
 * Sandbox NCEI under SANDBOX_PATHS.ncei, from the world's GHCN-Daily values (tenths °C):
 *   GET /access/services/data/v1?dataset=daily-summaries&stations=…&startDate=…&endDate=…
 *       [&dataTypes=TMAX,TMIN][&units=standard|metric][&format=json|csv][&includeStationName=1][&includeAttributes=true]
 *       — string-valued records; units omitted = stored tenths °C, metric = °C, standard = whole °F
 *   GET /data/global-historical-climatology-network-daily/access/{station}.csv — the per-station CSV
 *   GET /pub/data/ghcn/daily/all/{station}.dly — the raw fixed-width file (TMAX/TMIN lines)
 * Bad parameters: HTTP 400 JSON naming the parameter; an unknown station: an empty result (200) for the
 * data service and 404 for the files.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { SANDBOX_PATHS } from '../../temporal.config';
import type { GhcnDailyValue } from '../../schemas/records';
import type { World } from '../world';
import { tenthsCToF } from '../../clients/ncei';
import { CITY_STATE, cityByGhcnId, csvQuote, isIsoDate } from '../../clients/weather-shared';

type Query = Record<string, string | string[] | undefined>;
const one = (q: Query, name: string): string | undefined => {
  const v = q[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
};
const list = (q: Query, name: string): string[] =>
  (one(q, name) ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function fail(reply: FastifyReply, field: string, message: string): FastifyReply {
  return reply
    .code(400)
    .type('application/json')
    .send(JSON.stringify({ errorMessage: `Invalid parameter ${field}: ${message}`, errorCode: 400, errors: [{ field, value: null, message }] }));
}

function render(tenths: number | undefined, units: string | undefined): string | undefined {
  if (tenths === undefined) return undefined;
  if (units === 'standard') return String(tenthsCToF(tenths));
  if (units === 'metric') return (tenths / 10).toFixed(1);
  return String(tenths);
}

function stationName(ghcnId: string): string {
  const city = cityByGhcnId(ghcnId);
  return city ? `${city.station.name.toUpperCase()}, ${CITY_STATE[city.id]} US` : ghcnId;
}

function values(world: World, ghcnId: string, from: string, to: string): GhcnDailyValue[] {
  const city = cityByGhcnId(ghcnId);
  if (!city || !world.cities.includes(city.id)) return [];
  return world.ghcnDaily(city.id, { from, to }).slice().sort((a, b) => a.date.localeCompare(b.date));
}

/** GHCN attributes "M,Q,S,time": the QFLAG of a value that failed quality control, source W. */
const attributes = (qflag: string | undefined): string => `,${qflag ?? ''},W,`;

/** One `.dly` line: ID, year, month, element, 31 × (value %5d, M, Q, S flags). */
function dlyLine(ghcnId: string, ym: string, element: 'TMAX' | 'TMIN', byDay: Map<number, { v: number; q?: string | undefined }>): string {
  let line = `${ghcnId.padEnd(11)}${ym.slice(0, 4)}${ym.slice(5, 7)}${element}`;
  for (let d = 1; d <= 31; d++) {
    const x = byDay.get(d);
    line += x === undefined ? '-9999   ' : `${String(x.v).padStart(5)} ${(x.q ?? ' ').slice(0, 1)}W`;
  }
  return line;
}

export function registerNceiRoutes(app: FastifyInstance, world: World): void {
  const prefix = SANDBOX_PATHS.ncei;

  app.get(`${prefix}/access/services/data/v1`, async (req, reply) => {
    const q = req.query as Query;
    const dataset = one(q, 'dataset');
    if (dataset !== 'daily-summaries') return fail(reply, 'dataset', `unsupported dataset ${JSON.stringify(dataset ?? '')} (the sandbox serves daily-summaries)`);
    const stations = list(q, 'stations');
    if (stations.length === 0) return fail(reply, 'stations', 'at least one station is required');
    const startDate = one(q, 'startDate');
    const endDate = one(q, 'endDate');
    if (!isIsoDate(startDate?.slice(0, 10))) return fail(reply, 'startDate', 'expected YYYY-MM-DD');
    if (!isIsoDate(endDate?.slice(0, 10)) || endDate!.slice(0, 10) < startDate!.slice(0, 10)) return fail(reply, 'endDate', 'expected YYYY-MM-DD on or after startDate');
    const dataTypes = list(q, 'dataTypes');
    const types = (dataTypes.length > 0 ? dataTypes : ['TMAX', 'TMIN']).filter((t) => t === 'TMAX' || t === 'TMIN');
    const units = one(q, 'units');
    if (units !== undefined && units !== 'standard' && units !== 'metric') return fail(reply, 'units', 'expected standard or metric');
    const format = one(q, 'format') ?? 'csv';
    if (format !== 'json' && format !== 'csv') return fail(reply, 'format', 'expected json or csv');
    const withName = ['1', 'true'].includes(one(q, 'includeStationName') ?? '');
    const withAttributes = ['1', 'true'].includes(one(q, 'includeAttributes') ?? '');

    const records: Array<Record<string, string>> = [];
    for (const station of stations) {
      for (const v of values(world, station, startDate!.slice(0, 10), endDate!.slice(0, 10))) {
        const rec: Record<string, string> = { DATE: v.date, STATION: v.ghcnId };
        if (withName) rec.NAME = stationName(v.ghcnId);
        for (const t of types) {
          const s = render(t === 'TMAX' ? v.tmaxTenthsC : v.tminTenthsC, units);
          if (s !== undefined) rec[t] = s;
          if (s !== undefined && withAttributes) rec[`${t}_ATTRIBUTES`] = attributes(t === 'TMAX' ? v.tmaxQflag : v.tminQflag);
        }
        records.push(rec);
      }
    }
    if (format === 'json') return reply.type('application/json').send(JSON.stringify(records));
    const header = ['STATION', 'DATE', ...(withName ? ['NAME'] : []), ...types.flatMap((t) => (withAttributes ? [t, `${t}_ATTRIBUTES`] : [t]))];
    const lines = [header.map(csvQuote).join(','), ...records.map((r) => header.map((h) => csvQuote(r[h] ?? '')).join(','))];
    return reply.type('text/csv').send(`${lines.join('\n')}\n`);
  });

  app.get(`${prefix}/data/global-historical-climatology-network-daily/access/:file`, async (req, reply) => {
    const file = (req.params as { file: string }).file;
    const ghcnId = file.replace(/\.csv$/, '');
    const city = cityByGhcnId(ghcnId);
    if (!file.endsWith('.csv') || !city || !world.cities.includes(city.id)) return reply.code(404).type('text/html').send('<html><body><h1>404 Not Found</h1></body></html>');
    const header = ['STATION', 'DATE', 'LATITUDE', 'LONGITUDE', 'ELEVATION', 'NAME', 'TMAX', 'TMAX_ATTRIBUTES', 'TMIN', 'TMIN_ATTRIBUTES'];
    const lines = [header.map(csvQuote).join(',')];
    for (const v of values(world, ghcnId, world.dates.from, world.dates.to)) {
      const fields = [
        v.ghcnId,
        v.date,
        String(city.station.latitude),
        String(city.station.longitude),
        '',
        stationName(v.ghcnId),
        v.tmaxTenthsC === undefined ? '' : String(v.tmaxTenthsC),
        v.tmaxTenthsC === undefined ? '' : attributes(v.tmaxQflag),
        v.tminTenthsC === undefined ? '' : String(v.tminTenthsC),
        v.tminTenthsC === undefined ? '' : attributes(v.tminQflag),
      ];
      lines.push(fields.map(csvQuote).join(','));
    }
    return reply.type('text/csv').send(`${lines.join('\n')}\n`);
  });

  app.get(`${prefix}/pub/data/ghcn/daily/all/:file`, async (req, reply) => {
    const file = (req.params as { file: string }).file;
    const ghcnId = file.replace(/\.dly$/, '');
    const city = cityByGhcnId(ghcnId);
    if (!file.endsWith('.dly') || !city || !world.cities.includes(city.id)) return reply.code(404).type('text/html').send('<html><body><h1>404 Not Found</h1></body></html>');
    const months = new Map<string, { TMAX: Map<number, { v: number; q?: string | undefined }>; TMIN: Map<number, { v: number; q?: string | undefined }> }>();
    for (const v of values(world, ghcnId, world.dates.from, world.dates.to)) {
      const ym = v.date.slice(0, 7);
      const m = months.get(ym) ?? { TMAX: new Map(), TMIN: new Map() };
      const day = Number(v.date.slice(8, 10));
      if (v.tmaxTenthsC !== undefined) m.TMAX.set(day, { v: v.tmaxTenthsC, q: v.tmaxQflag });
      if (v.tminTenthsC !== undefined) m.TMIN.set(day, { v: v.tminTenthsC, q: v.tminQflag });
      months.set(ym, m);
    }
    const lines: string[] = [];
    for (const [ym, m] of [...months.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      if (m.TMAX.size > 0) lines.push(dlyLine(ghcnId, ym, 'TMAX', m.TMAX));
      if (m.TMIN.size > 0) lines.push(dlyLine(ghcnId, ym, 'TMIN', m.TMIN));
    }
    return reply.type('text/plain').send(lines.length > 0 ? `${lines.join('\n')}\n` : '');
  });
}
