/**
 * Calibrates the generated world (sandbox/worlds/generated.ts) on the real corpus and writes the
 * small, committed sandbox/worlds/calibration.json, so that users need no shared data.
 *
 *   npx tsx scripts/calibrate-world.ts [--shared ../shared] [--out sandbox/worlds/calibration.json]
 *
 * What it measures, per city, and from what (the JSON records the same per city under `source`):
 *   - climatology of the daily high by month (mean, std) and the lag-1 autocorrelation of the
 *     standardised anomaly (the AR(1) coefficient of the weather-anomaly process);
 *   - the mean diurnal range (TMAX - TMIN) by month, for the minute observation curve;
 *   - the day-ahead forecast error of MOS against the settlement station (bias, std, MAE);
 *   - the market's sharpness (bracket log loss of the mid at the pre-settlement snapshot) and the
 *     normal spread that reproduces it, from which the generated market's information sigma follows;
 *   - the market's untidiness: spreads and one-sided books of the real day-ahead quotes (logan
 *     presettlement, 2025 on), trades by hour of day and in bursts (cpratim trade prints), how sparse
 *     minute data are (peterjfranco minute exports), and how often an hourly METAR maximum misses the
 *     settled high (logan asos_daily vs GHCN).
 * Sources: GHCN-Daily csv (Chicago Midway, Austin Bergstrom, Philadelphia); Miami: the NWS NOWData
 * table 2021-2023 (marzbana) plus Kalshi expiration values; Denver: Kalshi settled highs (cpratim,
 * Nov-May) plus NOAA 1991-2020 normals for the months the data lacks; Los Angeles: NOAA 1991-2020
 * normals only (the corpus holds a single LAX CLI day). Fallback values are approximate published
 * normals and typical spreads, marked `fallback` in the JSON.
 */
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import seedrandom from 'seedrandom';
import { roundHalfUp } from '../domain/brackets';
import type { CityId } from '../domain/cities';

const args = process.argv.slice(2);
const argOf = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const SHARED = resolve(argOf('--shared') ?? process.env.WX_SHARED_DIR ?? join(process.cwd(), '..', 'shared'));
const REAL = join(SHARED, 'data', 'real');
const OUT = resolve(argOf('--out') ?? join(process.cwd(), 'sandbox', 'worlds', 'calibration.json'));

const round = (x: number, d = 3): number => Math.round(x * 10 ** d) / 10 ** d;
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const std = (xs: number[]): number => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1));
};

function readCsv(path: string): Array<Record<string, string>> {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = lines[0]!.split(',');
  return lines.slice(1).map((line) => {
    const cells = line.split(',');
    return Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']));
  });
}

const num = (s: string | undefined): number | undefined => {
  if (s == null || s.trim() === '' || s === 'nan' || s === 'M') return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
};

interface Daily {
  date: string;
  tmax: number;
  tmin?: number;
}

function ghcnCsv(id: string): Daily[] {
  return readCsv(join(REAL, 'logan_weather_prediction', 'ghcn', `${id}.csv`)).flatMap((r) => {
    const tmax = num(r.TMAX);
    if (tmax === undefined) return [];
    // GHCN is tenths of °C converted to °F by the author; the settled high rounds half up.
    const tmin = num(r.TMIN);
    return [{ date: r.date!, tmax: roundHalfUp(tmax), ...(tmin !== undefined ? { tmin: roundHalfUp(tmin) } : {}) }];
  });
}

function marzbanaMiami(): Daily[] {
  return readCsv(join(REAL, 'marzbana_miami', 'miami_weather_data_total.csv')).flatMap((r) => {
    const hi = num(r.high_temp);
    const lo = num(r.low_temp);
    if (hi === undefined || !r.year) return [];
    const date = `${r.year}-${r.month!.padStart(2, '0')}-${r.day!.padStart(2, '0')}`;
    return [{ date, tmax: hi, ...(lo !== undefined ? { tmin: lo } : {}) }];
  });
}

