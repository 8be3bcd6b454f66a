/**
 * The data of a model report (report.json beside metrics.json): for the model and each baseline scored
 * on the very same test rows, its scores and a reliability table; the log loss of each by calendar month
 * of the test days; the model's feature importance. Pure: the trainer hands over the probabilities it
 * already holds, so the report needs no second pass over the dataset and no model to be loaded.
 */
import { BRACKETS } from '../features/build';
import { dateOfDayNumber } from '../iso-date';
import { accuracy, brierScore, calibrationTable, logLoss, perRowLogLoss, rankedProbabilityScore } from './metrics';

export const MODEL_REPORT_FORMAT = 'wx-model-report' as const;
export const MODEL_REPORT_FORMAT_VERSION = 1 as const;

/** Which probabilities a report compares: the model, then the three baselines of the trainer. */
export const REPORT_SOURCES = ['model', 'market', 'forecastNormal', 'climatology'] as const;
export type ReportSource = (typeof REPORT_SOURCES)[number];

export interface ReportScores {
  logLoss: number;
  rps: number;
  brier: number;
  accuracy: number;
}

/** One equal-width bin of predicted probability over every (row, bracket) pair; null where the bin is empty. */
export interface ReportCalibrationBin {
  lo: number;
  hi: number;
  count: number;
  meanPredicted: number | null;
  observedFrequency: number | null;
}

export interface ReportSourceData {
  scores: ReportScores;
  calibration: ReportCalibrationBin[];
}

/** Log loss of each source over the test rows of one calendar month (YYYY-MM). */
export interface ReportMonth {
  month: string;
  days: number;
  rows: number;
  logLoss: { model: number; market: number; forecastNormal: number | null; climatology: number };
}

export interface ReportFeature {
  name: string;
  /** Sum of split gains over the model's trees, and that as a share of all features' gain. */
  gain: number;
  gainShare: number;
  /** Splits on the feature over the model's trees. */
  split: number;
}

export interface ModelReportData {
  format: typeof MODEL_REPORT_FORMAT;
  formatVersion: typeof MODEL_REPORT_FORMAT_VERSION;
  city: string;
  version: string;
  kind: string;
  /** The test days (first and last climate date), how many, and the scored rows (snapshots). */
  test: { from: string; to: string; days: number; rows: number };
  /** forecastNormal is null where the trainer had no forecast-only baseline (no daily forecast in training). */
  sources: { model: ReportSourceData; market: ReportSourceData; forecastNormal: ReportSourceData | null; climatology: ReportSourceData };
  byMonth: ReportMonth[];
  importance: {
    /** Features the model was given, and how many of them any split uses. */
    features: number;
    used: number;
    totalGain: number;
    totalSplits: number;
    /** The used features by gain (highest first), at most topFeatures of them. */
    top: ReportFeature[];
  };
}

export interface ModelReportInput {
  city: string;
  version: string;
  kind: string;
  /** Row-major [rows × 6] probabilities over each test row's ladder, all for the same rows. */
  probs: { model: ArrayLike<number>; market: ArrayLike<number>; forecastNormal?: ArrayLike<number> | undefined; climatology: ArrayLike<number> };
  /** The settled bracket (0..5) per row. */
  y: ArrayLike<number>;
  /** The climate date of each row as a day number (days since 1970-01-01, the dataset's `date` column). */
  days: ArrayLike<number>;
  /** Per feature, in the order of featureNames (the GBDT trainer's gain and split importance). */
  importance: { gain: ArrayLike<number>; split: ArrayLike<number> };
  featureNames: readonly string[];
}

export interface ModelReportOptions {
  /** Calibration bins (default 10). */
  bins?: number;
  /** Features listed (default 25). */
  topFeatures?: number;
}

const mean = (xs: Float64Array, rows: readonly number[]): number => rows.reduce((s, r) => s + xs[r]!, 0) / rows.length;

function sourceData(p: ArrayLike<number>, y: ArrayLike<number>, bins: number): ReportSourceData {
  return {
    scores: {
      logLoss: logLoss(p, y, BRACKETS),
      rps: rankedProbabilityScore(p, y, BRACKETS),
      brier: brierScore(p, y, BRACKETS),
      accuracy: accuracy(p, y, BRACKETS),
    },
    // JSON has no NaN: an empty bin says so with null.
    calibration: calibrationTable(p, y, BRACKETS, { bins }).map((b) => ({
      lo: b.lo,
      hi: b.hi,
      count: b.count,
      // A bin's mean lies within its edges; clamped so a sum's rounding never puts it a hair outside [0, 1].
      meanPredicted: b.count > 0 ? Math.min(b.hi, Math.max(b.lo, b.meanPredicted)) : null,
      observedFrequency: b.count > 0 ? b.observedFrequency : null,
    })),
  };
}

