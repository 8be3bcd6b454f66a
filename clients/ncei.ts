/**
 * NCEI GHCN-Daily, the settlement cross-check (weather-apis.md §5):
 *   - Access Data Service `GET /access/services/data/v1?dataset=daily-summaries&…` (JSON or CSV);
 *   - the per-station CSV `GET /data/global-historical-climatology-network-daily/access/<id>.csv`;
 *   - the raw fixed-width `.dly` file `GET /pub/data/ghcn/daily/all/<id>.dly` and `parseGhcnDly`.
 * GHCN stores temperatures in tenths of °C; a settlement high is that converted to °F and rounded half
 * up (`tenthsCToF`), which recovers the NWS integer °F. Rows are SettlementRow with source 'ghcn'.
 */
import { z } from 'zod';
import { getCity, type CityId } from '../domain/cities';
import { ghcnAvailableAt } from '../domain/known-at';
import { tenthsCToWholeFahrenheit } from '../domain/fahrenheit';
import type { GhcnDailyValue, SettlementRow } from '../schemas/records';
import type { DateRange } from '../sandbox/world';
import type { HttpClient } from './http';
import { chunkDates, makeHttp, readCsv, roundHalfUp, type WeatherClientOptions } from './weather-shared';

/** Tenths of °C → whole °F, half up (306 → 87.08 → 87; 25 → 36.5 → 37), in exact integer arithmetic. */
export const tenthsCToF = tenthsCToWholeFahrenheit;

/** A `.dly` value with its GHCN flags (QFLAG non-blank = failed a quality check). */
export interface GhcnDlyValue extends GhcnDailyValue {
  tmaxFlags?: { m: string; q: string; s: string };
  tminFlags?: { m: string; q: string; s: string };
}

/**
 * Parses a GHCN-Daily `.dly` file (fixed width: ID 1–11, YEAR 12–15, MONTH 16–17, ELEMENT 18–21, then
 * 31 × [VALUE 5, MFLAG 1, QFLAG 1, SFLAG 1]; -9999 = missing). Returns one value per date that has
 * TMAX or TMIN, oldest first, flags kept (values that failed QC are returned with their QFLAG).
 */
export function parseGhcnDly(text: string): GhcnDlyValue[] {
  const byDate = new Map<string, GhcnDlyValue>();
  const lines = text.split(/\r?\n/);
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    if (line.length < 269) throw new Error(`.dly line ${i + 1} is ${line.length} characters long, expected 269`);
    const element = line.slice(17, 21);
    if (element !== 'TMAX' && element !== 'TMIN') continue;
    const ghcnId = line.slice(0, 11);
    const year = line.slice(11, 15);
    const month = line.slice(15, 17);
    if (!/^\d{4}$/.test(year) || !/^\d{2}$/.test(month)) throw new Error(`.dly line ${i + 1}: bad year/month ${JSON.stringify(year + month)}`);
    const daysInMonth = new Date(Date.UTC(Number(year), Number(month), 0)).getUTCDate();
    for (let d = 0; d < daysInMonth; d++) {
      const at = 21 + d * 8;
      const raw = line.slice(at, at + 5).trim();
      const value = Number(raw);
      if (!/^-?\d+$/.test(raw)) throw new Error(`.dly line ${i + 1} day ${d + 1}: bad value ${JSON.stringify(raw)}`);
      if (value === -9999) continue;
      const date = `${year}-${month}-${String(d + 1).padStart(2, '0')}`;
      const flags = { m: line[at + 5]!.trim(), q: line[at + 6]!.trim(), s: line[at + 7]!.trim() };
      const entry = byDate.get(`${ghcnId}|${date}`) ?? { ghcnId, date };
      if (element === 'TMAX') {
        entry.tmaxTenthsC = value;
        entry.tmaxFlags = flags;
      } else {
        entry.tminTenthsC = value;
        entry.tminFlags = flags;
      }
      byDate.set(`${ghcnId}|${date}`, entry);
    }
  }
  return [...byDate.values()].sort((a, b) => (a.ghcnId === b.ghcnId ? a.date.localeCompare(b.date) : a.ghcnId.localeCompare(b.ghcnId)));
}

/** True when GHCN marked the value as failing a quality check (a non-blank QFLAG). */
export const failedQc = (flags: { q: string } | undefined): boolean => Boolean(flags?.q && flags.q.trim() !== '');