/** Settled highs from cpratim: expiration_value where present, else the midpoint of the winning 2°F bracket. */
function cpratimHighs(series: string): { exact: Daily[]; approx: Daily[] } {
  const dir = join(REAL, 'cpratim_kalshi_weather', series, 'events');
  const exact: Daily[] = [];
  const approx: Daily[] = [];
  if (!existsSync(dir)) return { exact, approx };
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    const payload = JSON.parse(readFileSync(join(dir, f), 'utf8')) as {
      markets: Array<{ expiration_value?: string; result?: string; strike_type?: string; floor_strike?: number; cap_strike?: number }>;
    };
    const date = f.replace('.json', '');
    const ev = payload.markets.map((m) => parseFloat(m.expiration_value ?? '')).find((x) => Number.isFinite(x));
    if (ev !== undefined) {
      exact.push({ date, tmax: ev });
      continue;
    }
    const win = payload.markets.find((m) => m.result === 'yes' && m.strike_type === 'between');
    if (win?.floor_strike != null && win.cap_strike != null) approx.push({ date, tmax: (win.floor_strike + win.cap_strike) / 2 });
  }
  return { exact, approx };
}

const monthOf = (date: string): number => Number(date.slice(5, 7));

// NOAA 1991-2020 monthly normal highs (°F), approximate published values, for months without data.
const NORMALS: Partial<Record<CityId, { mean: number[]; std: number[]; dtr: number[] }>> = {
  denver: {
    mean: [45.3, 46.3, 55.0, 61.1, 70.9, 82.4, 89.0, 86.5, 78.6, 65.4, 53.5, 45.2],
    std: [10.5, 11, 11, 10.5, 9, 7, 5, 5, 7.5, 9.5, 10, 10.5],
    dtr: [29, 28, 28, 28, 27, 29, 30, 29, 30, 30, 28, 28],
  },
  los_angeles: {
    mean: [66.2, 65.6, 66.6, 68.6, 70.2, 72.8, 75.9, 77.4, 77.2, 74.5, 70.8, 66.1],
    std: [5.5, 5.5, 5.0, 5.0, 3.5, 3.5, 3.0, 3.0, 5.0, 6.0, 6.5, 6.0],
    dtr: [17, 16, 15, 13, 11, 10, 11, 11, 12, 14, 16, 17],
  },
};

interface CityCalibration {
  source: string;
  dataRange?: { from: string; to: string; days: number };
  /** Monthly mean and std of the daily high, January first. */
  tmaxMeanF: number[];
  tmaxStdF: number[];
  /** Which months came from the fallback normals. */
  fallbackMonths: number[];
  /** Lag-1 autocorrelation of the standardised daily anomaly. */
  anomalyAr1: number;
  anomalyAr1Source: string;
  /** Mean TMAX - TMIN by month. */
  diurnalRangeF: number[];
  diurnalRangeSource: string;
}

const MIN_DAYS = 20;

function climatology(days: Daily[], fallback?: { mean: number[]; std: number[]; dtr: number[] }) {
  const mean12: number[] = [];
  const std12: number[] = [];
  const dtr12: number[] = [];
  const fallbackMonths: number[] = [];
  for (let m = 1; m <= 12; m++) {
    const xs = days.filter((d) => monthOf(d.date) === m);
    const dtr = xs.flatMap((d) => (d.tmin !== undefined ? [d.tmax - d.tmin] : []));
    if (xs.length >= MIN_DAYS) {
      mean12.push(round(mean(xs.map((d) => d.tmax)), 2));
      std12.push(round(std(xs.map((d) => d.tmax)), 2));
    } else {
      if (!fallback) throw new Error(`month ${m}: ${xs.length} days and no fallback`);
      mean12.push(fallback.mean[m - 1]!);
      std12.push(fallback.std[m - 1]!);
      fallbackMonths.push(m);
    }
    dtr12.push(dtr.length >= MIN_DAYS ? round(mean(dtr), 2) : (fallback?.dtr[m - 1] ?? 18));
  }
  return { mean12, std12, dtr12, fallbackMonths };
}

/** Mid-month interpolation of the monthly values, as the generated world does it. */
function dailyClim(values: number[], date: string): number {
  const d = new Date(`${date}T00:00:00Z`);
  const y = d.getUTCFullYear();
  const doy = (d.getTime() - Date.UTC(y, 0, 1)) / 86400000;
  const pos = (doy / 365.25) * 12 - 0.5;
  const i = Math.floor(pos);
  const f = pos - i;
  const a = values[((i % 12) + 12) % 12]!;
  const b = values[(((i + 1) % 12) + 12) % 12]!;
  return a + (b - a) * f;
}

