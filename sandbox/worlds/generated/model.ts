/**
 * The weather side of the generated world, per (seed, city, climate date), all on demand:
 *   - the true daily high: climatology by day of year + a standardised AR(1) anomaly across days
 *     (z_d = Σ_k φ^k √(1-φ²) ε_{d-k}, truncated at 40 terms, so a date's value depends only on
 *     (seed, city, date) and never on the world's range);
 *   - the information path: the market's best estimate μ(t) of the high and its sigma σ(t) on an
 *     hourly grid from 8.5 days before the peak to the end of the climate day. μ(t) is the Gaussian
 *     posterior mean given a signal H + η(t) whose noise η is a backward random walk, so μ is a
 *     martingale and H | μ(t) ~ N(μ(t), σ(t)²) exactly (calibrated by construction);
 *   - forecast sources (Visual Crossing, Open-Meteo, GFS/NAM MOS): μ(t) + bias + their own
 *     backward-walk noise, so their total error std follows the calibrated growth with lead;
 *   - the sensor's minute temperatures over the climate day: a diurnal curve (min near 06 LST, max
 *     near 15 LST) through the day's low and high, AR(1) noise, clamped so that the day's maximum is
 *     the high rounded to 0.1 °F within [C-0.5, C+0.4], hence rounds half up to the CLI high C
 *     exactly (the CLI comes from the full-resolution sensor; the market watches it too);
 *   - the reported minute observations (what the observation feed serves): the sensor's, except that
 *     on some days the reported peak misses the CLI high by a degree, as sampled and rounded METARs
 *     do (calibration.observations: below on ~15%, above on ~2% of days).
 */
import { roundHalfUp } from '../../../domain/brackets';
import { getCity, type CityId } from '../../../domain/cities';
import { growthAt, monthly, type WorldCalibration } from './calibration';
import { clamp, Lru, normal, rngFor, round1 } from './math';

export const MIN = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

export type SourceKey = 'visualcrossing' | 'open-meteo' | 'GFS' | 'NAM';
export const SOURCE_KEYS: readonly SourceKey[] = ['visualcrossing', 'open-meteo', 'GFS', 'NAM'];