/**
 * A GHCN value as a settlement row (source 'ghcn'); undefined when TMAX is missing or failed quality
 * control (a non-blank QFLAG: NCEI keeps such values in the file, but they are not a settlement truth);
 * a TMIN that failed QC becomes a null low. Raw tenths and the refused flags are kept in `raw`.
 */
export function ghcnToSettlementRow(cityId: CityId, v: GhcnDlyValue): SettlementRow | undefined {
  if (v.tmaxTenthsC === undefined || failedQc(v.tmaxFlags)) return undefined;
  const raw: Record<string, unknown> = { ghcnId: v.ghcnId, tmaxTenthsC: v.tmaxTenthsC };
  const lowOk = v.tminTenthsC !== undefined && !failedQc(v.tminFlags);
  if (v.tminTenthsC !== undefined) raw.tminTenthsC = v.tminTenthsC;
  if (v.tminFlags?.q) raw.tminQflag = v.tminFlags.q;
  return {
    cityId,
    date: v.date,
    source: 'ghcn',
    highF: tenthsCToF(v.tmaxTenthsC),
    lowF: lowOk ? tenthsCToF(v.tminTenthsC!) : null,
    issuedAt: null,
    isPreliminary: false,
    availableAt: ghcnAvailableAt(cityId, v.date),
    raw,
  };
}

/** Units of the Access Data Service: `stored` (parameter omitted) = tenths °C, `metric` = °C, `standard` = °F. */
export type NceiUnits = 'stored' | 'metric' | 'standard';

export interface GhcnDailyOptions {
  format?: 'json' | 'csv';
  units?: NceiUnits;
}

const DailySummaries = z.array(
  z.object({
    DATE: z.string().regex(/^\d{4}-\d{2}-\d{2}/),
    STATION: z.string(),
    TMAX: z.string().optional(),
    TMIN: z.string().optional(),
    TMAX_ATTRIBUTES: z.string().optional(),
    TMIN_ATTRIBUTES: z.string().optional(),
  }),
);

/** One daily-summaries record with string values (as both JSON and CSV deliver them). */
type Record_ = { DATE: string; STATION: string; TMAX?: string; TMIN?: string; TMAX_ATTRIBUTES?: string; TMIN_ATTRIBUTES?: string };

function toTenths(value: string | undefined, units: NceiUnits): { tenths?: number; f?: number } {
  const s = value?.trim();
  if (!s) return {};
  const n = Number(s);
  if (!Number.isFinite(n)) throw new Error(`not a number: ${JSON.stringify(value)}`);
  if (units === 'stored') return { tenths: Math.round(n) };
  if (units === 'metric') return { tenths: Math.round(n * 10) };
  return { f: n };
}

/** Daily-summaries records (JSON or CSV, any units) → settlement rows. */
export function recordsToSettlementRows(cityId: CityId, records: Record_[], units: NceiUnits): SettlementRow[] {
  const out: SettlementRow[] = [];
  for (const r of records) {
    const date = r.DATE.slice(0, 10);
    const qflag = (attrs?: string) => attrs?.split(',')[1]?.trim() || undefined;
    if (units === 'standard') {
      const hi = toTenths(r.TMAX, units).f;
      // A value that failed quality control (QFLAG in its attributes) is not used.
      if (hi === undefined || qflag(r.TMAX_ATTRIBUTES)) continue;
      const lo = qflag(r.TMIN_ATTRIBUTES) ? undefined : toTenths(r.TMIN, units).f;
      out.push({
        cityId,
        date,
        source: 'ghcn',
        highF: roundHalfUp(hi),
        lowF: lo === undefined ? null : roundHalfUp(lo),
        issuedAt: null,
        isPreliminary: false,
        availableAt: ghcnAvailableAt(cityId, date),
        raw: { ghcnId: r.STATION.trim(), units, TMAX: r.TMAX?.trim(), ...(r.TMIN?.trim() ? { TMIN: r.TMIN.trim() } : {}) },
      });
      continue;
    }
    const row = ghcnToSettlementRow(cityId, {
      ghcnId: r.STATION.trim(),
      date,
      tmaxTenthsC: toTenths(r.TMAX, units).tenths,
      tminTenthsC: toTenths(r.TMIN, units).tenths,
      tmaxFlags: qflag(r.TMAX_ATTRIBUTES) ? { m: '', q: qflag(r.TMAX_ATTRIBUTES)!, s: '' } : undefined,
      tminFlags: qflag(r.TMIN_ATTRIBUTES) ? { m: '', q: qflag(r.TMIN_ATTRIBUTES)!, s: '' } : undefined,
    });
    if (row) out.push(row);
  }
  return out;
}

