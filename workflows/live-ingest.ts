import { proxyActivities } from '@temporalio/workflow';
import type { LiveIngestActivities } from '../activities/live-ingest';
import type { CandlePollInput, CandlePollResult, ForecastSnapshotInput, ForecastSnapshotResult } from '../schemas/live-ingest';

const { snapshotCurrentForecast, pollOpenMarketCandles } = proxyActivities<LiveIngestActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { maximumAttempts: 5, initialInterval: '5s', nonRetryableErrorTypes: ['InvalidInput'] },
});

/** Nightly (near local midnight): the current forecast of one city, as issued now, kept as a snapshot. */
export async function forecastSnapshotWorkflow(input: ForecastSnapshotInput): Promise<ForecastSnapshotResult> {
  return snapshotCurrentForecast(input.city);
}

/** Every few minutes: the recent candles of every open market of the given cities. */
export async function candlePollWorkflow(input: CandlePollInput): Promise<CandlePollResult> {
  return pollOpenMarketCandles(input.cities, input.lookbackMinutes ?? 90);
}
