/**
 * Live ingest, run by the Temporal Schedules of cli/commands/schedules.ts: current-forecast snapshots
 * per city (before the 10:00 ET open, hourly through the trading day, nightly) and the candle poll over
 * open markets, which also keeps each open market's order book. All are idempotent upserts, so a
 * retried or overlapping run writes nothing twice (a book is keyed by the instant it was read).
 *
 * Clients come from the same factory as the backfill's (activities/backfill.ts backfillClients), so
 * live and backfilled forecasts are parsed and stamped (`available_at`, domain/known-at.ts) by the same
 * client functions. Settings and credentials come from the factory's deps, never from process.env.
 * Both activities heartbeat after each unit of work: a hung request (bounded by the HTTP timeout) or a
 * dead worker shows within the heartbeat timeout instead of at the start-to-close timeout.
 */
import { ApplicationFailure, heartbeat } from '@temporalio/activity';
import { CityIdSchema, getCity, type CityId } from '../domain/cities';
import { apiBaseUrl } from '../temporal.config';
import { NonRetryableHttpError } from '../clients/http';
import { NwsClient } from '../clients/nws';
import { bulkUpsert } from '../db/bulk-upsert';
import { inTransaction } from '../db/transaction';
import { kalshiCandle, kalshiMarket, kalshiOrderbookSnapshot, wxForecastSnapshot, wxForecastSnapshotHourly } from '../schemas/db';
import type { DailyForecastRow, HourlyForecastRow, OrderbookSnapshot } from '../schemas/records';
import type { CandlePollResult, ForecastSnapshotResult, SnapshotTrigger } from '../schemas/live-ingest';
import { backfillClients } from './backfill';
import type { ActivityDeps } from './index';

/** What NWS gets as User-Agent when the deps carry none (it asks for a contact; set WX_NWS_USER_AGENT). */
const DEFAULT_NWS_USER_AGENT = 'wx-kalshi (https://github.com/; set WX_NWS_USER_AGENT)';

export type OrderbookSnapshotInsert = typeof kalshiOrderbookSnapshot.$inferInsert;

/**
 * A book as stored: each side's resting bids best first (highest price first), in parallel arrays.
 * The client returns them ascending, as the API documents (best last).
 */
export function orderbookSnapshotRow(book: OrderbookSnapshot, capturedAt: Date): OrderbookSnapshotInsert {
  const bestFirst = (levels: OrderbookSnapshot['yes']) => [...levels].sort((a, b) => b[0] - a[0]);
  const yes = bestFirst(book.yes);
  const no = bestFirst(book.no);
  return {
    marketTicker: book.ticker,
    capturedAt,
    yesPriceMicros: yes.map(([p]) => p),
    yesSizeCenti: yes.map(([, c]) => c),
    noPriceMicros: no.map(([p]) => p),
    noSizeCenti: no.map(([, c]) => c),
  };
}

function cityOrFail(city: string): CityId {
  const parsed = CityIdSchema.safeParse(city);
  if (!parsed.success) throw ApplicationFailure.create({ type: 'InvalidInput', nonRetryable: true, message: `city: unknown city ${JSON.stringify(city)}` });
  return parsed.data;
}

