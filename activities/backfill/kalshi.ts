/**
 * Source `kalshi`: the city's series, then per climate date (one chunk = one day) its events and
 * markets, each market's 60-minute and 1-minute candles over its open..close window (60-minute only
 * before `minuteCandlesFrom`), and its trades.
 */
import { kalshiCandle, kalshiEvent, kalshiMarket, kalshiSeries, kalshiTrade } from '../../schemas/db';
import type { CandleRow, SeriesRow, TradeRow } from '../../schemas/records';
import { eventsIn, fetchEvents, fetchSeries, type EventWithMarketsRow } from './kalshi-events';
import type { AdapterFactory, ChunkBatch } from './types';

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
      const candles: CandleRow[] = [];
      const trades: TradeRow[] = [];
      for (const { event, markets: ms } of items) {
        for (const m of ms) {
          if (!m.openTime || !m.closeTime) continue;
          const window = { start: m.openTime, end: m.closeTime };
          const market = { settlementTs: m.settlementTs ?? null, status: m.status ?? null, result: m.result ?? '', closeTime: m.closeTime };
          const periods = ctx.minuteCandlesFrom && event.eventDate < ctx.minuteCandlesFrom ? ([60] as const) : ([60, 1] as const);
          for (const periodMinutes of periods) {
            candles.push(...(await kalshi.getCandles({ seriesTicker: event.seriesTicker, ticker: m.ticker, periodMinutes, ...window, market })));
          }
          for await (const t of kalshi.listTrades({ ticker: m.ticker, minTs: m.openTime, maxTs: m.closeTime })) trades.push(t);
        }
      }
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
