/**
 * Sandbox Visual Crossing Timeline API under SANDBOX_PATHS.visualCrossing:
 *   GET /timeline/{location}[/{date1}[/{date2}]]?key=…&unitGroup=us&include=…&elements=…&forecastBasisDate=…
 * Modes, from the world:
 *   - `forecastBasisDate=B` with dates: the world's 'visualcrossing' forecast issued at B 00:00Z (days from
 *     dailyForecasts, hours from hourlyForecasts over each civil day), `source: "fcst"`;
 *   - no dates: the current forecast — the world's latest basis time at or before now(), today + 14 days;
 *     `currentConditions.datetimeEpoch` is that basis time (the response's time);
 *   - dates without a basis date: history from the world's observations of the station, grouped into
 *     civil days and hours; `include=minutes` nests every observation under its hour (at its own time,
 *     not resampled to a 15-minute grid), `source: "obs"`.
 * Errors as the real service: plain-text bodies, 401 without a key, 400 naming the bad parameter
 * ("Bad API Request:Invalid location parameter value."). Only `unitGroup=us` is served.
 */
import { DateTime } from 'luxon';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { getCity, type City } from '../../domain/cities';
import { SANDBOX_PATHS } from '../../temporal.config';
import type { DailyForecastRow, HourlyForecastRow, ObservationRow } from '../../schemas/records';
import type { Served, World } from '../world';
import { addDays, cityByIcao, cityNear, civilDayWindow, eachDate, isIsoDate, localDateOf, roundTo } from '../../clients/weather-shared';

const SECTIONS = new Set(['days', 'hours', 'minutes', 'current', 'alerts', 'events', 'obs', 'fcst', 'stats', 'statsfcst', 'remote', 'stations']);

type Obj = Record<string, unknown>;
type Query = Record<string, string | string[] | undefined>;

