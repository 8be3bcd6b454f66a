/**
 * The bracket model: one binary GBDT over (snapshot, bracket) pairs that learns where the market's
 * own probability for a bracket is wrong, from the market (the bracket's normalised mid, its
 * neighbours', quotes, spread, volume), the bracket's edges relative to the market-implied mean, the
 * forecasts, the observed running max and the hourly curve's remaining max. Its six outputs for a
 * snapshot are renormalised over the ladder, so the served probabilities are the event's six brackets.
 * Pure: the training activity and the trader call it.
 */
import { integerRange } from '../brackets';
import { BRACKETS, type Dataset } from '../features/build';
import type { GbdtDataset } from './gbdt/dataset';
import { predictProba, type GbdtModel } from './gbdt/model';

/** Per-bracket features, then snapshot-level ones; temperatures relative to the market-implied mean. */
export const BRACKET_FEATURES = [
  'b.index',
  'b.p_mkt',
  'b.p_left',
  'b.p_right',
  'b.p_over_max',
  'b.rank',
  'b.bid',
  'b.ask',
  'b.spread',
  'b.volume',
  'b.age_min',
  'b.lo_minus_mkt',
  'b.hi_minus_mkt',
  'b.lo_minus_obs_max',
  'b.hi_minus_obs_max',
  'b.lo_minus_fc',
  'b.hi_minus_fc',
  'b.hi_minus_remaining',
  'mkt.sd',
  'mkt.skew',
  'mkt.entropy',
  'mkt.overround',
  't.hours_to_close',
  't.hours_into_day',
  't.doy_sin',
  't.doy_cos',
  'fc.sd',
  'fc_minus_mkt',
  'obs_max_minus_mkt',
  'obs_latest_minus_mkt',
  'obs.slope1h',
  'remaining_minus_mkt',
  'clim_minus_mkt',
  'recent_minus_mkt',
] as const;

/**
 * Rows of a dataset usable by the bracket model: the market-implied distribution known (four or more
 * quoted brackets) and, with `maxQuoteAgeMinutes`, some bracket's quote that recent. Recorded worlds
 * hold about one quote per day: without the limit, a day's other snapshots repeat that stale quote
 * next to newer weather, rows no live decision would be made on.
 */
export function usableRows(d: Dataset, labelled: boolean, maxQuoteAgeMinutes?: number): Int32Array {
  const p0 = d.features.column('mkt.p0');
  const ages = Array.from({ length: BRACKETS }, (_, j) => d.features.column(`m${j}.age_min`));
  const out: number[] = [];
  for (let r = 0; r < d.features.rows; r++) {
    if (Number.isNaN(p0[r]!)) continue;
    if (maxQuoteAgeMinutes !== undefined && !ages.some((a) => a[r]! <= maxQuoteAgeMinutes)) continue;
    if (labelled && Number.isNaN(d.yBracket[r]!)) continue;
    out.push(r);
  }
  return Int32Array.from(out);
}

/** The hourly curve's remaining max: the first hourly source's (sorted by name), NaN without one. */
function remainingColumn(d: Dataset): Float64Array | undefined {
  const name = d.features.names.find((n) => n.startsWith('hc.') && n.endsWith('.remaining_max'));
  return name ? d.features.column(name) : undefined;
}

/**
 * The long-format matrix: rows × 6 bracket rows, row-major, in the order of `rows` then bracket index;
 * labels 1 for the bracket that settled YES (when `labelled`).
 */
