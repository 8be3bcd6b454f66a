/**
 * The real Kalshi client against the sandbox over HTTP:
 *   (a) every Kalshi market-data fixture, served verbatim, parses;
 *   (b) one world rendered in each payload era (dollars / dual / cents) parses to the same rows;
 *   (c) real recorded payloads (cpratim 2024–25 events and trades, orestiskait 2026 dual-unit markets
 *       and order books, tmer234 2026 dollars-only markets and candles) parse;
 *   (d) round trip: a StaticWorld built from recorded payloads -> sandbox -> client = the world's rows;
 *   (e) pagination, (f) candle range splitting, (g) historical-tier routing, (h) faults and drift;
 *   plus the sandbox's error bodies and its world clock.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KalshiClient } from '../../clients/kalshi';
import { NonRetryableHttpError, PayloadShapeError } from '../../clients/http';
import { kalshiRoutes, marketAt, SANDBOX_ERA_HEADER } from '../../sandbox/routes/kalshi';
import { startSandbox, type RunningSandbox } from '../../sandbox/server';
import { StaticWorld } from '../../sandbox/worlds/static';
import type { CandleRow, OrderbookSnapshot, TradeRow } from '../../schemas/records';
import {
  HAVE_SHARED,
  KALSHI,
  REAL,
  bare,
  bareEvents,
  byTradeId,
  clientFor,
  collect,
  cpratimEventFiles,
  cpratimEvents,
  cpratimTrades,
  fixture,
  readJson,
  requestLog,
  synthCandles,
} from './kalshi-helpers';

if (!HAVE_SHARED) console.warn('[kalshi.test] shared reference data not found (set WX_SHARED_DIR); skipping');

const FROM = '2025-05-02';
const TO = '2025-05-08';

/** The recorded Chicago week as world data: events + trades (cpratim) + synthetic candles + one book. */
function chicagoWeek() {
  const events = cpratimEvents('kxhighchi', FROM, TO);
  const trades = cpratimTrades('kxhighchi', FROM, TO);
  const m0508 = events.at(-1)!.markets[1]!;
  const m0502 = events[0]!.markets[2]!;
  const m0505 = events[3]!.markets[0]!;
  const candles: CandleRow[] = [
    ...synthCandles(m0508.ticker, m0508.openTime!, 30, 60),
    ...synthCandles(m0502.ticker, m0502.openTime!, 30, 60),
    ...synthCandles(m0505.ticker, m0505.openTime!, 600, 1),
  ];
  const book: OrderbookSnapshot = { ticker: m0508.ticker, yes: [[330_000, 12_000], [310_000, 50_000]], no: [[580_000, 30_000], [600_000, 7_500]] };
  return { events, trades, candles, orderbooks: [book], m0508, m0502, m0505 };
}

function worldOf(data: ReturnType<typeof chicagoWeek>, now?: Date) {
  return new StaticWorld('recorded', 'cpratim chicago week', {
    cities: ['chicago'],
    dates: { from: FROM, to: TO },
    ...(now && { now }),
    events: data.events,
    trades: data.trades,
    candles: data.candles,
    orderbooks: data.orderbooks,
  });
}

const sandboxes: RunningSandbox[] = [];
async function sandbox(opts: Parameters<typeof startSandbox>[0]): Promise<RunningSandbox> {
  const s = await startSandbox(opts);
  sandboxes.push(s);
  return s;
}
afterAll(async () => {
  await Promise.all(sandboxes.map((s) => s.close()));
});

/** Serves fixed bodies on Kalshi paths (a test route module); `reply` may set a status. */
function bodies(routes: Record<string, (q: Record<string, string>, params: Record<string, string>) => unknown | { status: number; body: unknown }>) {
  return (app: FastifyInstance) => {
    for (const [path, fn] of Object.entries(routes)) {
      app.get(`${KALSHI}${path}`, async (req, reply) => {
        const out = fn(req.query as Record<string, string>, req.params as Record<string, string>);
        if (out && typeof out === 'object' && 'status' in out && 'body' in out) {
          const { status, body } = out as { status: number; body: unknown };
          return reply.code(status).send(body);
        }
        if (out === undefined) return reply.code(404).send({ error: { code: 'not_found', message: 'not found' } });
        return out;
      });
    }
  };
}

const emptyWorld = new StaticWorld('recorded', 'empty', { cities: [], dates: { from: FROM, to: TO } });

