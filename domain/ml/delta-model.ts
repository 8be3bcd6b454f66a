/**
 * The ordinal delta model: instead of the bracket, it predicts the settled high as an integer offset
 * from a baseline known at the snapshot (the forecast mean, the market-implied mean or the observed
 * running max), delta = clip(high - b, lo, hi), with one ordinal GBDT (cumulative link) over the
 * classes lo..hi. Its inputs are the dataset's features with every temperature expressed relative to
 * the baseline, plus the market's distribution (the normalised mids, the ladder's edges relative to
 * the baseline), so what it learns is where the market and the forecasts are wrong by so many degrees,
 * not where a given temperature sits. Its class probabilities are mapped back onto the event's six
 * brackets (deltaToBrackets): the served probabilities are always the event's six brackets.
 * Pure: the training activity, the sweep and the trader call it.
 */
import { z } from 'zod';
import { integerRange, type Bracket } from '../brackets';
import { wholeFahrenheit } from '../fahrenheit';
import { BRACKETS, type Dataset } from '../features/build';
import type { GbdtDataset } from './gbdt/dataset';
import { predictProba, type GbdtModel } from './gbdt/model';

export const DELTA_BASELINES = ['forecast', 'market_mean', 'obs_max'] as const;
export type DeltaBaseline = (typeof DELTA_BASELINES)[number];

/** The dataset column each baseline reads (domain/features/build.ts featureNames). */
export const BASELINE_COLUMN: Readonly<Record<DeltaBaseline, string>> = {
  forecast: 'fc.mean',
  market_mean: 'mkt.mean',
  obs_max: 'obs.max',
};

/** Wider than any ladder (six brackets of 2 °F span about 12 °F) by far; it bounds the class count. */
const MAX_ABS_DELTA = 40;

export const DeltaSpecSchema = z
  .object({
    baseline: z.enum(DELTA_BASELINES).default('forecast'),
    lo: z.number().int().min(-MAX_ABS_DELTA).max(MAX_ABS_DELTA).default(-8),
    hi: z.number().int().min(-MAX_ABS_DELTA).max(MAX_ABS_DELTA).default(8),
  })
  .strict()
  // The ordinal objective needs at least three classes (two would be a binary model).
  .refine((s) => s.hi - s.lo >= 2, { path: ['hi'], message: 'must be at least lo + 2 (three ordinal classes)' });
export type DeltaSpec = z.infer<typeof DeltaSpecSchema>;
export type DeltaSpecInput = z.input<typeof DeltaSpecSchema>;

/** Number of ordinal classes of a spec: lo..hi inclusive. */
export const deltaClasses = (spec: Pick<DeltaSpec, 'lo' | 'hi'>): number => spec.hi - spec.lo + 1;

/** The label "forecast±8" of a spec (tables, logs). */
export const deltaSpecLabel = (s: DeltaSpec): string => (s.lo === -s.hi ? `${s.baseline}±${s.hi}` : `${s.baseline}[${s.lo},${s.hi}]`);

/**
 * The baseline's real value per dataset row (NaN where it was not known at the snapshot: no forecast
 * yet, no quotes, the climate day not begun); a NaN row is unusable for this spec.
 */
export function baselineValues(d: Dataset, spec: Pick<DeltaSpec, 'baseline'>): Float64Array {
  return d.features.column(BASELINE_COLUMN[spec.baseline]);
}

/** The integer baseline b: the one °F rounding rule (domain/fahrenheit.ts, half up); NaN stays NaN. */
export const integerBaseline = (x: number): number => (Number.isFinite(x) ? wholeFahrenheit(x) : NaN);

/** The ordinal class of a settled high: clip(high - b, lo, hi) - lo, in 0..K-1 (NaN when either is). */
export function deltaClass(high: number, b: number, spec: Pick<DeltaSpec, 'lo' | 'hi'>): number {
  if (!Number.isFinite(high) || !Number.isFinite(b)) return NaN;
  return Math.min(spec.hi, Math.max(spec.lo, high - b)) - spec.lo;
}

/** Of `rows`, those whose baseline is known (and, when `labelled`, whose settled high is). */
export function deltaRows(d: Dataset, spec: Pick<DeltaSpec, 'baseline'>, rows: Int32Array, labelled: boolean): Int32Array {
  const base = baselineValues(d, spec);
  return rows.filter((r) => Number.isFinite(base[r]!) && (!labelled || Number.isFinite(d.yHigh[r]!)));
}

