/**
 * Iowa Environmental Mesonet (weather-apis.md §2):
 *   - `GET /json/cli.py?station=KMDW&year=2026` — NWS CLI daily values → SettlementRow (source 'cli');
 *   - `GET /cgi-bin/request/asos.py?…&tz=UTC&format=onlycomma` — ASOS/METAR CSV → ObservationRow ('iem-asos');
 *   - `GET /cgi-bin/request/mos.py?station=KMDW&model=GFS&sts=…&ets=…&format=json` — MOS archive →
 *     DailyForecastRow (source 'iem-mos').
 *
 * MOS (assumption, from the service source akrherz/iem pylib/iemweb/request/mos.py; weather-apis.md is
 * silent): rows are one per (runtime, ftime) with the raw MOS variables; `n_x` holds the max at the 00Z
 * forecast hour and the min at 12Z (MAV/MET X/N line, NBM TXN). The daytime max at ftime D+1 00Z belongs
 * to local standard date D (16:00–19:00 LST in every traded zone). Model names: GFS (alias AVN), NAM
 * (ETA), NBS (the NBM text product) — rows carry model 'gfs' | 'nam' | 'nbm'.
 *
 * availableAt (domain/known-at.ts): CLI, the product's issue time (else the morning after the climate day);
 * ASOS, observation time + the 'iem-asos' reporting delay; MOS, run time + the model's publication delay.
 */
import { DateTime } from 'luxon';
import { z } from 'zod';
import { climateDateOf } from '../domain/climate-day';
import { getCity, type CityId } from '../domain/cities';
import { cliAvailableAt, forecastRunAvailableAt, observationAvailableAt } from '../domain/known-at';
import { roundHalfUp } from '../domain/fahrenheit';
import type { DailyForecastRow, MosForecast, ObservationRow, SettlementRow } from '../schemas/records';
import type { DateRange, UtcRange } from '../sandbox/world';
import type { HttpClient } from './http';
import { addDays, daysBetween, localDateOf, makeHttp, readCsv, type CsvTable, type WeatherClientOptions } from './weather-shared';

// ── CLI ─────────────────────────────────────────────────────────────────────────────────────────

const MissingOr = <T extends z.ZodType>(t: T) => z.union([t, z.literal('M'), z.null()]);

const CliResponse = z.object({
  results: z.array(
    z.object({
      station: z.string(),
      valid: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
      product: z.string().nullish(),
      high: MissingOr(z.number()),
      low: MissingOr(z.number()).optional(),
      high_time: z.string().nullish(),
      low_time: z.string().nullish(),
      precip: z.union([z.number(), z.literal('M'), z.literal('T'), z.null()]).optional(),
    }),
  ),
  generated_at: z.string().nullish(),
});

/** The issue time encoded in an IEM/AFOS product id: '202607160629-KLOT-CDUS43-CLIMDW' → 2026-07-16T06:29Z. */
export function productIssuedAt(product: string | null | undefined): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})-/.exec(product ?? '');
  if (!m) return null;
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5])));
}

/** AWIPS header of each city's CLI product: WMO id CDUS4x by NWS region (seen in real bulletins). */
const CDUS: Record<string, string> = { PHI: 'CDUS41', MFL: 'CDUS42', LOT: 'CDUS43', EWX: 'CDUS44', BOU: 'CDUS45', LOX: 'CDUS46' };

/** The product id a CLI for `cityId` issued at `issuedAt` carries (inverse of productIssuedAt). */
export function cliProductId(cityId: CityId, issuedAt: Date): string {
  const { site, issuedBy } = getCity(cityId).station.cli;
  const stamp = DateTime.fromJSDate(issuedAt, { zone: 'utc' }).toFormat('yyyyLLddHHmm');
  return `${stamp}-K${site}-${CDUS[site] ?? 'CDUS40'}-CLI${issuedBy}`;
}

// ── ASOS ────────────────────────────────────────────────────────────────────────────────────────

/** Variables requested from asos.py (°F, %, degrees, mph, mb, sky cover, present weather). */
export const ASOS_VARS = ['tmpf', 'dwpf', 'relh', 'drct', 'sped', 'gust_mph', 'mslp', 'skyc1', 'skyc2', 'skyc3', 'skyc4', 'wxcodes'] as const;
const TEXT_VARS = new Set(['station', 'valid', 'skyc1', 'skyc2', 'skyc3', 'skyc4', 'wxcodes', 'metar']);

function checkAsosRow(fields: string[], header: string[]): string | undefined {
  for (const [i, name] of header.entries()) {
    const v = fields[i]!;
    if (name === 'valid') {
      if (!/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/.test(v)) return `bad valid ${JSON.stringify(v)}`;
    } else if (!TEXT_VARS.has(name) && !/^(-?\d+\.\d{2}|M|)$/.test(v)) {
      // asos.py prints numbers with two decimals: anything else is a cut or garbled body.
      return `bad ${name} ${JSON.stringify(v)}`;
    }
  }
  return undefined;
}

