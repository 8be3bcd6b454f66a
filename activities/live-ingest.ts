// Placeholder replaced once the clients land (see workflows/live-ingest.ts).
export type LiveIngestActivities = {
  snapshotCurrentForecast(city: string): Promise<import('../schemas/live-ingest').ForecastSnapshotResult>;
  pollOpenMarketCandles(cities: string[], lookbackMinutes: number): Promise<import('../schemas/live-ingest').CandlePollResult>;
};