/**
 * Dataset features that are temperatures (°F): they enter the model minus b (as `rel.<name>`), so a
 * tree's split means "so many degrees above the baseline", the same in January and in July.
 */
export function isTemperatureFeature(name: string): boolean {
  return (
    /^fc\..+\.high$/.test(name) ||
    /^hc\..+\.(max|remaining_max)$/.test(name) ||
    ['fc.mean', 'obs.max', 'obs.latest', 'obs.mean15', 'clim.mean', 'recent.last', 'recent.mean7', 'mkt.mean', 'ladder.centre'].includes(name)
  );
}

/** Per-bracket quote prices: already in the model as the normalised mids mkt.p0..p5, so left out. */
const isQuotePrice = (name: string): boolean => /^m\d\.(bid|ask|mid)$/.test(name);

/** Derived inputs: the baseline's rounding residual, and the ladder's five inner edges minus b. */
export const BASE_FRACTION = 'base.frac';
const EDGE_PREFIX = 'edge.';
const REL_PREFIX = 'rel.';

/**
 * The model's input names for a dataset's feature list, in a fixed order: every dataset feature
 * (temperatures as rel.<name>, quote prices left out), then base.frac and edge.0..edge.4.
 */
export function deltaFeatureNames(datasetFeatures: readonly string[]): string[] {
  const out: string[] = [];
  for (const n of datasetFeatures) {
    if (isQuotePrice(n)) continue;
    out.push(isTemperatureFeature(n) ? `${REL_PREFIX}${n}` : n);
  }
  out.push(BASE_FRACTION);
  for (let k = 0; k < BRACKETS - 1; k++) out.push(`${EDGE_PREFIX}${k}`);
  return out;
}

/**
 * The upper edge of bracket k on the real line (its highest integer + 0.5: a whole degree covers
 * ±0.5), for k = 0..4: the boundaries between the six brackets, where the ladder puts its prices.
 */
function innerEdges(brackets: readonly Bracket[]): number[] {
  return brackets.slice(0, BRACKETS - 1).map((b) => integerRange(b).max + 0.5);
}

type Getter = (r: number, b: number, raw: number, edges: number[]) => number;

/** How to compute one named input; a dataset column the dataset lacks is NaN (an older dataset, another source). */
function getterFor(d: Dataset, name: string): Getter {
  if (name === BASE_FRACTION) return (_r, b, raw) => raw - b;
  if (name.startsWith(EDGE_PREFIX)) {
    const k = Number(name.slice(EDGE_PREFIX.length));
    return (_r, b, _raw, edges) => edges[k]! - b;
  }
  const rel = name.startsWith(REL_PREFIX);
  const column = rel ? name.slice(REL_PREFIX.length) : name;
  if (!d.features.values.has(column)) return () => NaN;
  const c = d.features.column(column);
  return rel ? (r, b) => c[r]! - b : (r) => c[r]!;
}

/**
 * The ordinal GBDT's matrix for `rows` (each with a known baseline; see deltaRows): one row per
 * snapshot, in the order of `featureNames` (default: deltaFeatureNames of the dataset; a served model
 * passes its own). NaN stays NaN. With `labelled`, y is the delta class of the settled high.
 */
export function deltaMatrix(d: Dataset, spec: DeltaSpec, rows: Int32Array, labelled: boolean, featureNames?: readonly string[]): GbdtDataset & { b: Float64Array } {
  const names = featureNames ? [...featureNames] : deltaFeatureNames(d.features.names);
  const getters = names.map((n) => getterFor(d, n));
  const nf = names.length;
  const base = baselineValues(d, spec);
  const edgesOf = d.events.map((ev) => innerEdges(ev.brackets));
  const x = new Float64Array(rows.length * nf);
  const y = new Float64Array(rows.length);
  const bs = new Float64Array(rows.length);
  rows.forEach((r, i) => {
    const raw = base[r]!;
    const b = integerBaseline(raw);
    if (Number.isNaN(b)) throw new RangeError(`deltaMatrix: row ${r} has no ${spec.baseline} baseline (${BASELINE_COLUMN[spec.baseline]} is NaN); filter rows with deltaRows`);
    bs[i] = b;
    const edges = edgesOf[d.event[r]!]!;
    for (let f = 0; f < nf; f++) x[i * nf + f] = getters[f]!(r, b, raw, edges);
    if (labelled) y[i] = deltaClass(d.yHigh[r]!, b, spec);
  });
  return { x, rows: rows.length, featureNames: names, y, b: bs };
}

