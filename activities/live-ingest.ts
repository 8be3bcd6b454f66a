/**
 * Live ingest, run by the Temporal Schedules of cli/commands/schedules.ts: the nightly current-forecast
 * snapshot per city and the candle poll over open markets. Both are idempotent upserts, so a retried
 * or overlapping run writes nothing twice.
 */
import { ApplicationFailure } from '@temporalio/common';
import { CityIdSchema, getCity, type CityId } from '../domain/cities';
import { apiBaseUrl } from '../temporal.config';
import { KalshiClient } from '../clients/kalshi';
import { VisualCrossingClient } from '../clients/visualcrossing';
import { OpenMeteoClient } from '../clients/open-meteo';
import { NwsClient } from '../clients/nws';
import { bulkUpsert } from '../db/bulk-upsert';
import { inTransaction } from '../db/transaction';
import { kalshiCandle, kalshiMarket, wxForecastSnapshot, wxForecastSnapshotHourly } from '../schemas/db';
import type { DailyForecastRow, HourlyForecastRow } from '../schemas/records';
import type { CandlePollResult, ForecastSnapshotResult } from '../schemas/live-ingest';
import type { ActivityDeps } from './index';

function cityOrFail(city: string): CityId {
  const parsed = CityIdSchema.safeParse(city);
  if (!parsed.success) throw ApplicationFailure.create({ type: 'InvalidInput', nonRetryable: true, message: `city: unknown city ${JSON.stringify(city)}` });
  return parsed.data;
}

export function createLiveIngestActivities({ pool, log, config }: ActivityDeps) {
  // Keys come from the environment here, inside the worker; the sandbox accepts any key.
  const vcKey = process.env.VISUAL_CROSSING_API_KEY ?? (config.world.kind === 'real' ? '' : 'sandbox');
  const userAgent = process.env.WX_NWS_USER_AGENT ?? 'wx-kalshi (https://github.com/; set WX_NWS_USER_AGENT)';

  return {
    async snapshotCurrentForecast(city: string): Promise<ForecastSnapshotResult> {
      const id = cityOrFail(city);
      const daily: DailyForecastRow[] = [];
      const hourly: HourlyForecastRow[] = [];
      const sources: string[] = [];
      if (vcKey) {
        const vc = new VisualCrossingClient({ baseUrl: apiBaseUrl(config, 'visualCrossing'), apiKey: vcKey, log });
        const r = await vc.currentForecast(id);
        daily.push(...r.daily);
        hourly.push(...r.hourly);
        sources.push('visualcrossing');
      } else {
        log.warn({ city: id }, 'VISUAL_CROSSING_API_KEY is not set: skipping Visual Crossing');
      }
      const om = new OpenMeteoClient({
        baseUrl: apiBaseUrl(config, 'openMeteo'),
        historicalForecastBaseUrl: apiBaseUrl(config, 'openMeteoHistoricalForecast'),
        previousRunsBaseUrl: apiBaseUrl(config, 'openMeteoPreviousRuns'),
        log,
      });
      const o = await om.forecast(id, {});
      daily.push(...o.daily);
      hourly.push(...o.hourly);
      sources.push('open-meteo');
      const nws = new NwsClient({ baseUrl: apiBaseUrl(config, 'nws'), userAgent, log });
      hourly.push(...(await nws.hourlyForecast(id)));
      sources.push('nws');

      await inTransaction(pool, async (client) => {
        await bulkUpsert(client, wxForecastSnapshot, daily);
        await bulkUpsert(client, wxForecastSnapshotHourly, hourly);
      });
      log.info({ city: id, daily: daily.length, hourly: hourly.length, sources }, 'live ingest: current forecast snapshot');
      return { city: id, dailyRows: daily.length, hourlyRows: hourly.length, sources };
    },

    async pollOpenMarketCandles(cities: string[], lookbackMinutes: number): Promise<CandlePollResult> {
      const kalshi = new KalshiClient({ baseUrl: apiBaseUrl(config, 'kalshi'), log });
      const now = Math.floor(Date.now() / 60_000) * 60_000;
      let markets = 0;
      let candles = 0;
      for (const city of cities.map(cityOrFail)) {
        const seriesTicker = getCity(city).seriesTicker;
        for await (const market of kalshi.listMarkets({ seriesTicker, status: 'open' })) {
          // The exchange's clock decides what is open; read up to the earlier of now and the close.
          const end = new Date(Math.min(now, market.closeTime ? market.closeTime.getTime() : now));
          const start = new Date(end.getTime() - lookbackMinutes * 60_000);
          const rows = await kalshi.getCandles({ seriesTicker, ticker: market.ticker, periodMinutes: 1, start, end, market });
          await inTransaction(pool, async (client) => {
            await bulkUpsert(client, kalshiMarket, [market]);
            await bulkUpsert(client, kalshiCandle, rows);
          });
          markets++;
          candles += rows.length;
        }
      }
      log.info({ cities, markets, candles }, 'live ingest: candle poll');
      return { markets, candles };
    },
  };
}

export type LiveIngestActivities = ReturnType<typeof createLiveIngestActivities>;
