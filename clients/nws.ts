/**
 * NWS API, api.weather.gov (weather-apis.md §3): `/points/{lat},{lon}` → the grid's `forecastHourly` URL →
 * hourly periods (HourlyForecastRow, source 'nws', model 'ndfd', basis = the forecast's `updateTime`);
 * `/stations/{id}/observations?start&end&limit` → ObservationRow (source 'nws-api'). A User-Agent that
 * identifies the application is required by the service and by this client.
 * Units: observation QuantitativeValues in `wmoUnit:` or legacy `unit:` codes (degC/degF, km_h-1/m_s-1,
 * Pa); converted to °F, mph and mb, rounded to 2 decimals.
 */
import { z } from 'zod';
import { getCity, type CityId } from '../domain/cities';
import { forecastRunAvailableAt, observationAvailableAt } from '../domain/known-at';
import type { HourlyForecastRow, ObservationRow } from '../schemas/records';
import type { UtcRange } from '../sandbox/world';
import type { HttpClient } from './http';
import { cToF, makeHttp, round2, roundTo, type WeatherClientOptions } from './weather-shared';

const Geometry = z.object({ type: z.string() }).nullish();

const PointsResponse = z.object({
  geometry: Geometry,
  properties: z.object({
    gridId: z.string(),
    gridX: z.number().int(),
    gridY: z.number().int(),
    forecast: z.string().nullish(),
    forecastHourly: z.string(),
    forecastGridData: z.string().nullish(),
    observationStations: z.string().nullish(),
    timeZone: z.string().nullish(),
    cwa: z.string().nullish(),
  }),
});
export type NwsPoint = z.infer<typeof PointsResponse>['properties'];

const Qv = z.object({ unitCode: z.string(), value: z.number().nullable(), qualityControl: z.string().nullish() });
type Qv = z.infer<typeof Qv>;

const HourlyResponse = z.object({
  geometry: Geometry,
  properties: z.object({
    updateTime: z.string().nullish(),
    generatedAt: z.string().nullish(),
    periods: z.array(
      z.object({
        number: z.number().int(),
        startTime: z.string(),
        endTime: z.string(),
        temperature: z.number().nullable(),
        temperatureUnit: z.enum(['F', 'C']),
        probabilityOfPrecipitation: Qv.nullish(),
        dewpoint: Qv.nullish(),
        relativeHumidity: Qv.nullish(),
        windSpeed: z.string().nullish(),
      }),
    ),
  }),
});

const ObservationsResponse = z.object({
  features: z.array(
    z.object({
      geometry: Geometry,
      properties: z.object({
        elevation: Qv.nullish(),
        stationId: z.string().nullish(),
        station: z.string(),
        timestamp: z.string(),
        textDescription: z.string().nullish(),
        temperature: Qv.nullish(),
        dewpoint: Qv.nullish(),
        windDirection: Qv.nullish(),
        windSpeed: Qv.nullish(),
        windGust: Qv.nullish(),
        seaLevelPressure: Qv.nullish(),
        barometricPressure: Qv.nullish(),
        relativeHumidity: Qv.nullish(),
        cloudLayers: z.array(z.object({ amount: z.string() })).nullish(),
      }),
    }),
  ),
  pagination: z.object({ next: z.string() }).nullish(),
});

const unit = (q: Qv) => q.unitCode.replace(/^(wmoUnit|unit):/, '');

function tempF(q: Qv | null | undefined): number | null {
  if (!q || q.value === null) return null;
  const u = unit(q);
  if (u === 'degC') return round2(cToF(q.value));
  if (u === 'degF') return round2(q.value);
  throw new Error(`unknown temperature unit ${q.unitCode}`);
}

function speedMph(q: Qv | null | undefined): number | null {
  if (!q || q.value === null) return null;
  const u = unit(q);
  if (u === 'km_h-1') return round2(q.value / 1.609344);
  if (u === 'm_s-1') return round2(q.value * 2.2369362920544);
  if (u === 'kt' || u === 'knot') return round2(q.value * 1.150779448);
  throw new Error(`unknown speed unit ${q.unitCode}`);
}

function pressureMb(q: Qv | null | undefined): number | null {
  if (!q || q.value === null) return null;
  const u = unit(q);
  if (u === 'Pa') return round2(q.value / 100);
  if (u === 'hPa') return round2(q.value);
  throw new Error(`unknown pressure unit ${q.unitCode}`);
}

const plain = (q: Qv | null | undefined): number | null => (q ? q.value : null);

/** "12 mph" → 12; "5 to 10 mph" → 10 (the upper value). */
export function parseWindSpeed(s: string | null | undefined): number | null {
  const nums = (s ?? '').match(/\d+(\.\d+)?/g);
  return nums && nums.length > 0 ? Number(nums[nums.length - 1]) : null;
}

/** The path below the API root of an absolute api.weather.gov link (so a sandbox or proxy base URL still applies). */
function apiPath(link: string, marker: string): string {
  const path = new URL(link).pathname;
  const i = path.indexOf(marker);
  if (i < 0) throw new Error(`unexpected NWS link ${link}`);
  return path.slice(i);
}

