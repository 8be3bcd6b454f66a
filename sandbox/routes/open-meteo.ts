/**
 * Sandbox Open-Meteo under three prefixes (SANDBOX_PATHS), each `GET …/forecast`:
 *   - openMeteo (forecast): the world's latest 'open-meteo' run at or before now(); `current.time` is
 *     that basis time (the response's time); dates from start_date/end_date or today + forecast_days;
 *   - openMeteoHistoricalForecast and openMeteoPreviousRuns (one handler, as the reference says the
 *     historical host answers `_previous_dayN` too): for target date D, `<var>` is the run of D 00:00Z and
 *     `<var>_previous_dayN` the run of (D−N) 00:00Z, over the local day D; daily variables come from the
 *     world's daily rows of the D 00:00Z run.
 * Rows are filtered to the requested `models` (default best_match). Times follow `timezone` with one
 * fixed `utc_offset_seconds` for the whole response (the offset at the first day's start) and
 * `timeformat` (iso8601 local strings or unixtime). Units follow temperature_unit / wind_speed_unit /
 * precipitation_unit. Bad parameters: HTTP 400 `{"error":true,"reason":"…"}` naming the parameter.
 */
import { DateTime } from 'luxon';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { SANDBOX_PATHS } from '../../temporal.config';
import type { DailyForecastRow, HourlyForecastRow } from '../../schemas/records';
import type { Served, World } from '../world';
import { OM_DAILY, OM_HOURLY } from '../../clients/open-meteo';
import { addDays, cityNear, eachDate, fToC, isIsoDate, roundTo } from '../../clients/weather-shared';

