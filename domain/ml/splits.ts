/**
 * Train/test splits by climate day: every row of a day lands on the same side, so the many market-clock
 * snapshots of one event (which share the target) never sit on both sides of a split. Rows carry their
 * day either as ISO dates or, cheaper, as the dataset's day numbers (days since 1970-01-01, Dataset.date).
 * Pure; row indices come back as Int32Array in increasing row order.
 */
import { z } from 'zod';
import { assertIsoDate } from '../iso-date';
import { dateOfDayNumber, dayNumberOf } from '../features/build';

/** Distinct days in time order and, per row, the position of its day in that list. */
export interface DayIndex {
  /** Day numbers (days since 1970-01-01), ascending, distinct. */
  days: Int32Array;
  dayOfRow: Int32Array;
}

/** Day numbers or ISO dates, one per row. */
export type RowDays = ArrayLike<number> | readonly string[];

export function indexDays(rowDays: RowDays): DayIndex {
  const n = rowDays.length;
  const numbers = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const d = rowDays[r]!;
    if (typeof d === 'string') numbers[r] = dayNumberOf(assertIsoDate(d, `day of row ${r}`));
    else if (Number.isInteger(d)) numbers[r] = d;
    else throw new RangeError(`splits: day of row ${r} must be an integer day number, got ${d}`);
  }
  const days = Int32Array.from(new Set(numbers)).sort();
  const dayOfRow = new Int32Array(n);
  const position = new Map<number, number>();
  days.forEach((d, i) => position.set(d, i));
  for (let r = 0; r < n; r++) dayOfRow[r] = position.get(numbers[r]!)!;
  return { days, dayOfRow };
}

/** A set of rows and the days they cover. */
export interface RowSet {
  rows: Int32Array;
  /** ISO dates, ascending. */
  days: string[];
}

export interface Split {
  train: RowSet;
  test: RowSet;
}

export interface Fold extends Split {
  /** Days left out between the training and validation blocks. */
  gap: string[];
}

/** Options arrive from CLIs and configs: a bad one is a RangeError naming the field and the value. */
function parseOptions<S extends z.ZodType>(schema: S, value: unknown, fn: string): z.infer<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  let got: unknown = value;
  for (const key of issue.path) got = got !== null && typeof got === 'object' ? (got as Record<PropertyKey, unknown>)[key] : undefined;
  throw new RangeError(`${fn}: ${issue.path.join('.') || 'options'} ${JSON.stringify(got) ?? String(got)} is invalid: ${issue.message}`);
}

const IsoDateOption = z.string().refine((s) => {
  try {
    assertIsoDate(s);
    return true;
  } catch {
    // assertIsoDate's message is replaced by the RangeError naming the option.
    return false;
  }
}, 'expected an existing calendar date YYYY-MM-DD');

export const HoldoutFractionOptionsSchema = z.strictObject({
  testFraction: z.number().gt(0).lt(1).default(0.2),
});

export const HoldoutDateOptionsSchema = z
  .strictObject({
    /** Training days are the days strictly before this date. */
    trainBefore: IsoDateOption,
    /** First test day (default: trainBefore); must not precede trainBefore. */
    testFrom: IsoDateOption.optional(),
    /** Last test day, inclusive (default: the last day). */
    testTo: IsoDateOption.optional(),
  })
  .refine((o) => o.testFrom === undefined || o.testFrom >= o.trainBefore, { path: ['testFrom'], message: 'must not precede trainBefore' })
  .refine((o) => o.testTo === undefined || o.testTo >= (o.testFrom ?? o.trainBefore), { path: ['testTo'], message: 'must not precede testFrom' });

export type HoldoutOptions = z.input<typeof HoldoutFractionOptionsSchema> | z.input<typeof HoldoutDateOptionsSchema>;

function rowsOfDayRange(index: DayIndex, from: number, to: number): RowSet {
  const rows: number[] = [];
  for (let r = 0; r < index.dayOfRow.length; r++) {
    const d = index.dayOfRow[r]!;
    if (d >= from && d < to) rows.push(r);
  }
  return { rows: Int32Array.from(rows), days: Array.from(index.days.subarray(from, to), dateOfDayNumber) };
}

function toIndex(input: RowDays | DayIndex): DayIndex {
  return 'dayOfRow' in input && 'days' in input && !Array.isArray(input) ? (input as DayIndex) : indexDays(input as RowDays);
}

