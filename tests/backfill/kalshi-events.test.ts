/**
 * Kalshi backfill listing. Event listing of a multi-month backfill asks each month only for that month's events: the real
 * Kalshi client against the real sandbox over HTTP (a generated world of six months, the first three
 * behind the historical cutoff, so their events come without nested markets and each costs one
 * /historical/markets request). Requests and served events are counted at the sandbox. And trade
 * prints keep their taker side from the payload into kalshi.trade (real PostgreSQL).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { startSandbox, type RunningSandbox } from '../../sandbox/server';
import { ALL_ROUTES } from '../../sandbox/routes/index';
import { createGeneratedWorld } from '../../sandbox/worlds/generated';
import { KalshiClient } from '../../clients/kalshi';
import { SANDBOX_PATHS } from '../../temporal.config';
import { monthSlices } from '../../schemas/backfill';
import { datesBetween } from '../../domain/validation/coverage';
import type { IsoDate } from '../../domain/iso-date';
import { fetchEvents, seriesTickers } from '../../activities/backfill/kalshi-events';
import type { AdapterContext } from '../../activities/backfill/types';
import { createLogger } from '../../lib/logger';
import { kalshiAdapter } from '../../activities/backfill/kalshi';
import { bulkUpsert } from '../../db/bulk-upsert';
import { inTransaction } from '../../db/transaction';
import { createDb } from '../../db/client';
import { freshDatabase } from '../support/postgres';

const FROM = '2025-01-01';
const TO = '2025-06-30';
const log = createLogger('test', { level: 'warn' });

interface Served {
  path: string;
  events: number;
}

describe('event listing per month', () => {
  let sandbox: RunningSandbox;
  let world: ReturnType<typeof createGeneratedWorld>;
  const served: Served[] = [];

  beforeAll(async () => {
    world = createGeneratedWorld({ seed: 11, cities: ['chicago'], dates: { from: FROM, to: TO } });
    const count = (app: FastifyInstance) => {
      app.addHook('onSend', async (req, _reply, payload) => {
        const path = req.url.split('?')[0]!.slice(SANDBOX_PATHS.kalshi.length);
        const events = path === '/events' && typeof payload === 'string' ? (JSON.parse(payload) as { events: unknown[] }).events.length : 0;
        served.push({ path, events });
        return payload;
      });
    };
    sandbox = await startSandbox({ port: 0, world, routes: [count, ...ALL_ROUTES] });
  });
  afterAll(async () => sandbox?.close());

  it('makes a number of requests linear in months and serves each month only its own events', async () => {
    const kalshi = new KalshiClient({ baseUrl: `${sandbox.url}${SANDBOX_PATHS.kalshi}`, rateLimit: null, log });
    const slices = monthSlices(FROM, TO);
    expect(slices).toHaveLength(6);
    const perMonth: Array<{ days: number; listed: number; requests: Served[] }> = [];
    for (const slice of slices) {
      const ctx = { city: 'chicago', slice, forecastLeadDays: 3, clients: { kalshi: () => kalshi }, log } as unknown as AdapterContext;
      const before = served.length;
      const byDate = await fetchEvents(ctx, kalshi, slice);
      const days = datesBetween(slice.from as IsoDate, slice.to as IsoDate).length;
      perMonth.push({ days, listed: [...byDate.values()].flat().length, requests: served.slice(before) });
      // The generated world lists one event per climate date, each with six markets.
      expect([...byDate.keys()].sort()).toEqual(datesBetween(slice.from as IsoDate, slice.to as IsoDate));
      for (const list of byDate.values()) expect(list.map((e) => e.markets.length)).toEqual([6]);
    }
    const series = seriesTickers({ city: 'chicago' } as AdapterContext).length;
    for (const m of perMonth) {
      const events = m.requests.filter((r) => r.path === '/events');
      // One /events request per series ticker, whatever follows the month; the events served are the
      // month's own (the legacy ticker's dates hold none here).
      expect(events).toHaveLength(series);
      expect(events.reduce((n, r) => n + r.events, 0)).toBe(m.days);
      // At most one /historical/markets request per event (events behind the cutoff lose their markets).
      expect(m.requests.filter((r) => r.path === '/historical/markets').length).toBeLessThanOrEqual(m.days);
      expect(m.requests.length).toBeLessThanOrEqual(series + m.days);
    }
    // The first months lie behind the cutoff (90 days before the world's clock): their markets came
    // from the historical tier, so the bound above was exercised, not vacuous.
    expect(perMonth[0]!.requests.some((r) => r.path === '/historical/markets')).toBe(true);
    expect(perMonth.at(-1)!.requests.some((r) => r.path === '/historical/markets')).toBe(false);
  });

  it('stores trade prints with their taker side, from the live and the historical tier', async () => {
    const kalshi = new KalshiClient({ baseUrl: `${sandbox.url}${SANDBOX_PATHS.kalshi}`, rateLimit: null, log });
    const database = await freshDatabase();
    const db = createDb(database.url);
    try {
      // January lies behind the historical cutoff (trades from /historical/trades), June in the live tier.
      for (const day of ['2025-01-15', '2025-06-15']) {
        const slice = { from: day, to: day };
        const ctx = { city: 'chicago', slice, forecastLeadDays: 3, clients: { kalshi: () => kalshi }, log } as unknown as AdapterContext;
        const batches = await kalshiAdapter(ctx).fetch(slice);
        await inTransaction(db.pool, async (client) => {
          for (const b of batches) await bulkUpsert(client, b.table, b.rows, b.opts);
        });
      }
      const stored = await db.pool.query<{ trade_id: string; market_ticker: string; taker_side: string | null }>(`SELECT trade_id, market_ticker, taker_side FROM kalshi.trade`);
      expect(stored.rows.length).toBeGreaterThan(0);
      const truth = new Map<string, string | null | undefined>();
      for (const { markets } of world.events({ city: 'chicago', dates: { from: '2025-01-15', to: '2025-06-15' } })) {
        for (const m of markets) {
          if (!m.openTime || !m.closeTime) continue;
          for (const t of world.trades(m.ticker, { from: m.openTime, to: m.closeTime })) truth.set(t.tradeId, t.takerSide);
        }
      }
      for (const r of stored.rows) expect(r.taker_side, r.trade_id).toBe(truth.get(r.trade_id));
      expect(new Set(stored.rows.map((r) => r.taker_side))).toEqual(new Set(['yes', 'no']));
      expect(new Set(stored.rows.map((r) => r.market_ticker.slice(0, 'KXHIGHCHI-25JAN'.length))).size).toBe(2);
      expect(served.some((r) => r.path === '/historical/trades')).toBe(true);
      expect(served.some((r) => r.path === '/markets/trades')).toBe(true);
    } finally {
      await db.close();
      await database.drop();
    }
  });
});
