/**
 * The datasets of the model-engine benchmarks, written once to Parquet under data/bench/ml/ so the
 * TypeScript engine and the Python reference (bench/python/ml_ref.py) read exactly the same rows:
 *
 * - synthetic: 140,000 rows x 40 features (100,000 train, 20,000 valid, 20,000 test), 10% of cells
 *   missing at random, a nonlinear binary target and a 5-class target drawn from known probabilities
 *   (so the noise floor, the log loss of the true probabilities, is known too). Seeded.
 * - chicago: one row per Chicago (KMDW) Kalshi day from ../shared/data/real (Logan's tables): the
 *   day-before market quotes of the six brackets, the day-1 MOS maxima (O'Hare), climatology and the
 *   settled highs of two and more days before, all relative to the ladder's centre. Targets: the
 *   winning bracket (0..5, ordered) and whether the high ends above the market-implied median.
 *   Split by time (first 70% of days train, next 15% valid, last 15% test).
 *
 * Feature columns are REQUIRED float32 with NaN for missing (hyparquet then returns typed arrays).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readTable, writeParquet } from '../ml/tables';
import { PROJECT_ROOT } from '../runtime/temporal-cli';
import { sharedReal } from '../tests/support/shared';
import { rngFor, normal } from '../sandbox/worlds/generated/math';
import { readCsv, num, readDly } from '../sandbox/worlds/recorded/csv';
import { tenthsCToWholeFahrenheit } from '../domain/fahrenheit';

export const ML_BENCH_DIR = join(PROJECT_ROOT, 'data', 'bench', 'ml');
/** Bumped whenever a generator changes, so a stale cached file is never reused. */
const SYNTHETIC_VERSION = 1;
const CHICAGO_VERSION = 1;

export const SPLITS = { train: 0, valid: 1, test: 2 } as const;

/** A dataset as both sides use it: features row-major float32 (NaN = missing), per-split row indices. */
export interface MlSet {
  name: string;
  path: string;
  featureNames: string[];
  /** Row-major [rows x features]. */
  x: Float32Array;
  rows: number;
  targets: Record<string, Int32Array>;
  split: Int32Array;
  /** Extra float columns (e.g. the per-row negative log likelihood of the true probabilities). */
  extra: Record<string, Float64Array>;
}

export interface SplitRows {
  x: Float32Array;
  rows: number;
  y: Int32Array;
}

/** The rows of one split, features row-major, with one target. */
export function splitOf(set: MlSet, split: keyof typeof SPLITS, target: string): SplitRows {
  const want = SPLITS[split];
  const nf = set.featureNames.length;
  const idx: number[] = [];
  for (let r = 0; r < set.rows; r++) if (set.split[r] === want) idx.push(r);
  const x = new Float32Array(idx.length * nf);
  const y = new Int32Array(idx.length);
  const t = set.targets[target];
  if (!t) throw new Error(`dataset ${set.name}: no target ${target}`);
  idx.forEach((r, i) => {
    x.set(set.x.subarray(r * nf, (r + 1) * nf), i * nf);
    y[i] = t[r]!;
  });
  return { x, rows: idx.length, y };
}

const sig = (z: number) => 1 / (1 + Math.exp(-z));

