/**
 * The dataset builder: one row per (event, snapshot instant) on the market clock, every feature taken
 * through the as-of helpers (what was known at the snapshot), every value with its as-of time beside it.
 * Pure: activities load the inputs and write the result (activities/ml/dataset.ts).
 */
import { climateDayWindowUtc } from '../climate-day';
import { dayNumberOf, type IsoDate } from '../iso-date';
import { AsOfRows, asOfBy } from './asof';
import { snapshotTimes } from './clock';
import { FeatureFrame } from './frame';
import { pairKey, DatasetParamsSchema, type DatasetInput, type DatasetParams, type DatasetParamsInput, type EventInput } from './inputs';
import { assertNoLeak } from './leakage';
import { cumulativeVolume, impliedDistribution, quoteAt } from './market';
import { climatologyAt, dailyForecastAt, dayOfYear, HourlyRuns, ObservationView, recentSettledAt, type Known } from './weather';

const HOUR = 3_600_000;
export const BRACKETS = 6;

/** The event a dataset row belongs to, as stored in the dataset's metadata. */
export interface DatasetEvent {
  eventTicker: string;
  date: string;
  openMs: number;
  closeMs: number;
  brackets: EventInput['brackets'];
}

export interface Dataset {
  city: string;
  params: DatasetParams;
  events: DatasetEvent[];
  /** Per row: index into `events`, the climate date as days since 1970-01-01, the snapshot instant. */
  event: Int32Array;
  date: Int32Array;
  snapshotMs: Float64Array;
  features: FeatureFrame;
  /** Targets (NaN while unsettled): the bracket Kalshi settled YES (0 = low tail .. 5 = high tail), the settled high. */
  yBracket: Float64Array;
  yHigh: Float64Array;
}

export { dateOfDayNumber, dayNumberOf } from '../iso-date';

const FC_FIELDS = ['high', 'lead', 'age_h', 'rev'] as const;
const HC_FIELDS = ['max', 'peak_hour', 'remaining_max', 'hours_to_peak'] as const;
const QUOTE_FIELDS = ['bid', 'ask', 'mid', 'spread', 'volume', 'age_min'] as const;

/** The feature columns of a dataset, in a fixed order for given forecast pairs. */
export function featureNames(dailyPairs: readonly string[], hourlyPairs: readonly string[]): string[] {
  const names = ['t.hours_since_open', 't.hours_to_close', 't.hours_into_day', 't.doy_sin', 't.doy_cos', 'ladder.centre'];
  for (const p of dailyPairs) for (const f of FC_FIELDS) names.push(`fc.${p}.${f}`);
  names.push('fc.mean', 'fc.sd', 'fc.count');
  for (const p of hourlyPairs) for (const f of HC_FIELDS) names.push(`hc.${p}.${f}`);
  names.push('obs.max', 'obs.latest', 'obs.mean15', 'obs.slope1h', 'obs.age_min');
  names.push('clim.mean', 'clim.sd', 'clim.count', 'recent.last', 'recent.days_ago', 'recent.mean7');
  for (let j = 0; j < BRACKETS; j++) for (const f of QUOTE_FIELDS) names.push(`m${j}.${f}`);
  for (let j = 0; j < BRACKETS; j++) names.push(`mkt.p${j}`);
  names.push('mkt.mean', 'mkt.sd', 'mkt.skew', 'mkt.overround', 'mkt.quoted');
  return names;
}