/** The report's data; throws a RangeError naming the input whose shape does not match the others. */
export function modelReportData(input: ModelReportInput, options: ModelReportOptions = {}): ModelReportData {
  const bins = options.bins ?? 10;
  const topFeatures = options.topFeatures ?? 25;
  if (!Number.isInteger(topFeatures) || topFeatures < 1) throw new RangeError(`modelReportData: topFeatures must be an integer >= 1, got ${topFeatures}`);
  const rows = input.y.length;
  if (rows === 0) throw new RangeError('modelReportData: y: no test rows');
  if (input.days.length !== rows) throw new RangeError(`modelReportData: days has ${input.days.length} entries for ${rows} rows`);
  const present = REPORT_SOURCES.filter((s) => input.probs[s] !== undefined);
  for (const s of present) {
    const n = input.probs[s]!.length;
    if (n !== rows * BRACKETS) throw new RangeError(`modelReportData: probs.${s} has ${n} values, want rows*6 = ${rows * BRACKETS}`);
  }
  const nf = input.featureNames.length;
  if (input.importance.gain.length !== nf) throw new RangeError(`modelReportData: importance.gain has ${input.importance.gain.length} entries for ${nf} features`);
  if (input.importance.split.length !== nf) throw new RangeError(`modelReportData: importance.split has ${input.importance.split.length} entries for ${nf} features`);

  const dates = Array.from(input.days, (d, r) => {
    if (!Number.isInteger(d)) throw new RangeError(`modelReportData: days[${r}] must be a whole day number, got ${d}`);
    return dateOfDayNumber(d);
  });
  const sorted = [...new Set(dates)].sort();

  const perRow = Object.fromEntries(present.map((s) => [s, perRowLogLoss(input.probs[s]!, input.y, BRACKETS)])) as Partial<Record<ReportSource, Float64Array>>;
  const rowsOfMonth = new Map<string, number[]>();
  dates.forEach((date, r) => {
    const m = date.slice(0, 7);
    const list = rowsOfMonth.get(m);
    if (list) list.push(r);
    else rowsOfMonth.set(m, [r]);
  });
  const byMonth: ReportMonth[] = [...rowsOfMonth.keys()].sort().map((month) => {
    const rs = rowsOfMonth.get(month)!;
    const ll = (s: ReportSource) => (perRow[s] ? mean(perRow[s], rs) : null);
    return {
      month,
      days: new Set(rs.map((r) => dates[r])).size,
      rows: rs.length,
      logLoss: { model: ll('model')!, market: ll('market')!, forecastNormal: ll('forecastNormal'), climatology: ll('climatology')! },
    };
  });

  let totalGain = 0;
  let totalSplits = 0;
  const features = input.featureNames.map((name, f) => {
    const gain = input.importance.gain[f]!;
    const split = input.importance.split[f]!;
    if (!(gain >= 0) || !Number.isFinite(gain)) throw new RangeError(`modelReportData: importance.gain[${f}] (${name}) must be finite and >= 0, got ${gain}`);
    totalGain += gain;
    totalSplits += split;
    return { name, gain, split };
  });
  const used = features.filter((f) => f.split > 0);
  const top = used
    .sort((a, b) => b.gain - a.gain || b.split - a.split || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .slice(0, topFeatures)
    .map((f) => ({ ...f, gainShare: totalGain > 0 ? f.gain / totalGain : 0 }));

  return {
    format: MODEL_REPORT_FORMAT,
    formatVersion: MODEL_REPORT_FORMAT_VERSION,
    city: input.city,
    version: input.version,
    kind: input.kind,
    test: { from: sorted[0]!, to: sorted[sorted.length - 1]!, days: sorted.length, rows },
    sources: {
      model: sourceData(input.probs.model, input.y, bins),
      market: sourceData(input.probs.market, input.y, bins),
      forecastNormal: input.probs.forecastNormal ? sourceData(input.probs.forecastNormal, input.y, bins) : null,
      climatology: sourceData(input.probs.climatology, input.y, bins),
    },
    byMonth,
    importance: { features: nf, used: used.length, totalGain, totalSplits, top },
  };
}
