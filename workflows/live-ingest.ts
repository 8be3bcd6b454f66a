import { proxyActivities } from '@temporalio/workflow';
import type { LiveIngestActivities } from '../activities/live-ingest';
import type { CandlePollInput, CandlePollResult, ForecastSnapshotInput, ForecastSnapshotResult } from '../schemas/live-ingest';

// The activities heartbeat after each source / market: a dead worker or a hung call is noticed within
// a minute (and retried), not at the start-to-close timeout.
const { snapshotCurrentForecast, pollOpenMarketCandles } = proxyActivities<LiveIngestActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 5, initialInterval: '5s', nonRetryableErrorTypes: ['InvalidInput'] },
});

/** The current forecast of one city, as issued now, kept as a snapshot (open, hourly or nightly schedule). */
export async function forecastSnapshotWorkflow(input: ForecastSnapshotInput): Promise<ForecastSnapshotResult> {
  return snapshotCurrentForecast(input.city, input.trigger ?? 'nightly');
}

/** Every few minutes: the recent candles and the order book of every open market of the given cities. */
export async function candlePollWorkflow(input: CandlePollInput): Promise<CandlePollResult> {
  return pollOpenMarketCandles(input.cities, input.lookbackMinutes ?? 90);
}
