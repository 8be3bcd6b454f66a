/**
 * A small generated city for the model-report tests: a few months of events whose settled high scatters
 * around a daily forecast known before the open, a market that prices the forecast with an over-priced
 * longshot tail (so the model has something to learn), observations through each day and earlier
 * years' settlements (climatology). It is built with the product's dataset builder, written to the
 * Parquet cache format, and trained with the product's trainCityModel activity against real PostgreSQL,
 * so report.json and metrics.json are the trainer's own.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { MockActivityEnvironment } from '@temporalio/testing';
import { bracketContains, type Bracket } from '../../domain/brackets';
import { climateDayWindowUtc } from '../../domain/climate-day';
import { buildDataset, type DatasetInput, type EventInput, type QuoteColumns, type SettlementInput } from '../../domain/features';
import { normalBracketMass } from '../../domain/ml/baselines';
import { rngFor } from '../../domain/ml/rng';
import { inputHash, writeDatasetFile } from '../../ml/dataset-cache';
import { createTrainActivities, type TrainCityResult } from '../../activities/ml/train';
import { loadConfig, type Config } from '../../temporal.config';
import type { DbHandle } from '../../db/client';
import type { Logger } from '../../lib/logger';

const H = 3_600_000;
const addDays = (date: string, n: number) => DateTime.fromISO(date, { zone: 'utc' }).plus({ days: n }).toISODate()!;

function normal(rng: () => number): number {
  const u = Math.max(1e-12, rng());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** Six brackets: a low tail below f0, four two-degree brackets, a high tail above f0 + 7. */
function ladderFor(date: string, f0: number): Bracket[] {
  const tag = DateTime.fromISO(date).toFormat('yyLLLdd').toUpperCase();
  const t = (s: string) => `KXHIGHCHI-${tag}-${s}`;
  return [
    { ticker: t(`T${f0}`), strikeType: 'less', cap: f0 },
    ...[0, 1, 2, 3].map((k): Bracket => ({ ticker: t(`B${f0 + 2 * k + 0.5}`), strikeType: 'between', floor: f0 + 2 * k, cap: f0 + 2 * k + 1 })),
    { ticker: t(`T${f0 + 7}`), strikeType: 'greater', floor: f0 + 7 },
  ];
}

const winnerOf = (brackets: readonly Bracket[], high: number): number => brackets.findIndex((b) => bracketContains(b, high));