/** First index in ascending `days` whose value is >= day. */
function lowerBound(days: Int32Array, day: number): number {
  let lo = 0;
  let hi = days.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (days[mid]! < day) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Time holdout. With `testFraction` (default 0.2) the last round(D·f) of the D distinct days test and
 * the rest train (each side at least one day). With `trainBefore` the days before it train and the days
 * in [testFrom ?? trainBefore, testTo] test; days between trainBefore and testFrom are left out.
 */
export function timeHoldout(input: RowDays | DayIndex, options: HoldoutOptions = {}): Split {
  const index = toIndex(input);
  const D = index.days.length;
  if ('trainBefore' in options) {
    const o = parseOptions(HoldoutDateOptionsSchema, options, 'timeHoldout');
    const trainEnd = lowerBound(index.days, dayNumberOf(o.trainBefore));
    const testStart = lowerBound(index.days, dayNumberOf(o.testFrom ?? o.trainBefore));
    const testEnd = o.testTo === undefined ? D : lowerBound(index.days, dayNumberOf(o.testTo) + 1);
    if (trainEnd === 0) throw new RangeError(`timeHoldout: no day before trainBefore ${o.trainBefore} (first day ${first(index)})`);
    if (testEnd <= testStart) throw new RangeError(`timeHoldout: no day in the test range ${o.testFrom ?? o.trainBefore}..${o.testTo ?? 'end'} (last day ${last(index)})`);
    return { train: rowsOfDayRange(index, 0, trainEnd), test: rowsOfDayRange(index, testStart, testEnd) };
  }
  const o = parseOptions(HoldoutFractionOptionsSchema, options, 'timeHoldout');
  if (D < 2) throw new RangeError(`timeHoldout: need at least 2 distinct days to hold one out, got ${D}`);
  const nTest = Math.min(D - 1, Math.max(1, Math.round(D * o.testFraction)));
  return { train: rowsOfDayRange(index, 0, D - nTest), test: rowsOfDayRange(index, D - nTest, D) };
}

const first = (i: DayIndex): string => (i.days.length ? dateOfDayNumber(i.days[0]!) : 'none');
const last = (i: DayIndex): string => (i.days.length ? dateOfDayNumber(i.days[i.days.length - 1]!) : 'none');

export const FoldOptionsSchema = z.strictObject({
  folds: z.number().int().min(1).default(4),
  /** Distinct days dropped between each training block and its validation block. */
  gapDays: z.number().int().min(0).default(1),
  /** Days in the first (smallest) training block; default: whatever is left after equal-sized validation blocks. */
  minTrainDays: z.number().int().min(1).optional(),
});
export type FoldOptions = z.input<typeof FoldOptionsSchema>;

/**
 * Expanding-window folds over the distinct days: fold i trains on days [0, t_i), skips `gapDays` days and
 * validates on the next v days; the validation blocks are contiguous, equal-sized and end at the last day.
 * v = floor((D − gap − minTrain) / folds); without minTrainDays, v = floor((D − gap) / (folds + 1)) so the
 * first training block is at least one block long (as scikit-learn's TimeSeriesSplit). The gap counts
 * distinct days present in the data, so the calendar gap is at least `gapDays` days.
 */
export function timeSeriesFolds(input: RowDays | DayIndex, options: FoldOptions = {}): Fold[] {
  const o = parseOptions(FoldOptionsSchema, options, 'timeSeriesFolds');
  const index = toIndex(input);
  const D = index.days.length;
  const v = o.minTrainDays === undefined ? Math.floor((D - o.gapDays) / (o.folds + 1)) : Math.floor((D - o.gapDays - o.minTrainDays) / o.folds);
  if (v < 1) {
    const need = o.gapDays + o.folds + (o.minTrainDays ?? 1);
    throw new RangeError(
      `timeSeriesFolds: ${D} distinct days are too few for ${o.folds} folds with gapDays ${o.gapDays} and minTrainDays ${o.minTrainDays ?? 'default'} (need at least ${need})`,
    );
  }
  const folds: Fold[] = [];
  for (let i = 0; i < o.folds; i++) {
    const valEnd = D - (o.folds - 1 - i) * v;
    const valStart = valEnd - v;
    const trainEnd = valStart - o.gapDays;
    folds.push({
      train: rowsOfDayRange(index, 0, trainEnd),
      test: rowsOfDayRange(index, valStart, valEnd),
      gap: Array.from(index.days.subarray(trainEnd, valStart), dateOfDayNumber),
    });
  }
  return folds;
}