export function bracketMatrix(d: Dataset, rows: Int32Array, labelled: boolean): GbdtDataset {
  const nf = BRACKET_FEATURES.length;
  const n = rows.length * BRACKETS;
  const x = new Float64Array(n * nf);
  const y = new Float64Array(n);
  const col = (name: string) => d.features.column(name);
  // Columns looked up once, not per (row, bracket): the matrix is rows x 6 x features.
  const p = Array.from({ length: BRACKETS }, (_, j) => col(`mkt.p${j}`));
  const quote = Array.from({ length: BRACKETS }, (_, j) => ({
    bid: col(`m${j}.bid`),
    ask: col(`m${j}.ask`),
    spread: col(`m${j}.spread`),
    volume: col(`m${j}.volume`),
    age: col(`m${j}.age_min`),
  }));
  const [mean, obsMax, fc, sd, skew, overround, toClose, intoDay, doySin, doyCos, fcSd, obsLatest, slope, clim, recent] = [
    'mkt.mean', 'obs.max', 'fc.mean', 'mkt.sd', 'mkt.skew', 'mkt.overround', 't.hours_to_close', 't.hours_into_day',
    't.doy_sin', 't.doy_cos', 'fc.sd', 'obs.latest', 'obs.slope1h', 'clim.mean', 'recent.last',
  ].map(col);
  const remaining = remainingColumn(d);
  const diff = (a: number, b: number) => a - b; // NaN in, NaN out
  let o = 0;
  rows.forEach((r) => {
    const ev = d.events[d.event[r]!]!;
    const m = mean![r]!;
    // Shape of the market's distribution: how concentrated it is, and where each bracket ranks in it.
    const pr = p.map((c) => c[r]!);
    const pMax = Math.max(...pr);
    const entropy = pr.reduce((h, x) => (x > 0 ? h - x * Math.log(x) : h), 0);
    for (let j = 0; j < BRACKETS; j++) {
      const b = ev.brackets[j]!;
      const { min, max } = integerRange(b);
      // Edges on the real line (a whole degree covers ±0.5); a tail's open side sits 5 °F past its edge.
      const lo = min === -Infinity ? max - 5.5 : min - 0.5;
      const hi = max === Infinity ? min + 5.5 : max + 0.5;
      const rem = remaining ? remaining[r]! : NaN;
      const v = [
        j,
        p[j]![r]!,
        j > 0 ? p[j - 1]![r]! : NaN,
        j < BRACKETS - 1 ? p[j + 1]![r]! : NaN,
        pr[j]! / pMax,
        pr.filter((x) => x > pr[j]!).length,
        quote[j]!.bid[r]!,
        quote[j]!.ask[r]!,
        quote[j]!.spread[r]!,
        quote[j]!.volume[r]!,
        quote[j]!.age[r]!,
        diff(lo, m),
        diff(hi, m),
        diff(lo, obsMax![r]!),
        diff(hi, obsMax![r]!),
        diff(lo, fc![r]!),
        diff(hi, fc![r]!),
        diff(hi, rem),
        sd![r]!,
        skew![r]!,
        entropy,
        overround![r]!,
        toClose![r]!,
        intoDay![r]!,
        doySin![r]!,
        doyCos![r]!,
        fcSd![r]!,
        diff(fc![r]!, m),
        diff(obsMax![r]!, m),
        diff(obsLatest![r]!, m),
        slope![r]!,
        diff(rem, m),
        diff(clim![r]!, m),
        diff(recent![r]!, m),
      ];
      for (let f = 0; f < nf; f++) x[o * nf + f] = v[f]!;
      y[o] = labelled && d.yBracket[r] === j ? 1 : 0;
      o++;
    }
  });
  return { x, rows: n, featureNames: [...BRACKET_FEATURES], y };
}

/** Renormalises per-bracket P(yes) (rows × 6, row-major) over each ladder: the event's six probabilities. */
export function normaliseOverLadder(pYes: ArrayLike<number>, snapshots: number): Float64Array {
  const out = new Float64Array(snapshots * BRACKETS);
  for (let r = 0; r < snapshots; r++) {
    let s = 0;
    for (let j = 0; j < BRACKETS; j++) s += pYes[r * BRACKETS + j]!;
    for (let j = 0; j < BRACKETS; j++) out[r * BRACKETS + j] = s > 0 ? pYes[r * BRACKETS + j]! / s : 1 / BRACKETS;
  }
  return out;
}

/** The bracket model's probabilities for dataset rows: [rows × 6], each row summing to one. */
export function predictBrackets(model: GbdtModel, d: Dataset, rows: Int32Array): Float64Array {
  const m = bracketMatrix(d, rows, false);
  const p = predictProba(model, m.x, m.rows);
  const yes = new Float64Array(m.rows);
  for (let i = 0; i < m.rows; i++) yes[i] = p[i * 2 + 1]!;
  return normaliseOverLadder(yes, rows.length);
}

/** The market-implied distribution of dataset rows, [rows × 6] (the feature builder's normalised mids). */
export function marketBrackets(d: Dataset, rows: Int32Array): Float64Array {
  const out = new Float64Array(rows.length * BRACKETS);
  const p = Array.from({ length: BRACKETS }, (_, j) => d.features.column(`mkt.p${j}`));
  rows.forEach((r, i) => {
    for (let j = 0; j < BRACKETS; j++) out[i * BRACKETS + j] = p[j]![r]!;
  });
  return out;
}
