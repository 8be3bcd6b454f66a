/**
 * Bracket-probability baselines scored on the same rows as the model: what the market says, what a
 * forecast with a fitted normal error says, and what earlier years say. Each returns row-major
 * [rows × K] probabilities over the row's ladder (brackets from the low tail up, as in Dataset.events),
 * plus a per-row flag saying where it had to fall back. Pure.
 *
 * Degrees follow the project's one rule (fahrenheit.ts, brackets.ts): a real-valued high T settles as
 * roundHalfUp(T), so the bracket with integers min..max (integerRange) holds T in [min − 0.5, max + 0.5);
 * a lower tail "< c" (max = c − 1) holds T < c − 0.5, an upper tail "> f" (min = f + 1) holds T ≥ f + 0.5.
 */
import { integerRange, type Bracket, type Ladder } from '../brackets';
import { dateOfDayNumber } from '../features/build';
import { bracketCentre, impliedDistribution, impliedMoments as featureMoments, type ImpliedMoments } from '../features/market';
export type { ImpliedMoments };
import { dayOfYear } from '../features/weather';
import { ndtr } from './tpe/truncnorm';
import { indexDays, type RowDays } from './splits';

/** Standard normal CDF (FreeBSD-msun erf/erfc; far more accurate than 1e-7), shared with the TPE sampler. */
export const normalCdf = ndtr;

/** A row's brackets from the low tail up (a Ladder or the bracket list a dataset event stores). */
export type RowLadder = Ladder | readonly Bracket[];

export interface BaselineResult {
  /** Row-major [rows × K], each row non-negative and summing to 1. */
  proba: Float64Array;
  /** 1 where the row used its fallback (documented per baseline), else 0. */
  fallback: Uint8Array;
}

const bracketsOf = (l: RowLadder): readonly Bracket[] => ('brackets' in l ? l.brackets : (l as readonly Bracket[]));

const rangeCache = new WeakMap<object, { min: Float64Array; max: Float64Array }>();
/** Integer ranges of a ladder, computed once per ladder object (rows of one event share it). */
function rangesOf(l: RowLadder): { min: Float64Array; max: Float64Array } {
  const key = bracketsOf(l);
  let r = rangeCache.get(key);
  if (!r) {
    const min = Float64Array.from(key, (b) => integerRange(b).min);
    const max = Float64Array.from(key, (b) => integerRange(b).max);
    r = { min, max };
    rangeCache.set(key, r);
  }
  return r;
}

function ladderWidth(ladders: readonly RowLadder[], rows: number, fn: string): number {
  if (ladders.length !== rows) throw new RangeError(`${fn}: ${ladders.length} ladders for ${rows} rows`);
  if (rows === 0) throw new RangeError(`${fn}: no rows`);
  const K = bracketsOf(ladders[0]!).length;
  for (let r = 0; r < rows; r++) {
    if (bracketsOf(ladders[r]!).length !== K) throw new RangeError(`${fn}: row ${r} has ${bracketsOf(ladders[r]!).length} brackets, row 0 has ${K}`);
  }
  return K;
}

/**
 * Mass of N(mu, sd) on each bracket of the ladder, written to out[offset .. offset+K). Each upper side
 * is taken from the tail that keeps precision (1 − Φ(z) as Φ(−z)); the row is renormalised so rounding
 * never leaves it off 1.
 */
export function normalBracketMass(ladder: RowLadder, mu: number, sd: number, out: Float64Array, offset = 0): void {
  if (!Number.isFinite(mu) || !(sd > 0) || !Number.isFinite(sd)) throw new RangeError(`normalBracketMass: need finite mu and sd > 0, got mu ${mu}, sd ${sd}`);
  const { min, max } = rangesOf(ladder);
  let sum = 0;
  for (let j = 0; j < min.length; j++) {
    const lo = min[j]! - 0.5;
    const hi = max[j]! + 0.5;
    const zl = (lo - mu) / sd;
    const zh = (hi - mu) / sd;
    // For brackets above the mean, Φ(−zl) − Φ(−zh) avoids subtracting two numbers near 1.
    const p = zl > 0 ? ndtr(-zl) - ndtr(-zh) : ndtr(zh) - ndtr(zl);
    out[offset + j] = p;
    sum += p;
  }
  for (let j = 0; j < min.length; j++) out[offset + j] = out[offset + j]! / sum;
}