function ar1(days: Daily[], mean12: number[], std12: number[]): number {
  const byDate = new Map(days.map((d) => [d.date, d]));
  const pairs: Array<[number, number]> = [];
  for (const d of days) {
    const next = new Date(Date.parse(`${d.date}T00:00:00Z`) + 86400000).toISOString().slice(0, 10);
    const n = byDate.get(next);
    if (!n) continue;
    const za = (d.tmax - dailyClim(mean12, d.date)) / dailyClim(std12, d.date);
    const zb = (n.tmax - dailyClim(mean12, n.date)) / dailyClim(std12, n.date);
    pairs.push([za, zb]);
  }
  const ma = mean(pairs.map((p) => p[0]));
  const mb = mean(pairs.map((p) => p[1]));
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (const [a, b] of pairs) {
    cov += (a - ma) * (b - mb);
    va += (a - ma) ** 2;
    vb += (b - mb) ** 2;
  }
  return round(cov / Math.sqrt(va * vb), 3);
}

const rangeOf = (days: Daily[]) => {
  const ds = days.map((d) => d.date).sort();
  return { from: ds[0]!, to: ds[ds.length - 1]!, days: ds.length };
};

function calibrateCities(): Record<CityId, CityCalibration> {
  const out: Partial<Record<CityId, CityCalibration>> = {};
  const ghcn: Array<[CityId, string, string]> = [
    ['chicago', 'USW00014819', 'GHCN-Daily USW00014819 (Chicago Midway) via logan_weather_prediction/ghcn/USW00014819.csv'],
    ['austin', 'USW00013904', 'GHCN-Daily USW00013904 (Austin Bergstrom) via logan_weather_prediction/ghcn/USW00013904.csv'],
    ['philadelphia', 'USW00013739', 'GHCN-Daily USW00013739 (Philadelphia Intl) via logan_weather_prediction/ghcn/USW00013739.csv'],
  ];
  const ar1s: number[] = [];
  for (const [city, id, source] of ghcn) {
    const days = ghcnCsv(id);
    const c = climatology(days);
    const phi = ar1(days, c.mean12, c.std12);
    ar1s.push(phi);
    out[city] = {
      source,
      dataRange: rangeOf(days),
      tmaxMeanF: c.mean12,
      tmaxStdF: c.std12,
      fallbackMonths: [],
      anomalyAr1: phi,
      anomalyAr1Source: 'same GHCN series',
      diurnalRangeF: c.dtr12,
      diurnalRangeSource: 'same GHCN series (TMAX - TMIN)',
    };
  }
  const meanAr1 = round(mean(ar1s), 3);

  // Miami: NOWData 2021-2023 plus the Kalshi settled highs of 2024-08..2025-05.
  {
    const now = marzbanaMiami();
    const kal = cpratimHighs('kxhighmia');
    const seen = new Set(now.map((d) => d.date));
    const days = [...now, ...kal.exact.filter((d) => !seen.has(d.date))];
    const c = climatology(days);
    const phi = ar1(now, c.mean12, c.std12);
    out.miami = {
      source: 'NWS NOWData daily table KMIA 2021-2023 (marzbana_miami) + cpratim KXHIGHMIA expiration_value 2025',
      dataRange: rangeOf(days),
      tmaxMeanF: c.mean12,
      tmaxStdF: c.std12,
      fallbackMonths: [],
      anomalyAr1: phi,
      anomalyAr1Source: 'NOWData 2021-2023 (consecutive days)',
      diurnalRangeF: c.dtr12,
      diurnalRangeSource: 'NOWData high - low',
    };
  }
  // Denver: cpratim settled highs (Nov-May only) + normals.
  {
    const kal = cpratimHighs('kxhighden');
    const days = [...kal.exact, ...kal.approx].sort((a, b) => a.date.localeCompare(b.date));
    const c = climatology(days, NORMALS.denver);
    // One season of data per month: blend it half and half with the normals.
    const n = NORMALS.denver!;
    for (let m = 0; m < 12; m++) {
      if (c.fallbackMonths.includes(m + 1)) continue;
      c.mean12[m] = round((c.mean12[m]! + n.mean[m]!) / 2, 2);
      c.std12[m] = round(Math.sqrt((c.std12[m]! ** 2 + n.std[m]! ** 2) / 2), 2);
    }
    out.denver = {
      source: `cpratim KXHIGHDEN settled highs (${kal.exact.length} expiration_value days + ${kal.approx.length} winning-bracket midpoints) for months with >= ${MIN_DAYS} days, blended 50/50 with the normals (one season only); fallback: approximate NOAA 1991-2020 normals (KDEN) for the others`,
      dataRange: rangeOf(days),
      tmaxMeanF: c.mean12,
      tmaxStdF: c.std12,
      fallbackMonths: c.fallbackMonths,
      anomalyAr1: meanAr1,
      anomalyAr1Source: 'mean of the GHCN cities (too few consecutive Denver days)',
      diurnalRangeF: NORMALS.denver!.dtr,
      diurnalRangeSource: 'fallback: approximate NOAA normals (max - min)',
    };
  }
  // Los Angeles: no series in the corpus.
  {
    const n = NORMALS.los_angeles!;
    out.los_angeles = {
      source: 'fallback: approximate NOAA 1991-2020 normals for KLAX (the corpus holds one LAX CLI day); std assumed (marine layer: small in summer, Santa Ana spread in autumn/winter)',
      tmaxMeanF: n.mean,
      tmaxStdF: n.std,
      fallbackMonths: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
      anomalyAr1: meanAr1,
      anomalyAr1Source: 'mean of the GHCN cities',
      diurnalRangeF: n.dtr,
      diurnalRangeSource: 'fallback: approximate NOAA normals (max - min)',
    };
  }
  return out as Record<CityId, CityCalibration>;
}