type Query = Record<string, string | string[] | undefined>;
type Obj = Record<string, unknown>;
const one = (q: Query, name: string): string | undefined => {
  const v = q[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
};
const list = (q: Query, name: string): string[] => {
  const v = q[name];
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
};

function fail(reply: FastifyReply, reason: string): FastifyReply {
  return reply.code(400).type('application/json; charset=utf-8').send(JSON.stringify({ error: true, reason }));
}
const invalidValue = (type: string, value: string, key: string) => `Cannot initialize ${type} from invalid String value ${value} for key ${key}`;

type Units = { temp: 'fahrenheit' | 'celsius'; wind: 'mph' | 'kmh' | 'ms' | 'kn'; precip: 'inch' | 'mm' };

function unitOf(variable: string, u: Units): string {
  const base = variable.replace(/_previous_day\d+$/, '');
  if (/^(temperature|apparent_temperature|dew_point)/.test(base)) return u.temp === 'fahrenheit' ? '°F' : '°C';
  if (/^wind_(speed|gusts)/.test(base)) return { mph: 'mp/h', kmh: 'km/h', ms: 'm/s', kn: 'kn' }[u.wind];
  if (base === 'snowfall_sum' || base === 'snowfall') return u.precip === 'inch' ? 'inch' : 'cm';
  if (/^precipitation(_sum)?$/.test(base)) return u.precip === 'inch' ? 'inch' : 'mm';
  return '%';
}

function convert(variable: string, value: number | null | undefined, u: Units): number | null {
  if (value === null || value === undefined) return null;
  const unit = unitOf(variable, u);
  switch (unit) {
    case '°C':
      return roundTo(fToC(value), 1);
    case 'km/h':
      return roundTo(value * 1.609344, 1);
    case 'm/s':
      return roundTo(value * 0.44704, 2);
    case 'kn':
      return roundTo(value * 0.868976, 1);
    case 'mm':
      return roundTo(value * 25.4, 1);
    case 'cm':
      return roundTo(value * 2.54, 2);
    default:
      return value;
  }
}

const PREVIOUS = /^(.*)_previous_day(\d+)$/;

export function registerOpenMeteoRoutes(app: FastifyInstance, world: World): void {
  const handler = (mode: 'forecast' | 'archive') => async (req: { query: unknown }, reply: FastifyReply) => {
    const q = req.query as Query;
    const latRaw = one(q, 'latitude');
    const lonRaw = one(q, 'longitude');
    if (latRaw === undefined || lonRaw === undefined) return fail(reply, `Parameter '${latRaw === undefined ? 'latitude' : 'longitude'}' is required`);
    const lat = Number(latRaw);
    const lon = Number(lonRaw);
    if (!Number.isFinite(lat) || lat < -90 || lat > 90) return fail(reply, invalidValue('Float', latRaw, 'latitude'));
    if (!Number.isFinite(lon) || lon < -180 || lon > 180) return fail(reply, invalidValue('Float', lonRaw, 'longitude'));
    const city = cityNear(lat, lon, 0.1);
    if (!city || !world.cities.includes(city.id)) return fail(reply, `Sandbox has no data for latitude ${latRaw}, longitude ${lonRaw} (key latitude)`);

    const tempUnit = one(q, 'temperature_unit') ?? 'celsius';
    if (tempUnit !== 'celsius' && tempUnit !== 'fahrenheit') return fail(reply, invalidValue('TemperatureUnit', tempUnit, 'temperature_unit'));
    const windUnit = one(q, 'wind_speed_unit') ?? one(q, 'windspeed_unit') ?? 'kmh';
    if (!['kmh', 'mph', 'ms', 'kn'].includes(windUnit)) return fail(reply, invalidValue('WindspeedUnit', windUnit, 'wind_speed_unit'));
    const precipUnit = one(q, 'precipitation_unit') ?? 'mm';
    if (precipUnit !== 'mm' && precipUnit !== 'inch') return fail(reply, invalidValue('PrecipitationUnit', precipUnit, 'precipitation_unit'));
    const units: Units = { temp: tempUnit, wind: windUnit as Units['wind'], precip: precipUnit };
    const timeformat = one(q, 'timeformat') ?? 'iso8601';
    if (timeformat !== 'iso8601' && timeformat !== 'unixtime') return fail(reply, invalidValue('Timeformat', timeformat, 'timeformat'));
    let tz = one(q, 'timezone') ?? 'GMT';
    if (tz === 'auto') tz = city.timeZone;
    if (!DateTime.now().setZone(tz === 'GMT' ? 'UTC' : tz).isValid) return fail(reply, `Invalid timezone ${tz} for key timezone`);
    const model = one(q, 'models') ?? 'best_match';

    const hourly = list(q, 'hourly');
    for (const v of hourly) {
      const m = PREVIOUS.exec(v);
      const base = m ? m[1]! : v;
      const n = m ? Number(m[2]) : 0;
      if (!(base in OM_HOURLY) || (m && (mode === 'forecast' || n < 0 || n > 7))) return fail(reply, invalidValue('WeatherVariable', v, 'hourly'));
    }
    const daily = list(q, 'daily');
    for (const v of daily) if (!(v in OM_DAILY)) return fail(reply, invalidValue('DailyWeatherVariable', v, 'daily'));
    if (daily.length > 0 && !one(q, 'timezone')) return fail(reply, "Parameter 'timezone' is required for daily variables");
    const current = list(q, 'current');
    if (mode === 'archive' && current.length > 0) return fail(reply, invalidValue('CurrentVariable', current[0]!, 'current'));
    for (const v of current) if (!(v in OM_HOURLY)) return fail(reply, invalidValue('CurrentVariable', v, 'current'));

    // Dates and the basis of the forecast.
    const now = world.now().toJSDate();
    const zone = tz === 'GMT' ? 'UTC' : tz;
    let start = one(q, 'start_date');
    let end = one(q, 'end_date');
    if (start !== undefined && !isIsoDate(start)) return fail(reply, invalidValue('Date', start, 'start_date'));
    if (end !== undefined && !isIsoDate(end)) return fail(reply, invalidValue('Date', end, 'end_date'));
    if ((start === undefined) !== (end === undefined)) return fail(reply, `Parameter '${start === undefined ? 'start_date' : 'end_date'}' is required together with the other`);
    if (start !== undefined && end !== undefined && end < start) return fail(reply, `End-date must be larger or equal than start-date (key end_date)`);
    let basis: Date | undefined;
    if (mode === 'forecast') {
      const bases = world.forecastBasisTimes(city.id, 'open-meteo', { from: new Date(now.getTime() - 7 * 86_400_000), to: new Date(now.getTime() + 1) });
      basis = bases[bases.length - 1];
      if (start === undefined) {
        const days = Number(one(q, 'forecast_days') ?? 7);
        const past = Number(one(q, 'past_days') ?? 0);
        if (!Number.isInteger(days) || days < 0 || days > 16) return fail(reply, invalidValue('Int', String(one(q, 'forecast_days')), 'forecast_days'));
        if (!Number.isInteger(past) || past < 0 || past > 92) return fail(reply, invalidValue('Int', String(one(q, 'past_days')), 'past_days'));
        const today = DateTime.fromJSDate(now, { zone }).toISODate()!;
        start = addDays(today, -past);
        end = addDays(today, Math.max(days, 1) - 1);
      }
    } else if (start === undefined) {
      return fail(reply, "Parameter 'start_date' is required");
    }
    const dates = eachDate(start!, end!);
    if (dates.length > 366 * 3) return fail(reply, 'Date range too long (key end_date)');

    // One offset for the whole response: the zone's offset at the first day's start.
    const offsetSeconds = DateTime.fromISO(dates[0]!, { zone }).startOf('day').offset * 60;
    const dayStart = (d: string) => Date.parse(`${d}T00:00:00Z`) - offsetSeconds * 1000;
    const fmtHour = (t: number) => (timeformat === 'unixtime' ? t / 1000 : new Date(t + offsetSeconds * 1000).toISOString().slice(0, 16));
    const fmtDay = (d: string) => (timeformat === 'unixtime' ? dayStart(d) / 1000 : d);
    const byModel = <T extends { model: string }>(rows: T[]) => rows.filter((r) => r.model === model);

    // hourly rows indexed by (N, valid ms)
    const hourRows = new Map<string, Served<HourlyForecastRow>>();
    const ns = new Set(hourly.map((v) => Number(PREVIOUS.exec(v)?.[2] ?? 0)));
    if (current.length > 0) ns.add(0);
    for (const d of dates) {
      const window = { from: new Date(dayStart(d)), to: new Date(dayStart(d) + 86_400_000) };
      for (const n of ns) {
        const b = mode === 'forecast' ? basis : new Date(`${addDays(d, -n)}T00:00:00Z`);
        if (!b) continue;
        for (const h of byModel(world.hourlyForecasts(city.id, 'open-meteo', b, window))) hourRows.set(`${n}|${h.validTime.getTime()}`, h);
      }
    }
    const dailyRows = new Map<string, Served<DailyForecastRow>>();
    if (daily.length > 0) {
      if (mode === 'forecast') {
        if (basis) for (const r of byModel(world.dailyForecasts(city.id, 'open-meteo', basis, { from: start!, to: end! }))) dailyRows.set(r.targetDate, r);
      } else {
        for (const d of dates) for (const r of byModel(world.dailyForecasts(city.id, 'open-meteo', new Date(`${d}T00:00:00Z`), { from: d, to: d }))) dailyRows.set(d, r);
      }
    }

    const body: Obj = {
      latitude: roundTo(city.station.latitude, 4),
      longitude: roundTo(city.station.longitude, 4),
      generationtime_ms: 0.1,
      utc_offset_seconds: offsetSeconds,
      timezone: tz,
      timezone_abbreviation: offsetSeconds === 0 ? 'GMT' : `GMT${offsetSeconds < 0 ? '-' : '+'}${Math.abs(offsetSeconds / 3600)}`,
      elevation: 0,
    };
    if (current.length > 0) {
      const t = basis ?? now;
      body.current_units = { time: timeformat, interval: 'seconds', ...Object.fromEntries(current.map((v) => [v, unitOf(v, units)])) };
      const at = Math.floor(t.getTime() / 3_600_000) * 3_600_000;
      body.current = {
        time: fmtHour(t.getTime()),
        interval: 900,
        ...Object.fromEntries(current.map((v) => [v, convert(v, (hourRows.get(`0|${at}`) as Obj | undefined)?.[OM_HOURLY[v as keyof typeof OM_HOURLY]] as number | null | undefined, units)])),
      };
    }
    if (hourly.length > 0) {
      const times: number[] = [];
      for (const d of dates) for (let t = dayStart(d); t < dayStart(d) + 86_400_000; t += 3_600_000) times.push(t);
      body.hourly_units = { time: timeformat, ...Object.fromEntries(hourly.map((v) => [v, unitOf(v, units)])) };
      const series: Obj = { time: times.map(fmtHour) };
      for (const v of hourly) {
        const m = PREVIOUS.exec(v);
        const base = (m ? m[1] : v) as keyof typeof OM_HOURLY;
        const n = m ? Number(m[2]) : 0;
        series[v] = times.map((t) => convert(v, (hourRows.get(`${n}|${t}`) as Obj | undefined)?.[OM_HOURLY[base]] as number | null | undefined, units));
      }
      body.hourly = series;
    }
    if (daily.length > 0) {
      body.daily_units = { time: timeformat, ...Object.fromEntries(daily.map((v) => [v, unitOf(v, units)])) };
      const series: Obj = { time: dates.map(fmtDay) };
      for (const v of daily) {
        series[v] = dates.map((d) => convert(v, (dailyRows.get(d) as Obj | undefined)?.[OM_DAILY[v as keyof typeof OM_DAILY]] as number | null | undefined, units));
      }
      body.daily = series;
    }
    return reply.type('application/json; charset=utf-8').send(JSON.stringify(body));
  };

  app.get(`${SANDBOX_PATHS.openMeteo}/forecast`, handler('forecast'));
  app.get(`${SANDBOX_PATHS.openMeteoHistoricalForecast}/forecast`, handler('archive'));
  app.get(`${SANDBOX_PATHS.openMeteoPreviousRuns}/forecast`, handler('archive'));
}
