/**
 * Sandbox Iowa Environmental Mesonet under SANDBOX_PATHS.iem:
 *   GET /json/cli.py?station=KMDW&year=2026            — the world's CLI reports (fmt=json)
 *   GET /cgi-bin/request/asos.py?station=MDW&data=…&sts=…&ets=…&tz=UTC&format=onlycomma
 *                                                       — the world's station observations as CSV
 *   GET /cgi-bin/request/mos.py?station=KMDW&model=GFS&sts=…&ets=…&format=json|csv
 *                                                       — the world's MOS maxima (one row per run and
 *                                                         target: ftime D+1 00Z, `n_x`)
 * Validation errors answer 422 with a text naming the parameter (IEM's pydantic front end).
 */
import { DateTime } from 'luxon';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { getCity, type City } from '../../domain/cities';
import { SANDBOX_PATHS } from '../../temporal.config';
import type { ObservationRow } from '../../schemas/records';
import type { Served, World } from '../world';
import { cliProductId, mosMaxFtime } from '../../clients/iem';
import { addDays, CITY_STATE, cityByIcao } from '../../clients/weather-shared';

type Query = Record<string, string | string[] | undefined>;
const one = (q: Query, name: string): string | undefined => {
  const v = q[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
};
const many = (q: Query, name: string): string[] => {
  const v = q[name];
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
};

function invalid(reply: FastifyReply, param: string, detail: string): FastifyReply {
  return reply.code(422).type('text/plain; charset=utf-8').send(`Invalid request: ${param}: ${detail}`);
}


function parseTime(s: string | undefined): Date | undefined {
  if (!s) return undefined;
  const dt = DateTime.fromISO(s, { setZone: true });
  // The service requires an aware datetime (AwareDatetime): a zone or Z must be given.
  if (!dt.isValid || !/(Z|[+-]\d{2}:?\d{2})$/i.test(s)) return undefined;
  return dt.toJSDate();
}

/** asos.py variables the sandbox renders from an observation row (`sky`: its sky cover, split once per row). */
const ASOS_RENDER: Record<string, (o: Served<ObservationRow>, sky: string[]) => string | number | null | undefined> = {
  tmpf: (o) => o.tempF,
  dwpf: (o) => o.dewpointF,
  relh: (o) => o.relativeHumidity,
  drct: (o) => o.windDirectionDeg,
  sped: (o) => o.windSpeedMph,
  sknt: (o) => (o.windSpeedMph == null ? null : o.windSpeedMph / 1.150779448),
  gust_mph: (o) => o.windGustMph,
  gust: (o) => (o.windGustMph == null ? null : o.windGustMph / 1.150779448),
  mslp: (o) => o.pressureMb,
  alti: (o) => (o.pressureMb == null ? null : o.pressureMb * 0.0295299830714),
  tmpc: (o) => (o.tempF == null ? null : ((o.tempF - 32) * 5) / 9),
  dwpc: (o) => (o.dewpointF == null ? null : ((o.dewpointF - 32) * 5) / 9),
  skyc1: (_o, sky) => sky[0],
  skyc2: (_o, sky) => sky[1],
  skyc3: (_o, sky) => sky[2],
  skyc4: (_o, sky) => sky[3],
  wxcodes: (o) => o.conditions,
};

const NO_SKY: string[] = [];

/** 'YYYY-MM-DD HH:MM' of an instant in UTC. */
const utcMinute = (d: Date): string => {
  const iso = d.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
};

function cell(v: string | number | null | undefined): string {
  if (v === null || v === undefined || v === '') return 'M';
  return typeof v === 'number' ? v.toFixed(2) : v.replace(/[,\n]/g, ' ');
}

const MOS_MODELS = /^(AVN|ETA|GFS|LAV|MEX|NAM|NBE|NBS)$/;
/** IEM model code → the world's model name. */
const worldModel = (m: string) => ({ AVN: 'gfs', GFS: 'gfs', ETA: 'nam', NAM: 'nam', NBS: 'nbm', NBE: 'nbm' })[m] ?? m.toLowerCase();

/** pandas' ISO format for naive UTC timestamps. */
const pandasIso = (d: Date) => d.toISOString().replace('Z', '');

export function registerIemRoutes(app: FastifyInstance, world: World): void {
  const prefix = SANDBOX_PATHS.iem;

  app.get(`${prefix}/json/cli.py`, async (req, reply) => {
    const q = req.query as Query;
    const station = one(q, 'station') ?? '';
    if (!/^[A-Z0-9]{4}$/.test(station)) return invalid(reply, 'station', 'String should match pattern ^[A-Z0-9]{4}$');
    const yearRaw = one(q, 'year');
    const year = Number(yearRaw);
    if (!yearRaw || !Number.isInteger(year) || year < 1850 || year > 2100) return invalid(reply, 'year', 'Input should be a valid integer');
    const fmt = one(q, 'fmt') ?? 'json';
    if (fmt !== 'json') return invalid(reply, 'fmt', 'the sandbox serves fmt=json only');
    const city = cityByIcao(station);
    const rows = city && world.cities.includes(city.id) ? world.cliReports(city.id, { from: `${year}-01-01`, to: `${year}-12-31` }) : [];
    const results = rows
      .slice()
      .sort((a, b) => a.date.localeCompare(b.date))
      .map((r) => {
        const c = getCity(r.cityId as City['id']);
        const product = r.issuedAt ? cliProductId(c.id, r.issuedAt) : null;
        return {
          station: c.station.icao,
          valid: r.date,
          state: CITY_STATE[c.id],
          wfo: c.station.cli.site,
          link: product ? `/api/1/nwstext/${product}` : null,
          product,
          name: c.station.name.toUpperCase(),
          high: r.highF,
          high_record: 'M',
          high_record_years: null,
          high_normal: 'M',
          high_depart: 'M',
          high_time: null,
          low: r.lowF ?? 'M',
          low_record: 'M',
          low_record_years: null,
          low_normal: 'M',
          low_depart: 'M',
          low_time: null,
          precip: 'M',
          precip_normal: 'M',
          precip_month: 'M',
          precip_jan1: 'M',
          snow: 'M',
          snowdepth: 'M',
          average_sky_cover: 'M',
        };
      });
    return reply.type('application/json').send(JSON.stringify({ results, generated_at: world.now().toUTC().toFormat("yyyy-LL-dd'T'HH:mm:ss'Z'") }));
  });

  app.get(`${prefix}/cgi-bin/request/asos.py`, async (req, reply) => {
    const q = req.query as Query;
    const stations = many(q, 'station');
    if (stations.length === 0) return invalid(reply, 'station', 'Field required');
    const data = many(q, 'data');
    const vars = data.length === 0 || data.includes('all') ? Object.keys(ASOS_RENDER) : data;
    for (const v of vars) if (!(v in ASOS_RENDER)) return invalid(reply, 'data', `unknown variable ${v}`);
    const sts = parseTime(one(q, 'sts'));
    if (!sts) return invalid(reply, 'sts', 'Input should be a valid datetime with a timezone');
    const ets = parseTime(one(q, 'ets'));
    if (!ets || ets <= sts) return invalid(reply, 'ets', 'Input should be a valid datetime after sts');
    const tz = one(q, 'tz') ?? 'UTC';
    if (!DateTime.now().setZone(tz).isValid) return invalid(reply, 'tz', `unknown time zone ${tz}`);
    const format = one(q, 'format') ?? 'onlycomma';
    if (format !== 'onlycomma' && format !== 'comma') return invalid(reply, 'format', 'the sandbox serves onlycomma and comma');
    if ((one(q, 'missing') ?? 'M') !== 'M') return invalid(reply, 'missing', 'the sandbox serves missing=M only');

    const utc = tz === 'UTC' || tz === 'Etc/UTC';
    const lines: string[] = [];
    if (format === 'comma') lines.push('#DEBUG: Format Typ    -> comma', `#DEBUG: Time Period -> ${sts.toISOString()} ${ets.toISOString()}`);
    lines.push(['station', 'valid', ...vars].join(','));
    for (const s of stations) {
      const city = cityByIcao(s);
      if (!city || !world.cities.includes(city.id)) continue;
      const id = city.station.icao.slice(1);
      const render = vars.map((v) => ASOS_RENDER[v]!);
      for (const o of world.observations(city.id, { from: sts, to: ets })) {
        // UTC (what the clients ask for) straight from the ISO string; luxon formatting per row was
        // the sandbox's largest cost in a backfill.
        const valid = utc ? utcMinute(o.observedAt) : DateTime.fromJSDate(o.observedAt, { zone: tz }).toFormat('yyyy-LL-dd HH:mm');
        const sky = o.skyCover ? o.skyCover.split(' ') : NO_SKY;
        let line = `${id},${valid}`;
        for (const r of render) line += `,${cell(r(o, sky))}`;
        lines.push(line);
      }
    }
    return reply.type('text/plain; charset=utf-8').send(`${lines.join('\n')}\n`);
  });

  app.get(`${prefix}/cgi-bin/request/mos.py`, async (req, reply) => {
    const q = req.query as Query;
    const station = (one(q, 'station') ?? '').toUpperCase();
    if (!station) return invalid(reply, 'station', 'Field required');
    const model = one(q, 'model') ?? '';
    if (!MOS_MODELS.test(model)) return invalid(reply, 'model', 'String should match pattern ^(AVN|ETA|GFS|LAV|MEX|NAM|NBE|NBS)$');
    const format = one(q, 'format') ?? 'csv';
    if (!/^(csv|json)$/.test(format)) return invalid(reply, 'format', 'the sandbox serves csv and json');
    const sts = parseTime(one(q, 'sts'));
    const ets = parseTime(one(q, 'ets'));
    if (!sts || !ets) return invalid(reply, sts ? 'ets' : 'sts', 'Missing sts and/or ets');
    const city = cityByIcao(station);
    const runs =
      city && world.cities.includes(city.id)
        ? world
            .mosForecasts(city.id, worldModel(model), { from: sts.toISOString().slice(0, 10), to: addDays(ets.toISOString().slice(0, 10), 12) })
            .filter((m) => m.runTime >= sts && m.runTime <= ets)
            .sort((a, b) => a.runTime.getTime() - b.runTime.getTime() || a.targetDate.localeCompare(b.targetDate))
        : [];
    const records = runs.map((m) => ({
      runtime: pandasIso(m.runTime),
      ftime: pandasIso(mosMaxFtime(m.targetDate)),
      station,
      model: model === 'AVN' ? 'GFS' : model === 'ETA' ? 'NAM' : model,
      n_x: m.tmaxF,
    }));
    if (format === 'json') return reply.type('text/plain; charset=utf-8').send(JSON.stringify(records));
    const csv = ['runtime,ftime,station,model,n_x', ...records.map((r) => [r.runtime.replace('T', ' ').slice(0, 19), r.ftime.replace('T', ' ').slice(0, 19), r.station, r.model, String(r.n_x)].join(','))];
    return reply.type('text/plain; charset=utf-8').send(`${csv.join('\n')}\n`);
  });
}
