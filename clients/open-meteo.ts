/**
 * Open-Meteo (weather-apis.md §4), three hosts with one request/response shape:
 *   - forecast            `GET {baseUrl}/forecast`                    → forecast(city): the current run;
 *   - historical forecast `GET {historicalForecastBaseUrl}/forecast`  → historicalForecast(city, dates);
 *   - previous runs       `GET {previousRunsBaseUrl}/forecast`        → previousRuns(city, dates, daysBack).
 * Every request is explicit about units (temperature_unit=fahrenheit, wind_speed_unit=mph,
 * precipitation_unit=inch) and time: timezone=<the city's IANA zone> (daily values aggregate that civil
 * day) and timeformat=unixtime (instants, no DST ambiguity). ISO-8601 responses (the fixtures) are read
 * with the response's single `utc_offset_seconds`. An HTTP 400 `{"error":true,"reason":…}` becomes an
 * OpenMeteoError (non-retryable) carrying the reason.
 *
 * Rows: source 'open-meteo', model = the requested `models` value or 'best_match'.
 *   forecast:  basisTime = the response's `current.time`, basisDate = its local civil date.
 *   historical forecast: a series stitched from the first hours of successive runs, so the nominal basis
 *     of target date D is D 00Z, basisDate D, leadDays 0.
 *   previous runs: `<var>_previous_dayN` is the value forecast N×24 h before the valid time; nominal basis
 *     (D − N) 00Z, basisDate D − N, leadDays N. Daily values are derived from the hourly curve over the
 *     civil day (max/min of 24 complete hours), as the API documents previous-run variables for hourly only.
 * availableAt (domain/known-at.ts): a day-N value of hour t comes from a run at most t − N days old, so it is
 * stamped t − N days + the model's delay (historical forecast: N = 0); a daily value, by its civil day's last
 * hour; the current forecast, by the time it was received.
 */
import { z } from 'zod';
import { getCity, type CityId } from '../domain/cities';
import { latestOf, openMeteoRunValueAvailableAt, receivedAvailableAt } from '../domain/known-at';
import type { DailyForecastRow, HourlyForecastRow } from '../schemas/records';
import type { DateRange } from '../sandbox/world';
import { NonRetryableHttpError, PayloadShapeError, type HttpClient } from './http';
import { addDays, civilDayWindow, daysBetween, errorBody, localDateOf, makeHttp, utcMidnight, type WeatherClientOptions } from './weather-shared';

/** A 400 answer from Open-Meteo; `reason` is the service's own explanation. */
export class OpenMeteoError extends NonRetryableHttpError {
  override name = 'OpenMeteoError';
  constructor(
    message: string,
    readonly reason: string,
    status?: number,
  ) {
    super(message, 'open-meteo', status);
  }
}

export const OM_HOURLY = {
  temperature_2m: 'tempF',
  dew_point_2m: 'dewF',
  relative_humidity_2m: 'humidity',
  precipitation: 'precipIn',
  precipitation_probability: 'precipProb',
  wind_speed_10m: 'windspeedMph',
  cloud_cover: 'cloudcover',
} as const satisfies Record<string, keyof HourlyForecastRow>;

export const OM_DAILY = {
  temperature_2m_max: 'tempmaxF',
  temperature_2m_min: 'tempminF',
  apparent_temperature_max: 'feelslikemaxF',
  precipitation_sum: 'precipIn',
  precipitation_probability_max: 'precipProb',
  snowfall_sum: 'snowIn',
  wind_speed_10m_max: 'windspeedMph',
  wind_gusts_10m_max: 'windgustMph',
} as const satisfies Record<string, keyof DailyForecastRow>;

type HourlyVar = keyof typeof OM_HOURLY;
type DailyVar = keyof typeof OM_DAILY;

/** Hourly variables requested per host (probabilities exist only for the live forecast). */
const FORECAST_HOURLY = Object.keys(OM_HOURLY) as HourlyVar[];
const ARCHIVE_HOURLY = FORECAST_HOURLY.filter((v) => v !== 'precipitation_probability');
const FORECAST_DAILY = Object.keys(OM_DAILY) as DailyVar[];
const ARCHIVE_DAILY = FORECAST_DAILY.filter((v) => v !== 'precipitation_probability_max');