export const addDays = (date: string, n: number): string => new Date(Date.parse(`${date}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);
export const dayDiff = (a: string, b: string): number => Math.round((Date.parse(`${a}T00:00:00Z`) - Date.parse(`${b}T00:00:00Z`)) / DAY);

export function datesBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}

export interface DayTruth {
  date: string;
  /** Climatological mean and std of the high for the date. */
  m0: number;
  sd: number;
  /** The true (real-valued) high and its CLI value (rounded half up). */
  high: number;
  cli: number;
  /** Morning minimum of the diurnal curve. */
  tmin: number;
  /** Minutes after LST midnight of the afternoon peak. */
  peakMinute: number;
  dayStartMs: number;
  dayEndMs: number;
  peakMs: number;
}

export interface InfoGrid {
  startMs: number;
  n: number;
  mu: Float64Array;
  sigma: Float64Array;
  /** Per-source additive noise (on top of μ and the source's bias). */
  src: Record<SourceKey, Float64Array>;
}

const AR_TERMS = 40;
const SIGMA_FLOOR = 0.35;

export class CityModel {
  private readonly eps = new Map<string, number>();
  private readonly days = new Map<string, DayTruth>();
  private readonly lows = new Map<string, number>();
  private readonly infos = new Lru<string, InfoGrid>(256);
  private readonly obsCache = new Lru<string, Float64Array>(64);
  private readonly reportedCache = new Lru<string, Float64Array>(64);
  readonly offsetMs: number;

  constructor(
    readonly seed: string,
    readonly city: CityId,
    readonly cal: WorldCalibration,
  ) {
    this.offsetMs = getCity(city).standardOffsetMinutes * MIN;
  }

  private climate() {
    return this.cal.cities[this.city];
  }

  private epsilon(date: string): number {
    let e = this.eps.get(date);
    if (e === undefined) {
      e = normal(rngFor(this.seed, this.city, date, 'anomaly'));
      this.eps.set(date, e);
    }
    return e;
  }

  day(date: string): DayTruth {
    const hit = this.days.get(date);
    if (hit) return hit;
    const clim = this.climate();
    const phi = clim.anomalyAr1;
    const scale = Math.sqrt(1 - phi * phi);
    let z = 0;
    let w = 1;
    for (let k = 0; k < AR_TERMS; k++) {
      z += w * scale * this.epsilon(addDays(date, -k));
      w *= phi;
    }
    const m0 = monthly(clim.tmaxMeanF, date);
    const sd = monthly(clim.tmaxStdF, date);
    const high = m0 + sd * z;
    const rng = rngFor(this.seed, this.city, date, 'day');
    const dtr = Math.max(4, monthly(clim.diurnalRangeF, date) * (1 + 0.2 * normal(rng)));
    const d = this.cal.diurnal;
    const peakMinute = Math.round(d.peakHourLst * 60 + clamp(normal(rng), -2, 2) * d.peakJitterMinutes * 0.5);
    const dayStartMs = Date.parse(`${date}T00:00:00Z`) - this.offsetMs;
    const truth: DayTruth = {
      date,
      m0,
      sd,
      high,
      cli: roundHalfUp(high),
      tmin: high - dtr,
      peakMinute,
      dayStartMs,
      dayEndMs: dayStartMs + DAY,
      peakMs: dayStartMs + peakMinute * MIN,
    };
    this.days.set(date, truth);
    return truth;
  }

  /** Error std of a single forecast source at `hours` before the peak. */
  sourceStd(hours: number): number {
    const f = this.cal.forecastError;
    return f.byCity[this.city].lead1StdF * growthAt(f.growthByDaysToPeak, Math.max(0, hours) / 24);
  }

  /** The market's information sigma at `hours` before the peak (negative after it). */
  marketSigma(hours: number, sd: number): number {
    const m = this.cal.market;
    const ratio = m.byCity[this.city].infoRatio;
    const hSnap = m.snapshotHoursToPeak;
    let s: number;
    if (hours >= hSnap) s = ratio * this.sourceStd(hours);
    else if (hours >= 0) {
      const atSnap = ratio * this.sourceStd(hSnap);
      s = SIGMA_FLOOR + (atSnap - SIGMA_FLOOR) * (hours / hSnap) ** 0.8;
    } else s = Math.max(0.08, SIGMA_FLOOR * (1 + hours / 8));
    return Math.min(s, 0.97 * sd);
  }

  info(date: string): InfoGrid {
    return this.infos.get(date, () => this.buildInfo(date));
  }

  private buildInfo(date: string): InfoGrid {
    const day = this.day(date);
    const startMs = Math.floor((day.peakMs - 8.5 * DAY) / HOUR) * HOUR;
    const n = Math.ceil((day.dayEndMs + HOUR - startMs) / HOUR);
    const v0 = day.sd * day.sd;
    const sigma = new Float64Array(n);
    const srcStd = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const hours = (day.peakMs - (startMs + i * HOUR)) / HOUR;
      const s = this.marketSigma(hours, day.sd);
      sigma[i] = s;
      srcStd[i] = Math.sqrt(Math.max(0.25, this.sourceStd(hours) ** 2 - s * s));
    }
    // Signal noise variance w: the posterior of N(m0, v0) given H + η with Var η = w has variance σ².
    const walk = (variance: (i: number) => number, purpose: string): Float64Array => {
      const rng = rngFor(this.seed, this.city, date, purpose);
      const out = new Float64Array(n);
      let prevVar = variance(n - 1);
      let x = Math.sqrt(prevVar) * normal(rng);
      out[n - 1] = x;
      for (let i = n - 2; i >= 0; i--) {
        const v = variance(i);
        x += Math.sqrt(Math.max(0, v - prevVar)) * normal(rng);
        prevVar = Math.max(prevVar, v);
        out[i] = x;
      }
      return out;
    };
    const eta = walk((i) => {
      const s2 = sigma[i]! ** 2;
      return (s2 * v0) / (v0 - s2);
    }, 'eta');
    const mu = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const k = 1 - sigma[i]! ** 2 / v0;
      mu[i] = day.m0 + k * (day.high + eta[i]! - day.m0);
    }
    const src = Object.fromEntries(SOURCE_KEYS.map((key) => [key, walk((i) => srcStd[i]! ** 2, `src-${key}`)])) as Record<SourceKey, Float64Array>;
    return { startMs, n, mu, sigma, src };
  }

  static index(info: InfoGrid, ms: number): number {
    return clamp(Math.floor((ms - info.startMs) / HOUR), 0, info.n - 1);
  }

  /** A source's forecast of the date's high as issued at `ms`. */
  forecastHigh(date: string, source: SourceKey, ms: number): number {
    const info = this.info(date);
    const i = CityModel.index(info, ms);
    const f = this.cal.forecastError;
    const bias = source === 'GFS' || source === 'NAM' ? f.mosBiasF[source] : f.sourceBiasF[source];
    return info.mu[i]! + bias + info.src[source][i]!;
  }

  /** The sensor's minute temperatures of the climate day (1440 values, °F to 0.1): the CLI's source. */
  obs(date: string): Float64Array {
    return this.obsCache.get(date, () => this.buildObs(date));
  }

  private eveningTemp(d: DayTruth): number {
    return d.tmin + this.cal.diurnal.eveningFraction * (d.high - d.tmin);
  }

  /**
   * The temperature at the climate-day boundary after `date` (midnight LST). Both days' curves pass
   * through it, so observations are continuous across days; it stays below both days' highs, so each
   * day's maximum is its afternoon peak (the CLI high).
   */
  private boundaryTemp(date: string): number {
    const d = this.day(date);
    const next = this.day(addDays(date, 1));
    return Math.min(this.eveningTemp(d), d.high - 0.6, next.high - 0.6);
  }

  private buildObs(date: string): Float64Array {
    const d = this.day(date);
    const cfg = this.cal.diurnal;
    const curve = diurnalCurve(this.boundaryTemp(addDays(date, -1)), d.tmin, d.high, this.boundaryTemp(date), cfg.minHourLst, d.peakMinute / 60);
    const rng = rngFor(this.seed, this.city, date, 'obs');
    const cap = clamp(round1(d.high), d.cli - 0.5, d.cli + 0.4);
    const out = new Float64Array(1440);
    const phi = 0.97;
    let e = 0;
    for (let m = 0; m < 1440; m++) {
      e = phi * e + Math.sqrt(1 - phi * phi) * cfg.minuteNoiseF * normal(rng);
      // The noise fades in and out over the first and last hour so that days join at the boundary value.
      const fade = Math.min(1, m / 60, (1439 - m) / 60);
      out[m] = Math.min(cap, round1(curve(m / 60) + fade * e));
    }
    out[d.peakMinute] = cap;
    return out;
  }

  /**
   * How the day's reported maximum relates to the CLI high: -1, 0 or +1 (after rounding half up).
   * Measured in the corpus (logan asos_daily vs GHCN TMAX, KMDW/KAUS/KPHL, June-August 1998-2024,
   * 7,446 days): the maximum of hourly routine METARs is 1 °F below the settled high on 48% of days,
   * 2 °F below on 11%, 1 °F above on 1.8%. Minute data sample the peak far more often, so the world
   * keeps a quarter of the shortfall (14.8%, an assumption: the corpus has no minute station data)
   * and all of the overshoot (1.8%, °C-to-°F rounding); scripts/calibrate-world.ts computes both.
   */
  reportMiss(date: string): -1 | 0 | 1 {
    const { belowProb, aboveProb } = this.cal.observations;
    const u = rngFor(this.seed, this.city, date, 'report-miss')();
    return u < belowProb ? -1 : u < belowProb + aboveProb ? 1 : 0;
  }

  /**
   * The reported minute observations: the sensor's, with the afternoon peak shaved to a degree below
   * the CLI high (the samples missed the sensor's peak) or lifted a degree above it (a whole-°C value
   * converted back rounds up), on the days reportMiss says. Only the hours around the peak change, so
   * the low and the climate-day boundaries stay the sensor's.
   */
  reported(date: string): Float64Array {
    return this.reportedCache.get(date, () => {
      const sensor = this.obs(date);
      const miss = this.reportMiss(date);
      if (miss === 0) return sensor;
      const d = this.day(date);
      const out = Float64Array.from(sensor);
      const peak = sensor[d.peakMinute]!;
      if (miss < 0) {
        // Rounds half up to C-1: within [C-1.5, C-0.6].
        const cap = clamp(round1(peak - 1), d.cli - 1.5, d.cli - 0.6);
        for (let m = 0; m < 1440; m++) out[m] = Math.min(out[m]!, cap);
      } else {
        // Rounds half up to C+1: within [C+0.5, C+1.4]; a smooth bump over about an hour and a half.
        const top = clamp(round1(peak + 1), d.cli + 0.5, d.cli + 1.4);
        const lift = top - peak;
        for (let m = 0; m < 1440; m++) out[m] = round1(out[m]! + lift * Math.exp(-(((m - d.peakMinute) / 45) ** 2)));
        out[d.peakMinute] = top;
      }
      return out;
    });
  }

  /** The CLI low: the climate day's minimum observation, rounded half up. */
  low(date: string): number {
    let v = this.lows.get(date);
    if (v === undefined) {
      const obs = this.obs(date);
      let m = Infinity;
      for (const x of obs) m = Math.min(m, x);
      v = roundHalfUp(m);
      this.lows.set(date, v);
    }
    return v;
  }

  /** The hourly forecast curve value at LST hour `hour` of `date`, from a source's highs at `ms`. */
  forecastCurve(date: string, source: SourceKey, ms: number): (hour: number) => number {
    const cfg = this.cal.diurnal;
    const clim = this.climate();
    const hi = this.forecastHigh(date, source, ms);
    const hiPrev = this.forecastHigh(addDays(date, -1), source, ms);
    const dtr = monthly(clim.diurnalRangeF, date);
    const dtrPrev = monthly(clim.diurnalRangeF, addDays(date, -1));
    const lo = hi - dtr;
    const evePrev = hiPrev - dtrPrev + cfg.eveningFraction * dtrPrev;
    return diurnalCurve(evePrev, lo, hi, lo + cfg.eveningFraction * dtr, cfg.minHourLst, cfg.peakHourLst);
  }

  forecastLow(date: string, source: SourceKey, ms: number): number {
    return this.forecastHigh(date, source, ms) - monthly(this.climate().diurnalRangeF, date);
  }
}

/**
 * Temperature by LST hour of the climate day: from last evening's value down to the morning
 * minimum, a half-cosine rise to the peak, a half-cosine fall to this evening's value. The start is
 * kept below the peak so that the day's maximum is the afternoon peak.
 */
export function diurnalCurve(start: number, tmin: number, high: number, end: number, minHour: number, peakHour: number): (hour: number) => number {
  // Overnight the temperature may also rise toward the morning value (a warm front): only the upper
  // bound matters, so that the afternoon peak stays the day's maximum.
  const s = Math.min(start, high - 0.6);
  const e = Math.min(end, high - 0.6);
  return (x: number) => {
    if (x < minHour) return s + ((tmin - s) * x) / minHour;
    if (x <= peakHour) return tmin + ((high - tmin) * (1 - Math.cos((Math.PI * (x - minHour)) / (peakHour - minHour)))) / 2;
    return e + ((high - e) * (1 + Math.cos((Math.PI * (x - peakHour)) / (24 - peakHour)))) / 2;
  };
}