const one = (q: Query, name: string): string | undefined => {
  const v = q[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
};

function bad(reply: FastifyReply, param: string): FastifyReply {
  return reply.code(400).type('text/plain; charset=utf-8').send(`Bad API Request:Invalid ${param} parameter value.`);
}

const mean = (xs: number[]) => (xs.length > 0 ? roundTo(xs.reduce((a, b) => a + b, 0) / xs.length, 1) : null);
const max = (xs: number[]) => (xs.length > 0 ? Math.max(...xs) : null);
const min = (xs: number[]) => (xs.length > 0 ? Math.min(...xs) : null);
const vals = (rows: Served<ObservationRow>[], pick: (o: Served<ObservationRow>) => number | null | undefined) =>
  rows.map(pick).filter((v): v is number => typeof v === 'number');

const HOUR_MS = 3_600_000;
/** `${zone}|${UTC hour}` -> the zone's UTC offset (minutes), for hours without a transition inside. */
const hourOffsets = new Map<string, number>();

/** The zone's UTC offset at `ms`; luxon once per zone and UTC hour (it was a visible cost of hourly payloads). */
function offsetMinutes(zone: string, ms: number): number {
  const hour = Math.floor(ms / HOUR_MS);
  const key = `${zone}|${hour}`;
  let offset = hourOffsets.get(key);
  if (offset === undefined) {
    const first = DateTime.fromMillis(hour * HOUR_MS, { zone }).offset;
    const last = DateTime.fromMillis(hour * HOUR_MS + HOUR_MS - 1, { zone }).offset;
    if (first !== last) return DateTime.fromMillis(ms, { zone }).offset; // a transition within this hour
    if (hourOffsets.size >= 100_000) hourOffsets.clear();
    hourOffsets.set(key, (offset = first));
  }
  return offset;
}

const two = (n: number) => (n < 10 ? `0${n}` : String(n));

/** HH:mm:ss of `t` on the city's wall clock. */
function localClock(city: City, t: Date): string {
  const local = new Date(t.getTime() + offsetMinutes(city.timeZone, t.getTime()) * 60_000);
  return `${two(local.getUTCHours())}:${two(local.getUTCMinutes())}:${two(local.getUTCSeconds())}`;
}

function dayEpoch(city: City, date: string): number {
  return civilDayWindow(city.id, date).from.getTime() / 1000;
}

function forecastDay(row: Served<DailyForecastRow> | undefined, withAggregates: boolean): Obj {
  if (!withAggregates || !row) return {};
  return {
    tempmax: row.tempmaxF ?? null,
    tempmin: row.tempminF ?? null,
    temp: row.tempF ?? null,
    feelslikemax: row.feelslikemaxF ?? null,
    feelslikemin: null,
    feelslike: null,
    dew: row.dewF ?? null,
    humidity: row.humidity ?? null,
    precip: row.precipIn ?? null,
    precipprob: row.precipProb ?? null,
    precipcover: null,
    preciptype: null,
    snow: row.snowIn ?? null,
    snowdepth: null,
    windgust: row.windgustMph ?? null,
    windspeed: row.windspeedMph ?? null,
    winddir: null,
    pressure: row.pressureMb ?? null,
    cloudcover: row.cloudcover ?? null,
    visibility: null,
    conditions: row.conditions ?? null,
    description: null,
    icon: null,
    stations: null,
    source: 'fcst',
  };
}

function forecastHour(city: City, h: Served<HourlyForecastRow>): Obj {
  return {
    datetime: localClock(city, h.validTime),
    datetimeEpoch: Math.floor(h.validTime.getTime() / 1000),
    temp: h.tempF ?? null,
    feelslike: null,
    humidity: h.humidity ?? null,
    dew: h.dewF ?? null,
    precip: h.precipIn ?? null,
    precipprob: h.precipProb ?? null,
    snow: null,
    preciptype: null,
    windgust: null,
    windspeed: h.windspeedMph ?? null,
    winddir: null,
    pressure: null,
    cloudcover: h.cloudcover ?? null,
    conditions: null,
    stations: null,
    source: 'fcst',
  };
}

function obsPoint(city: City, o: Served<ObservationRow>): Obj {
  return {
    datetime: localClock(city, o.observedAt),
    datetimeEpoch: Math.floor(o.observedAt.getTime() / 1000),
    temp: o.tempF ?? null,
    dew: o.dewpointF ?? null,
    humidity: o.relativeHumidity ?? null,
    windspeed: o.windSpeedMph ?? null,
    windgust: o.windGustMph ?? null,
    winddir: o.windDirectionDeg ?? null,
    pressure: o.pressureMb ?? null,
    conditions: o.conditions ?? null,
    stations: [city.station.icao],
    source: 'obs',
  };
}

/** Keeps only the requested elements of a day/hour/minute object (nested arrays stay). */
function pickElements(obj: Obj, elements: Set<string> | undefined): Obj {
  if (!elements) return obj;
  return Object.fromEntries(Object.entries(obj).filter(([k]) => elements.has(k) || k === 'hours' || k === 'minutes'));
}

export function registerVisualCrossingRoutes(app: FastifyInstance, world: World): void {
  const prefix = SANDBOX_PATHS.visualCrossing;

  app.get(`${prefix}/timeline/*`, async (req, reply) => {
    const q = req.query as Query;
    if (!one(q, 'key')) {
      return reply.code(401).type('text/plain; charset=utf-8').send('No account found with the API key provided. Please verify your API key.');
    }
    const unitGroup = one(q, 'unitGroup') ?? 'us';
    if (unitGroup !== 'us') return bad(reply, 'unitGroup');
    const contentType = one(q, 'contentType') ?? 'json';
    if (contentType !== 'json') return bad(reply, 'contentType');

    const segments = String((req.params as Obj)['*'] ?? '').split('/').filter(Boolean).map(decodeURIComponent);
    const [location, date1, date2raw] = segments;
    if (!location || segments.length > 3) return bad(reply, 'location');
    let city: City | undefined;
    let stationMode = false;
    if (/^stn:/i.test(location)) {
      city = cityByIcao(location.slice(4));
      stationMode = true;
    } else {
      const m = /^(-?\d+(?:\.\d+)?),\s*(-?\d+(?:\.\d+)?)$/.exec(location);
      if (m) city = cityNear(Number(m[1]), Number(m[2]));
    }
    if (!city || !world.cities.includes(city.id)) return bad(reply, 'location');

    if (date1 !== undefined && !isIsoDate(date1)) return bad(reply, 'date1');
    const date2 = date2raw ?? date1;
    if (date2 !== undefined && (!isIsoDate(date2) || (date1 !== undefined && date2 < date1))) return bad(reply, 'date2');
    const basisDate = one(q, 'forecastBasisDate');
    if (basisDate !== undefined && !isIsoDate(basisDate)) return bad(reply, 'forecastBasisDate');
    if (basisDate !== undefined && date1 === undefined) return bad(reply, 'forecastBasisDate');

    const includeRaw = one(q, 'include');
    const include = new Set((includeRaw ?? 'days,hours,current').split(',').map((s) => s.trim()).filter(Boolean));
    for (const s of include) if (!SECTIONS.has(s)) return bad(reply, 'include');
    const elementsRaw = one(q, 'elements');
    const elements = elementsRaw ? new Set(elementsRaw.split(',').map((s) => s.trim())) : undefined;
    const withDays = include.has('days') || !includeRaw;
    const withHours = include.has('hours') || include.has('minutes');

    const days: Obj[] = [];
    let rows = 0;
    let currentConditions: Obj | undefined;
    const cityId = city.id;

    const renderForecast = (basis: Date, from: string, to: string) => {
      for (const date of eachDate(from, to)) {
        const daily = world.dailyForecasts(cityId, 'visualcrossing', basis, { from: date, to: date })[0];
        const hours = withHours ? world.hourlyForecasts(cityId, 'visualcrossing', basis, civilDayWindow(cityId, date)) : [];
        if (!daily && hours.length === 0) continue;
        const day: Obj = { datetime: date, datetimeEpoch: dayEpoch(city!, date), ...forecastDay(daily, withDays) };
        if (withHours) day.hours = hours.sort((a, b) => a.validTime.getTime() - b.validTime.getTime()).map((h) => pickElements(forecastHour(city!, h), elements));
        days.push(pickElements(day, elements));
        rows += 1 + hours.length;
      }
    };

    if (date1 === undefined) {
      // The current forecast: the latest run at or before the world's clock.
      const now = world.now().toJSDate();
      const bases = world.forecastBasisTimes(cityId, 'visualcrossing', { from: new Date(now.getTime() - 7 * 86_400_000), to: new Date(now.getTime() + 1) });
      const basis = bases[bases.length - 1];
      if (basis) {
        const today = localDateOf(cityId, now);
        renderForecast(basis, today, addDays(today, 14));
        if (include.has('current')) {
          const latest = world.observations(cityId, { from: new Date(now.getTime() - 3 * 3_600_000), to: new Date(now.getTime() + 1) }).at(-1);
          currentConditions = {
            datetime: localClock(city, basis),
            datetimeEpoch: Math.floor(basis.getTime() / 1000),
            temp: latest?.tempF ?? null,
            stations: [city.station.icao],
            source: 'obs',
          };
        }
      }
      rows = 1;
    } else if (basisDate !== undefined) {
      renderForecast(new Date(`${basisDate}T00:00:00Z`), date1, date2!);
    } else {
      // History: the station's observations, civil days and hours.
      for (const date of eachDate(date1, date2!)) {
        const window = civilDayWindow(cityId, date);
        const obs = world.observations(cityId, window);
        if (obs.length === 0) continue;
        const day: Obj = { datetime: date, datetimeEpoch: window.from.getTime() / 1000 };
        if (withDays) {
          Object.assign(day, {
            tempmax: max(vals(obs, (o) => o.tempF)),
            tempmin: min(vals(obs, (o) => o.tempF)),
            temp: mean(vals(obs, (o) => o.tempF)),
            dew: mean(vals(obs, (o) => o.dewpointF)),
            humidity: mean(vals(obs, (o) => o.relativeHumidity)),
            windspeed: max(vals(obs, (o) => o.windSpeedMph)),
            windgust: max(vals(obs, (o) => o.windGustMph)),
            winddir: null,
            pressure: mean(vals(obs, (o) => o.pressureMb)),
            conditions: null,
            stations: [city.station.icao],
            source: 'obs',
          });
        }
        rows += 1;
        if (withHours) {
          const byHour = new Map<number, Served<ObservationRow>[]>();
          for (const o of obs) {
            const h = Math.floor(o.observedAt.getTime() / 3_600_000) * 3_600_000;
            byHour.set(h, [...(byHour.get(h) ?? []), o]);
          }
          day.hours = [...byHour.entries()].map(([h, group]) => {
            const hour: Obj = { ...obsPoint(city!, group[0]!), datetime: localClock(city!, new Date(h)), datetimeEpoch: h / 1000 };
            rows += 1;
            if (include.has('minutes')) {
              hour.minutes = group.map((o) => pickElements(obsPoint(city!, o), elements));
              rows += group.length;
            }
            return pickElements(hour, elements);
          });
        }
        days.push(pickElements(day, elements));
      }
    }

    const first = days[0]?.datetime as string | undefined;
    const offsetMinutes = DateTime.fromJSDate(first ? civilDayWindow(cityId, first).from : world.now().toJSDate(), { zone: city.timeZone }).offset;
    const body: Obj = {
      queryCost: rows,
      latitude: stationMode ? roundTo(city.station.latitude, 2) : city.station.latitude,
      longitude: stationMode ? roundTo(city.station.longitude, 2) : city.station.longitude,
      resolvedAddress: stationMode ? city.station.icao : `${city.station.latitude},${city.station.longitude}`,
      address: location,
      timezone: getCity(cityId).timeZone,
      tzoffset: offsetMinutes / 60,
      days,
    };
    if (stationMode) {
      body.stations = {
        [city.station.icao]: {
          distance: 0.0,
          latitude: roundTo(city.station.latitude, 2),
          longitude: roundTo(city.station.longitude, 2),
          useCount: 0,
          id: city.station.icao,
          name: city.station.icao,
          quality: 50,
          contribution: 0.0,
        },
      };
    }
    if (currentConditions) body.currentConditions = currentConditions;
    return reply.type('application/json').send(JSON.stringify(body));
  });
}
