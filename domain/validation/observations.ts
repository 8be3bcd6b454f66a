/*
 * Observation anomaly detectors over one (station, source) series of temperatures, sorted by time.
 * Pure: the activity feeds them chunks of rows and writes what they return to wx.data_flag.
 */

/** One observation: `t` in epoch milliseconds (UTC), `v` the temperature in °F (null when not reported). */
export interface TempPoint {
  t: number;
  v: number | null;
}

export type ObservationRule = 'obs_spike' | 'obs_stuck' | 'obs_impossible';

/** A flagged point: `index` into the array the detector was given. */
export interface PointFlag {
  index: number;
  rule: ObservationRule;
  detail: string;
}

/** Physically impossible surface temperatures for these stations (°F); the same bounds serve forecasts. */
export const MIN_PLAUSIBLE_F = -60;
export const MAX_PLAUSIBLE_F = 135;

export interface SpikeOptions {
  /** A jump larger than this (°F) away from the previous reading... */
  jumpF: number;
  /** ...that comes back to within `jumpF` of that reading within this many minutes is a spike. */
  windowMinutes: number;
}

export interface StuckOptions {
  /** The same value for longer than this many hours is a stuck sensor. */
  hours: number;
  /** A hole longer than this between two readings ends a run (an outage is not a stuck value). */
  maxGapMinutes: number;
}

const MIN = 60_000;
const iso = (t: number) => new Date(t).toISOString();
const f1 = (v: number) => (Math.round(v * 10) / 10).toFixed(1);

interface Indexed {
  i: number;
  t: number;
  v: number;
}

function finitePoints(points: readonly TempPoint[]): Indexed[] {
  const out: Indexed[] = [];
  points.forEach((p, i) => {
    if (p.v !== null && Number.isFinite(p.v)) out.push({ i, t: p.t, v: p.v });
  });
  return out;
}

/**
 * Spikes: a reading jumps more than `jumpF` away from the reading before it (the base) and the series
 * comes back to within `jumpF` of the base within `windowMinutes` of the base. Every reading of the
 * excursion (one or several in a row, all displaced the same way) is flagged. A jump that does not come
 * back in time (a front passing) is not a spike.
 */
export function detectSpikes(points: readonly TempPoint[], opts: SpikeOptions): PointFlag[] {
  const pts = finitePoints(points);
  const windowMs = opts.windowMinutes * MIN;
  const flags: PointFlag[] = [];
  let k = 1;
  while (k < pts.length) {
    const base = pts[k - 1]!;
    const first = pts[k]!;
    const jump = first.v - base.v;
    if (Math.abs(jump) > opts.jumpF && first.t - base.t <= windowMs) {
      const sign = Math.sign(jump);
      let j = k;
      while (j < pts.length && pts[j]!.t - base.t <= windowMs && sign * (pts[j]!.v - base.v) > opts.jumpF) j++;
      const back = pts[j];
      if (back && back.t - base.t <= windowMs && Math.abs(back.v - base.v) <= opts.jumpF) {
        const peak = pts.slice(k, j).reduce((a, p) => (Math.abs(p.v - base.v) > Math.abs(a.v - base.v) ? p : a), first);
        const minutes = Math.round((back.t - base.t) / MIN);
        for (let m = k; m < j; m++) {
          const p = pts[m]!;
          flags.push({
            index: p.i,
            rule: 'obs_spike',
            detail: `${f1(p.v)} °F between ${f1(base.v)} °F at ${iso(base.t)} and ${f1(back.v)} °F at ${iso(back.t)} (${minutes} min; peak ${sign > 0 ? '+' : ''}${f1(peak.v - base.v)} °F)`,
          });
        }
        k = j + 1; // the reading that came back is the next base
        continue;
      }
    }
    k++;
  }
  return flags;
}

export interface StuckRun {
  /** Indices into the input array of the run's first and last readings. */
  startIndex: number;
  endIndex: number;
  value: number;
  hours: number;
  readings: number;
}

/** Runs of identical readings (no hole longer than `maxGapMinutes` inside) lasting more than `hours`. */
export function findStuckRuns(points: readonly TempPoint[], opts: StuckOptions): StuckRun[] {
  const pts = finitePoints(points);
  const runs: StuckRun[] = [];
  const maxGapMs = opts.maxGapMinutes * MIN;
  let s = 0;
  for (let k = 1; k <= pts.length; k++) {
    const prev = pts[k - 1]!;
    const cur = pts[k];
    if (cur && cur.v === prev.v && cur.t - prev.t <= maxGapMs) continue;
    const start = pts[s]!;
    const hours = (prev.t - start.t) / 3_600_000;
    if (hours > opts.hours) runs.push({ startIndex: start.i, endIndex: prev.i, value: start.v, hours, readings: k - s });
    s = k;
  }
  return runs;
}

/** Every reading of a stuck run (see `findStuckRuns`). */
export function detectStuck(points: readonly TempPoint[], opts: StuckOptions): PointFlag[] {
  const flags: PointFlag[] = [];
  for (const run of findStuckRuns(points, opts)) {
    const from = points[run.startIndex]!.t;
    const to = points[run.endIndex]!.t;
    const detail = `${f1(run.value)} °F unchanged for ${run.hours.toFixed(1)} h (${run.readings} readings, ${iso(from)} .. ${iso(to)})`;
    for (let i = run.startIndex; i <= run.endIndex; i++) {
      const p = points[i]!;
      if (p.v !== null && Number.isFinite(p.v)) flags.push({ index: i, rule: 'obs_stuck', detail });
    }
  }
  return flags;
}

/** Readings outside [MIN_PLAUSIBLE_F, MAX_PLAUSIBLE_F], or not a finite number. */
export function detectImpossibleObservations(points: readonly TempPoint[]): PointFlag[] {
  const flags: PointFlag[] = [];
  points.forEach((p, i) => {
    if (p.v === null) return;
    if (!Number.isFinite(p.v) || p.v < MIN_PLAUSIBLE_F || p.v > MAX_PLAUSIBLE_F) {
      flags.push({ index: i, rule: 'obs_impossible', detail: `${p.v} °F outside [${MIN_PLAUSIBLE_F}, ${MAX_PLAUSIBLE_F}]` });
    }
  });
  return flags;
}

/**
 * All three detectors. Impossible readings are left out before looking for spikes and stuck runs, so a
 * single 999 °F sentinel is reported once, as impossible.
 */
export function detectObservationAnomalies(points: readonly TempPoint[], spike: SpikeOptions, stuck: StuckOptions): PointFlag[] {
  const impossible = detectImpossibleObservations(points);
  const bad = new Set(impossible.map((f) => f.index));
  const cleaned: TempPoint[] = points.map((p, i) => (bad.has(i) ? { t: p.t, v: null } : p));
  return [...impossible, ...detectSpikes(cleaned, spike), ...detectStuck(cleaned, stuck)];
}
