/**
 * Candle gaps on sparse data, in real PostgreSQL: the generated world's candles (as sparse as
 * Kalshi's: no candle in a minute without a trade or a quote change) leave many idle gaps, none of
 * which is missing data; candles deleted while the market traded are.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq, gte, lt } from 'drizzle-orm';
import { createDb } from '../../db/client';
import { loadCandleGaps } from '../../activities/validate/candle-gaps';
import { kalshiCandle, kalshiMarket, kalshiTrade } from '../../schemas/db';
import { createGeneratedWorld } from '../../sandbox/worlds/generated';
import type { CandleRow, TradeRow } from '../../schemas/records';
import { freshDatabase } from '../support/postgres';

const dates = { from: '2025-03-05', to: '2025-03-07' };
const AS_OF = Date.parse('2025-03-09T00:00:00Z');
const LIMIT = 60;

describe('candle gaps on sparse candles (real PostgreSQL)', () => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let db: ReturnType<typeof createDb>;
  const world = createGeneratedWorld({ seed: 5, cities: ['chicago'], dates });
  const events = world.events();

  beforeAll(async () => {
    database = await freshDatabase();
    db = createDb(database.url);
    const candles: CandleRow[] = [];
    const trades: TradeRow[] = [];
    for (const { markets } of events) {
      await db.db.insert(kalshiMarket).values(markets);
      for (const m of markets) {
        const r = { from: m.openTime!, to: m.closeTime! };
        for (const p of [1, 60] as const) candles.push(...world.candles(m.ticker, p, r));
        trades.push(...world.trades(m.ticker, r));
      }
    }
    for (let i = 0; i < candles.length; i += 2000) await db.db.insert(kalshiCandle).values(candles.slice(i, i + 2000));
    for (let i = 0; i < trades.length; i += 2000) await db.db.insert(kalshiTrade).values(trades.slice(i, i + 2000));
  });

  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  it('idle stretches of the generated market are not missing data, however long', async () => {
    const gaps = await loadCandleGaps(db.db, 'chicago', dates.from, dates.to, AS_OF, LIMIT);
    expect(gaps.summary.map((s) => [s.periodMinutes, s.marketsChecked, s.gaps])).toEqual([
      [1, 18, 0],
      [60, 18, 0],
    ]);
    expect(gaps.longest).toEqual([]);
    expect(gaps.overLimit).toBe(0);
    const idle1 = gaps.idle.find((g) => g.periodMinutes === 1)!;
    // Sparse: most of the 1-minute buckets of the 18 markets are idle, and some idle stretches last hours.
    expect(idle1.gaps).toBeGreaterThan(18 * 100);
    expect(idle1.longestMinutes).toBeGreaterThan(LIMIT);
  });

  it('candles missing while the market traded are a gap of missing data, over the limit', async () => {
    // The busiest market's 1-minute candles of three afternoon hours are lost.
    const busiest = events
      .flatMap((e) => e.markets)
      .map((m) => ({ m, n: world.trades(m.ticker, { from: m.openTime!, to: m.closeTime! }).length }))
      .sort((a, b) => b.n - a.n)[0]!.m;
    const from = new Date(`${busiest.eventDate}T18:00:00Z`);
    const to = new Date(`${busiest.eventDate}T21:00:00Z`);
    expect(world.trades(busiest.ticker, { from, to }).length).toBeGreaterThan(0);
    await db.db
      .delete(kalshiCandle)
      .where(and(eq(kalshiCandle.marketTicker, busiest.ticker), eq(kalshiCandle.periodMinutes, 1), gte(kalshiCandle.bucketStart, from), lt(kalshiCandle.bucketStart, to)));

    const gaps = await loadCandleGaps(db.db, 'chicago', dates.from, dates.to, AS_OF, LIMIT);
    expect(gaps.summary.find((s) => s.periodMinutes === 1)).toMatchObject({ marketsWithGaps: 1, gaps: 1 });
    expect(gaps.summary.find((s) => s.periodMinutes === 60)!.gaps).toBe(0);
    const [g] = gaps.longest;
    expect(g).toMatchObject({ market: busiest.ticker, periodMinutes: 1, kind: 'inner' });
    // The gap runs from the last candle before the hole to the first after it: at least the three hours.
    expect(Date.parse(g!.start)).toBeLessThanOrEqual(from.getTime());
    expect(g!.minutes).toBeGreaterThanOrEqual(180);
    expect(gaps.overLimit).toBe(1);
  });
});
