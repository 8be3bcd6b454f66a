/**
 * The weather side of a snapshot, each value with the instant it became known: the latest daily
 * forecast per source and model and its revision, the latest hourly curve over the climate day,
 * observations so far, climatology of earlier years and recently settled highs.
 */
import { dateOfDayNumber, dayNumberOf } from '../iso-date';
import { type AsOfRows, knownCount, latestKnown } from './asof';
import type { DailyForecastInput, HourlyForecastInput, ObservationColumns, SettlementInput } from './inputs';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export interface Known {
  value: number;
  knownAt: number;
}
const ABSENT: Known = { value: NaN, knownAt: NaN };

// ── daily forecasts ──────────────────────────────────────────────────────────────────────────────

export interface DailyForecastAt {
  high: Known;
  lead: Known;
  /** Hours since the value became known. */
  ageHours: Known;
  /** Latest value minus the one before it (an earlier run) for the same target. */
  revision: Known;
}

/** The latest forecast of one (source, model) for one target date known at t; `stream` holds that target's runs. */
export function dailyForecastAt(stream: AsOfRows<DailyForecastInput> | undefined, t: number): DailyForecastAt {
  if (!stream) return { high: ABSENT, lead: ABSENT, ageHours: ABSENT, revision: ABSENT };
  const i = latestKnown(stream.times, t);
  if (i < 0) return { high: ABSENT, lead: ABSENT, ageHours: ABSENT, revision: ABSENT };
  const r = stream.rows[i]!;
  const prev = i > 0 ? stream.rows[i - 1]! : undefined;
  return {
    high: { value: r.highF, knownAt: r.availableAt },
    lead: { value: r.leadDays, knownAt: r.availableAt },
    ageHours: { value: (t - r.availableAt) / HOUR, knownAt: r.availableAt },
    revision: prev ? { value: r.highF - prev.highF, knownAt: r.availableAt } : ABSENT,
  };
}

// ── hourly curve ─────────────────────────────────────────────────────────────────────────────────

export interface CurveAt {
  /** Predicted high over the climate day (max of the hourly values in it). */
  max: Known;
  /** Hours from the climate day's start to the predicted high. */
  peakHour: Known;
  /** Max of the hours still ahead of t within the day (the whole day's max before it starts). */
  remainingMax: Known;
  /** Hours from t to the predicted high (negative once it has passed). */
  hoursToPeak: Known;
}

/** A run covers a day when at least this many of its hours in it are known. */
const MIN_HOURS_IN_DAY = 18;

/** Runs of one source/model ordered by basis, each with the first instant any of its values was known. */
export class HourlyRuns {
  readonly runs: readonly HourlyForecastInput[];
  private readonly firstKnown: Float64Array;

  constructor(runs: readonly HourlyForecastInput[]) {
    this.runs = [...runs].sort((a, b) => a.basisMs - b.basisMs);
    this.firstKnown = Float64Array.from(this.runs, (r) => r.availableAt.reduce((m, x) => Math.min(m, x), Infinity));
  }

  /**
   * The curve over the climate day from the newest run with enough of the day's hours known at t, using
   * only those known values (its as-of time is the latest of them).
   */
  curveAt(dayStart: number, t: number): CurveAt {
    const dayEnd = dayStart + DAY;
    for (let i = this.runs.length - 1; i >= 0; i--) {
      if (this.firstKnown[i]! > t) continue;
      const run = this.runs[i]!;
      let n = 0;
      let max = -Infinity;
      let peak = NaN;
      let remaining = -Infinity;
      let knownAt = -Infinity;
      for (let k = 0; k < run.validMs.length; k++) {
        const v = run.validMs[k]!;
        const x = run.tempF[k]!;
        const a = run.availableAt[k]!;
        if (v < dayStart || v >= dayEnd || !Number.isFinite(x) || !(a <= t)) continue;
        n++;
        if (a > knownAt) knownAt = a;
        if (x > max) {
          max = x;
          peak = v;
        }
        if (v >= t && x > remaining) remaining = x;
      }
      if (n < MIN_HOURS_IN_DAY) continue;
      return {
        max: { value: max, knownAt },
        peakHour: { value: (peak - dayStart) / HOUR, knownAt },
        remainingMax: remaining === -Infinity ? ABSENT : { value: remaining, knownAt },
        hoursToPeak: { value: (peak - t) / HOUR, knownAt },
      };
    }
    return { max: ABSENT, peakHour: ABSENT, remainingMax: ABSENT, hoursToPeak: ABSENT };
  }
}

// ── observations ─────────────────────────────────────────────────────────────────────────────────

export interface ObservationsAt {
  /** Running max of the climate day's observations known at t (absent before the day's first). */
  runningMax: Known;
  latest: Known;
  /** Mean of the observations within 15 minutes of the latest. */
  mean15: Known;
  /** °F per hour from the observation about an hour before the latest to the latest. */
  slope1h: Known;
  /** Minutes since the latest observation was taken. */
  ageMinutes: Known;
}

/** Observation columns with the climate day's running maximum precomputed in as-of order. */
export class ObservationView {
  private readonly obs: ObservationColumns;