export function generatedInput(from: string, to: string, seed = 5): DatasetInput {
  const rng = rngFor('model-report-fixture', seed);
  const events: EventInput[] = [];
  const settlements: SettlementInput[] = [];
  const dailyForecasts: DatasetInput['dailyForecasts'][number][] = [];
  const quotes = new Map<string, QuoteColumns>();
  const obsMs: number[] = [];
  const obsTemp: number[] = [];
  const seasonal = (date: string) => 38 - 14 * Math.cos(((DateTime.fromISO(date).ordinal - 20) / 365) * 2 * Math.PI);
  // Earlier years' settled highs: the dataset's climatology.
  for (const years of [1, 2]) {
    for (let d = addDays(from, -10); d <= addDays(to, 10); d = addDays(d, 1)) {
      const date = DateTime.fromISO(d).minus({ years }).toISODate()!;
      settlements.push({ date, highF: Math.round(seasonal(date) + 7 * normal(rng)), availableAt: Date.parse(`${addDays(date, 1)}T15:00:00Z`) });
    }
  }
  for (let date = from; date <= to; date = addDays(date, 1)) {
    const window = climateDayWindowUtc('chicago', date);
    const openMs = DateTime.fromISO(`${addDays(date, -1)}T10:00`, { zone: 'America/New_York' }).toMillis();
    const closeMs = window.end.toMillis();
    const forecast = seasonal(date) + 6 * normal(rng);
    const high = Math.round(forecast + 3 * normal(rng));
    const f0 = Math.round(forecast) - 4;
    const brackets = ladderFor(date, f0);
    const eventTicker = brackets[0]!.ticker.replace(/-T\d+$/, '');
    events.push({ eventTicker, date, openMs, closeMs, brackets, winner: winnerOf(brackets, high) });
    settlements.push({ date, highF: high, availableAt: closeMs + 9 * H });
    dailyForecasts.push({ source: 'iem-mos', model: 'gfs', targetDate: date, basisMs: openMs - 12 * H, leadDays: 1, highF: Math.round(forecast), availableAt: openMs - 7 * H });
    // The market: the forecast's normal with its tails' prices raised to the power 0.7 (longshots over-priced).
    const fair = new Float64Array(6);
    normalBracketMass(brackets, forecast, 3, fair);
    const biased = Array.from(fair, (p) => p ** 0.7);
    const sum = biased.reduce((s, p) => s + p, 0);
    const times = [openMs + 60_000, openMs + 6 * H, openMs + 14 * H, openMs + 22 * H];
    brackets.forEach((b, j) => {
      const mid = times.map(() => Math.min(97, Math.max(2, Math.round((100 * biased[j]!) / sum + 2 * normal(rng)))));
      quotes.set(b.ticker, {
        endMs: Float64Array.from(times),
        bid: Float64Array.from(mid, (m) => m - 1),
        ask: Float64Array.from(mid, (m) => m + 2),
        volume: Float64Array.from(times, () => 5 + Math.floor(20 * rng())),
      });
    });
    // Hourly observations through the climate day, peaking mid-afternoon at the settled high.
    const dayStart = window.start.toMillis();
    for (let t = dayStart; t < closeMs; t += H) {
      obsMs.push(t);
      obsTemp.push(high - 12 + 12 * Math.max(0, Math.sin(((t - dayStart) / (24 * H) - 0.25) * 2 * Math.PI)));
    }
  }
  return {
    city: 'chicago',
    events,
    settlements: settlements.sort((a, b) => (a.date < b.date ? -1 : 1)),
    dailyForecasts,
    hourlyRuns: [],
    observations: { observedMs: Float64Array.from(obsMs), availableAt: Float64Array.from(obsMs, (t) => t + 10 * 60_000), tempF: Float64Array.from(obsTemp) },
    quotes,
  };
}

export const FIXTURE_FROM = '2024-01-01';
export const FIXTURE_TO = '2024-04-30';
/** Test days in March and April: the by-month section has two months. */
export const FIXTURE_TEST_FROM = '2024-03-16';

/**
 * Builds the fixture's dataset into `dataDir`, trains it with the product's activity (one thread, so
 * the test stays light) and returns the trainer's result and the configuration it used.
 */
export async function trainFixtureModel(dataDir: string, db: DbHandle, log: Logger, databaseUrl: string, opts: { withoutForecasts?: boolean } = {}): Promise<{ result: TrainCityResult; config: Config }> {
  const full = generatedInput(FIXTURE_FROM, FIXTURE_TO);
  // A city whose files hold no daily forecast (Austin in the recorded corpus): no forecast-only baseline.
  const input = opts.withoutForecasts ? { ...full, dailyForecasts: [] } : full;
  const dataset = buildDataset(input, { city: 'chicago', from: FIXTURE_FROM, to: FIXTURE_TO });
  const dir = join(dataDir, 'datasets', 'chicago');
  mkdirSync(dir, { recursive: true });
  const datasetPath = join(dir, 'fixture.parquet');
  writeDatasetFile(datasetPath, dataset, inputHash(input));
  const config = loadConfig({ env: { WX_DATA_DIR: dataDir, DATABASE_URL: databaseUrl, WX_LOG_LEVEL: 'warn' } });
  const activities = createTrainActivities({ db: db.db, pool: db.pool, log, config });
  const result: TrainCityResult = await new MockActivityEnvironment().run(activities.trainCityModel, {
    city: 'chicago',
    datasetPath,
    testFrom: FIXTURE_TEST_FROM,
    params: { numThreads: 1, numIterations: 400 },
  });
  return { result, config };
}
