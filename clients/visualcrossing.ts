/**
 * Visual Crossing Timeline API (weather-apis.md §1): `GET /timeline/{location}[/{date1}[/{date2}]]`.
 *   - historicalDailyForecast / historicalHourlyForecast: `forecastBasisDate=<basisDate>` at the station's
 *     coordinates — the forecast as VC stored it at 00:00Z of basisDate. Rows: source 'visualcrossing',
 *     model 'best_match' (VC does not name a model), basisTime = basisDate 00:00Z, basisDate = basisDate
 *     (the date the API is keyed by), leadDays = targetDate − basisDate. Days/hours whose VC `source` is
 *     'obs' (observations, not a forecast) are left out.
 *   - currentForecast: no dates, `include=days,hours,current`; basis = the response's
 *     `currentConditions.datetimeEpoch`, basisDate its local civil date.
 *   - observations: `stn:<ICAO>` with `include=days,hours,minutes,obs` and `options=useobs` — the station's
 *     sub-hourly observations (source 'vc-obs') over whole climate days.
 * availableAt (domain/known-at.ts): historical forecasts, the 00:00Z snapshot of basisDate plus VC's delay;
 * the current forecast, its receipt time (the payload names no run); observations, their time plus the
 * 'vc-obs' reporting delay.
 * The API key goes in the `key` query parameter at send time; it is masked in URLs and scrubbed from
 * every error this client throws.
 */
import { z } from 'zod';
import { climateDayWindowUtc } from '../domain/climate-day';
import { getCity, type CityId } from '../domain/cities';
import { forecastRunAvailableAt, observationAvailableAt, receivedAvailableAt } from '../domain/known-at';
import type { Logger } from '../lib/logger';
import type { DailyForecastRow, HourlyForecastRow, ObservationRow } from '../schemas/records';
import type { DateRange } from '../sandbox/world';
import type { HttpClient } from './http';
import { addDays, chunkDates, daysBetween, localDateOf, makeHttp, scrubSecret, utcMidnight, type WeatherClientOptions } from './weather-shared';

const Num = z.number().nullish();
const Str = z.string().nullish();

const VcMinute = z.object({
  datetime: z.string().regex(/^\d{2}:\d{2}(:\d{2})?$/),
  datetimeEpoch: z.number(),
  temp: Num,
  dew: Num,
  humidity: Num,
  windspeed: Num,
  windgust: Num,
  winddir: Num,
  pressure: Num,
  conditions: Str,
  stations: z.array(z.string()).nullish(),
  source: Str,
});
const VcHour = VcMinute.extend({
  precip: Num,
  precipprob: Num,
  cloudcover: Num,
  minutes: z.array(VcMinute).nullish(),
});
const VcDay = z.object({
  datetime: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  datetimeEpoch: z.number(),
  tempmax: Num,
  tempmin: Num,
  temp: Num,
  feelslikemax: Num,
  dew: Num,
  humidity: Num,
  precip: Num,
  precipprob: Num,
  snow: Num,
  windgust: Num,
  windspeed: Num,
  cloudcover: Num,
  pressure: Num,
  conditions: Str,
  source: Str,
  hours: z.array(VcHour).nullish(),
});
const VcResponse = z.object({
  queryCost: Num,
  latitude: z.number(),
  longitude: z.number(),
  resolvedAddress: z.string(),
  address: z.string(),
  timezone: z.string(),
  tzoffset: z.number(),
  days: z.array(VcDay),
  currentConditions: z.object({ datetime: z.string(), datetimeEpoch: z.number(), temp: Num }).nullish(),
});
export type VcTimeline = z.infer<typeof VcResponse>;
type VcDay = z.infer<typeof VcDay>;
type VcHour = z.infer<typeof VcHour>;

/** Elements asked for in observation requests (only these keys come back). */
export const VC_OBS_ELEMENTS = [
  'datetime',
  'datetimeEpoch',
  'tempmax',
  'tempmin',
  'temp',
  'dew',
  'humidity',
  'windspeed',
  'windgust',
  'winddir',
  'pressure',
  'conditions',
  'stations',
  'source',
] as const;