/** The checked table of an asos.py body; throws on a cut or garbled one (the HTTP layer retries it). */
function readAsosCsv(text: string): CsvTable {
  const table = readCsv(text, checkAsosRow);
  if (table.header[0] !== 'station' || table.header[1] !== 'valid') throw new Error(`unexpected header ${table.header.join(',')}`);
  return table;
}

// ── MOS ─────────────────────────────────────────────────────────────────────────────────────────

export type MosModel = 'gfs' | 'nam' | 'nbm';
const IEM_MOS_MODEL: Record<MosModel, string> = { gfs: 'GFS', nam: 'NAM', nbm: 'NBS' };
/** IEM model code → our model name. */
export function mosModelName(iemModel: string): string {
  const m = iemModel.toUpperCase();
  if (m === 'GFS' || m === 'AVN') return 'gfs';
  if (m === 'NAM' || m === 'ETA') return 'nam';
  if (m === 'NBS' || m === 'NBE' || m === 'NBM') return 'nbm';
  return m.toLowerCase();
}

const MosTime = z.string().regex(/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/);
const MosResponse = z.array(
  z.object({
    runtime: MosTime,
    ftime: MosTime,
    station: z.string(),
    model: z.string(),
    n_x: z.number().nullish(),
  }),
);

/** pandas writes naive UTC times ('2026-07-14T12:00:00.000'); read them as UTC. */
function mosTime(s: string): Date {
  const iso = s.replace(' ', 'T');
  return new Date(/[zZ]|[+-]\d{2}:?\d{2}$/.test(iso) ? iso : `${iso}Z`);
}

/** A MOS max forecast as a daily forecast row (source 'iem-mos', basis = run time, basisDate local civil date). */
export function mosToDailyForecastRow(cityId: CityId, m: MosForecast): DailyForecastRow {
  const basisDate = localDateOf(cityId, m.runTime);
  const model = mosModelName(m.model);
  return {
    cityId,
    source: 'iem-mos',
    model,
    targetDate: m.targetDate,
    basisTime: m.runTime,
    basisDate,
    leadDays: daysBetween(basisDate, m.targetDate),
    availableAt: forecastRunAvailableAt('iem-mos', model, m.runTime),
    tempmaxF: m.tmaxF,
    raw: { station: m.station },
  };
}

/** The forecast hour (UTC) at which a model's MOS carries the daytime max of local date D: D+1 00Z. */
export function mosMaxFtime(targetDate: string): Date {
  return new Date(`${addDays(targetDate, 1)}T00:00:00Z`);
}

export interface IemClientOptions extends WeatherClientOptions {}

export class IemClient {
  private readonly http: HttpClient;

  constructor(opts: IemClientOptions) {
    // IEM asks for at most one request per second per IP (asos.py, since 2026-04-21).
    this.http = makeHttp('iem', { ...opts, rateLimit: opts.rateLimit ?? { limit: 1, intervalMs: 1000 } });
  }

  /**
   * The CLI values of one station-year (source 'cli'). Days whose high is 'M' are left out; a low of
   * 'M' is null. `issuedAt` is the product's issue time; a product issued on the climate date it
   * describes (an intermediate CLI) is `isPreliminary`.
   */
  async cliReports(cityId: CityId, year: number): Promise<SettlementRow[]> {
    const city = getCity(cityId);
    const body = await this.http.getJson('json/cli.py', { station: city.station.icao, year, fmt: 'json' }, CliResponse);
    const out: SettlementRow[] = [];
    for (const r of body.results) {
      if (typeof r.high !== 'number') continue;
      const issuedAt = productIssuedAt(r.product);
      out.push({
        cityId,
        date: r.valid,
        source: 'cli',
        highF: roundHalfUp(r.high),
        lowF: typeof r.low === 'number' ? roundHalfUp(r.low) : null,
        issuedAt,
        isPreliminary: issuedAt ? climateDateOf(cityId, issuedAt) <= r.valid : false,
        availableAt: cliAvailableAt(cityId, r.valid, issuedAt),
        raw: { product: r.product ?? null, high_time: r.high_time ?? null, low_time: r.low_time ?? null },
      });
    }
    return out.sort((a, b) => a.date.localeCompare(b.date));
  }