/** MOS day-ahead error against the settlement station's GHCN high. */
function mosErrors() {
  const res: Record<string, unknown> = {};
  const pairs: Array<[string, string, string]> = [
    ['kphl', 'USW00013739', 'philadelphia'],
    ['kord', 'USW00014819', 'chicago'],
  ];
  for (const [mos, id, city] of pairs) {
    const obs = new Map(ghcnCsv(id).map((d) => [d.date, d.tmax]));
    const rows = readCsv(join(REAL, 'logan_weather_prediction', 'mos', `combined_mos_${mos}.csv`));
    const byModel: Record<string, number[]> = { gfs: [], nam: [], ensemble: [] };
    let from = '9999';
    let to = '0000';
    for (const r of rows) {
      const o = obs.get(r.date!);
      if (o === undefined) continue;
      // Lead 1 only: runs at 12Z the day before (all but a dozen rows).
      if (!(r.gfs_runtime ?? '').endsWith('12:00:00')) continue;
      const g = num(r.gfs_mos_tmax_f);
      const n = num(r.nam_mos_tmax_f);
      const e = num(r.mos_ensemble_tmax_f);
      if (g !== undefined) byModel.gfs!.push(g - o);
      if (n !== undefined) byModel.nam!.push(n - o);
      if (e !== undefined) byModel.ensemble!.push(e - o);
      if (r.date! < from) from = r.date!;
      if (r.date! > to) to = r.date!;
    }
    const stats = Object.fromEntries(
      Object.entries(byModel).map(([m, xs]) => [
        m,
        { n: xs.length, biasF: round(mean(xs), 3), stdF: round(std(xs), 3), maeF: round(mean(xs.map(Math.abs)), 3) },
      ]),
    );
    res[city] = {
      source: `logan_weather_prediction/mos/combined_mos_${mos}.csv (12Z run of the day before) vs GHCN ${id}${mos === 'kord' ? ' — O\'Hare MOS against Midway obs: includes the station mismatch' : ''}`,
      dates: { from, to },
      ...stats,
    };
  }
  return res;
}

// ── forecast-error growth and market sharpness ─────────────────────────────────────────────────