/** The unit each variable must come back in. */
export function omUnitFor(variable: string): string | undefined {
  if (/^(temperature|apparent_temperature|dew_point)/.test(variable)) return '°F';
  if (/^wind_(speed|gusts)/.test(variable)) return 'mp/h';
  if (/^(precipitation_sum|precipitation|snowfall)/.test(variable) && !variable.startsWith('precipitation_probability')) return 'inch';
  return undefined;
}

const Series = z.array(z.union([z.number(), z.string(), z.null()]));
const OmResponse = z.object({
  latitude: z.number(),
  longitude: z.number(),
  utc_offset_seconds: z.number().int(),
  timezone: z.string(),
  current_units: z.record(z.string(), z.string()).optional(),
  current: z.object({ time: z.union([z.number(), z.string()]) }).catchall(z.unknown()).optional(),
  hourly_units: z.record(z.string(), z.string()).optional(),
  hourly: z.object({ time: z.array(z.union([z.number(), z.string()])) }).catchall(Series).optional(),
  daily_units: z.record(z.string(), z.string()).optional(),
  daily: z.object({ time: z.array(z.union([z.number(), z.string()])) }).catchall(Series).optional(),
});
export type OpenMeteoResponse = z.infer<typeof OmResponse>;

/** An hourly time (unix seconds, or local 'YYYY-MM-DDTHH:MM' at the response's fixed offset) → instant. */
export function omInstant(t: number | string, offsetSeconds: number): Date {
  if (typeof t === 'number') return new Date(t * 1000);
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?$/.exec(t);
  if (!m) throw new Error(`open-meteo: bad time ${JSON.stringify(t)}`);
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0)) - offsetSeconds * 1000);
}

/** The local date (at the response's offset) of an hourly or daily time. */
export function omLocalDate(t: number | string, offsetSeconds: number): string {
  if (typeof t === 'string' && /^\d{4}-\d{2}-\d{2}/.test(t)) return t.slice(0, 10);
  return new Date(omInstant(t, offsetSeconds).getTime() + offsetSeconds * 1000).toISOString().slice(0, 10);
}

function numAt(series: unknown, i: number): number | null {
  const v = Array.isArray(series) ? series[i] : undefined;
  return typeof v === 'number' ? v : null;
}

export interface OpenMeteoClientOptions extends WeatherClientOptions {
  /** Forecast API base (`…/v1`); `baseUrl` is it. */
  historicalForecastBaseUrl: string;
  previousRunsBaseUrl: string;
  /** Clock: the receipt time that stamps a current forecast's availableAt (and its basis when `current` is absent). */
  now?: () => Date;
}

export interface OpenMeteoRequestOptions {
  /** Open-Meteo `models` value (e.g. 'gfs_seamless'); default best_match. */
  model?: string;
}

export class OpenMeteoClient {
  private readonly forecastHttp: HttpClient;
  private readonly historicalHttp: HttpClient;
  private readonly previousHttp: HttpClient;
  private readonly now: () => Date;

  constructor(opts: OpenMeteoClientOptions) {
    this.now = opts.now ?? (() => new Date());
    this.forecastHttp = makeHttp('open-meteo', opts);
    this.historicalHttp = makeHttp('open-meteo', { ...opts, baseUrl: opts.historicalForecastBaseUrl });
    this.previousHttp = makeHttp('open-meteo', { ...opts, baseUrl: opts.previousRunsBaseUrl });
  }

  private baseQuery(cityId: CityId, model: string | undefined) {
    const city = getCity(cityId);
    return {
      latitude: city.station.latitude,
      longitude: city.station.longitude,
      temperature_unit: 'fahrenheit',
      wind_speed_unit: 'mph',
      precipitation_unit: 'inch',
      timezone: city.timeZone,
      timeformat: 'unixtime',
      models: model,
    };
  }

  private async get(http: HttpClient, query: Record<string, string | number | undefined>): Promise<OpenMeteoResponse> {
    let body: OpenMeteoResponse;
    try {
      body = await http.getJson('forecast', query, OmResponse);
    } catch (err) {
      const { status, body: text } = errorBody(err);
      if (status !== undefined && status >= 400 && status < 500 && text) {
        let reason = text;
        try {
          const parsed = JSON.parse(text) as { reason?: unknown };
          if (typeof parsed.reason === 'string') reason = parsed.reason;
        } catch {
          // not JSON: keep the text
        }
        throw new OpenMeteoError(`open-meteo: request rejected (${status}): ${reason}`, reason, status);
      }
      throw err;
    }
    checkUnits(body, http.redact(http.url('forecast', query)));
    return body;
  }