  /** ASOS/METAR observations of the settlement station in [from, to) (source 'iem-asos'), in 31-day requests. */
  async asosObservations(cityId: CityId, range: UtcRange): Promise<ObservationRow[]> {
    const icao = getCity(cityId).station.icao;
    const out: ObservationRow[] = [];
    const fmt = (d: Date) => DateTime.fromJSDate(d, { zone: 'utc' }).toFormat("yyyy-LL-dd'T'HH:mm'Z'");
    for (let start = range.from.getTime(); start < range.to.getTime(); start += 31 * 86_400_000) {
      const end = Math.min(start + 31 * 86_400_000, range.to.getTime());
      // The body is read once: the table the validation checked is the one converted below.
      let table: CsvTable | undefined;
      await this.http.getText(
        'cgi-bin/request/asos.py',
        {
          station: icao.slice(1),
          data: [...ASOS_VARS],
          sts: fmt(new Date(start)),
          ets: fmt(new Date(end)),
          tz: 'UTC',
          format: 'onlycomma',
          missing: 'M',
        },
        (text) => {
          table = readAsosCsv(text);
        },
      );
      for (const o of asosRows(table!, icao)) if (o.observedAt.getTime() >= start && o.observedAt.getTime() < end) out.push(o);
    }
    return out;
  }

  /**
   * MOS daytime-max forecasts for runs made on the UTC dates `runs` (inclusive), as DailyForecastRow
   * (source 'iem-mos', model 'gfs' | 'nam' | 'nbm', basisTime = run time).
   */
  async mosForecasts(cityId: CityId, model: MosModel, runs: DateRange): Promise<DailyForecastRow[]> {
    return (await this.mosRuns(cityId, model, runs)).map((m) => mosToDailyForecastRow(cityId, m));
  }

  /** The same MOS maxima as MosForecast records (station, model, run time, target date, °F). */
  async mosRuns(cityId: CityId, model: MosModel, runs: DateRange): Promise<MosForecast[]> {
    const icao = getCity(cityId).station.icao;
    const body = await this.http.getJson(
      'cgi-bin/request/mos.py',
      { station: icao, model: IEM_MOS_MODEL[model], sts: `${runs.from}T00:00Z`, ets: `${runs.to}T23:59Z`, format: 'json' },
      MosResponse,
    );
    const out: MosForecast[] = [];
    for (const r of body) {
      if (r.n_x === null || r.n_x === undefined) continue;
      const ftime = mosTime(r.ftime);
      if (ftime.getUTCHours() !== 0) continue; // 12Z carries the nighttime min
      out.push({
        station: r.station,
        model: mosModelName(r.model),
        runTime: mosTime(r.runtime),
        // D+1 00Z is 16:00–19:00 local standard time of D in every traded zone.
        targetDate: climateDateOf(cityId, ftime),
        tmaxF: r.n_x,
      });
    }
    return out.sort((a, b) => a.runTime.getTime() - b.runTime.getTime() || a.targetDate.localeCompare(b.targetDate));
  }
}

/** Parses an asos.py `onlycomma` CSV (tz=UTC) into observation rows; `icao` names the station ('KMDW'). */
export function parseAsosCsv(text: string, icao?: string): ObservationRow[] {
  return asosRows(readCsv(text, checkAsosRow), icao);
}

/** The rows of a checked asos.py table (column positions looked up once per table). */
function asosRows({ header, rows }: CsvTable, icao?: string): ObservationRow[] {
  const col = (n: string) => header.indexOf(n);
  const num = (f: string[], i: number): number | null => {
    const v = i >= 0 ? f[i] : undefined;
    return v === undefined || v === 'M' || v === '' ? null : Number(v);
  };
  const txt = (f: string[], i: number): string | null => {
    const v = i >= 0 ? f[i]?.trim() : undefined;
    return !v || v === 'M' ? null : v;
  };
  const [valid, tmpf, dwpf, relh, sped, sknt, gust, drct, mslp, wxcodes] = ['valid', 'tmpf', 'dwpf', 'relh', 'sped', 'sknt', 'gust_mph', 'drct', 'mslp', 'wxcodes'].map(col) as number[];
  const skyCols = ['skyc1', 'skyc2', 'skyc3', 'skyc4'].map(col);
  return rows.map((f) => {
    let skyCover: string | null = null;
    for (const i of skyCols) {
      const s = txt(f, i);
      if (s !== null) skyCover = skyCover === null ? s : `${skyCover} ${s}`;
    }
    const station = icao ?? (f[0]!.length === 3 ? `K${f[0]}` : f[0]!);
    const knots = num(f, sknt!);
    const observedAt = new Date(`${f[valid!]!.replace(' ', 'T')}:00Z`);
    return {
      station,
      source: 'iem-asos',
      observedAt,
      availableAt: observationAvailableAt('iem-asos', observedAt),
      tempF: num(f, tmpf!),
      dewpointF: num(f, dwpf!),
      relativeHumidity: num(f, relh!),
      windSpeedMph: num(f, sped!) ?? (knots === null ? null : Math.round(knots * 1.150779448 * 100) / 100),
      windGustMph: num(f, gust!),
      windDirectionDeg: num(f, drct!),
      pressureMb: num(f, mslp!),
      skyCover,
      conditions: txt(f, wxcodes!),
    };
  });
}
