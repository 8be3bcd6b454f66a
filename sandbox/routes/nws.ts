/**
 * Sandbox NWS API (api.weather.gov) under SANDBOX_PATHS.nws:
 *   GET /points/{lat},{lon}                         — grid of a traded station (gridId = the CLI WFO);
 *                                                     links point back into the sandbox
 *   GET /gridpoints/{wfo}/{x},{y}/forecast/hourly   — hourly periods; the world has no NWS product, so
 *                                                     the world's latest 'visualcrossing' hourly run at or
 *                                                     before now() stands in (°F rounded to integers as
 *                                                     the NWS does; `updateTime` = that run's basis time)
 *   GET /stations/{id}/observations?start&end&limit — the world's observations of the station, newest
 *                                                     first, °C / km/h / Pa QuantitativeValues
 *   GET /stations/{id}                              — station metadata (404 for an unknown station)
 * Errors are problem+json documents (type, title, status, detail, instance, correlationId). JSON-LD
 * `@context` is written last (key order carries no meaning in JSON).
 */
import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CITIES, type City } from '../../domain/cities';
import { SANDBOX_PATHS } from '../../temporal.config';
import type { ObservationRow } from '../../schemas/records';
import type { Served, World } from '../world';
import { cityByIcao, cityNear, fToC, roundHalfUp, roundTo } from '../../clients/weather-shared';