/** Reads an NCEI CSV (daily-summaries or the per-station access file) into records; throws when truncated. */
export function parseNceiCsv(text: string): Record_[] {
  const table = readCsv(text, (fields, header) => (/^\d{4}-\d{2}-\d{2}/.test(fields[header.indexOf('DATE')] ?? '') ? undefined : 'no DATE'));
  const col = (name: string) => table.header.indexOf(name);
  const [iStation, iDate, iMax, iMin, iMaxA, iMinA] = ['STATION', 'DATE', 'TMAX', 'TMIN', 'TMAX_ATTRIBUTES', 'TMIN_ATTRIBUTES'].map(col) as [number, number, number, number, number, number];
  if (iStation < 0 || iDate < 0) throw new Error(`CSV header lacks STATION/DATE: ${table.header.join(',')}`);
  return table.rows.map((f) => ({
    STATION: f[iStation]!,
    DATE: f[iDate]!,
    TMAX: iMax >= 0 ? f[iMax] : undefined,
    TMIN: iMin >= 0 ? f[iMin] : undefined,
    TMAX_ATTRIBUTES: iMaxA >= 0 ? f[iMaxA] : undefined,
    TMIN_ATTRIBUTES: iMinA >= 0 ? f[iMinA] : undefined,
  }));
}

function checkDly(text: string): void {
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('.dly body does not end with a newline (truncated?)');
  parseGhcnDly(text);
}

export class NceiClient {
  private readonly http: HttpClient;

  constructor(opts: WeatherClientOptions) {
    this.http = makeHttp('ncei', opts);
  }

  /**
   * GHCN-Daily TMAX/TMIN of the city's station for `dates` from the Access Data Service, as settlement
   * rows (source 'ghcn'). Default: JSON in stored units (tenths °C, converted half up).
   */
  async ghcnDaily(cityId: CityId, dates: DateRange, options: GhcnDailyOptions = {}): Promise<SettlementRow[]> {
    const format = options.format ?? 'json';
    const units = options.units ?? 'stored';
    const station = getCity(cityId).station.ghcnId;
    const out: SettlementRow[] = [];
    for (const chunk of chunkDates(dates.from, dates.to, 366 * 5)) {
      const query = {
        dataset: 'daily-summaries',
        stations: station,
        startDate: chunk.from,
        endDate: chunk.to,
        dataTypes: 'TMAX,TMIN',
        // The attributes carry the QFLAG, so values that failed quality control can be left out.
        includeAttributes: 'true',
        units: units === 'stored' ? undefined : units,
        format,
      };
      const records =
        format === 'json'
          ? await this.http.getJson('access/services/data/v1', query, DailySummaries)
          : parseNceiCsv(await this.http.getText('access/services/data/v1', query, parseNceiCsv));
      out.push(...recordsToSettlementRows(cityId, records, units));
    }
    return out.filter((r) => r.date >= dates.from && r.date <= dates.to).sort((a, b) => a.date.localeCompare(b.date));
  }

  /** The whole per-station access CSV (tenths °C), optionally limited to `dates`. */
  async ghcnStationFile(cityId: CityId, dates?: DateRange): Promise<SettlementRow[]> {
    const station = getCity(cityId).station.ghcnId;
    const text = await this.http.getText(`data/global-historical-climatology-network-daily/access/${station}.csv`, {}, parseNceiCsv);
    return recordsToSettlementRows(cityId, parseNceiCsv(text), 'stored').filter((r) => !dates || (r.date >= dates.from && r.date <= dates.to));
  }

  /** The raw `.dly` file of the city's station, parsed (all dates, flags kept). */
  async ghcnDly(cityId: CityId): Promise<GhcnDlyValue[]> {
    const station = getCity(cityId).station.ghcnId;
    return parseGhcnDly(await this.http.getText(`pub/data/ghcn/daily/all/${station}.dly`, {}, checkDly));
  }
}