/** Forecast error std relative to lead 1 (the 12Z run of the day before, ~33 h before the peak), by days to the peak. */
const GROWTH: Array<[number, number]> = [
  [0, 0.3],
  [0.25, 0.55],
  [0.67, 0.82],
  [1.375, 1.0],
  [2.375, 1.15],
  [3.375, 1.3],
  [4.375, 1.47],
  [5.375, 1.65],
  [6.375, 1.85],
  [7.375, 2.05],
  [8.5, 2.25],
];

function growthAt(daysToPeak: number): number {
  const g = GROWTH;
  if (daysToPeak <= g[0]![0]) return g[0]![1];
  for (let i = 1; i < g.length; i++) {
    const [x1, y1] = g[i]!;
    const [x0, y0] = g[i - 1]!;
    if (daysToPeak <= x1) return y0 + ((y1 - y0) * (daysToPeak - x0)) / (x1 - x0);
  }
  return g[g.length - 1]![1];
}

function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 +
        t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}
const Phi = (x: number): number => 0.5 * erfc(-x / Math.SQRT2);

/**
 * Expected bracket log loss of a normal(mu, sigma) market whose mu errs by N(0, sigma), on a
 * six-market ladder centred on a listing forecast that errs by N(0, sigmaListing), scored the way
 * market-baselines.md scores the real market (clip to [0.005, 0.995], normalise).
 */
function expectedLogLoss(sigma: number, sigmaListing: number, n = 20000): number {
  const rng = seedrandom.alea(`logloss|${sigma}`);
  const normal = () => {
    const u = 1 - rng();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
  };
  let total = 0;
  for (let i = 0; i < n; i++) {
    const truth = 60 + 10 * normal();
    const c = roundHalfUp(truth);
    const mu = truth + sigma * normal();
    const listing = mu + Math.sqrt(Math.max(0, sigmaListing ** 2 - sigma ** 2)) * normal();
    const f0 = Math.round(listing - 3.5);
    const edges = [-Infinity, f0 - 0.5, f0 + 1.5, f0 + 3.5, f0 + 5.5, f0 + 7.5, Infinity];
    const ps: number[] = [];
    for (let b = 0; b < 6; b++) {
      const lo = edges[b]!;
      const hi = edges[b + 1]!;
      const p = (hi === Infinity ? 1 : Phi((hi - mu) / sigma)) - (lo === -Infinity ? 0 : Phi((lo - mu) / sigma));
      ps.push(Math.min(0.995, Math.max(0.005, p)));
    }
    const sum = ps.reduce((a, b) => a + b, 0);
    let win = 0;
    for (let b = 0; b < 6; b++) if (c > edges[b]! && c < edges[b + 1]!) win = b;
    total += -Math.log(ps[win]! / sum);
  }
  return total / n;
}

function sigmaForLogLoss(target: number, ratioListing: number): number {
  let lo = 0.4;
  let hi = 8;
  for (let k = 0; k < 30; k++) {
    const mid = (lo + hi) / 2;
    if (expectedLogLoss(mid, mid * ratioListing) < target) lo = mid;
    else hi = mid;
  }
  return round((lo + hi) / 2, 3);
}