export function createLiveIngestActivities({ pool, log, config, credentials = {} }: ActivityDeps) {
  const sandbox = config.apis.mode === 'sandbox' && config.world.kind !== 'real';
  // Against the real services Visual Crossing needs a key; the sandbox accepts its stand-in.
  const vcEnabled = sandbox || !!credentials.visualCrossingApiKey;
  const clients = backfillClients(config, log, credentials.visualCrossingApiKey ? { VISUAL_CROSSING_API_KEY: credentials.visualCrossingApiKey } : {});
  const nws = new NwsClient({
    baseUrl: apiBaseUrl(config, 'nws'),
    userAgent: credentials.nwsUserAgent ?? DEFAULT_NWS_USER_AGENT,
    log,
    http: { timeoutMs: config.apis.requestTimeoutMs },
  });

  return {
    async snapshotCurrentForecast(city: string, trigger: SnapshotTrigger = 'nightly'): Promise<ForecastSnapshotResult> {
      const id = cityOrFail(city);
      const daily: DailyForecastRow[] = [];
      const hourly: HourlyForecastRow[] = [];
      const sources: string[] = [];
      if (vcEnabled) {
        const r = await clients.visualCrossing().currentForecast(id);
        daily.push(...r.daily);
        hourly.push(...r.hourly);
        sources.push('visualcrossing');
        heartbeat({ sources });
      } else {
        log.warn({ city: id }, 'no Visual Crossing key in the worker credentials (VISUAL_CROSSING_API_KEY): skipping Visual Crossing');
      }
      const o = await clients.openMeteo().forecast(id, {});
      daily.push(...o.daily);
      hourly.push(...o.hourly);
      sources.push('open-meteo');
      heartbeat({ sources });
      hourly.push(...(await nws.hourlyForecast(id)));
      sources.push('nws');
      heartbeat({ sources });

      await inTransaction(pool, async (client) => {
        await bulkUpsert(client, wxForecastSnapshot, daily);
        await bulkUpsert(client, wxForecastSnapshotHourly, hourly);
      });
      log.info({ city: id, trigger, daily: daily.length, hourly: hourly.length, sources }, 'live ingest: current forecast snapshot');
      return { city: id, trigger, dailyRows: daily.length, hourlyRows: hourly.length, sources };
    },

    async pollOpenMarketCandles(cities: string[], lookbackMinutes: number): Promise<CandlePollResult> {
      const kalshi = clients.kalshi();
      const now = Math.floor(Date.now() / 60_000) * 60_000;
      const result: CandlePollResult = { markets: 0, candles: 0, orderbooks: 0, orderbooksMissing: 0 };
      for (const city of cities.map(cityOrFail)) {
        const seriesTicker = getCity(city).seriesTicker;
        for await (const market of kalshi.listMarkets({ seriesTicker, status: 'open' })) {
          // The exchange's clock decides what is open; read up to the earlier of now and the close.
          const end = new Date(Math.min(now, market.closeTime ? market.closeTime.getTime() : now));
          const start = new Date(end.getTime() - lookbackMinutes * 60_000);
          const rows = await kalshi.getCandles({ seriesTicker, ticker: market.ticker, periodMinutes: 1, start, end, market });
          const book = await orderbookOrMissing(kalshi, market.ticker);
          await inTransaction(pool, async (client) => {
            await bulkUpsert(client, kalshiMarket, [market]);
            await bulkUpsert(client, kalshiCandle, rows);
            if (book) await bulkUpsert(client, kalshiOrderbookSnapshot, [book]);
          });
          result.markets++;
          result.candles += rows.length;
          if (book) result.orderbooks++;
          else result.orderbooksMissing++;
          heartbeat({ ...result, city, ticker: market.ticker });
        }
      }
      log.info({ cities, ...result }, 'live ingest: candle poll');
      return result;
    },
  };

  /**
   * The full book (every level), stamped with the instant its answer arrived. A 404 means the source
   * holds no book for the market (the recorded world's files have none): counted and logged, no row.
   */
  async function orderbookOrMissing(kalshi: ReturnType<typeof clients.kalshi>, ticker: string): Promise<OrderbookSnapshotInsert | undefined> {
    try {
      const book = await kalshi.getOrderbook(ticker, 0);
      return orderbookSnapshotRow(book, new Date());
    } catch (err) {
      if (!(err instanceof NonRetryableHttpError && err.status === 404)) throw err;
      log.info({ ticker, reason: err.message }, 'live ingest: no order book served for an open market');
      return undefined;
    }
  }
}

export type LiveIngestActivities = ReturnType<typeof createLiveIngestActivities>;
