/**
 * Judging a model against baselines on the very same rows: the four scores, and a bootstrap over
 * days (rows of one day are strongly dependent, so days are the unit resampled) for the difference
 * in log loss between two forecasts. Also the time-ordered split by day used by training.
 */
import { accuracy, brierScore, logLoss, rankedProbabilityScore } from './metrics';
import { mulberry32 } from './rng';

export interface Scores {
  logLoss: number;
  rps: number;
  brier: number;
  accuracy: number;
}

export function scores(proba: ArrayLike<number>, y: ArrayLike<number>, K: number): Scores {
  return { logLoss: logLoss(proba, y, K), rps: rankedProbabilityScore(proba, y, K), brier: brierScore(proba, y, K), accuracy: accuracy(proba, y, K) };
}

/** −ln p(observed) per row, probabilities clipped at 1e-15 as in logLoss. */
export function perRowLogLoss(proba: ArrayLike<number>, y: ArrayLike<number>, K: number): Float64Array {
  const out = new Float64Array(y.length);
  for (let r = 0; r < y.length; r++) out[r] = -Math.log(Math.min(1, Math.max(1e-15, proba[r * K + y[r]!]!)));
  return out;
}

export interface Interval {
  estimate: number;
  lo: number;
  hi: number;
  level: number;
  reps: number;
  groups: number;
}

/**
 * Mean of a − b per row, with a percentile bootstrap interval resampling whole groups (days), each day
 * weighted by its row count as the estimate is.
 */
export function pairedDayBootstrap(a: ArrayLike<number>, b: ArrayLike<number>, day: ArrayLike<number>, opts: { reps?: number; level?: number; seed?: number } = {}): Interval {
  const reps = opts.reps ?? 2000;
  const level = opts.level ?? 0.95;
  if (a.length !== b.length || a.length !== day.length || a.length === 0) throw new RangeError('pairedDayBootstrap: a, b and day need the same, non-zero length');
  const sums = new Map<number, { s: number; n: number }>();
  for (let i = 0; i < a.length; i++) {
    const g = sums.get(day[i]!) ?? { s: 0, n: 0 };
    g.s += a[i]! - b[i]!;
    g.n++;
    sums.set(day[i]!, g);
  }
  const groups = [...sums.values()];
  const total = groups.reduce((t, g) => ({ s: t.s + g.s, n: t.n + g.n }), { s: 0, n: 0 });
  const rng = mulberry32(opts.seed ?? 1);
  const stats = new Float64Array(reps);
  for (let k = 0; k < reps; k++) {
    let s = 0;
    let n = 0;
    for (let i = 0; i < groups.length; i++) {
      const g = groups[Math.floor(rng() * groups.length)]!;
      s += g.s;
      n += g.n;
    }
    stats[k] = s / n;
  }
  stats.sort();
  const q = (p: number) => stats[Math.min(reps - 1, Math.max(0, Math.round(p * (reps - 1))))]!;
  return { estimate: total.s / total.n, lo: q((1 - level) / 2), hi: q(1 - (1 - level) / 2), level, reps, groups: groups.length };
}

/** Rows split by day in time order: the last `testFraction` of distinct days is the test set; a day never spans both. */
export function splitByDay(rows: Int32Array, dayOfRow: ArrayLike<number>, testFraction: number): { train: Int32Array; test: Int32Array; firstTestDay: number } {
  if (!(testFraction > 0 && testFraction < 1)) throw new RangeError(`testFraction must be in (0, 1), got ${testFraction}`);
  const days = [...new Set(Array.from(rows, (r) => dayOfRow[r]!))].sort((x, y) => x - y);
  if (days.length < 2) throw new RangeError(`a split by day needs at least 2 days, got ${days.length}`);
  const cut = days[Math.min(days.length - 1, Math.max(1, Math.floor(days.length * (1 - testFraction))))]!;
  return { train: rows.filter((r) => dayOfRow[r]! < cut), test: rows.filter((r) => dayOfRow[r]! >= cut), firstTestDay: cut };
}

/** Rows split at a day: before it train, from it on test. */
export function splitAt(rows: Int32Array, dayOfRow: ArrayLike<number>, firstTestDay: number): { train: Int32Array; test: Int32Array; firstTestDay: number } {
  return { train: rows.filter((r) => dayOfRow[r]! < firstTestDay), test: rows.filter((r) => dayOfRow[r]! >= firstTestDay), firstTestDay };
}