export interface VisualCrossingClientOptions extends WeatherClientOptions {
  /** Read by the caller (e.g. from VISUAL_CROSSING_API_KEY); never logged or put in an error. */
  apiKey: string;
  /** Clock: the receipt time that stamps a current forecast's availableAt (and its basis without `currentConditions`). */
  now?: () => Date;
}

const MODEL = 'best_match';

/** A logger that masks `secret` wherever it appears in a log call's arguments (error bodies may echo it). */
function scrubbingLogger(log: Logger | undefined, secret: string): Logger | undefined {
  if (!log) return undefined;
  const mask = (v: unknown): unknown => {
    if (typeof v === 'string') return v.split(secret).join('***');
    if (v && typeof v === 'object') {
      const json = JSON.stringify(v);
      return json.includes(secret) ? (JSON.parse(json.split(secret).join('***')) as unknown) : v;
    }
    return v;
  };
  const levels = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);
  return new Proxy(log, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value === 'function' && levels.has(String(prop))) {
        return (...args: unknown[]) => (value as (...a: unknown[]) => unknown).apply(target, args.map(mask));
      }
      return value;
    },
  });
}

export function vcDailyRow(cityId: CityId, day: VcDay, basisTime: Date, basisDate: string, availableAt: Date): DailyForecastRow {
  return {
    cityId,
    source: 'visualcrossing',
    model: MODEL,
    targetDate: day.datetime,
    basisTime,
    basisDate,
    leadDays: daysBetween(basisDate, day.datetime),
    availableAt,
    tempmaxF: day.tempmax ?? null,
    tempminF: day.tempmin ?? null,
    tempF: day.temp ?? null,
    feelslikemaxF: day.feelslikemax ?? null,
    dewF: day.dew ?? null,
    humidity: day.humidity ?? null,
    precipIn: day.precip ?? null,
    precipProb: day.precipprob ?? null,
    snowIn: day.snow ?? null,
    windspeedMph: day.windspeed ?? null,
    windgustMph: day.windgust ?? null,
    cloudcover: day.cloudcover ?? null,
    pressureMb: day.pressure ?? null,
    conditions: day.conditions ?? null,
    raw: { vcSource: day.source ?? null },
  };
}

export function vcHourlyRow(cityId: CityId, hour: VcHour, basisTime: Date, availableAt: Date): HourlyForecastRow {
  return {
    cityId,
    source: 'visualcrossing',
    model: MODEL,
    basisTime,
    validTime: new Date(hour.datetimeEpoch * 1000),
    availableAt,
    tempF: hour.temp ?? null,
    dewF: hour.dew ?? null,
    humidity: hour.humidity ?? null,
    precipIn: hour.precip ?? null,
    precipProb: hour.precipprob ?? null,
    windspeedMph: hour.windspeed ?? null,
    cloudcover: hour.cloudcover ?? null,
  };
}

/** Sub-hourly station observations of a timeline: each hour's minutes, or the hour itself when it has none. */
export function vcObservationRows(station: string, body: VcTimeline): ObservationRow[] {
  const out: ObservationRow[] = [];
  for (const day of body.days) {
    for (const hour of day.hours ?? []) {
      for (const m of hour.minutes && hour.minutes.length > 0 ? hour.minutes : [hour]) {
        if (m.source && m.source !== 'obs') continue;
        const observedAt = new Date(m.datetimeEpoch * 1000);
        out.push({
          station,
          source: 'vc-obs',
          observedAt,
          availableAt: observationAvailableAt('vc-obs', observedAt),
          tempF: m.temp ?? null,
          dewpointF: m.dew ?? null,
          relativeHumidity: m.humidity ?? null,
          windSpeedMph: m.windspeed ?? null,
          windGustMph: m.windgust ?? null,
          windDirectionDeg: m.winddir ?? null,
          pressureMb: m.pressure ?? null,
          conditions: m.conditions ?? null,
        });
      }
    }
  }
  return out;
}

export class VisualCrossingClient {
  private readonly http: HttpClient;
  private readonly apiKey: string;
  private readonly now: () => Date;

  constructor(opts: VisualCrossingClientOptions) {
    if (!opts.apiKey) throw new Error('VisualCrossingClient: an API key is required');
    this.apiKey = opts.apiKey;
    this.now = opts.now ?? (() => new Date());
    this.http = makeHttp('visualcrossing', { ...opts, log: scrubbingLogger(opts.log, opts.apiKey) }, {
      secretParams: ['key'],
      authorize: (url) => url.searchParams.set('key', this.apiKey),
    });
  }

