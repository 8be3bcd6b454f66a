/**
 * Source `kalshi`: the city's series, then per climate date (one chunk = one day) its events and
 * markets, each market's 60-minute and 1-minute candles over its open..close window, and its trades.
 */
import { kalshiCandle, kalshiEvent, kalshiMarket, kalshiSeries, kalshiTrade } from '../../schemas/db';
import type { CandleRow, SeriesRow, TradeRow } from '../../schemas/records';
import { eventsIn, fetchEvents, fetchSeries, type EventWithMarketsRow } from './kalshi-events';
import type { AdapterFactory, ChunkBatch } from './types';
import { mapLimit } from '../../lib/map-limit';

/** Markets of a chunk whose candles and trades are being fetched at once. */
export const MARKETS_IN_FLIGHT = 3;

export const kalshiAdapter: AdapterFactory = (ctx) => {
  let listed: Promise<{ series: SeriesRow[]; events: Map<string, EventWithMarketsRow[]> }> | undefined;
  const kalshi = ctx.clients.kalshi();
  const list = () =>
    (listed ??= (async () => ({ series: await fetchSeries(ctx, kalshi), events: await fetchEvents(ctx, kalshi, ctx.slice) }))().catch((err: unknown) => {
      listed = undefined;
      throw err;
    }));

  let unsettled = 0;
  return {
    // A market without a result can still change (status, result, late trades): its slice is not final.
    settled: () => unsettled === 0,
    async fetch(chunk) {
      const { series, events } = await list();
      const items = eventsIn(events, chunk);
      const markets = items.flatMap((e) => e.markets);
      unsettled += markets.filter((m) => !m.result).length;
      // A market's candles and trades are independent of the other markets': several are fetched at once
      // (each request waits on the server's latency, not on this process), and joined in market order.
      const perMarket = await mapLimit(
        items.flatMap(({ event, markets: ms }) => ms.map((m) => ({ seriesTicker: event.seriesTicker, m }))),
        MARKETS_IN_FLIGHT,
        async ({ seriesTicker, m }): Promise<{ candles: CandleRow[]; trades: TradeRow[] }> => {
          const { openTime, closeTime } = m;
          if (!openTime || !closeTime) return { candles: [], trades: [] };
          const window = { start: openTime, end: closeTime };
          const market = { settlementTs: m.settlementTs ?? null, status: m.status ?? null, result: m.result ?? '', closeTime };
          const candlesOf = (periodMinutes: 60 | 1) => kalshi.getCandles({ seriesTicker, ticker: m.ticker, periodMinutes, ...window, market });
          const listTrades = async () => {
            const out: TradeRow[] = [];
            for await (const t of kalshi.listTrades({ ticker: m.ticker, minTs: openTime, maxTs: closeTime })) out.push(t);
            return out;
          };
          const [hourly, minutes, trades] = await Promise.all([candlesOf(60), candlesOf(1), listTrades()]);
          return { candles: [...hourly, ...minutes], trades };
        },
      );
      const candles = perMarket.flatMap((p) => p.candles);
      const trades = perMarket.flatMap((p) => p.trades);
      const batches: ChunkBatch[] = [
        { table: kalshiSeries, rows: series },
        { table: kalshiEvent, rows: items.map((e) => e.event) },
        { table: kalshiMarket, rows: markets },
        { table: kalshiCandle, rows: candles },
        { table: kalshiTrade, rows: trades },
      ];
      return batches;
    },
  };
};