export function buildDataset(input: DatasetInput, paramsInput: DatasetParamsInput): Dataset {
  const params = DatasetParamsSchema.parse(paramsInput);
  if (params.city !== input.city) throw new RangeError(`dataset: params.city ${params.city} but the inputs are for ${input.city}`);
  const events = input.events
    .filter((e) => e.date >= params.from && e.date <= params.to && e.brackets.length === BRACKETS)
    .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));

  const dailyPairs = params.forecastPairs ?? [...new Set(input.dailyForecasts.map((r) => pairKey(r.source, r.model)))].sort();
  const hourlyPairs = [...new Set(input.hourlyRuns.map((r) => pairKey(r.source, r.model)))].sort();
  const names = featureNames(dailyPairs, hourlyPairs);

  const clocks = events.map((e) => snapshotTimes(e, params.stepMinutes, params.quoteTimes ? e.brackets.flatMap((b) => input.quotes.get(b.ticker) ?? []) : []));
  const rows = clocks.reduce((s, c) => s + c.length, 0);
  const frame = new FeatureFrame(names, rows);
  const event = new Int32Array(rows);
  const date = new Int32Array(rows);
  const snapshotMs = new Float64Array(rows);
  const yBracket = new Float64Array(rows).fill(NaN);
  const yHigh = new Float64Array(rows).fill(NaN);

  // Streams, each sorted by when its rows became known.
  const forecasts = asOfBy(input.dailyForecasts, (r) => `${pairKey(r.source, r.model)}|${r.targetDate}`, (r) => r.availableAt);
  const runs = new Map(hourlyPairs.map((p) => [p, new HourlyRuns(input.hourlyRuns.filter((r) => pairKey(r.source, r.model) === p))]));
  const settled = new AsOfRows(input.settlements, (r) => r.availableAt);
  const settledByDate = new Map(input.settlements.map((s) => [s.date, s]));
  const observations = new ObservationView(input.observations);
  const cumVolume = new Map([...input.quotes].map(([ticker, q]) => [ticker, cumulativeVolume(q)]));

  let row = 0;
  events.forEach((e, ei) => {
    const dayStart = climateDayWindowUtc(input.city, e.date as IsoDate).start.toMillis();
    const doy = (2 * Math.PI * dayOfYear(e.date)) / 365.25;
    const centre = ladderCentre(e);
    // Earlier years' highs are all known long before the open, so the event's climatology is fixed there.
    const clim = climatologyAt(settled, e.date, params.climatologyWindowDays, e.openMs);
    const target = settledByDate.get(e.date);
    for (const t of clocks[ei]!) {
      const put = (name: string, k: Known) => frame.set(name, row, k.value, k.knownAt);
      event[row] = ei;
      date[row] = dayNumberOf(e.date);
      snapshotMs[row] = t;
      if (e.winner !== undefined) yBracket[row] = e.winner;
      if (target) yHigh[row] = target.highF;

      frame.set('t.hours_since_open', row, (t - e.openMs) / HOUR, t);
      frame.set('t.hours_to_close', row, (e.closeMs - t) / HOUR, t);
      frame.set('t.hours_into_day', row, (t - dayStart) / HOUR, t);
      frame.set('t.doy_sin', row, Math.sin(doy), t);
      frame.set('t.doy_cos', row, Math.cos(doy), t);
      frame.set('ladder.centre', row, centre, e.openMs);

      const highs: Known[] = [];
      for (const p of dailyPairs) {
        const f = dailyForecastAt(forecasts.get(`${p}|${e.date}`), t);
        put(`fc.${p}.high`, f.high);
        put(`fc.${p}.lead`, f.lead);
        put(`fc.${p}.age_h`, f.ageHours);
        put(`fc.${p}.rev`, f.revision);
        if (Number.isFinite(f.high.value)) highs.push(f.high);
      }
      if (highs.length > 0) {
        const knownAt = Math.max(...highs.map((h) => h.knownAt));
        const mean = highs.reduce((s, h) => s + h.value, 0) / highs.length;
        frame.set('fc.mean', row, mean, knownAt);
        if (highs.length > 1) frame.set('fc.sd', row, Math.sqrt(highs.reduce((s, h) => s + (h.value - mean) ** 2, 0) / (highs.length - 1)), knownAt);
      }
      frame.set('fc.count', row, highs.length, t);

      for (const p of hourlyPairs) {
        const c = runs.get(p)!.curveAt(dayStart, t);
        put(`hc.${p}.max`, c.max);
        put(`hc.${p}.peak_hour`, c.peakHour);
        put(`hc.${p}.remaining_max`, c.remainingMax);
        put(`hc.${p}.hours_to_peak`, c.hoursToPeak);
      }

      const o = observations.at(dayStart, t);
      put('obs.max', o.runningMax);
      put('obs.latest', o.latest);
      put('obs.mean15', o.mean15);
      put('obs.slope1h', o.slope1h);
      put('obs.age_min', o.ageMinutes);

      put('clim.mean', clim.mean);
      put('clim.sd', clim.sd);
      put('clim.count', clim.count);
      const r = recentSettledAt(settledByDate, e.date, t);
      put('recent.last', r.last);
      put('recent.days_ago', r.daysAgo);
      put('recent.mean7', r.mean7);

      const mids = new Float64Array(BRACKETS);
      let marketKnown = -Infinity;
      e.brackets.forEach((b, j) => {
        const q = quoteAt(input.quotes.get(b.ticker), cumVolume.get(b.ticker), t);
        mids[j] = q.mid;
        frame.set(`m${j}.bid`, row, q.bid, q.knownAt);
        frame.set(`m${j}.ask`, row, q.ask, q.knownAt);
        frame.set(`m${j}.mid`, row, q.mid, q.knownAt);
        frame.set(`m${j}.spread`, row, q.ask - q.bid, q.knownAt);
        frame.set(`m${j}.volume`, row, q.volume, q.knownAt);
        frame.set(`m${j}.age_min`, row, (t - q.knownAt) / 60_000, q.knownAt);
        if (q.knownAt > marketKnown) marketKnown = q.knownAt;
      });
      const implied = impliedDistribution(mids, e.brackets);
      for (let j = 0; j < BRACKETS; j++) frame.set(`mkt.p${j}`, row, implied.p[j]!, marketKnown);
      frame.set('mkt.mean', row, implied.mean, marketKnown);
      frame.set('mkt.sd', row, implied.sd, marketKnown);
      frame.set('mkt.skew', row, implied.skew, marketKnown);
      frame.set('mkt.overround', row, implied.overround, marketKnown);
      frame.set('mkt.quoted', row, implied.quoted, Number.isFinite(marketKnown) ? marketKnown : t);
      row++;
    }
  });

  const dataset: Dataset = {
    city: input.city,
    params,
    events: events.map(({ eventTicker, date: d, openMs, closeMs, brackets }) => ({ eventTicker, date: d, openMs, closeMs, brackets })),
    event,
    date,
    snapshotMs,
    features: frame,
    yBracket,
    yHigh,
  };
  assertNoLeak(dataset);
  return dataset;
}

/** Midpoint between the low tail's edge and the high tail's: where the ladder was centred at listing. */
function ladderCentre(e: EventInput): number {
  const low = e.brackets[0]!;
  const high = e.brackets[e.brackets.length - 1]!;
  const lowEdge = 'cap' in low ? low.cap : NaN;
  const highEdge = 'floor' in high ? high.floor : NaN;
  return (lowEdge + highEdge) / 2;
}