describe.skipIf(!HAVE_SHARED)('KalshiClient', () => {
  // ── (a) fixtures ───────────────────────────────────────────────────────────────────────────────
  describe('(a) every market-data fixture parses', () => {
    let sb: RunningSandbox;
    let client: KalshiClient;
    let flaky = 0;
    beforeAll(async () => {
      const errors = fixture('kalshi-error-responses.json') as Array<{ status: number; body: unknown }>;
      const err = (status: number) => ({ status, body: errors.find((e) => e.status === status)!.body });
      sb = await sandbox({
        port: 0,
        world: emptyWorld,
        routes: [
          bodies({
            '/series/:t': (_q, p) => (p.t === 'KXHIGHCHI' ? fixture('kalshi-series.json') : err(404)),
            '/events/:t': (_q, p) => (p.t === 'KXHIGHCHI-26JUL15' ? fixture('kalshi-event-nested.json') : err(404)),
            '/markets': (q) => {
              if (q.cursor) return { markets: [], cursor: '' };
              if (q.event_ticker === 'KXHIGHCHI-26JUL15') return fixture('kalshi-markets-page.json');
              if (q.event_ticker === 'KXHIGHCHI-26FEB10') return fixture('kalshi-markets-page-legacy-feb2026.json');
              return err(400);
            },
            '/historical/markets': () => ({ markets: [], cursor: '' }),
            '/markets/trades': (q) => (q.cursor ? { trades: [], cursor: '' } : fixture('kalshi-trades-page.json')),
            '/historical/trades': () => ({ trades: [], cursor: '' }),
            '/historical/cutoff': () => fixture('kalshi-historical-cutoff.json'),
            '/markets/:t': (_q, p) => {
              if (p.t === 'FLAKY' && flaky++ < 2) return err(flaky === 1 ? 429 : 503);
              return err(404);
            },
            '/historical/markets/:t': () => err(404),
            '/markets/:t/orderbook': () => fixture('kalshi-orderbook.json'),
            '/series/:s/markets/:t/candlesticks': (_q, p) =>
              p.t === 'KXHIGHCHI-26JUL15-B88.5' ? fixture('kalshi-candlesticks.json') : fixture('kalshi-candlesticks-legacy-feb2026.json'),
            '/historical/markets/:t/candlesticks': () => fixture('kalshi-historical-candlesticks.json'),
          }),
        ],
      });
      client = clientFor(sb);
    });

    it('series', async () => {
      const s = await client.getSeries('KXHIGHCHI');
      expect(bare(s)).toEqual({
        ticker: 'KXHIGHCHI',
        cityId: 'chicago',
        title: 'Highest temperature in Chicago',
        category: 'Climate and Weather',
        frequency: 'daily',
        feeType: 'quadratic',
        feeMultiplier: 1,
        settlementSources: [{ name: 'National Weather Service', url: 'https://forecast.weather.gov/product.php?site=LOT&product=CLI&issuedby=MDW' }],
      });
      expect((s.raw as Record<string, unknown>).categories).toEqual(['Climate and Weather']);
    });

    it('event with nested markets (settled)', async () => {
      const { event, markets } = await client.getEvent('KXHIGHCHI-26JUL15');
      expect(bare(event)).toEqual({
        eventTicker: 'KXHIGHCHI-26JUL15',
        seriesTicker: 'KXHIGHCHI',
        cityId: 'chicago',
        eventDate: '2026-07-15',
        title: 'Highest temperature in Chicago on Jul 15, 2026?',
        subTitle: 'On Jul 15, 2026',
        mutuallyExclusive: true,
        strikeDate: null,
      });
      expect(markets.map((m) => [m.ticker.split('-')[2], m.strikeType, m.floorStrike, m.capStrike, m.result])).toEqual([
        ['T84', 'less', null, 84, 'no'],
        ['B84.5', 'between', 84, 85, 'no'],
        ['B86.5', 'between', 86, 87, 'yes'],
        ['B88.5', 'between', 88, 89, 'no'],
        ['B90.5', 'between', 90, 91, 'no'],
        ['T91', 'greater', 91, null, 'no'],
      ]);
      const yes = markets[2]!;
      expect(yes).toMatchObject({
        status: 'finalized',
        settlementValueMicros: 1_000_000,
        expirationValue: '87',
        settlementSource: 'nws-cli',
        settlementTs: new Date('2026-07-16T14:32:05.114Z'),
        payloadEra: 'dollars',
        cityId: 'chicago',
        eventDate: '2026-07-15',
        closeTime: new Date('2026-07-16T06:00:00Z'),
      });
    });

    it('markets page, current and legacy (Feb 2026 dual-unit)', async () => {
      const current = await collect(client.listMarkets({ eventTicker: 'KXHIGHCHI-26JUL15' }));
      expect(current).toHaveLength(6);
      expect(current[0]).toMatchObject({ ticker: 'KXHIGHCHI-26JUL15-T84', status: 'active', result: '', yesBidMicros: 20_000, yesAskMicros: 30_000, volume: 152_000, payloadEra: 'dollars' });
      const legacy = await collect(client.listMarkets({ eventTicker: 'KXHIGHCHI-26FEB10', tier: 'live' }));
      expect(legacy.map((m) => [m.payloadEra, m.yesBidMicros, m.yesAskMicros, m.lastPriceMicros, m.volume, m.openInterest])).toEqual([
        ['dual', 110_000, 130_000, 120_000, 431_000, 287_500],
        ['dual', 330_000, 350_000, 340_000, 987_400, 612_000],
      ]);
      expect(legacy[0]!.eventDate).toBe('2026-02-10');
    });

    it('candlesticks: current, legacy (Feb 2026) and historical shapes', async () => {
      const cur = await client.getCandles({
        seriesTicker: 'KXHIGHCHI',
        ticker: 'KXHIGHCHI-26JUL15-B88.5',
        periodMinutes: 60,
        start: new Date('2026-07-14T00:00:00Z'),
        end: new Date('2026-07-16T00:00:00Z'),
        market: { settlementTs: null, status: 'active', result: '', closeTime: new Date('2026-07-16T06:00:00Z') },
      });
      expect(cur).toHaveLength(4);
      expect(cur[0]).toMatchObject({ bucketStart: new Date((1784041200 - 3600) * 1000), yesBidOpen: 250_000, yesAskClose: 300_000, priceMean: 299_600, volume: 41_200, openInterest: 38_800 });
      // `price: {}` for a period without trades.
      expect(cur[2]).toMatchObject({ priceOpen: null, priceClose: null, priceMean: null, pricePrevious: null, volume: 0, yesBidClose: 300_000 });

      const legacy = await client.getCandles({
        seriesTicker: 'KXHIGHCHI',
        ticker: 'KXHIGHCHI-26FEB10-B32.5',
        periodMinutes: 60,
        start: new Date('2026-02-09T00:00:00Z'),
        end: new Date('2026-02-11T00:00:00Z'),
        market: { settlementTs: null, status: 'active', result: '', closeTime: null },
      });
      expect(legacy).toHaveLength(3);
      // Same numbers as the current fixture: the `_dollars` twin wins (mean 0.2996, not the rounded 30¢).
      const values = (c: CandleRow) => ({ ...c, marketTicker: undefined, bucketStart: undefined });
      expect(values(legacy[0]!)).toEqual(values(cur[0]!));
      expect(values(legacy[1]!)).toEqual(values(cur[1]!));
      expect(legacy[2]).toMatchObject({ priceOpen: null, pricePrevious: null, volume: 0, openInterest: 59_000 });

      const hist = await client.getCandles({
        seriesTicker: 'KXHIGHCHI',
        ticker: 'KXHIGHCHI-26MAR02-B44.5',
        periodMinutes: 60,
        start: new Date('2026-03-02T00:00:00Z'),
        end: new Date('2026-03-03T00:00:00Z'),
        market: { settlementTs: new Date('2026-03-03T14:00:00Z'), status: 'finalized', result: 'no', closeTime: null },
      });
      expect(hist).toHaveLength(3);
      expect(values(hist[0]!)).toEqual(values(cur[0]!));
      expect(hist[2]).toMatchObject({ priceOpen: null, pricePrevious: 320_000, volume: 0, openInterest: 59_000 });
    });

    it('order book, trades and the historical cutoff', async () => {
      const book = await client.getOrderbook('KXHIGHCHI-26JUL15-B88.5');
      expect(book).toEqual({
        ticker: 'KXHIGHCHI-26JUL15-B88.5',
        yes: [[310_000, 50_000], [330_000, 12_000], [350_000, 21_500], [360_000, 4_800]],
        no: [[580_000, 30_000], [600_000, 7_500], [620_000, 18_000]],
      });
      const trades = await collect(client.listTrades({ ticker: 'KXHIGHCHI-26JUL15-B88.5' }));
      expect(trades).toEqual([
        {
          tradeId: '4f1c6a0e-7b52-4c77-9a0e-2d6f3c81b5a1',
          marketTicker: 'KXHIGHCHI-26JUL15-B88.5',
          createdTime: new Date('2026-07-14T18:41:07.512Z'),
          yesPriceMicros: 360_000,
          noPriceMicros: 640_000,
          count: 2500,
          takerSide: 'yes',
          isBlockTrade: false,
        },
        expect.objectContaining({ tradeId: 'a93e05d2-1f0b-4e86-8c55-0c2b7e9f4d10', count: 300, takerSide: 'no', yesPriceMicros: 340_000 }),
      ]);
      expect(await client.getHistoricalCutoff()).toEqual({
        marketSettledTs: new Date('2026-04-15T00:00:00Z'),
        tradesCreatedTs: new Date('2026-04-15T00:00:00Z'),
        ordersUpdatedTs: new Date('2026-04-15T00:00:00Z'),
        marketPositionsLastUpdatedTs: new Date('2026-04-15T00:00:00Z'),
      });
    });

    it('error responses: 404 and 400 are final, 429 and 503 are retried', async () => {
      await expect(client.getMarket('NOPE')).rejects.toMatchObject({ name: 'NonRetryableHttpError', status: 404 });
      await expect(collect(client.listMarkets({ eventTicker: 'OTHER-26JAN01', tier: 'live' }))).rejects.toThrow(/400.*invalid_order_size/);
      await expect(client.getMarket('FLAKY')).rejects.toMatchObject({ status: 404 });
      expect(flaky).toBeGreaterThanOrEqual(3);
    });
  });

  // ── (b) eras ───────────────────────────────────────────────────────────────────────────────────
  describe('(b) each payload era parses to the same rows', () => {
    const data = HAVE_SHARED ? chicagoWeek() : undefined;
    // Mid-trading on 05-08: its markets are active (order book served), the others settled.
    const now = new Date('2025-05-08T18:00:00Z');
    let sb: RunningSandbox;
    beforeAll(async () => {
      sb = await sandbox({ port: 0, world: worldOf(data!, now), routes: [kalshiRoutes({ historicalCutoff: null })] });
    });

    async function fetchAll(era: 'dollars' | 'dual' | 'cents') {
      const c = clientFor(sb, { headers: { [SANDBOX_ERA_HEADER]: era } });
      const { m0508, m0502 } = data!;
      return {
        events: await collect(c.listEvents({ seriesTicker: 'KXHIGHCHI' })),
        markets: await collect(c.listMarkets({ seriesTicker: 'KXHIGHCHI' })),
        market: await c.getMarket(m0508.ticker),
        trades: await collect(c.listTrades({ ticker: m0508.ticker })),
        candles: await c.getCandles({ seriesTicker: 'KXHIGHCHI', ticker: m0502.ticker, periodMinutes: 60, start: m0502.openTime!, end: m0502.closeTime! }),
        book: await c.getOrderbook(m0508.ticker),
        depth1: await c.getOrderbook(m0508.ticker, 1),
      };
    }

    it('dollars, dual and cents', async () => {
      const all = { dollars: await fetchAll('dollars'), dual: await fetchAll('dual'), cents: await fetchAll('cents') };
      for (const [era, r] of Object.entries(all)) {
        expect(r.events.flatMap((e) => e.markets.map((m) => m.payloadEra)).every((x) => x === era), era).toBe(true);
        expect(r.market.payloadEra).toBe(era);
      }
      const norm = (r: Awaited<ReturnType<typeof fetchAll>>) => ({
        events: bareEvents(r.events),
        markets: r.markets.map((m) => bare(m)),
        market: bare(r.market),
        trades: r.trades,
        candles: r.candles,
        book: r.book,
        depth1: r.depth1,
      });
      expect(norm(all.dual)).toEqual(norm(all.dollars));
      expect(norm(all.cents)).toEqual(norm(all.dollars));

      const d = all.dollars;
      expect(d.events).toHaveLength(7);
      expect(d.trades.length).toBeGreaterThan(0);
      expect(d.trades.every((t) => t.createdTime.getTime() <= now.getTime())).toBe(true);
      expect(d.candles).toHaveLength(30);
      expect(d.book).toEqual({ ticker: data!.m0508.ticker, yes: [[310_000, 50_000], [330_000, 12_000]], no: [[580_000, 30_000], [600_000, 7_500]] });
      expect(d.depth1).toEqual({ ticker: data!.m0508.ticker, yes: [[330_000, 12_000]], no: [[600_000, 7_500]] });
    });

    it('renders each era with only its own fields', async () => {
      const get = async (era: string) => {
        const res = await fetch(`${sb.url}${KALSHI}/markets/${data!.m0508.ticker}?sandbox_era=${era}`);
        return ((await res.json()) as { market: Record<string, unknown> }).market;
      };
      const cur = await get('dollars');
      expect(cur).toMatchObject({ yes_bid_dollars: expect.any(String), volume_fp: expect.any(String) });
      expect(cur).not.toHaveProperty('yes_bid');
      expect(cur).not.toHaveProperty('volume');
      const cents = await get('cents');
      expect(cents).toMatchObject({ yes_bid: expect.any(Number), volume: expect.any(Number) });
      expect(Object.keys(cents).some((k) => k.endsWith('_dollars') || k.endsWith('_fp'))).toBe(false);
      const dual = await get('dual');
      expect(dual).toMatchObject({ yes_bid: expect.any(Number), yes_bid_dollars: expect.any(String), volume: expect.any(Number), volume_fp: expect.any(String) });
      const bad = await fetch(`${sb.url}${KALSHI}/markets/${data!.m0508.ticker}`, { headers: { [SANDBOX_ERA_HEADER]: 'euros' } });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ error: { code: 'invalid_parameters', details: expect.stringContaining(SANDBOX_ERA_HEADER) } });
    });
  });

  // ── (c) real recorded payloads ─────────────────────────────────────────────────────────────────
  describe('(c) real recorded payloads parse', () => {
    let sb: RunningSandbox;
    const cpratim = HAVE_SHARED ? cpratimEventFiles('kxhighchi') : [];
    const byEvent = new Map<string, string>();
    const oDir = join(REAL, 'orestiskait_pred_market', 'kalshi');
    const tDir = join(REAL, 'tmer234_kalshi_weather_fixtures', 'kalshi');
    const oEvents = HAVE_SHARED ? readdirSync(oDir).filter((f) => f.endsWith('_event_markets.json')) : [];
    const oBooks = HAVE_SHARED ? readdirSync(oDir).filter((f) => f.endsWith('_orderbook.json')) : [];
    beforeAll(async () => {
      for (const f of cpratim) {
        const body = readJson(f.path) as { event: { event_ticker: string } };
        byEvent.set(body.event.event_ticker, f.path);
      }
      sb = await sandbox({
        port: 0,
        world: emptyWorld,
        routes: [
          bodies({
            '/events/:t': (_q, p) => (byEvent.has(p.t!) ? readJson(byEvent.get(p.t!)!) : undefined),
            '/markets': (q) => {
              if (q.cursor) return { markets: [], cursor: '' };
              const f = oEvents.find((x) => x.startsWith(`${q.event_ticker}_`));
              if (f) return { markets: (readJson(join(oDir, f)) as { markets: unknown[] }).markets, cursor: '' };
              if (q.event_ticker === 'KXHIGHNY-26JUL10') return readJson(join(tDir, 'kxhighny_settled_trimmed.json'));
              if (q.event_ticker === 'KXHIGHNY-26JUL12') return readJson(join(tDir, 'kxhighny_open_trimmed.json'));
              return undefined;
            },
            '/markets/:t/orderbook': (_q, p) => {
              const f = oBooks.find((x) => x.startsWith(`${p.t}_`));
              return f ? readJson(join(oDir, f)) : undefined;
            },
            '/series/:s/markets/:t/candlesticks': () => readJson(join(tDir, 'candlesticks_trimmed.json')),
            '/markets/trades': (q) => {
              if (q.cursor) return { trades: [], cursor: '' };
              const day = readJson(join(REAL, 'cpratim_kalshi_weather', 'kxhighchi', 'trades', '2025-05-05.json')) as Record<string, unknown[]>;
              return { trades: day[q.ticker!] ?? [], cursor: '' };
            },
          }),
        ],
      });
    });

    it('every cpratim KXHIGHCHI events file (2024–25, integer cents)', async () => {
      const client = clientFor(sb);
      expect(cpratim.length).toBeGreaterThan(200);
      let markets = 0;
      let derived = 0;
      for (const [ticker, path] of byEvent) {
        const raw = readJson(path) as { markets: Array<Record<string, unknown>> };
        const { event, markets: rows } = await client.getEvent(ticker);
        expect(event).toMatchObject({ eventTicker: ticker, seriesTicker: 'KXHIGHCHI', cityId: 'chicago', eventDate: path.slice(-15, -5) });
        expect(rows).toHaveLength(raw.markets.length);
        rows.forEach((m, i) => {
          const r = raw.markets[i]!;
          expect(m).toMatchObject({ ticker: r.ticker, status: r.status, result: r.result, payloadEra: 'cents', eventDate: event.eventDate, cityId: 'chicago', seriesTicker: 'KXHIGHCHI' });
          expect(m.volume).toBe((r.volume as number) * 100);
          expect(m.lastPriceMicros).toBe((r.last_price as number) * 10_000);
          if (r.strike_type == null) {
            // Recorded without strikes (the YES market of 2025-01-16..02-09): the client reads them from
            // the ticker and subtitle, in the convention the other markets' strike fields show:
            // "12° to 13°" = between 12..13, "5° or below" = less than 6, "14° or above" = greater than 13.
            const sub = r.yes_sub_title as string;
            const n = sub.match(/-?\d+/g)!.map(Number);
            const expected = sub.includes(' to ')
              ? { strikeType: 'between', floorStrike: n[0], capStrike: n[1] }
              : sub.endsWith('or below')
                ? { strikeType: 'less', floorStrike: null, capStrike: n[0]! + 1 }
                : { strikeType: 'greater', floorStrike: n[0]! - 1, capStrike: null };
            expect({ ticker: m.ticker, strikeType: m.strikeType, floorStrike: m.floorStrike, capStrike: m.capStrike }).toEqual({ ticker: r.ticker, ...expected });
            derived++;
          } else {
            expect(m.strikeType).toBe(r.strike_type);
            expect(m.floorStrike ?? null).toBe(r.floor_strike ?? null);
            expect(m.capStrike ?? null).toBe(r.cap_strike ?? null);
          }
          expect(m.settlementSource).toBe('nws-cli');
        });
        markets += rows.length;
      }
      expect(markets).toBeGreaterThan(1500);
      expect(derived).toBe(25);
      // The pre-rename tickers (HIGHCHI-24AUG16) belong to the same series and city.
      expect([...byEvent.keys()].some((t) => t.startsWith('HIGHCHI-'))).toBe(true);
    });

    it('cpratim trade prints (integer cents and counts)', async () => {
      const client = clientFor(sb, { rateLimit: null });
      const trades = await collect(client.listTrades({ ticker: 'KXHIGHCHI-25MAY05-T54', tier: 'live' }));
      expect(trades).toHaveLength(2);
      expect(trades[0]).toEqual({
        tradeId: 'c717cc35-7a8c-4569-a51f-8ca062174f07',
        marketTicker: 'KXHIGHCHI-25MAY05-T54',
        createdTime: new Date('2025-05-05T17:52:59.997Z'),
        yesPriceMicros: 10_000,
        noPriceMicros: 990_000,
        count: 229_700,
        takerSide: 'yes',
        isBlockTrade: null,
      });
    });

    it('orestiskait 2026 dual-unit markets and order books (KXHIGHNY, out of our six cities)', async () => {
      const strict = clientFor(sb);
      const first = oEvents[0]!.split('_')[0]!;
      const err = await collect(strict.listMarkets({ eventTicker: first, tier: 'live' })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PayloadShapeError);
      expect((err as PayloadShapeError).issues[0]).toMatchObject({ path: 'markets.0.event_ticker', value: expect.stringMatching(/^KXHIGHNY-/) });

      const client = clientFor(sb, { allowUnknownSeries: true });
      expect(oEvents.length).toBeGreaterThanOrEqual(8);
      // Some events were recorded twice; the route serves the first recording of each.
      const firstPerEvent = new Map<string, string>();
      for (const f of oEvents) if (!firstPerEvent.has(f.split('_')[0]!)) firstPerEvent.set(f.split('_')[0]!, f);
      for (const [eventTicker, f] of firstPerEvent) {
        const raw = (readJson(join(oDir, f)) as { markets: Array<Record<string, unknown>> }).markets;
        const rows = await collect(client.listMarkets({ eventTicker, tier: 'live' }));
        expect(rows).toHaveLength(raw.length);
        rows.forEach((m, i) => {
          const r = raw[i]!;
          expect(m).toMatchObject({ payloadEra: 'dual', cityId: 'other:KXHIGHNY', seriesTicker: 'KXHIGHNY', eventTicker, result: r.result, status: r.status });
          expect(m.yesBidMicros).toBe((r.yes_bid as number) * 10_000);
          expect(m.volume).toBe((r.volume as number) * 100);
          if (r.settlement_value_dollars != null) expect(m.settlementValueMicros).toBe((r.settlement_value as number) * 10_000);
          expect(m.settlementSource).toBe('nws-cli');
        });
      }
      expect(oBooks.length).toBeGreaterThan(60);
      const firstBook = new Map<string, string>();
      for (const f of oBooks) if (!firstBook.has(f.split('_')[0]!)) firstBook.set(f.split('_')[0]!, f);
      for (const [ticker, f] of firstBook) {
        const raw = readJson(join(oDir, f)) as { orderbook: { yes: Array<[number, number]> | null; no: Array<[number, number]> | null } };
        const book = await client.getOrderbook(ticker);
        const legacy = (levels: Array<[number, number]> | null) => (levels ?? []).map(([p, c]) => [p * 10_000, c * 100]).sort((a, b) => a[0]! - b[0]!);
        expect(book.yes).toEqual(legacy(raw.orderbook.yes));
        expect(book.no).toEqual(legacy(raw.orderbook.no));
      }
    });

    it('tmer234 2026 dollars-only markets (fractional counts) and candlesticks', async () => {
      const client = clientFor(sb, { allowUnknownSeries: true });
      const settled = await collect(client.listMarkets({ eventTicker: 'KXHIGHNY-26JUL10', tier: 'live' }));
      const open = await collect(client.listMarkets({ eventTicker: 'KXHIGHNY-26JUL12', tier: 'live' }));
      expect([...settled, ...open].every((m) => m.payloadEra === 'dollars')).toBe(true);
      expect(settled.find((m) => m.ticker === 'KXHIGHNY-26JUL10-T94')).toMatchObject({ result: 'no', expirationValue: '85.00', openInterest: 343_652, floorStrike: 94, strikeType: 'greater' });
      expect(open.find((m) => m.ticker === 'KXHIGHNY-26JUL12-T89')).toMatchObject({ status: 'active', volume: 194_425, yesAskMicros: 10_000 });
      const candles = await client.getCandles({
        seriesTicker: 'KXHIGHNY',
        ticker: 'KXHIGHNY-26JUL10-T87',
        periodMinutes: 60,
        start: new Date('2026-07-01T00:00:00Z'),
        end: new Date('2026-07-20T00:00:00Z'),
        tier: 'live',
      });
      expect(candles).toHaveLength(3);
      expect(candles[0]).toMatchObject({ bucketStart: new Date((1783674000 - 3600) * 1000), volume: 8370, openInterest: 690_473, priceMean: 607_100, yesAskHigh: 630_000 });
    });
  });

  // ── (d) round trip ─────────────────────────────────────────────────────────────────────────────
  describe('(d) round trip: world rows -> sandbox -> client rows', () => {
    const data = HAVE_SHARED ? chicagoWeek() : undefined;
    let sb: RunningSandbox;
    beforeAll(async () => {
      // Real fixture candles (sub-cent mean, `price: {}`) moved onto a world market.
      const fx = fixture('kalshi-candlesticks.json');
      const { parseCandlesBody } = await import('../../clients/kalshi-payloads');
      const shift = data!.m0508.openTime!.getTime() - new Date((1784041200 - 3600) * 1000).getTime();
      const extra = parseCandlesBody(fx, data!.m0508.ticker, 60).map((c) => ({ ...c, bucketStart: new Date(c.bucketStart.getTime() + shift + 30 * 3_600_000) }));
      data!.candles.push(...extra);
      sb = await sandbox({ port: 0, world: worldOf(data!), routes: [kalshiRoutes({ historicalCutoff: null })] });
    });

    it('events, markets, trades and candles come back exactly (raw aside)', async () => {
      const client = clientFor(sb);
      const events = await collect(client.listEvents({ seriesTicker: 'KXHIGHCHI' }));
      expect(bareEvents(events)).toEqual(bareEvents(data!.events));
      const markets = await collect(client.listMarkets({ seriesTicker: 'KXHIGHCHI' }));
      expect(markets.map((m) => bare(m))).toEqual(data!.events.flatMap((e) => e.markets.map((m) => bare(m))));

      const trades: TradeRow[] = [];
      for (const m of markets) trades.push(...(await collect(client.listTrades({ ticker: m.ticker }))));
      expect(trades.length).toBe(data!.trades.length);
      expect([...trades].sort(byTradeId)).toEqual([...data!.trades].sort(byTradeId));

      const m = data!.m0508;
      const candles = await client.getCandles({ seriesTicker: 'KXHIGHCHI', ticker: m.ticker, periodMinutes: 60, start: m.openTime!, end: m.closeTime!, market: m });
      expect(candles).toEqual(data!.candles.filter((c) => c.marketTicker === m.ticker).sort((a, b) => a.bucketStart.getTime() - b.bucketStart.getTime()));
      expect(candles.some((c) => c.priceMean === 299_600)).toBe(true);
    });

    it('in the cents era too, payloadEra included', async () => {
      const client = clientFor(sb, { headers: { [SANDBOX_ERA_HEADER]: 'cents' } });
      const events = await collect(client.listEvents({ seriesTicker: 'KXHIGHCHI' }));
      expect(bareEvents(events, true)).toEqual(bareEvents(data!.events, true));
      const series = await client.getSeries('KXHIGHCHI');
      expect(series).toMatchObject({ ticker: 'KXHIGHCHI', cityId: 'chicago', feeType: 'quadratic' });
      expect(await client.listSeries()).toHaveLength(1);
    });
  });

  // ── (e) pagination ─────────────────────────────────────────────────────────────────────────────
  describe('(e) pagination over more than one page', () => {
    it('events, markets and trades follow the cursor to the end', async () => {
      const data = chicagoWeek();
      const log = requestLog();
      const sb = await sandbox({ port: 0, world: worldOf(data), routes: [log.module, kalshiRoutes({ historicalCutoff: null })] });
      const client = clientFor(sb);

      const events = await collect(client.listEvents({ seriesTicker: 'KXHIGHCHI', limit: 2 }));
      expect(events.map((e) => e.event.eventTicker)).toEqual(data.events.map((e) => e.event.eventTicker));
      expect(log.count(/^\/events\?/)).toBe(4);

      log.clear();
      const markets = await collect(client.listMarkets({ seriesTicker: 'KXHIGHCHI', limit: 5, tier: 'live' }));
      expect(markets).toHaveLength(42);
      expect(new Set(markets.map((m) => m.ticker)).size).toBe(42);
      expect(log.count(/^\/markets\?/)).toBe(9);

      log.clear();
      const busiest = [...new Set(data.trades.map((t) => t.marketTicker))]
        .map((t) => ({ t, n: data.trades.filter((x) => x.marketTicker === t).length }))
        .sort((a, b) => b.n - a.n)[0]!;
      expect(busiest.n).toBeGreaterThan(100);
      const trades = await collect(client.listTrades({ ticker: busiest.t, limit: 50, tier: 'live' }));
      expect(trades).toHaveLength(busiest.n);
      expect(log.count(/^\/markets\/trades\?/)).toBe(Math.ceil(busiest.n / 50));
      // Newest first, as Kalshi lists them.
      expect(trades[0]!.createdTime.getTime()).toBeGreaterThanOrEqual(trades.at(-1)!.createdTime.getTime());

      const over = await fetch(`${sb.url}${KALSHI}/events?limit=201`);
      expect(over.status).toBe(400);
      expect(await over.json()).toMatchObject({ error: { code: 'invalid_parameters', details: expect.stringMatching(/^limit: /) } });
      const badCursor = await fetch(`${sb.url}${KALSHI}/markets?cursor=zzz`);
      expect(await badCursor.json()).toMatchObject({ error: { details: expect.stringMatching(/^cursor: /) } });
    });
  });

  // ── (f) candle range splitting ─────────────────────────────────────────────────────────────────
  describe('(f) candle ranges are split to respect the per-request cap', () => {
    it('600 one-minute candles in chunks of at most 100', async () => {
      const data = chicagoWeek();
      const log = requestLog();
      const sb = await sandbox({ port: 0, world: worldOf(data), routes: [log.module, kalshiRoutes({ historicalCutoff: null, maxCandlesPerRequest: 100 })] });
      const m = data.m0505;
      const expected = data.candles.filter((c) => c.marketTicker === m.ticker);
      expect(expected).toHaveLength(600);
      const client = clientFor(sb, { maxCandlesPerRequest: 100 });
      const start = m.openTime!;
      const end = new Date(start.getTime() + 600 * 60_000);
      const candles = await client.getCandles({ seriesTicker: 'KXHIGHCHI', ticker: m.ticker, periodMinutes: 1, start, end, market: m });
      expect(candles).toEqual(expected);
      expect(log.count(/candlesticks/)).toBe(6);

      // A sub-range cut mid-way keeps exactly the buckets starting inside it.
      const mid = await client.getCandles({ seriesTicker: 'KXHIGHCHI', ticker: m.ticker, periodMinutes: 1, start: new Date(start.getTime() + 90_500), end: new Date(start.getTime() + 250 * 60_000), market: m });
      expect(mid.map((c) => c.bucketStart)).toEqual(expected.slice(2, 250).map((c) => c.bucketStart));

      // The legacy series ticker routes to the same market; the server refuses an over-wide range.
      const wide = clientFor(sb, { maxCandlesPerRequest: 5000 });
      const err = await wide.getCandles({ seriesTicker: 'KXHIGHCHI', ticker: m.ticker, periodMinutes: 1, start, end, market: m }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NonRetryableHttpError);
      expect(String(err)).toMatch(/400.*end_ts: the range spans more than 100/);
      const bad = await fetch(`${sb.url}${KALSHI}/series/KXHIGHCHI/markets/${m.ticker}/candlesticks?start_ts=1&end_ts=2&period_interval=5`);
      expect(await bad.json()).toMatchObject({ error: { details: expect.stringMatching(/^period_interval: /) } });
    });
  });

  // ── (g) historical tier ────────────────────────────────────────────────────────────────────────
  describe('(g) historical-tier routing', () => {
    const cutoff = new Date('2025-05-05T00:00:00Z');
    const data = HAVE_SHARED ? chicagoWeek() : undefined;
    const log = requestLog();
    let sb: RunningSandbox;
    let client: KalshiClient;
    beforeAll(async () => {
      sb = await sandbox({ port: 0, world: worldOf(data!), routes: [log.module, kalshiRoutes({ historicalCutoff: cutoff })] });
      client = clientFor(sb);
    });

    it('serves the cutoff', async () => {
      expect(await client.getHistoricalCutoff()).toMatchObject({ marketSettledTs: cutoff, tradesCreatedTs: cutoff });
    });

    it('events and markets: settled-before-cutoff markets come from /historical/markets', async () => {
      log.clear();
      const events = await collect(client.listEvents({ seriesTicker: 'KXHIGHCHI' }));
      expect(bareEvents(events)).toEqual(bareEvents(data!.events));
      expect(log.urls.filter((u) => u.startsWith('/historical/markets?'))).toEqual([expect.stringContaining('event_ticker=KXHIGHCHI-25MAY02')]);

      const markets = await collect(client.listMarkets({ seriesTicker: 'KXHIGHCHI' }));
      expect(markets.map((m) => m.ticker).sort()).toEqual(data!.events.flatMap((e) => e.markets.map((m) => m.ticker)).sort());
      const live = await collect(client.listMarkets({ seriesTicker: 'KXHIGHCHI', tier: 'live' }));
      expect(live).toHaveLength(36);
      // Closing at/after the cutoff: 05-04 .. 05-08 (the 05-03 event closed before it but is unsettled, so live).
      expect(await collect(client.listMarkets({ seriesTicker: 'KXHIGHCHI', minCloseTs: cutoff }))).toHaveLength(30);

      log.clear();
      const old = await client.getMarket(data!.m0502.ticker);
      expect(bare(old)).toEqual(bare(data!.m0502));
      expect(log.urls).toEqual([`/markets/${data!.m0502.ticker}`, `/historical/markets/${data!.m0502.ticker}`]);
    });

    it('candles of a historical market use /historical/markets/{t}/candlesticks', async () => {
      const m = data!.m0502;
      const expected = data!.candles.filter((c) => c.marketTicker === m.ticker);
      for (const hint of [m, undefined]) {
        log.clear();
        const fresh = clientFor(sb);
        const rows = await fresh.getCandles({ seriesTicker: 'KXHIGHCHI', ticker: m.ticker, periodMinutes: 60, start: m.openTime!, end: m.closeTime!, ...(hint && { market: hint }) });
        expect(rows).toEqual(expected);
        expect(log.count(/^\/historical\/markets\/[^/]+\/candlesticks/)).toBe(1);
        expect(log.count(/^\/series\//)).toBe(0);
      }
      // Without the hint nor a lookup (forced live), the 404 on the live tier falls back.
      log.clear();
      const rows = await clientFor(sb).getCandles({ seriesTicker: 'KXHIGHCHI', ticker: m.ticker, periodMinutes: 60, start: m.openTime!, end: m.closeTime!, market: { ...m, settlementTs: null, status: 'closed' } });
      expect(rows).toEqual(expected);
      expect(log.urls.map((u) => u.split('?')[0]).filter((u) => u !== '/historical/cutoff')).toEqual([`/series/KXHIGHCHI/markets/${m.ticker}/candlesticks`, `/historical/markets/${m.ticker}/candlesticks`]);
      const live = await fetch(`${sb.url}${KALSHI}/series/KXHIGHCHI/markets/${m.ticker}/candlesticks?start_ts=1746108000&end_ts=1746200000&period_interval=60`);
      expect(live.status).toBe(404);
    });

    it('trades are split at trades_created_ts', async () => {
      // A 05-04 market traded from 05-03 14:00Z to 05-05 04:31Z: both sides of the cutoff.
      const ticker = data!.events[2]!.markets.find((mk) => data!.trades.some((t) => t.marketTicker === mk.ticker && t.createdTime < cutoff) && data!.trades.some((t) => t.marketTicker === mk.ticker && t.createdTime >= cutoff))!.ticker;
      const expected = data!.trades.filter((t) => t.marketTicker === ticker).sort(byTradeId);
      log.clear();
      const trades = await collect(client.listTrades({ ticker }));
      expect([...trades].sort(byTradeId)).toEqual(expected);
      expect(log.count(/^\/historical\/trades\?/)).toBeGreaterThan(0);
      expect(log.count(/^\/markets\/trades\?/)).toBeGreaterThan(0);
      // Only the live tier: the part at/after the cutoff.
      const liveOnly = await collect(client.listTrades({ ticker, tier: 'live' }));
      expect(liveOnly.length).toBe(expected.filter((t) => t.createdTime >= cutoff).length);
      // A window entirely before the cutoff asks only the historical tier.
      log.clear();
      const early = await collect(client.listTrades({ ticker, maxTs: new Date('2025-05-04T00:00:00Z') }));
      expect(early.length).toBe(expected.filter((t) => t.createdTime < new Date('2025-05-04T00:00:00Z')).length);
      expect(log.count(/^\/markets\/trades/)).toBe(0);
    });
  });

  // ── world clock and errors ─────────────────────────────────────────────────────────────────────
  describe('statuses follow the world clock; errors use Kalshi bodies', () => {
    it('initialized / active / closed / finalized, outcome hidden until settled', async () => {
      const data = chicagoWeek();
      const m = data.m0508;
      const at = async (iso: string) => {
        const sb = await sandbox({ port: 0, world: worldOf(data, new Date(iso)), routes: [kalshiRoutes({ historicalCutoff: null })] });
        return clientFor(sb);
      };
      await expect((await at('2025-05-07T12:00:00Z')).getMarket(m.ticker)).rejects.toMatchObject({ status: 404 });
      expect(await (await at('2025-05-07T13:30:00Z')).getMarket(m.ticker)).toMatchObject({ status: 'initialized', result: '', settlementValueMicros: null, expirationValue: null });
      const active = await at('2025-05-08T12:00:00Z');
      expect(await active.getMarket(m.ticker)).toMatchObject({ status: 'active', result: '' });
      expect((await collect(active.listMarkets({ seriesTicker: 'KXHIGHCHI', status: 'open' }))).map((x) => x.eventTicker)).toEqual(Array(6).fill(m.eventTicker));
      expect((await collect(active.listEvents({ seriesTicker: 'KXHIGHCHI', status: 'open' }))).map((e) => e.event.eventTicker)).toEqual([m.eventTicker]);
      const settled = await (await at('2025-05-10T00:00:00Z')).getMarket(m.ticker);
      expect(bare(settled)).toEqual(bare(m));
      expect(marketAt({ ...m, settlementTs: new Date('2025-05-09T14:00:00Z') }, new Date('2025-05-09T10:00:00Z'))).toMatchObject({ status: 'closed', result: '' });
    });

    it('404 for an unknown ticker, 400 naming the parameter', async () => {
      const sb = await sandbox({ port: 0, world: worldOf(chicagoWeek()), routes: [kalshiRoutes()] });
      const get = async (path: string) => {
        const res = await fetch(`${sb.url}${KALSHI}${path}`);
        return { status: res.status, body: (await res.json()) as { error: { code: string; message: string; details?: string } } };
      };
      expect(await get('/markets/KXHIGHCHI-25MAY08-B99.5')).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
      expect(await get('/events/KXHIGHCHI-25MAY09')).toMatchObject({ status: 404 });
      expect(await get('/series/KXHIGHNY')).toMatchObject({ status: 404 });
      expect(await get('/no/such/route')).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
      expect(await get('/markets?status=bogus')).toMatchObject({ status: 400, body: { error: { details: expect.stringMatching(/^status: /) } } });
      expect(await get('/markets/trades')).toMatchObject({ status: 400, body: { error: { details: expect.stringMatching(/^ticker: /) } } });
      expect(await get('/events?with_nested_markets=yes')).toMatchObject({ status: 400, body: { error: { details: expect.stringMatching(/^with_nested_markets: /) } } });
      expect(await get('/markets/trades?ticker=KXHIGHCHI-25MAY08-T55&min_ts=abc')).toMatchObject({ status: 400, body: { error: { details: expect.stringMatching(/^min_ts: /) } } });
      const client = clientFor(sb);
      await expect(client.getEvent('KXHIGHCHI-25MAY09')).rejects.toMatchObject({ status: 404 });
    });
  });

  // ── (h) faults ─────────────────────────────────────────────────────────────────────────────────
  describe('(h) faults', () => {
    it('with 429 / 5xx / drop / truncate / malformed at 0.3 in all, listings are still complete', async () => {
      const data = chicagoWeek();
      const world = worldOf(data);
      const clean = await sandbox({ port: 0, world, routes: [kalshiRoutes()] });
      const expectedEvents = await collect(clientFor(clean).listEvents({ seriesTicker: 'KXHIGHCHI' }));
      const faulty = await sandbox({
        port: 0,
        world,
        routes: [kalshiRoutes()],
        faults: { seed: 20250505, sources: { kalshi: { rate429: 0.06, rate5xx: 0.06, rateDrop: 0.06, rateTruncate: 0.06, rateMalformed: 0.06 } } },
      });
      const client = clientFor(faulty, { maxAttempts: 20 });
      const events = await collect(client.listEvents({ seriesTicker: 'KXHIGHCHI', limit: 1 }));
      expect(bareEvents(events)).toEqual(bareEvents(expectedEvents));
      const ticker = data.m0505.ticker;
      const trades = await collect(client.listTrades({ ticker, limit: 20 }));
      expect([...trades].sort(byTradeId)).toEqual(data.trades.filter((t) => t.marketTicker === ticker).sort(byTradeId));
      const markets = await collect(client.listMarkets({ seriesTicker: 'KXHIGHCHI', limit: 2 }));
      expect(markets.map((m) => bare(m))).toEqual(expectedEvents.flatMap((e) => e.markets.map((m) => bare(m))));
      const counts = faulty.faults.counts.kalshi!;
      for (const kind of ['429', '5xx', 'drop', 'truncate', 'malformed'] as const) expect(counts[kind] ?? 0, kind).toBeGreaterThan(0);
    });

    it('schema drift at rate 1 is a PayloadShapeError naming the path', async () => {
      const sb = await sandbox({ port: 0, world: worldOf(chicagoWeek()), routes: [kalshiRoutes()], faults: { seed: 1, sources: { kalshi: { rateSchemaDrift: 1 } } } });
      const client = clientFor(sb);
      const err = await collect(client.listEvents({ seriesTicker: 'KXHIGHCHI' })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PayloadShapeError);
      const issue = (err as PayloadShapeError).issues[0]!;
      expect(issue.path).toMatch(/^events\.0\./);
      expect(issue.value).toMatchObject({ drifted: expect.anything() });
      expect(String(err)).toContain(issue.path);
      const tradesErr = await collect(client.listTrades({ ticker: 'KXHIGHCHI-25MAY08-T55', tier: 'live' })).catch((e: unknown) => e);
      expect(tradesErr).toBeInstanceOf(PayloadShapeError);
      expect((tradesErr as PayloadShapeError).issues[0]!.path).toBe('trades.0.trade_id');
    });
  });
});