/** Writes the synthetic set if it is not there yet; returns its path. */
export function ensureSynthetic(): string {
  const path = join(ML_BENCH_DIR, `synthetic-v${SYNTHETIC_VERSION}.parquet`);
  if (existsSync(path)) return path;
  const n = 140_000;
  const nf = 40;
  const nTrain = 100_000;
  const nValid = 20_000;
  const K = 5;
  const rng = rngFor('wx-ml-bench', 'synthetic', SYNTHETIC_VERSION);
  const cols = Array.from({ length: nf }, () => new Float32Array(n));
  const yBin = new Int32Array(n);
  const yMulti = new Int32Array(n);
  const nllBin = new Float64Array(n);
  const nllMulti = new Float64Array(n);
  const split = new Int32Array(n);
  const v = new Float64Array(nf);
  const g = new Float64Array(K);
  for (let r = 0; r < n; r++) {
    // Mixed marginals: normals, uniforms, correlated copies, small integer codes, heavy tails.
    for (let f = 0; f < 10; f++) v[f] = normal(rng);
    for (let f = 10; f < 20; f++) v[f] = rng();
    for (let f = 20; f < 30; f++) v[f] = 0.7 * v[f - 20]! + 0.3 * normal(rng);
    for (let f = 30; f < 35; f++) v[f] = Math.floor(rng() * 10);
    for (let f = 35; f < 40; f++) v[f] = Math.exp(normal(rng));
    const f = 1.2 * Math.sin(2 * v[0]!) + v[1]! * v[2]! + 1.5 * (v[10]! > 0.6 ? 1 : 0) - Math.abs(v[3]!) + 0.4 * v[4]! * v[4]! - 0.6 +
      0.8 * Math.cos(3 * v[11]!) * v[5]! + 0.5 * (v[30]! % 3 === 0 ? 1 : 0) + 0.4 * Math.log(v[35]!) + 0.6 * v[20]! * v[12]!;
    const p = sig(f);
    yBin[r] = rng() < p ? 1 : 0;
    nllBin[r] = -Math.log(yBin[r] ? p : 1 - p);
    g[0] = 0;
    g[1] = 1.5 * Math.tanh(v[6]!) + v[13]! - 0.5;
    g[2] = v[7]! * v[8]! + 0.8 * (v[31]! >= 5 ? 1 : 0) - 0.3;
    g[3] = Math.sin(3 * v[14]!) + 0.5 * v[9]! - 0.5 * Math.abs(v[0]!);
    g[4] = 0.7 * Math.log(v[36]!) + (v[15]! > 0.5 ? 0.6 : -0.6) + 0.5 * v[21]!;
    let max = -Infinity;
    for (let k = 0; k < K; k++) max = Math.max(max, g[k]!);
    let sum = 0;
    for (let k = 0; k < K; k++) sum += g[k] = Math.exp(g[k]! - max);
    let u = rng() * sum;
    let cls = K - 1;
    for (let k = 0; k < K; k++) {
      u -= g[k]!;
      if (u < 0) {
        cls = k;
        break;
      }
    }
    yMulti[r] = cls;
    nllMulti[r] = -Math.log(g[cls]! / sum);
    // 10% of cells missing completely at random, after the targets were drawn from the full values.
    for (let c = 0; c < nf; c++) cols[c]![r] = rng() < 0.1 ? NaN : v[c]!;
    split[r] = r < nTrain ? SPLITS.train : r < nTrain + nValid ? SPLITS.valid : SPLITS.test;
  }
  writeParquet(
    path,
    {
      ...Object.fromEntries(cols.map((data, i) => [`x${i}`, data])),
      y_binary: yBin,
      y_multiclass: yMulti,
      split,
      nll_true_binary: nllBin,
      nll_true_multiclass: nllMulti,
    },
    { rowGroupSize: 50_000 },
  );
  return path;
}

interface Bracket {
  ticker: string;
  /** Integer temperatures the bracket covers: [lo, hi) with -inf / +inf at the ends. */
  lo: number;
  hi: number;
  mid: number;
  spread: number;
  volume: number;
  openInterest: number;
}

const addDays = (iso: string, days: number): string => {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
};
const dayOfYear = (iso: string): number => {
  const d = new Date(`${iso}T00:00:00Z`);
  return Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000);
};

export const CHICAGO_FEATURES = [
  'q0', 'q1', 'q2', 'q3', 'q4', 'q5', // implied probabilities of the six brackets (mids, normalised)
  'implied_mean', 'implied_median', 'mean_spread', 'quoted_brackets', 'log_volume', 'log_open_interest',
  'gfs_mos', 'nam_mos', 'ens_mos', 'gfs_minus_nam', 'mos_minus_implied',
  'clim_mean', 'clim_sd', 'tmax_lag2', 'tmax_lag3', 'tmax_lag2_anom', 'mos_error_lag2',
  'doy_sin', 'doy_cos',
];