function main(): void {
  if (!existsSync(REAL)) throw new Error(`no real data at ${REAL} (set WX_SHARED_DIR or --shared)`);
  const cities = calibrateCities();
  const mos = mosErrors() as Record<string, { ensemble: { biasF: number; stdF: number }; gfs: { biasF: number; stdF: number } }>;
  const phlStd = mos.philadelphia!.gfs.stdF;
  const chiStd = mos.chicago!.gfs.stdF;

  // Market sharpness: market-baselines.md (bracket log loss of the mid at the pre-settlement
  // snapshot, ~05:00Z on the climate date, ~16 h before the afternoon peak).
  const baselines: Partial<Record<CityId, number>> = { chicago: 1.382, austin: 1.447, philadelphia: 1.354 };
  const meanBaseline = round(mean(Object.values(baselines) as number[]), 3);
  const snapshotHoursToPeak = 16;
  const listingHoursToPeak = 30;
  const ratioListing = growthAt(listingHoursToPeak / 24) / growthAt(snapshotHoursToPeak / 24);

  const forecastByCity: Record<string, unknown> = {};
  const marketByCity: Record<string, unknown> = {};
  for (const city of Object.keys(cities) as CityId[]) {
    const lead1 = city === 'chicago' ? chiStd : phlStd;
    const target = baselines[city] ?? meanBaseline;
    const sigmaSnap = sigmaForLogLoss(target, ratioListing);
    const srcAtSnap = lead1 * growthAt(snapshotHoursToPeak / 24);
    forecastByCity[city] = {
      lead1StdF: lead1,
      source: city === 'chicago' ? 'GFS MOS KORD vs GHCN KMDW (12Z D-1)' : city === 'philadelphia' ? 'GFS MOS KPHL vs GHCN KPHL (12Z D-1)' : 'assumed: Philadelphia GFS MOS value (no MOS for this station in the corpus)',
    };
    marketByCity[city] = {
      targetLogLoss: target,
      targetSource: baselines[city] ? 'market-baselines.md (measured on logan presettlement snapshots)' : 'assumed: mean of the measured cities',
      sigmaAtSnapshotF: sigmaSnap,
      /** The market's information sigma as a fraction of a single forecast source's error std (>= snapshot lead). */
      infoRatio: round(Math.min(0.95, sigmaSnap / srcAtSnap), 3),
    };
  }

  const calibration = {
    version: 1,
    generatedAt: new Date().toISOString().slice(0, 10),
    corpus: 'shared/data/real (see its PROVENANCE.md); logan files cut at 2025-06-30',
    cities,
    forecastError: {
      note:
        'Lead-1 std from MOS (12Z run the day before, ~33 h before the peak). The corpus holds only that lead, so the growth with lead is an assumption shaped like published MOS/NWP max-temperature verification (MAE ~2.5°F day 1 rising to ~5.5°F day 7): ratio to lead 1 by days to the afternoon peak.',
      mos: mos,
      byCity: forecastByCity,
      growthByDaysToPeak: GROWTH,
      sourceBiasF: { visualcrossing: -0.4, 'open-meteo': 0.3, note: 'assumed small per-source biases' },
      mosBiasF: { GFS: mos.philadelphia!.gfs.biasF, NAM: (mos.philadelphia as unknown as { nam: { biasF: number } }).nam.biasF },
    },
    diurnal: {
      peakHourLst: 15,
      peakJitterMinutes: 60,
      minHourLst: 6,
      eveningFraction: 0.35,
      minuteNoiseF: 0.25,
      note: 'shape assumed (no hourly station data in the corpus); amplitude from the diurnal range by month per city',
    },
    market: {
      note:
        'The market prices a normal(mu, sigma) around its information (sharper than any single forecast source, as the real market is: 1.35-1.45 vs MOS-normal 1.69-1.78). sigma at the snapshot solves the baseline log loss by simulation; at other lead times sigma = infoRatio x forecast std, shrinking through the climate day; observations truncate it below at the running max.',
      snapshotHoursToPeak,
      listingHoursToPeak,
      byCity: marketByCity,
      uniformLogLoss: round(Math.log(6), 3),
      volume: volumeStats(),
      activity: activityStats(),
      quotes: quoteStats(),
      sparsity: sparsityStats(),
    },
    observations: observationStats(),
  };
  writeFileSync(OUT, `${JSON.stringify(calibration, null, 2)}\n`);
  console.log(`wrote ${OUT}`);
}