  /** The current forecast (7 days from today, local), basis = the response's `current.time`. */
  async forecast(cityId: CityId, options: OpenMeteoRequestOptions & { forecastDays?: number } = {}): Promise<{ basisTime: Date; daily: DailyForecastRow[]; hourly: HourlyForecastRow[] }> {
    const model = options.model ?? 'best_match';
    const body = await this.get(this.forecastHttp, {
      ...this.baseQuery(cityId, options.model),
      current: 'temperature_2m',
      hourly: FORECAST_HOURLY.join(','),
      daily: FORECAST_DAILY.join(','),
      forecast_days: options.forecastDays ?? 7,
    });
    const receivedAt = this.now();
    const basisTime = body.current ? omInstant(body.current.time, body.utc_offset_seconds) : receivedAt;
    const basisDate = localDateOf(cityId, basisTime);
    // The payload names no run: the values are known from when they were received.
    const availableAt = receivedAvailableAt(receivedAt, basisTime);
    return {
      basisTime,
      daily: dailyRows(cityId, body, model, FORECAST_DAILY, () => ({ basisTime, basisDate, availableAt })),
      hourly: hourlyRows(cityId, body, model, FORECAST_HOURLY, 0, () => basisTime, () => availableAt),
    };
  }

  /** Historical forecasts for target dates `dates` (nominal basis D 00Z, leadDays 0). */
  async historicalForecast(cityId: CityId, dates: DateRange, options: OpenMeteoRequestOptions = {}): Promise<{ daily: DailyForecastRow[]; hourly: HourlyForecastRow[] }> {
    const model = options.model ?? 'best_match';
    const body = await this.get(this.historicalHttp, {
      ...this.baseQuery(cityId, options.model),
      hourly: ARCHIVE_HOURLY.join(','),
      daily: ARCHIVE_DAILY.join(','),
      start_date: dates.from,
      end_date: dates.to,
    });
    return {
      daily: dailyRows(cityId, body, model, ARCHIVE_DAILY, (date) => ({
        basisTime: utcMidnight(date),
        basisDate: date,
        availableAt: openMeteoRunValueAvailableAt(model, lastHourOf(cityId, date), 0),
      })),
      hourly: hourlyRows(cityId, body, model, ARCHIVE_HOURLY, 0, (date) => utcMidnight(date), (validTime) => openMeteoRunValueAvailableAt(model, validTime, 0)),
    };
  }

  /**
   * Previous-run values N days back (N in `daysBack`; 0 = the run of the day itself) for target dates
   * `dates`: hourly rows per N, plus daily max/min derived from each complete civil day.
   */
  async previousRuns(cityId: CityId, dates: DateRange, daysBack: number[], options: OpenMeteoRequestOptions = {}): Promise<{ daily: DailyForecastRow[]; hourly: HourlyForecastRow[] }> {
    const model = options.model ?? 'best_match';
    const ns = [...new Set(daysBack)].sort((a, b) => a - b);
    for (const n of ns) if (!Number.isInteger(n) || n < 0 || n > 7) throw new RangeError(`previous-runs daysBack must be integers 0..7, got ${n}`);
    const names = (n: number) => ARCHIVE_HOURLY.map((v) => (n === 0 ? v : `${v}_previous_day${n}`));
    const body = await this.get(this.previousHttp, {
      ...this.baseQuery(cityId, options.model),
      hourly: ns.flatMap(names).join(','),
      start_date: dates.from,
      end_date: dates.to,
    });
    const hourly: HourlyForecastRow[] = [];
    const daily: DailyForecastRow[] = [];
    for (const n of ns) {
      const rows = hourlyRows(cityId, body, model, ARCHIVE_HOURLY, n, (date) => utcMidnight(addDays(date, -n)), (validTime) =>
        openMeteoRunValueAvailableAt(model, validTime, n),
      );
      hourly.push(...rows);
      daily.push(...deriveDaily(cityId, body, model, n));
    }
    return { daily, hourly };
  }
}

/** The start of the last hour of a civil day: a daily value is complete once that hour's run is out. */
function lastHourOf(cityId: CityId, date: string): Date {
  return new Date(civilDayWindow(cityId, date).to.getTime() - 3_600_000);
}

function checkUnits(body: OpenMeteoResponse, url: string): void {
  const issues: Array<{ path: string; message: string; value: unknown }> = [];
  for (const section of ['current_units', 'hourly_units', 'daily_units'] as const) {
    for (const [k, u] of Object.entries(body[section] ?? {})) {
      const want = omUnitFor(k);
      if (want && u !== want) issues.push({ path: `${section}.${k}`, message: `expected ${want}`, value: u });
    }
  }
  if (issues.length > 0) throw new PayloadShapeError('open-meteo', url, issues);
}