type Obj = Record<string, unknown>;
type Query = Record<string, string | string[] | undefined>;
const one = (q: Query, name: string): string | undefined => {
  const v = q[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
};

const CONTEXT = [
  'https://geojson.org/geojson-ld/geojson-context.jsonld',
  { '@version': '1.1', wx: 'https://api.weather.gov/ontology#', geo: 'http://www.opengis.net/ont/geosparql#', unit: 'http://codes.wmo.int/common/unit/', '@vocab': 'https://api.weather.gov/ontology#' },
];

function problem(reply: FastifyReply, status: number, title: string, detail: string, extra: Obj = {}): FastifyReply {
  const id = randomUUID();
  return reply
    .code(status)
    .type('application/problem+json')
    .send(
      JSON.stringify({
        correlationId: id,
        title,
        type: `https://api.weather.gov/problems/${title.replace(/\s+/g, '')}`,
        status,
        detail,
        instance: `https://api.weather.gov/requests/${id}`,
        ...extra,
      }),
    );
}

/** A deterministic grid position for a city (the sandbox does not model the real NWS grid). */
function grid(city: City): { wfo: string; x: number; y: number } {
  const x = Math.abs(Math.round(city.station.longitude * 10)) % 150;
  const y = Math.abs(Math.round(city.station.latitude * 10)) % 150;
  return { wfo: city.station.cli.site, x, y };
}

const origin = (req: FastifyRequest) => `${req.protocol}://${req.headers.host ?? '127.0.0.1'}${SANDBOX_PATHS.nws}`;
const qv = (unitCode: string, value: number | null | undefined, withQc = true): Obj =>
  withQc ? { unitCode, value: value ?? null, qualityControl: value == null ? 'Z' : 'V' } : { unitCode, value: value ?? null };
const c = (f: number | null | undefined) => (f == null ? null : roundTo(fToC(f), 10));

function observationFeature(base: string, city: City, o: Served<ObservationRow>): Obj {
  const ts = DateTime.fromJSDate(o.observedAt, { zone: 'utc' }).toFormat("yyyy-LL-dd'T'HH:mm:ssZZ");
  const id = `${base}/stations/${city.station.icao}/observations/${ts}`;
  return {
    id,
    type: 'Feature',
    geometry: { type: 'Point', coordinates: [roundTo(city.station.longitude, 2), roundTo(city.station.latitude, 2)] },
    properties: {
      '@id': id,
      '@type': 'wx:ObservationStation',
      elevation: { unitCode: 'wmoUnit:m', value: 0 },
      station: `${base}/stations/${city.station.icao}`,
      stationId: city.station.icao,
      stationName: city.station.name,
      timestamp: ts,
      rawMessage: '',
      textDescription: o.conditions ?? '',
      icon: null,
      presentWeather: [],
      temperature: qv('wmoUnit:degC', c(o.tempF)),
      dewpoint: qv('wmoUnit:degC', c(o.dewpointF)),
      windDirection: qv('wmoUnit:degree_(angle)', o.windDirectionDeg),
      windSpeed: qv('wmoUnit:km_h-1', o.windSpeedMph == null ? null : roundTo(o.windSpeedMph * 1.609344, 10)),
      windGust: qv('wmoUnit:km_h-1', o.windGustMph == null ? null : roundTo(o.windGustMph * 1.609344, 10)),
      barometricPressure: qv('wmoUnit:Pa', null),
      seaLevelPressure: qv('wmoUnit:Pa', o.pressureMb == null ? null : roundTo(o.pressureMb * 100, 8)),
      visibility: qv('wmoUnit:m', null),
      maxTemperatureLast24Hours: qv('wmoUnit:degC', null, false),
      minTemperatureLast24Hours: qv('wmoUnit:degC', null, false),
      precipitationLastHour: qv('wmoUnit:mm', null),
      relativeHumidity: qv('wmoUnit:percent', o.relativeHumidity),
      windChill: qv('wmoUnit:degC', null),
      heatIndex: qv('wmoUnit:degC', null),
      cloudLayers: (o.skyCover ?? '').split(' ').filter(Boolean).map((amount) => ({ base: { unitCode: 'wmoUnit:m', value: null }, amount })),
    },
  };
}

export function registerNwsRoutes(app: FastifyInstance, world: World): void {
  const prefix = SANDBOX_PATHS.nws;
  const served = (city: City | undefined) => (city && world.cities.includes(city.id) ? city : undefined);

  app.get(`${prefix}/points/:coords`, async (req, reply) => {
    const coords = (req.params as { coords: string }).coords;
    const m = /^(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)$/.exec(coords);
    if (!m) return problem(reply, 400, 'Invalid Parameter', `Parameter "point" is invalid: ${coords}`, { parameterErrors: [{ parameter: 'path.point', message: 'Does not match /^(-?\\d+(?:\\.\\d+)?),(-?\\d+(?:\\.\\d+)?)$/' }] });
    const city = served(cityNear(Number(m[1]), Number(m[2]), 0.01));
    if (!city) return problem(reply, 404, 'Data Unavailable For Requested Point', `Unable to provide data for requested point ${coords}`);
    const base = origin(req);
    const { wfo, x, y } = grid(city);
    const body = {
      id: `${base}/points/${coords}`,
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [Number(m[2]), Number(m[1])] },
      properties: {
        '@id': `${base}/points/${coords}`,
        '@type': 'wx:Point',
        cwa: wfo,
        forecastOffice: `${base}/offices/${wfo}`,
        gridId: wfo,
        gridX: x,
        gridY: y,
        forecast: `${base}/gridpoints/${wfo}/${x},${y}/forecast`,
        forecastHourly: `${base}/gridpoints/${wfo}/${x},${y}/forecast/hourly`,
        forecastGridData: `${base}/gridpoints/${wfo}/${x},${y}`,
        observationStations: `${base}/gridpoints/${wfo}/${x},${y}/stations`,
        timeZone: city.timeZone,
        radarStation: `K${wfo}`,
      },
      '@context': CONTEXT,
    };
    return reply.type('application/geo+json').send(JSON.stringify(body));
  });

  app.get(`${prefix}/gridpoints/:wfo/:xy/forecast/hourly`, async (req, reply) => {
    const { wfo, xy } = req.params as { wfo: string; xy: string };
    const city = served(CITIES.find((c) => grid(c).wfo === wfo && `${grid(c).x},${grid(c).y}` === xy));
    if (!city) return problem(reply, 404, 'Not Found', `Grid ${wfo}/${xy} is not served by this sandbox`);
    const now = world.now().toJSDate();
    const bases = world.forecastBasisTimes(city.id, 'visualcrossing', { from: new Date(now.getTime() - 7 * 86_400_000), to: new Date(now.getTime() + 1) });
    const basis = bases[bases.length - 1];
    const start = new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000);
    const hours = basis ? world.hourlyForecasts(city.id, 'visualcrossing', basis, { from: start, to: new Date(start.getTime() + 156 * 3_600_000) }) : [];
    const local = (t: Date) => DateTime.fromJSDate(t, { zone: city.timeZone }).toISO({ suppressMilliseconds: true })!;
    const periods = hours
      .sort((a, b) => a.validTime.getTime() - b.validTime.getTime())
      .map((h, i) => {
        const hourOfDay = DateTime.fromJSDate(h.validTime, { zone: city.timeZone }).hour;
        return {
          number: i + 1,
          name: '',
          startTime: local(h.validTime),
          endTime: local(new Date(h.validTime.getTime() + 3_600_000)),
          isDaytime: hourOfDay >= 6 && hourOfDay < 18,
          temperature: h.tempF == null ? null : roundHalfUp(h.tempF),
          temperatureUnit: 'F',
          temperatureTrend: '',
          probabilityOfPrecipitation: { unitCode: 'wmoUnit:percent', value: h.precipProb == null ? null : Math.round(h.precipProb) },
          dewpoint: { unitCode: 'wmoUnit:degC', value: h.dewF == null ? null : fToC(h.dewF) },
          relativeHumidity: { unitCode: 'wmoUnit:percent', value: h.humidity == null ? null : Math.round(h.humidity) },
          windSpeed: h.windspeedMph == null ? '' : `${Math.round(h.windspeedMph)} mph`,
          windDirection: '',
          icon: '',
          shortForecast: '',
          detailedForecast: '',
        };
      });
    const stamp = (basis ?? now).toISOString().replace('.000Z', '+00:00');
    const { latitude: lat, longitude: lon } = city.station;
    const body = {
      type: 'Feature',
      geometry: { type: 'Polygon', coordinates: [[[lon - 0.01, lat - 0.01], [lon + 0.01, lat - 0.01], [lon + 0.01, lat + 0.01], [lon - 0.01, lat + 0.01], [lon - 0.01, lat - 0.01]]] },
      properties: {
        units: 'us',
        forecastGenerator: 'HourlyForecastGenerator',
        generatedAt: now.toISOString().replace('.000Z', '+00:00'),
        updateTime: stamp,
        validTimes: `${start.toISOString().replace('.000Z', '+00:00')}/P7DT12H`,
        elevation: { unitCode: 'wmoUnit:m', value: 0 },
        periods,
      },
      '@context': CONTEXT,
    };
    return reply.type('application/geo+json').send(JSON.stringify(body));
  });

  app.get(`${prefix}/stations/:id`, async (req, reply) => {
    const id = (req.params as { id: string }).id.toUpperCase();
    const city = served(cityByIcao(id.length === 4 ? id : ''));
    if (!city) return problem(reply, 404, 'Not Found', `Station ${id} not found`);
    const base = origin(req);
    return reply.type('application/geo+json').send(
      JSON.stringify({
        id: `${base}/stations/${id}`,
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [city.station.longitude, city.station.latitude] },
        properties: { '@id': `${base}/stations/${id}`, '@type': 'wx:ObservationStation', stationIdentifier: id, name: city.station.name, timeZone: city.timeZone },
        '@context': CONTEXT,
      }),
    );
  });

  app.get(`${prefix}/stations/:id/observations`, async (req, reply) => {
    const id = (req.params as { id: string }).id.toUpperCase();
    const city = served(cityByIcao(id.length === 4 ? id : ''));
    if (!city) return problem(reply, 404, 'Not Found', `Station ${id} not found`);
    const q = req.query as Query;
    const parse = (name: string): Date | null | undefined => {
      const s = one(q, name);
      if (s === undefined) return undefined;
      const dt = DateTime.fromISO(s, { setZone: true });
      return dt.isValid && /(Z|[+-]\d{2}:?\d{2})$/i.test(s) ? dt.toJSDate() : null;
    };
    const start = parse('start');
    const end = parse('end');
    const invalid = (parameter: string, message: string) =>
      problem(reply, 400, 'Invalid Parameter', `Parameter "${parameter}" is invalid`, { parameterErrors: [{ parameter: `query.${parameter}`, message }] });
    if (start === null) return invalid('start', 'Not a valid ISO-8601 date-time with offset');
    if (end === null) return invalid('end', 'Not a valid ISO-8601 date-time with offset');
    const limitRaw = one(q, 'limit');
    const limit = limitRaw === undefined ? 500 : Number(limitRaw);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) return invalid('limit', 'Must be an integer from 1 to 500');
    const now = world.now().toJSDate();
    const to = end ? new Date(end.getTime() + 1) : now;
    const from = start ?? new Date(to.getTime() - 7 * 86_400_000);
    const base = origin(req);
    const features = world
      .observations(city.id, { from, to })
      .sort((a, b) => b.observedAt.getTime() - a.observedAt.getTime())
      .slice(0, limit)
      .map((o) => observationFeature(base, city, o));
    return reply.type('application/geo+json').send(JSON.stringify({ type: 'FeatureCollection', features, '@context': CONTEXT }));
  });
}