  constructor(obs: ObservationColumns) {
    for (let i = 1; i < obs.availableAt.length; i++) {
      if (obs.availableAt[i]! < obs.availableAt[i - 1]!) throw new RangeError('observations must be sorted by availableAt');
    }
    this.obs = obs;
  }

  at(dayStart: number, t: number): ObservationsAt {
    const { observedMs, availableAt, tempF } = this.obs;
    const n = knownCount(availableAt, t);
    let last = -1;
    for (let i = n - 1; i >= 0; i--) {
      if (Number.isFinite(tempF[i]!)) {
        last = i;
        break;
      }
    }
    if (last < 0) return { runningMax: ABSENT, latest: ABSENT, mean15: ABSENT, slope1h: ABSENT, ageMinutes: ABSENT };
    const lastAt = observedMs[last]!;
    const known = availableAt[last]!;
    let sum = 0;
    let count = 0;
    let back = -1;
    let dayMax = -Infinity;
    const stopBefore = Math.min(dayStart, lastAt - 2 * HOUR);
    // Walk back from the latest: the 15-minute mean, the value an hour before, and the day's max so far.
    for (let i = n - 1; i >= 0; i--) {
      const at = observedMs[i]!;
      const x = tempF[i]!;
      if (!Number.isFinite(x)) continue;
      if (at >= lastAt - 15 * MINUTE) {
        sum += x;
        count++;
      }
      if (back < 0 && at <= lastAt - 55 * MINUTE) back = i;
      if (at >= dayStart && at < dayStart + DAY && x > dayMax) dayMax = x;
      if (at < stopBefore) break;
    }
    const slope =
      back >= 0 && observedMs[back]! >= lastAt - 2 * HOUR
        ? { value: ((tempF[last]! - tempF[back]!) / (lastAt - observedMs[back]!)) * HOUR, knownAt: known }
        : ABSENT;
    return {
      runningMax: dayMax === -Infinity ? ABSENT : { value: dayMax, knownAt: maxKnownAt(availableAt, n) },
      latest: { value: tempF[last]!, knownAt: known },
      mean15: { value: sum / count, knownAt: known },
      slope1h: slope,
      ageMinutes: { value: (t - lastAt) / MINUTE, knownAt: known },
    };
  }
}

/** A running max over the known prefix is known once the latest of that prefix is (sorted: its last). */
const maxKnownAt = (availableAt: Float64Array, n: number): number => availableAt[n - 1]!;

// ── settled highs ────────────────────────────────────────────────────────────────────────────────


/** Day-of-year distance on a 365.25-day circle. */
function doyDistance(a: string, b: string): number {
  const da = dayOfYear(a);
  const db = dayOfYear(b);
  const d = Math.abs(da - db);
  return Math.min(d, 365.25 - d);
}

export function dayOfYear(date: string): number {
  return dayNumberOf(date) - dayNumberOf(`${date.slice(0, 4)}-01-01`);
}

export interface ClimatologyAt {
  mean: Known;
  sd: Known;
  count: Known;
}

/** Settled highs of earlier years (never the event's own year) within ± window days of its day of year, known at t. */
export function climatologyAt(settled: AsOfRows<SettlementInput>, date: string, windowDays: number, t: number): ClimatologyAt {
  const year = date.slice(0, 4);
  let n = 0;
  let s = 0;
  let s2 = 0;
  let knownAt = -Infinity;
  for (const r of settled.known(t)) {
    if (r.date.slice(0, 4) >= year || doyDistance(r.date, date) > windowDays) continue;
    n++;
    s += r.highF;
    s2 += r.highF * r.highF;
    if (r.availableAt > knownAt) knownAt = r.availableAt;
  }
  if (n === 0) return { mean: ABSENT, sd: ABSENT, count: { value: 0, knownAt: t } };
  const mean = s / n;
  return {
    mean: { value: mean, knownAt },
    sd: n > 1 ? { value: Math.sqrt(Math.max(0, (s2 - n * mean * mean) / (n - 1))), knownAt } : ABSENT,
    count: { value: n, knownAt },
  };
}

export interface RecentAt {
  /** The most recent settled high before the event's date known at t (looking back up to 30 days). */
  last: Known;
  /** How many days before the event that high was. */
  daysAgo: Known;
  /** Mean of the settled highs of the 7 days before the event that are known at t. */
  mean7: Known;
}

export function recentSettledAt(byDate: ReadonlyMap<string, SettlementInput>, date: string, t: number): RecentAt {
  const d = dayNumberOf(date);
  let best: SettlementInput | undefined;
  let bestAgo = NaN;
  let s = 0;
  let n = 0;
  let knownAt = -Infinity;
  for (let ago = 1; ago <= 30; ago++) {
    const r = byDate.get(dateOfDayNumber(d - ago));
    if (!r || r.availableAt > t) continue;
    if (!best) {
      best = r;
      bestAgo = ago;
    }
    if (ago <= 7) {
      s += r.highF;
      n++;
      if (r.availableAt > knownAt) knownAt = r.availableAt;
    }
  }
  if (!best) return { last: ABSENT, daysAgo: ABSENT, mean7: ABSENT };
  return {
    last: { value: best.highF, knownAt: best.availableAt },
    daysAgo: { value: bestAgo, knownAt: best.availableAt },
    mean7: n > 0 ? { value: s / n, knownAt } : ABSENT,
  };
}