function fillUniform(out: Float64Array, offset: number, K: number): void {
  out.fill(1 / K, offset, offset + K);
}

// ── market-implied ──────────────────────────────────────────────────────────────────────────────────

/** The moments of features/market.ts, over a row's ladder in either form. */
export const impliedMoments = (probs: ArrayLike<number>, ladder: RowLadder): ImpliedMoments => featureMoments(probs, bracketsOf(ladder));

export interface MarketImpliedOptions {
  /** Rows with fewer quoted brackets fall back to uniform (default 1: any quote at all). */
  minQuoted?: number;
}

/**
 * The market's distribution: each bracket's mid in cents (row-major [rows × K], NaN = no quote, as
 * QuoteState.mid) clipped to [0.5, 99.5] cents (= [0.005, 0.995] dollars) and normalised over the ladder
 * by features/market.ts impliedDistribution, the same function the feature builder uses. A bracket
 * without a mid counts as 0.5 cents: the least a quote could say, so an unquoted bracket is unlikely but
 * never impossible (a log loss stays finite). Rows with fewer than `minQuoted` mids are uniform, flagged.
 */
export function marketImpliedProba(mids: ArrayLike<number>, ladders: readonly RowLadder[], options: MarketImpliedOptions = {}): BaselineResult {
  const rows = ladders.length;
  const K = ladderWidth(ladders, rows, 'marketImpliedProba');
  if (mids.length !== rows * K) throw new RangeError(`marketImpliedProba: ${mids.length} mids, want rows*K = ${rows}*${K}`);
  const minQuoted = options.minQuoted ?? 1;
  if (!Number.isInteger(minQuoted) || minQuoted < 1 || minQuoted > K) throw new RangeError(`marketImpliedProba: minQuoted must be an integer in 1..${K}, got ${minQuoted}`);
  const proba = new Float64Array(rows * K);
  const fallback = new Uint8Array(rows);
  const rowMids = new Float64Array(K);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < K; j++) rowMids[j] = mids[r * K + j]!;
    const d = impliedDistribution(rowMids, bracketsOf(ladders[r]!), minQuoted);
    if (d.quoted < minQuoted) {
      fillUniform(proba, r * K, K);
      fallback[r] = 1;
    } else proba.set(d.p, r * K);
  }
  return { proba, fallback };
}

// ── forecast-normal ─────────────────────────────────────────────────────────────────────────────────

export interface ForecastNormalFit {
  /** Mean of settled − forecast over the fitting rows (°F). */
  bias: number;
  /** sd of the latent (unrounded) high around forecast + bias (°F). */
  sd: number;
  /** Rows the fit used (finite forecast and settled high). */
  n: number;
}

export interface FitForecastNormalOptions {
  /** Rows to fit on (the training rows); default all. */
  rows?: ArrayLike<number>;
  /** Floor on the fitted sd (default 0.5 °F), so a tiny sample never gives a near-point mass. */
  minSd?: number;
}

/**
 * Bias and sd of settled − forecast on the training rows. The settled high is the latent high rounded to
 * a whole degree, which adds variance 1/12 (uniform rounding error); the latent sd is therefore
 * sqrt(var − 1/12), floored at `minSd`, since the bracket integration already accounts for the rounding.
 */