/** Market volume and trade size from the cpratim trade subset (2025-05-02..08). */
function volumeStats() {
  const out: Record<string, unknown> = {};
  const sizes: number[] = [];
  const marketVolumes: number[] = [];
  for (const series of ['kxhighchi', 'kxhighaus', 'kxhighmia', 'kxhighden']) {
    const dir = join(REAL, 'cpratim_kalshi_weather', series, 'trades');
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) {
      const payload = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, Array<{ count: number }>>;
      for (const trades of Object.values(payload)) {
        let v = 0;
        for (const t of trades) {
          sizes.push(t.count);
          v += t.count;
        }
        marketVolumes.push(v);
      }
    }
  }
  sizes.sort((a, b) => a - b);
  out.meanTradeContracts = round(mean(sizes), 2);
  out.medianTradeContracts = sizes[Math.floor(sizes.length / 2)] ?? 0;
  out.meanMarketVolumeContracts = round(mean(marketVolumes), 1);
  out.source = 'cpratim trades 2025-05-02..08, KXHIGHCHI/AUS/MIA/DEN';
  return out;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
};
const share = (n: number, d: number): number => round(n / Math.max(1, d), 3);
const etHour = (iso: string): number => Number(new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', hour: 'numeric', hourCycle: 'h23' }).format(new Date(iso)));

/**
 * Trades by ET hour (per hour a market was open, so the hours each window holds twice do not count
 * double) and the burst length: prints per minute that has any. The model parameters that the
 * generated world tunes against the measured figures (requote rates) are set here, by hand, so that
 * its candle sparsity matches `sparsity` below (tests/worlds/generated.test.ts checks it).
 */
function activityStats() {
  const trades = new Array<number>(24).fill(0);
  const open = new Array<number>(24).fill(0);
  let prints = 0;
  let minutes = 0;
  let markets = 0;
  for (const series of ['kxhighchi', 'kxhighaus', 'kxhighmia', 'kxhighden']) {
    const dir = join(REAL, 'cpratim_kalshi_weather', series, 'trades');
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) {
      const payload = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, Array<{ created_time: string }>>;
      const ev = JSON.parse(readFileSync(join(REAL, 'cpratim_kalshi_weather', series, 'events', f), 'utf8')) as { markets: Array<{ ticker: string; open_time: string; close_time: string }> };
      for (const [ticker, list] of Object.entries(payload)) {
        const m = ev.markets.find((x) => x.ticker === ticker);
        if (!m) continue;
        for (let t = Date.parse(m.open_time); t < Date.parse(m.close_time); t += 3_600_000) open[etHour(new Date(t).toISOString())]!++;
        for (const t of list) trades[etHour(t.created_time)]!++;
        markets++;
        prints += list.length;
        minutes += new Set(list.map((t) => t.created_time.slice(0, 16))).size;
      }
    }
  }
  const perHour = trades.map((n, h) => (open[h]! > 0 ? n / open[h]! : 0));
  const m = mean(perHour);
  // 03-08 ET had no trades in May 2025 (then a nightly pause); the 2026 minute exports trade through
  // the night, so quiet hours keep a floor instead of stopping.
  const byEtHour = perHour.map((x) => round(Math.max(0.15, x / m), 3));
  const printsPerMinute = prints / Math.max(1, minutes);
  return {
    byEtHour,
    burstContinueProb: round(1 - 1 / printsPerMinute, 3),
    requotePerMinute: { base: 0.05, peak: 0.2, note: 'tuned: event-level share of minutes with a candle near sparsity.eventMinuteShare' },
    measured: { printsPerTradingMinute: round(printsPerMinute, 2), tradeMinutesPerMarket: round(minutes / Math.max(1, markets), 1) },
    source: 'cpratim trades 2025-05-02..08 with the events files (open/close), KXHIGHCHI/AUS/MIA/DEN; floor 0.15 for the nightly pause',
  };
}

/** Spreads and one-sided books at the real day-ahead snapshot (yes bid/ask close of the last hourly candle), 2025 on. */
function quoteStats() {
  const spreadsCheap: number[] = [];
  const spreadsOther: number[] = [];
  let n = 0;
  let noBid = 0;
  let noAsk = 0;
  let tails = 0;
  let noBidTails = 0;
  for (const city of ['chi', 'aus', 'phl', 'nyc']) {
    for (const r of readCsv(join(REAL, 'logan_weather_prediction', 'kalshi', `kalshi_presettlement_${city}.csv`))) {
      if (r.date! < '2025-01-01') continue;
      const b = num(r.bid_cents);
      const a = num(r.ask_cents);
      if (b === undefined || a === undefined) continue;
      n++;
      const tail = r.strike_type !== 'between';
      if (tail) tails++;
      if (b <= 0) {
        noBid++;
        if (tail) noBidTails++;
      }
      if (a >= 100) noAsk++;
      if (b > 0 && a < 100) (Math.min((a + b) / 2, 100 - (a + b) / 2) < 5 ? spreadsCheap : spreadsOther).push(a - b);
    }
  }
  return {
    medianSpreadCents: { cheap: median(spreadsCheap), other: median(spreadsOther) },
    cheapBelowCents: 5,
    spreadLogSd: 0.6,
    earlyWidening: 1.8,
    earlyDecayHours: 4,
    midNoiseCents: 0.6,
    noBidBelowCents: 5,
    noBidProb: 0.1,
    noAskAboveCents: 3,
    noAskProb: 0.3,
    measured: {
      snapshots: n,
      p90SpreadCents: [...spreadsCheap, ...spreadsOther].sort((x, y) => x - y)[Math.floor(0.9 * (spreadsCheap.length + spreadsOther.length))],
      noBidShare: share(noBid, n),
      noBidShareTails: share(noBidTails, tails),
      noAskShare: share(noAsk, n),
    },
    note: 'medians measured; the log sd (p90 about twice the median), the widening at listing (assumed: the snapshot is ~15 h after listing), the centre noise and the one-sided probabilities are tuned so the generated snapshot shows the measured shares (tests/worlds/generated.test.ts)',
    source: 'logan kalshi_presettlement_{chi,aus,phl,nyc}.csv, dates 2025-01-01 on (the KX era; 2023-24 spreads were several times wider)',
  };
}

