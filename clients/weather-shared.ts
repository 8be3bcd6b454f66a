/**
 * Helpers shared by the weather clients (clients/{visualcrossing,iem,nws,open-meteo,ncei}.ts) and their
 * sandbox routes: city lookup by station / coordinates, date arithmetic, unit conversion, a small CSV
 * reader, and the options every weather client takes.
 */
import { DateTime } from 'luxon';
import type { Logger } from '../lib/logger';
import { CITIES, getCity, type City, type CityId } from '../domain/cities';
import { HttpClient, NonRetryableHttpError, type HttpClientOptions } from './http';

/** Options every weather client takes; `http` tunes the shared HTTP layer (tests shorten the backoff). */
export interface WeatherClientOptions {
  baseUrl: string;
  log?: Logger;
  rateLimit?: { limit: number; intervalMs: number };
  http?: Partial<Omit<HttpClientOptions, 'source' | 'baseUrl' | 'log' | 'rateLimit'>>;
}

export function makeHttp(source: string, opts: WeatherClientOptions, extra: Partial<HttpClientOptions> = {}): HttpClient {
  return new HttpClient({ ...opts.http, ...extra, source, baseUrl: opts.baseUrl, log: opts.log, rateLimit: opts.rateLimit ?? extra.rateLimit });
}

// ── cities ──────────────────────────────────────────────────────────────────────────────────────

/** The city whose settlement station is `icao` ('KMDW'; a 3-letter 'MDW' is read as 'KMDW'). */
export function cityByIcao(icao: string): City | undefined {
  const id = icao.trim().toUpperCase();
  const full = id.length === 3 ? `K${id}` : id;
  return CITIES.find((c) => c.station.icao === full);
}

/** US state of each traded city's station (for station names in sandbox payloads). */
export const CITY_STATE: Record<CityId, string> = { chicago: 'IL', austin: 'TX', denver: 'CO', los_angeles: 'CA', miami: 'FL', philadelphia: 'PA' };

export function cityByGhcnId(ghcnId: string): City | undefined {
  return CITIES.find((c) => c.station.ghcnId === ghcnId.trim().toUpperCase());
}

/** The city whose station lies within `toleranceDeg` of (lat, lon), nearest first. */
export function cityNear(lat: number, lon: number, toleranceDeg = 0.05): City | undefined {
  let best: { city: City; d: number } | undefined;
  for (const city of CITIES) {
    const d = Math.max(Math.abs(city.station.latitude - lat), Math.abs(city.station.longitude - lon));
    if (d <= toleranceDeg && (!best || d < best.d)) best = { city, d };
  }
  return best?.city;
}

// ── dates ───────────────────────────────────────────────────────────────────────────────────────

export function addDays(date: string, days: number): string {
  // Calendar dates in UTC are plain day arithmetic; luxon only for other ISO forms (it was a visible
  // cost of the sandbox's routes, which step through dates).
  if (/^\d{4}-\d{2}-\d{2}$/.test(date) && Number.isInteger(days)) {
    const ms = Date.parse(`${date}T00:00:00Z`);
    // Date.parse rolls 2025-02-30 over to March: such a date takes luxon's path (invalid there).
    if (Number.isFinite(ms) && new Date(ms).toISOString().startsWith(date)) return new Date(ms + days * 86_400_000).toISOString().slice(0, 10);
  }
  return DateTime.fromISO(date, { zone: 'utc' }).plus({ days }).toISODate()!;
}

/** b − a in whole days. */
export function daysBetween(a: string, b: string): number {
  return Math.round(DateTime.fromISO(b, { zone: 'utc' }).diff(DateTime.fromISO(a, { zone: 'utc' }), 'days').days);
}

export function eachDate(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}

/** 00:00Z of a calendar date. */
export function utcMidnight(date: string): Date {
  return new Date(`${date}T00:00:00Z`);
}

/** The civil (DST-aware) local date of an instant in the city's IANA zone. */
export function localDateOf(cityId: CityId, instant: Date): string {
  return DateTime.fromJSDate(instant, { zone: getCity(cityId).timeZone }).toISODate()!;
}

/** (city, date) -> [start, end) in epoch ms: luxon's zone arithmetic was a visible cost of the sandbox's hot routes. */
const civilDayWindows = new Map<string, readonly [number, number]>();

/** Start (inclusive) and end (exclusive) of a civil local date, as UTC instants (fresh Date objects). */
export function civilDayWindow(cityId: CityId, date: string): { from: Date; to: Date } {
  const key = `${cityId}|${date}`;
  let ms = civilDayWindows.get(key);
  if (!ms) {
    const start = DateTime.fromISO(date, { zone: getCity(cityId).timeZone }).startOf('day');
    ms = [start.toMillis(), start.plus({ days: 1 }).toMillis()];
    // A bounded memo: a long range cannot grow it without limit.
    if (civilDayWindows.size >= 50_000) civilDayWindows.clear();
    civilDayWindows.set(key, ms);
  }
  return { from: new Date(ms[0]), to: new Date(ms[1]) };
}