  private location(cityId: CityId): string {
    const { latitude, longitude } = getCity(cityId).station;
    return `${latitude},${longitude}`;
  }

  private async timeline(path: string, query: Record<string, string | undefined>): Promise<VcTimeline> {
    try {
      return await this.http.getJson(`timeline/${path}`, { unitGroup: 'us', contentType: 'json', ...query }, VcResponse);
    } catch (err) {
      throw scrubSecret(err, this.apiKey);
    }
  }

  /** The daily forecast for `targets` as issued on `basisDate` (VC's 00:00Z snapshot). */
  async historicalDailyForecast(cityId: CityId, basisDate: string, targets: DateRange): Promise<DailyForecastRow[]> {
    const body = await this.timeline(`${this.location(cityId)}/${targets.from}/${targets.to}`, { include: 'days', forecastBasisDate: basisDate });
    const basisTime = utcMidnight(basisDate);
    const availableAt = forecastRunAvailableAt('visualcrossing', MODEL, basisTime);
    return body.days.filter((d) => d.source !== 'obs').map((d) => vcDailyRow(cityId, d, basisTime, basisDate, availableAt));
  }

  /** The hourly forecast for the civil days `targets` as issued on `basisDate`. */
  async historicalHourlyForecast(cityId: CityId, basisDate: string, targets: DateRange): Promise<HourlyForecastRow[]> {
    const body = await this.timeline(`${this.location(cityId)}/${targets.from}/${targets.to}`, { include: 'hours', forecastBasisDate: basisDate });
    const basisTime = utcMidnight(basisDate);
    const availableAt = forecastRunAvailableAt('visualcrossing', MODEL, basisTime);
    return body.days.flatMap((d) => (d.hours ?? []).filter((h) => h.source !== 'obs').map((h) => vcHourlyRow(cityId, h, basisTime, availableAt)));
  }

  /** Today's 15-day forecast; basis = the response's current-conditions time. */
  async currentForecast(cityId: CityId): Promise<{ basisTime: Date; daily: DailyForecastRow[]; hourly: HourlyForecastRow[] }> {
    const body = await this.timeline(this.location(cityId), { include: 'days,hours,current' });
    const receivedAt = this.now();
    const basisTime = body.currentConditions ? new Date(body.currentConditions.datetimeEpoch * 1000) : receivedAt;
    const basisDate = localDateOf(cityId, basisTime);
    const availableAt = receivedAvailableAt(receivedAt, basisTime);
    return {
      basisTime,
      daily: body.days.filter((d) => d.source !== 'obs').map((d) => vcDailyRow(cityId, d, basisTime, basisDate, availableAt)),
      hourly: body.days.flatMap((d) => (d.hours ?? []).filter((h) => h.source !== 'obs').map((h) => vcHourlyRow(cityId, h, basisTime, availableAt))),
    };
  }

  /**
   * Sub-hourly observations at the settlement station over the climate days `dates` (local standard
   * time, a fixed UTC window per city): requested by civil date through `to + 1`, cut to the windows.
   */
  async observations(cityId: CityId, dates: DateRange): Promise<ObservationRow[]> {
    const icao = getCity(cityId).station.icao;
    const from = climateDayWindowUtc(cityId, dates.from).start.toMillis();
    const to = climateDayWindowUtc(cityId, dates.to).end.toMillis();
    const seen = new Set<number>();
    const out: ObservationRow[] = [];
    for (const chunk of chunkDates(dates.from, addDays(dates.to, 1), 7)) {
      const body = await this.timeline(`stn:${icao}/${chunk.from}/${chunk.to}`, {
        include: 'days,hours,minutes,obs',
        elements: VC_OBS_ELEMENTS.join(','),
        options: 'useobs',
      });
      for (const row of vcObservationRows(icao, body)) {
        const t = row.observedAt.getTime();
        if (t < from || t >= to || seen.has(t)) continue;
        seen.add(t);
        out.push(row);
      }
    }
    return out.sort((a, b) => a.observedAt.getTime() - b.observedAt.getTime());
  }
}