export function fitForecastNormal(forecastHigh: ArrayLike<number>, settledHigh: ArrayLike<number>, options: FitForecastNormalOptions = {}): ForecastNormalFit {
  if (forecastHigh.length !== settledHigh.length) throw new RangeError(`fitForecastNormal: ${forecastHigh.length} forecasts for ${settledHigh.length} settled highs`);
  const minSd = options.minSd ?? 0.5;
  if (!(minSd > 0)) throw new RangeError(`fitForecastNormal: minSd must be > 0, got ${minSd}`);
  const rows = options.rows;
  const count = rows ? rows.length : forecastHigh.length;
  let n = 0;
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < count; i++) {
    const r = rows ? rows[i]! : i;
    const f = forecastHigh[r]!;
    const y = settledHigh[r]!;
    if (!Number.isFinite(f) || !Number.isFinite(y)) continue;
    const e = y - f;
    n++;
    s += e;
    s2 += e * e;
  }
  if (n < 2) throw new RangeError(`fitForecastNormal: need at least 2 rows with a forecast and a settled high, got ${n}`);
  const bias = s / n;
  const variance = Math.max(0, (s2 - n * bias * bias) / (n - 1));
  return { bias, sd: Math.max(minSd, Math.sqrt(Math.max(0, variance - 1 / 12))), n };
}

/**
 * N(forecast + bias, sd) integrated over each bracket. A row whose forecast is NaN takes its row of
 * `fallback` (row-major [rows × K], e.g. climatologyProba's output) when given, else uniform; either way
 * it is flagged.
 */
export function forecastNormalProba(forecastHigh: ArrayLike<number>, ladders: readonly RowLadder[], fit: ForecastNormalFit, fallback?: ArrayLike<number>): BaselineResult {
  const rows = ladders.length;
  const K = ladderWidth(ladders, rows, 'forecastNormalProba');
  if (forecastHigh.length !== rows) throw new RangeError(`forecastNormalProba: ${forecastHigh.length} forecasts for ${rows} rows`);
  if (fallback && fallback.length !== rows * K) throw new RangeError(`forecastNormalProba: fallback has ${fallback.length} values, want rows*K = ${rows}*${K}`);
  const proba = new Float64Array(rows * K);
  const flags = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    const f = forecastHigh[r]!;
    if (Number.isFinite(f)) {
      normalBracketMass(ladders[r]!, f + fit.bias, fit.sd, proba, r * K);
      continue;
    }
    flags[r] = 1;
    if (fallback) for (let j = 0; j < K; j++) proba[r * K + j] = fallback[r * K + j]!;
    else fillUniform(proba, r * K, K);
  }
  return { proba, fallback: flags };
}

// ── climatology ─────────────────────────────────────────────────────────────────────────────────────

export interface ClimatologyInput {
  /** Per row: its climate day (day numbers as Dataset.date, or ISO dates). */
  rowDays: RowDays;
  /** Per row: the settled high, whole °F (NaN while unsettled). */
  settledHigh: ArrayLike<number>;
  /** The rows whose settled highs may be used (the training rows). */
  trainRows: ArrayLike<number>;
  ladders: readonly RowLadder[];
  /** Per row: the station/city the high belongs to (default: all rows one city, as a Dataset is). */
  group?: ArrayLike<number> | readonly string[];
}

export interface ClimatologyOptions {
  /** ± days of day-of-year around the row's date (default 7), on a 365.25-day circle as the feature builder. */
  windowDays?: number;
  /** 'add-one' (default): (count in bracket + 1) / (n + K); 'normal': a normal fitted to the highs, integrated. */
  smoothing?: 'add-one' | 'normal';
}

/**
 * Earlier years' settled highs around the row's day of year: the days of training rows in a strictly
 * earlier calendar year than the row's date (so never the row's own day nor anything after it, and no
 * same-year days either, matching features/weather.ts climatologyAt) whose day-of-year lies within
 * ± windowDays. Each (group, day) counts once however many snapshot rows it has. A row with no history
 * (or, with 'normal', fewer than 2 highs) is uniform and flagged. `history` is the count used per row.
 */