/** Default floor of a served bracket probability: no bracket is ever exactly 0 (a log loss of 9.2 at worst). */
export const DELTA_EPSILON = 1e-4;

/**
 * Class probabilities [rows × K] -> the events' six bracket probabilities [rows × 6]. Class k is the
 * integer high b + lo + k and goes to the bracket holding it. The end classes are clipped ("lo or
 * below", "hi or above"): they go whole to the bracket holding b + lo, resp. b + hi. That is an
 * approximation: mass of highs below b + lo that would fall in a lower bracket stays in the bracket of
 * b + lo (and likewise above); it matters only when the range is narrower than the ladder, which the
 * sweep measures. Each bracket is then floored at `epsilon` and the six renormalised, so none is 0.
 */
export function deltaToBrackets(
  proba: ArrayLike<number>,
  b: ArrayLike<number>,
  ladders: ReadonlyArray<readonly Bracket[]>,
  spec: Pick<DeltaSpec, 'lo' | 'hi'>,
  epsilon = DELTA_EPSILON,
): Float64Array {
  const K = deltaClasses(spec);
  const n = b.length;
  if (proba.length !== n * K) throw new RangeError(`deltaToBrackets: ${proba.length} probabilities for ${n} rows of ${K} classes`);
  if (ladders.length !== n) throw new RangeError(`deltaToBrackets: ${ladders.length} ladders for ${n} rows`);
  if (!(epsilon >= 0 && epsilon < 1 / BRACKETS)) throw new RangeError(`deltaToBrackets: epsilon ${epsilon} must be in [0, 1/6)`);
  const out = new Float64Array(n * BRACKETS);
  for (let i = 0; i < n; i++) {
    const ranges = ladders[i]!.map(integerRange);
    if (ranges.length !== BRACKETS) throw new RangeError(`deltaToBrackets: row ${i}'s ladder has ${ranges.length} brackets, want ${BRACKETS}`);
    const o = i * BRACKETS;
    for (let k = 0; k < K; k++) {
      const t = b[i]! + spec.lo + k;
      const j = ranges.findIndex((rg) => rg.min <= t && t <= rg.max);
      if (j < 0) throw new RangeError(`deltaToBrackets: row ${i}: no bracket holds ${t} °F (the ladder is not a partition)`);
      out[o + j] = out[o + j]! + proba[i * K + k]!;
    }
    let s = 0;
    for (let j = 0; j < BRACKETS; j++) s += out[o + j] = Math.max(epsilon, out[o + j]!);
    for (let j = 0; j < BRACKETS; j++) out[o + j] = out[o + j]! / s;
  }
  return out;
}

/** The six bracket probabilities of dataset rows from class probabilities [rows × K] of any predictor (TS or ONNX). */
export function bracketsFromClassProba(d: Dataset, spec: DeltaSpec, rows: Int32Array, b: ArrayLike<number>, proba: ArrayLike<number>, epsilon = DELTA_EPSILON): Float64Array {
  return deltaToBrackets(proba, b, Array.from(rows, (r) => d.events[d.event[r]!]!.brackets), spec, epsilon);
}

/** The delta model's six bracket probabilities for dataset rows with a known baseline: [rows × 6], each summing to one. */
export function predictDelta(model: GbdtModel, d: Dataset, spec: DeltaSpec, rows: Int32Array, epsilon = DELTA_EPSILON): Float64Array {
  if (model.objective !== 'ordinal' || model.numClasses !== deltaClasses(spec)) {
    throw new RangeError(`predictDelta: the model is ${model.objective} with ${model.numClasses} classes; the spec ${deltaSpecLabel(spec)} needs ordinal with ${deltaClasses(spec)}`);
  }
  const m = deltaMatrix(d, spec, rows, false, model.featureNames);
  return bracketsFromClassProba(d, spec, rows, m.b, predictProba(model, m.x, m.rows), epsilon);
}