/** The series for `variable` (also accepting a `_<model>` suffix, as multi-model responses use). */
function seriesOf(section: Record<string, unknown>, variable: string, model: string): unknown {
  return section[variable] ?? section[`${variable}_${model}`];
}

function hourlyRows(
  cityId: CityId,
  body: OpenMeteoResponse,
  model: string,
  vars: HourlyVar[],
  n: number,
  basisFor: (localDate: string) => Date,
  availableAtFor: (validTime: Date) => Date,
): HourlyForecastRow[] {
  const h = body.hourly;
  if (!h) return [];
  const out: HourlyForecastRow[] = [];
  h.time.forEach((t, i) => {
    const validTime = omInstant(t, body.utc_offset_seconds);
    const row: HourlyForecastRow = {
      cityId,
      source: 'open-meteo',
      model,
      basisTime: basisFor(omLocalDate(t, body.utc_offset_seconds)),
      validTime,
      availableAt: availableAtFor(validTime),
      tempF: null,
      dewF: null,
      humidity: null,
      precipIn: null,
      precipProb: null,
      windspeedMph: null,
      cloudcover: null,
    };
    let any = false;
    for (const v of vars) {
      const value = numAt(seriesOf(h, n === 0 ? v : `${v}_previous_day${n}`, model), i);
      if (value !== null) any = true;
      (row as Record<string, unknown>)[OM_HOURLY[v]] = value;
    }
    if (any) out.push(row);
  });
  return out;
}

function dailyRows(
  cityId: CityId,
  body: OpenMeteoResponse,
  model: string,
  vars: DailyVar[],
  basisFor: (targetDate: string) => { basisTime: Date; basisDate: string; availableAt: Date },
): DailyForecastRow[] {
  const d = body.daily;
  if (!d) return [];
  const out: DailyForecastRow[] = [];
  d.time.forEach((t, i) => {
    const targetDate = omLocalDate(t, body.utc_offset_seconds);
    const { basisTime, basisDate, availableAt } = basisFor(targetDate);
    const row: DailyForecastRow = { cityId, source: 'open-meteo', model, targetDate, basisTime, basisDate, leadDays: daysBetween(basisDate, targetDate), availableAt };
    let any = false;
    for (const v of vars) {
      const value = numAt(seriesOf(d, v, model), i);
      if (value !== null) any = true;
      (row as Record<string, unknown>)[OM_DAILY[v]] = value;
    }
    if (any) out.push(row);
  });
  return out;
}

/** Daily max/min of the N-days-back hourly temperature over each civil day with 24 (23/25 at DST) values. */
function deriveDaily(cityId: CityId, body: OpenMeteoResponse, model: string, n: number): DailyForecastRow[] {
  const h = body.hourly;
  if (!h) return [];
  const series = seriesOf(h, n === 0 ? 'temperature_2m' : `temperature_2m_previous_day${n}`, model);
  const byDate = new Map<string, Array<number | null>>();
  const hoursByDate = new Map<string, Date[]>();
  h.time.forEach((t, i) => {
    const date = omLocalDate(t, body.utc_offset_seconds);
    const list = byDate.get(date) ?? [];
    list.push(numAt(series, i));
    byDate.set(date, list);
    hoursByDate.set(date, [...(hoursByDate.get(date) ?? []), omInstant(t, body.utc_offset_seconds)]);
  });
  const out: DailyForecastRow[] = [];
  for (const [targetDate, temps] of byDate) {
    if (temps.length < 23 || temps.some((x) => x === null)) continue;
    const values = temps as number[];
    const basisDate = addDays(targetDate, -n);
    out.push({
      cityId,
      source: 'open-meteo',
      model,
      targetDate,
      basisTime: utcMidnight(basisDate),
      basisDate,
      leadDays: n,
      // The max/min is known once the run behind its latest hour is out.
      availableAt: latestOf(hoursByDate.get(targetDate)!.map((t) => openMeteoRunValueAvailableAt(model, t, n))),
      tempmaxF: Math.max(...values),
      tempminF: Math.min(...values),
      raw: { derivedFrom: n === 0 ? 'temperature_2m' : `temperature_2m_previous_day${n}`, hours: values.length },
    });
  }
  return out;
}