export function climatologyProba(input: ClimatologyInput, options: ClimatologyOptions = {}): BaselineResult & { history: Int32Array } {
  const windowDays = options.windowDays ?? 7;
  const smoothing = options.smoothing ?? 'add-one';
  if (!(windowDays >= 0) || windowDays > 182) throw new RangeError(`climatologyProba: windowDays must be in 0..182, got ${windowDays}`);
  if (smoothing !== 'add-one' && smoothing !== 'normal') throw new RangeError(`climatologyProba: smoothing must be 'add-one' or 'normal', got ${String(smoothing)}`);
  const { ladders, settledHigh, trainRows } = input;
  const rows = ladders.length;
  const K = ladderWidth(ladders, rows, 'climatologyProba');
  if (input.rowDays.length !== rows || settledHigh.length !== rows) throw new RangeError(`climatologyProba: rowDays/settledHigh lengths ${input.rowDays.length}/${settledHigh.length} differ from ${rows} rows`);
  if (input.group && input.group.length !== rows) throw new RangeError(`climatologyProba: ${input.group.length} groups for ${rows} rows`);

  const index = indexDays(input.rowDays);
  const isoOfDay = Array.from(index.days, dateOfDayNumber);
  const yearOfDay = isoOfDay.map((s) => Number(s.slice(0, 4)));
  const doyOfDay = isoOfDay.map(dayOfYear);
  const groupOf = (r: number): string => (input.group ? String(input.group[r]) : '');

  // One settled high per (group, training day).
  const sources = new Map<string, Map<number, number>>();
  for (let i = 0; i < trainRows.length; i++) {
    const r = trainRows[i]!;
    const y = settledHigh[r]!;
    if (!Number.isFinite(y)) continue;
    const g = groupOf(r);
    let days = sources.get(g);
    if (!days) sources.set(g, (days = new Map()));
    const d = index.dayOfRow[r]!;
    const seen = days.get(d);
    if (seen !== undefined && seen !== y) throw new RangeError(`climatologyProba: rows of ${g ? `${g} ` : ''}${isoOfDay[d]} disagree on the settled high (${seen} vs ${y})`);
    days.set(d, y);
  }

  const historyCache = new Map<string, Float64Array>();
  const historyFor = (g: string, d: number): Float64Array => {
    const key = `${g}|${d}`;
    let h = historyCache.get(key);
    if (h) return h;
    const highs: number[] = [];
    for (const [sd, y] of sources.get(g) ?? []) {
      if (yearOfDay[sd]! >= yearOfDay[d]!) continue;
      const dist = Math.abs(doyOfDay[sd]! - doyOfDay[d]!);
      if (Math.min(dist, 365.25 - dist) <= windowDays) highs.push(y);
    }
    h = Float64Array.from(highs);
    historyCache.set(key, h);
    return h;
  };

  const proba = new Float64Array(rows * K);
  const fallback = new Uint8Array(rows);
  const history = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const highs = historyFor(groupOf(r), index.dayOfRow[r]!);
    const n = highs.length;
    history[r] = n;
    if (n === 0 || (smoothing === 'normal' && n < 2)) {
      fillUniform(proba, r * K, K);
      fallback[r] = 1;
      continue;
    }
    if (smoothing === 'normal') {
      let s = 0;
      let s2 = 0;
      for (const y of highs) {
        s += y;
        s2 += y * y;
      }
      const mean = s / n;
      const variance = Math.max(0, (s2 - n * mean * mean) / (n - 1));
      // As fitForecastNormal: remove the whole-degree rounding variance; a 0.5 °F floor for flat histories.
      normalBracketMass(ladders[r]!, mean, Math.max(0.5, Math.sqrt(Math.max(0, variance - 1 / 12))), proba, r * K);
      continue;
    }
    const { min, max } = rangesOf(ladders[r]!);
    for (let j = 0; j < K; j++) {
      let c = 0;
      for (const y of highs) if (y >= min[j]! && y <= max[j]!) c++;
      proba[r * K + j] = (c + 1) / (n + K);
    }
  }
  return { proba, fallback, history };
}