/** Writes the Chicago set if it is not there yet; returns its path, or undefined (with why) without ../shared. */
export function ensureChicago(): { path?: string; reason?: string; days?: number } {
  const real = sharedReal();
  if (!real.present) return { reason: real.reason };
  const path = join(ML_BENCH_DIR, `chicago-v${CHICAGO_VERSION}.parquet`);
  if (existsSync(path)) return { path };
  const logan = join(real.path, 'logan_weather_prediction');
  // Settled highs (KMDW, GHCN .dly; equal to Kalshi's CLI values, PROVENANCE.md check 1).
  const tmax = new Map<string, number>();
  for (const v of readDly(join(logan, 'ghcn', 'USW00014819.dly'))) if (v.tmaxTenthsC !== undefined && !v.tmaxQflag) tmax.set(v.date, tenthsCToWholeFahrenheit(v.tmaxTenthsC));
  // Climatology from the years before the first Kalshi day only (1997-2021), +-7 days of the year.
  const byDoy = Array.from({ length: 366 }, () => [] as number[]);
  for (const [date, t] of tmax) if (date < '2022-01-01') byDoy[dayOfYear(date)]!.push(t);
  const clim = byDoy.map((_, d) => {
    const xs: number[] = [];
    for (let o = -7; o <= 7; o++) xs.push(...byDoy[(d + o + 366) % 366]!);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    return { mean, sd: Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length) };
  });
  // MOS for day D, only from runs no later than 00Z of D (before the day-before quotes at ~05Z).
  const mos = new Map<string, { gfs?: number; nam?: number; ens?: number }>();
  for (const row of readCsv(join(logan, 'mos', 'combined_mos_kord.csv'))) {
    const cutoff = `${row.date} 00:00:00`;
    const gfsOk = (row.gfs_runtime ?? '') !== '' && row.gfs_runtime! <= cutoff;
    const namOk = (row.nam_runtime ?? '') !== '' && row.nam_runtime! <= cutoff;
    mos.set(row.date!, { gfs: gfsOk ? num(row.gfs_mos_tmax_f) : undefined, nam: namOk ? num(row.nam_mos_tmax_f) : undefined, ens: gfsOk && namOk ? num(row.mos_ensemble_tmax_f) : undefined });
  }
  // The ladder and outcomes from the settlement table; quotes per market (the last 1-hour candle
  // between 22Z D-1 and 05:30Z D) from the pre-settlement table, where that hour had a candle.
  const ladders = new Map<string, Array<Bracket & { win: number }>>();
  for (const row of readCsv(join(logan, 'kalshi', 'real_kalshi_chi_all.csv'))) {
    const lo = row.strike_type === 'less' ? -Infinity : num(row.threshold_low);
    const hi = row.strike_type === 'greater' ? Infinity : num(row.threshold_high);
    if (lo === undefined || hi === undefined) continue;
    // 'greater' is strictly above the floor: the whole degrees floor+1 and up; between is [low, high).
    const list = ladders.get(row.date!) ?? [];
    list.push({ ticker: row.ticker!, lo: row.strike_type === 'greater' ? lo + 1 : lo, hi, mid: NaN, spread: NaN, volume: 0, openInterest: 0, win: row.result === 'yes' ? 1 : 0 });
    ladders.set(row.date!, list);
  }
  const quotes = new Map<string, { bid: number; ask: number; volume: number; openInterest: number }>();
  for (const row of readCsv(join(logan, 'kalshi', 'kalshi_presettlement_chi.csv'))) {
    const bid = num(row.bid_cents);
    const ask = num(row.ask_cents);
    if (bid === undefined || ask === undefined) continue;
    quotes.set(`${row.date}|${row.ticker}`, { bid: bid / 100, ask: ask / 100, volume: num(row.volume) ?? 0, openInterest: num(row.open_interest) ?? 0 });
  }
  const dates = [...ladders.keys()].sort();
  const rows: Array<{ f: number[]; bracket: number; above: number }> = [];
  for (const date of dates) {
    const ladder = ladders.get(date)!.sort((a, b) => a.lo - b.lo);
    if (ladder.length !== 6 || ladder.filter((b) => b.win === 1).length !== 1) continue; // incomplete ladders (e.g. 2025-01-16..02-09)
    let quoted = 0;
    for (const b of ladder) {
      const qt = quotes.get(`${date}|${b.ticker}`);
      if (!qt) continue;
      quoted++;
      // A one-sided book (bid 0, ask 99) would put a mid near 0.5: cap the half-spread at 5 cents.
      b.mid = qt.bid + Math.min(qt.ask - qt.bid, 0.1) / 2;
      b.spread = qt.ask - qt.bid;
      b.volume = qt.volume;
      b.openInterest = qt.openInterest;
    }
    // An unquoted bracket had no candle in the last hours: counted as (nearly) no probability.
    if (quoted < 4) continue;
    const wins = ladder.map((b) => b.win);
    const actual = tmax.get(date);
    if (actual === undefined) continue;
    const inner = ladder.filter((b) => Number.isFinite(b.lo) && Number.isFinite(b.hi));
    if (inner.length === 0) continue;
    const centre = (inner[0]!.lo + inner[inner.length - 1]!.hi) / 2;
    const total = ladder.reduce((a, b) => a + (Number.isNaN(b.mid) ? 0 : b.mid), 0);
    if (!(total > 0)) continue;
    const q = ladder.map((b) => (Number.isNaN(b.mid) ? 0 : b.mid) / total);
    // Finite ends for the open brackets (two degrees, the ladder's width) to place the mean and median.
    const lo = ladder.map((b) => (Number.isFinite(b.lo) ? b.lo : b.hi - 2));
    const hi = ladder.map((b) => (Number.isFinite(b.hi) ? b.hi : b.lo + 2));
    const mean = q.reduce((a, p, i) => a + p * (lo[i]! + hi[i]! - 1) / 2, 0);
    let cum = 0;
    let median = hi[5]!;
    for (let i = 0; i < 6; i++) {
      if (cum + q[i]! >= 0.5) {
        median = lo[i]! + ((0.5 - cum) / q[i]!) * (hi[i]! - lo[i]!);
        break;
      }
      cum += q[i]!;
    }
    const m = mos.get(date) ?? {};
    const c = clim[dayOfYear(date)]!;
    const lag2 = tmax.get(addDays(date, -2));
    const lag3 = tmax.get(addDays(date, -3));
    const mosLag2 = mos.get(addDays(date, -2))?.gfs;
    const rel = (x: number | undefined) => (x === undefined ? NaN : x - centre);
    const doy = (2 * Math.PI * dayOfYear(date)) / 365.25;
    rows.push({
      f: [
        ...q, mean - centre, median - centre, ladder.reduce((a, b) => a + (Number.isNaN(b.spread) ? 0 : b.spread), 0) / quoted, quoted,
        Math.log1p(ladder.reduce((a, b) => a + b.volume, 0)), Math.log1p(ladder.reduce((a, b) => a + b.openInterest, 0)),
        rel(m.gfs), rel(m.nam), rel(m.ens), m.gfs !== undefined && m.nam !== undefined ? m.gfs - m.nam : NaN,
        m.ens !== undefined ? m.ens - mean : NaN,
        c.mean - centre, c.sd, rel(lag2), rel(lag3), lag2 === undefined ? NaN : lag2 - c.mean,
        lag2 !== undefined && mosLag2 !== undefined ? mosLag2 - lag2 : NaN,
        Math.sin(doy), Math.cos(doy),
      ],
      bracket: wins.indexOf(1),
      // The median is placed on a continuous scale where the whole degree t spans [t, t+1).
      above: actual + 0.5 > median ? 1 : 0,
    });
  }
  const n = rows.length;
  const nTrain = Math.floor(n * 0.7);
  const nValid = Math.floor(n * 0.15);
  writeParquet(path, {
    ...Object.fromEntries(CHICAGO_FEATURES.map((name, j) => [name, Float32Array.from(rows, (r) => r.f[j]!)])),
    y_bracket: Int32Array.from(rows, (r) => r.bracket),
    y_above_median: Int32Array.from(rows, (r) => r.above),
    split: Int32Array.from(rows, (_, i) => (i < nTrain ? 0 : i < nTrain + nValid ? 1 : 2)),
  });
  return { path, days: n };
}

/** Reads a dataset written above: columns named x*, q*, ... are features; y_* targets; split. */
export async function loadSet(name: string, path: string): Promise<MlSet> {
  const table = await readTable(path);
  const { rows, names } = table;
  const column = (c: string): Float64Array => {
    const col = table.columns.get(c)!;
    if (col.type !== 'number') throw new Error(`${path}: column ${c} is not numeric`);
    return col.values;
  };
  const featureNames = names.filter((c) => !c.startsWith('y_') && c !== 'split' && !c.startsWith('nll_'));
  const nf = featureNames.length;
  const x = new Float32Array(rows * nf);
  featureNames.forEach((c, j) => {
    const v = column(c);
    for (let r = 0; r < rows; r++) x[r * nf + j] = v[r]!;
  });
  const targets: Record<string, Int32Array> = {};
  const extra: Record<string, Float64Array> = {};
  for (const c of names) if (c.startsWith('y_')) targets[c] = Int32Array.from(column(c));
  for (const c of names) if (c.startsWith('nll_')) extra[c] = column(c);
  const split = Int32Array.from(column('split'));
  return { name, path, featureNames, x, rows, targets, split, extra };
}