export function isIsoDate(s: unknown): s is string {
  return typeof s === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(s) && DateTime.fromISO(s, { zone: 'utc' }).isValid;
}

/** Splits [from, to] (inclusive dates) into chunks of at most `days` days. */
export function chunkDates(from: string, to: string, days: number): Array<{ from: string; to: string }> {
  const out: Array<{ from: string; to: string }> = [];
  for (let start = from; start <= to; start = addDays(start, days)) {
    const end = addDays(start, days - 1);
    out.push({ from: start, to: end < to ? end : to });
  }
  return out;
}

// ── numbers and units ───────────────────────────────────────────────────────────────────────────

/** Rounds to `digits` decimals by shifting the decimal string (87.08000000000001 → 87.08; halves go up). */
export function roundTo(x: number, digits: number): number {
  if (!Number.isFinite(x) || Math.abs(x) >= 1e20) return x;
  return Number(`${Math.round(Number(`${x.toFixed(20)}e${digits}`))}e-${digits}`);
}

export const round2 = (x: number) => roundTo(x, 2);

export const cToF = (c: number) => (c * 9) / 5 + 32;
export const fToC = (f: number) => ((f - 32) * 5) / 9;
export const MPH_PER_KMH = 1 / 1.609344;
export const MPH_PER_KNOT = 1.150779448;

/** Round half up to a whole °F: the one rule, domain/fahrenheit.ts. */
export { roundHalfUp } from '../domain/fahrenheit';

export const nullable = <T>(v: T | null | undefined): T | null => (v === undefined ? null : v);

// ── CSV ─────────────────────────────────────────────────────────────────────────────────────────

/** Splits one CSV line (RFC 4180 quotes, no embedded newlines). Returns undefined for an unbalanced quote. */
export function splitCsvLine(line: string): string[] | undefined {
  const out: string[] = [];
  let cur = '';
  let inQuotes = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (inQuotes) {
      if (ch === '"') {
        if (line[i + 1] === '"') {
          cur += '"';
          i++;
        } else inQuotes = false;
      } else cur += ch;
    } else if (ch === '"') inQuotes = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (inQuotes) return undefined;
  out.push(cur);
  return out;
}

export interface CsvTable {
  header: string[];
  rows: string[][];
}

/**
 * Reads a CSV body and checks that it is complete: it ends with a newline, every line has as many
 * fields as the header and passes `checkRow`. Throws on a broken body (the HTTP layer retries it).
 */
export function readCsv(text: string, checkRow?: (fields: string[], header: string[]) => string | undefined): CsvTable {
  if (text.length === 0) throw new Error('empty body');
  if (!text.endsWith('\n')) throw new Error('body does not end with a newline (truncated?)');
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0 && !l.startsWith('#'));
  const headerLine = lines.shift();
  if (headerLine === undefined) throw new Error('no header line');
  const header = splitCsvLine(headerLine);
  if (!header) throw new Error('header line has an unbalanced quote');
  const rows: string[][] = [];
  for (const [i, line] of lines.entries()) {
    const fields = splitCsvLine(line);
    if (!fields || fields.length !== header.length) throw new Error(`line ${i + 2} has ${fields?.length ?? 'unbalanced'} fields, header has ${header.length}`);
    const problem = checkRow?.(fields, header);
    if (problem) throw new Error(`line ${i + 2}: ${problem}`);
    rows.push(fields);
  }
  return { header, rows };
}

export function csvQuote(value: string): string {
  return `"${value.replace(/"/g, '""')}"`;
}

// ── errors ──────────────────────────────────────────────────────────────────────────────────────

/** Replaces every occurrence of `secret` in an error's message (and its cause's) before it leaves a client. */
export function scrubSecret(err: unknown, secret: string | undefined): unknown {
  if (!secret || !(err instanceof Error)) return err;
  const mask = (s: string) => s.split(secret).join('***').split(encodeURIComponent(secret)).join('***');
  err.message = mask(err.message);
  if (err.stack) err.stack = mask(err.stack);
  return err;
}

/** The HTTP status and body text a NonRetryableHttpError carries in its message ("answered 400: <body>"). */
export function errorBody(err: unknown): { status?: number; body?: string } {
  if (!(err instanceof NonRetryableHttpError)) return {};
  const m = /answered (\d{3}): ([\s\S]*)$/.exec(err.message);
  return { status: err.status, body: m?.[2] };
}