export interface NwsClientOptions extends WeatherClientOptions {
  /** Identifies the application (contact recommended), e.g. 'wx-kalshi (ops@example.com)'. Required by the NWS. */
  userAgent: string;
}

export class NwsClient {
  private readonly http: HttpClient;
  private readonly points_ = new Map<string, NwsPoint>();

  constructor(opts: NwsClientOptions) {
    if (!opts.userAgent?.trim()) throw new Error('NwsClient: a User-Agent identifying the application is required by api.weather.gov');
    this.http = makeHttp('nws', opts, { headers: { 'user-agent': opts.userAgent, accept: 'application/geo+json' } });
  }

  /** `/points/{lat},{lon}` (4 decimals, as the API redirects longer coordinates). */
  async points(lat: number, lon: number): Promise<NwsPoint> {
    const key = `${roundTo(lat, 4)},${roundTo(lon, 4)}`;
    const cached = this.points_.get(key);
    if (cached) return cached;
    const body = await this.http.getJson(`points/${key}`, {}, PointsResponse);
    this.points_.set(key, body.properties);
    return body.properties;
  }

  /** The current hourly forecast at the city's settlement station (source 'nws', model 'ndfd'). */
  async hourlyForecast(cityId: CityId): Promise<HourlyForecastRow[]> {
    const { latitude, longitude } = getCity(cityId).station;
    const point = await this.points(latitude, longitude);
    const body = await this.http.getJson(apiPath(point.forecastHourly, '/gridpoints/'), {}, HourlyResponse);
    const stamp = body.properties.updateTime ?? body.properties.generatedAt;
    if (!stamp) throw new Error('nws: hourly forecast has neither updateTime nor generatedAt');
    const basisTime = new Date(stamp);
    const availableAt = forecastRunAvailableAt('nws', 'ndfd', basisTime);
    return body.properties.periods.map((p) => ({
      cityId,
      source: 'nws',
      model: 'ndfd',
      basisTime,
      validTime: new Date(p.startTime),
      availableAt,
      tempF: p.temperature === null ? null : p.temperatureUnit === 'C' ? round2(cToF(p.temperature)) : p.temperature,
      dewF: tempF(p.dewpoint),
      humidity: plain(p.relativeHumidity),
      precipIn: null,
      precipProb: plain(p.probabilityOfPrecipitation),
      windspeedMph: parseWindSpeed(p.windSpeed),
      cloudcover: null,
    }));
  }

  /**
   * Observations of `station` (e.g. 'KMDW') in [from, to), oldest first (source 'nws-api'). A window
   * that fills the page limit is split in halves, so nothing is lost to paging.
   */
  async observations(station: string, range: UtcRange, limit = 500): Promise<ObservationRow[]> {
    const rows = await this.observationsWindow(station.toUpperCase(), range.from.getTime(), range.to.getTime(), limit);
    const seen = new Set<number>();
    return rows
      .filter((r) => !seen.has(r.observedAt.getTime()) && (seen.add(r.observedAt.getTime()), true))
      .sort((a, b) => a.observedAt.getTime() - b.observedAt.getTime());
  }

  private async observationsWindow(station: string, from: number, to: number, limit: number): Promise<ObservationRow[]> {
    const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');
    const body = await this.http.getJson(`stations/${encodeURIComponent(station)}/observations`, { start: iso(from), end: iso(to), limit }, ObservationsResponse);
    if (body.features.length >= limit && to - from > 60_000) {
      const mid = from + Math.floor((to - from) / 2 / 60_000) * 60_000;
      return [...(await this.observationsWindow(station, from, mid, limit)), ...(await this.observationsWindow(station, mid, to, limit))];
    }
    return body.features
      .map((f) => f.properties)
      .map((p) => {
        const observedAt = new Date(p.timestamp);
        const flags: Record<string, unknown> = {};
        for (const k of ['temperature', 'dewpoint', 'windSpeed', 'windDirection', 'relativeHumidity'] as const) {
          const qc = p[k]?.qualityControl;
          if (qc) flags[k] = qc.replace(/^qc:/, '');
        }
        const layers = (p.cloudLayers ?? []).map((l) => l.amount).filter(Boolean);
        return {
          station: p.stationId ?? p.station.split('/').pop()!,
          source: 'nws-api',
          observedAt,
          availableAt: observationAvailableAt('nws-api', observedAt),
          tempF: tempF(p.temperature),
          dewpointF: tempF(p.dewpoint),
          relativeHumidity: plain(p.relativeHumidity),
          windSpeedMph: speedMph(p.windSpeed),
          windGustMph: speedMph(p.windGust),
          windDirectionDeg: plain(p.windDirection),
          pressureMb: pressureMb(p.seaLevelPressure),
          skyCover: layers.length > 0 ? layers.join(' ') : null,
          conditions: p.textDescription ? p.textDescription : null,
          qualityFlags: Object.keys(flags).length > 0 ? flags : null,
        } satisfies ObservationRow;
      })
      .filter((o) => o.observedAt.getTime() >= from && o.observedAt.getTime() < to);
  }
}