/** How many minutes of an event carry any data in the real minute exports (empty when nothing changed). */
function sparsityStats() {
  const dir = join(REAL, 'peterjfranco_kmia', 'kalshi_price_history');
  const shares: number[] = [];
  const longest: number[] = [];
  if (existsSync(dir)) {
    for (const f of readdirSync(dir).filter((x) => x.endsWith('-minute.csv'))) {
      const ts = readCsv(join(dir, f)).map((r) => Date.parse(r.timestamp!));
      const span = (ts.at(-1)! - ts[0]!) / 60_000 + 1;
      shares.push(ts.length / span);
      let worst = 0;
      for (let i = 1; i < ts.length; i++) worst = Math.max(worst, (ts[i]! - ts[i - 1]!) / 60_000 - 1);
      longest.push(worst);
    }
  }
  return {
    eventMinuteShare: round(mean(shares), 3),
    eventMinuteShareRange: [round(Math.min(...shares), 3), round(Math.max(...shares), 3)],
    medianLongestIdleMinutes: median(longest),
    source: 'peterjfranco KXHIGHMIA minute exports 2026-04-20..05-03 (14 events): share of minutes from first to last row with a row',
  };
}

/**
 * How often the maximum of routine hourly METARs misses the settled high: asos_daily tmax (rounded
 * half up) minus GHCN TMAX, summer days (the afternoon maximum, so the files' day windows agree).
 * Minute data sample the peak 60 times as often, so the generated world keeps only part of the
 * sampling misses (an assumption: no minute station data in the corpus) and all of the rounding ones.
 */
function observationStats() {
  const counts: Record<string, number> = {};
  let n = 0;
  for (const id of ['USW00014819', 'USW00013904', 'USW00013739']) {
    const ghcn = new Map(ghcnCsv(id).map((d) => [d.date, d.tmax]));
    for (const r of readCsv(join(REAL, 'logan_weather_prediction', 'asos_daily', `${id}_asos_daily.csv`))) {
      const t = num(r.tmax_f);
      const g = ghcn.get(r.date!);
      if (t === undefined || g === undefined || (num(r.obs_count) ?? 0) < 20 || !['06', '07', '08'].includes(r.date!.slice(5, 7))) continue;
      const d = Math.max(-2, Math.min(2, roundHalfUp(t) - g));
      counts[d] = (counts[d] ?? 0) + 1;
      n++;
    }
  }
  const hourly = Object.fromEntries([-2, -1, 0, 1, 2].map((d) => [String(d), share(counts[d] ?? 0, n)]));
  return {
    belowProb: round((hourly['-1']! + hourly['-2']!) / 4, 3),
    // +2 and more are mostly the files' different day windows (a warm night), not rounding.
    aboveProb: hourly['1']!,
    measured: { hourlyMetarMinusCli: hourly, days: n },
    note: 'belowProb: a quarter of the hourly METAR shortfall (-1 and -2; assumed for minute data); aboveProb: the hourly +1 overshoot (conversion rounding, which denser sampling does not remove)',
    source: 'logan asos_daily (hourly routine observations) vs GHCN TMAX, KMDW/KAUS/KPHL, June-August 1998-2024',
  };
}

main();
