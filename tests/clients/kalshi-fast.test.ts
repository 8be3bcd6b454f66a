/**
 * The fast decoders of candlesticks and trade pages (clients/kalshi-fast.ts) against the zod schemas
 * they stand in for: on the sandbox's payloads of every era and both tiers, and on the shared
 * fixtures, both give the same rows; on every payload changed in one field (a wrong type, an
 * out-of-range price, a malformed decimal, a missing field, ...), the fast decoder either gives the
 * zod rows or declines (then the schema decides), and it declines whenever the schema refuses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KalshiClient } from '../../clients/kalshi';
import { candleRowsFast, tradesPageFast } from '../../clients/kalshi-fast';
import { CandlesResponseSchema, candleRowFromWire, TradesPageSchema, type CandlePeriod } from '../../clients/kalshi-payloads';
import { ALL_ROUTES } from '../../sandbox/routes/index';
import { SANDBOX_ERA_HEADER } from '../../sandbox/routes/kalshi';
import { startSandbox, type RunningSandbox } from '../../sandbox/server';
import { createGeneratedWorld } from '../../sandbox/worlds/generated';
import type { MarketRow } from '../../schemas/records';
import { SANDBOX_PATHS } from '../../temporal.config';
import { sharedPath } from '../support/shared';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ERAS = ['dollars', 'dual', 'cents'] as const;
const TICKER = 'KXHIGHCHI-TEST';

/** What the schema path makes of a candles body: the rows, or 'refused'. */
function candlesBySchema(body: unknown, ticker: string, p: CandlePeriod) {
  const r = CandlesResponseSchema.safeParse(body);
  return r.success ? (r.data.candlesticks ?? []).map((c) => candleRowFromWire(c, ticker, p)) : 'refused';
}
function tradesBySchema(body: unknown) {
  const r = TradesPageSchema.safeParse(body);
  return r.success ? r.data : 'refused';
}

/** The fast decoder gives the schema's rows, or declines; it declines whenever the schema refuses. */
const seen = { refused: 0, agreed: 0 };
function expectAgrees(fast: unknown, slow: unknown, what: string) {
  seen[slow === 'refused' ? 'refused' : 'agreed']++;
  if (slow === 'refused') expect(fast, `${what}: the schema refuses, the fast path must decline`).toBeUndefined();
  else if (fast !== undefined) expect(fast, what).toEqual(slow);
}

/** Every body that differs from `body` in one leaf (or one object) of its first item. */
function* mutants(whole: Record<string, unknown>, listKey: string): Generator<[string, unknown]> {
  // The change is made in the first item; two more items keep the list a list.
  const body = { ...whole, [listKey]: (whole[listKey] as unknown[]).slice(0, 3) };
  const values: unknown[] = [null, undefined, '', 'x', '0.4200', '1.5000', '-0.0100', '0.1234567', '12.00', '1e3', 42, -3, 1.5, 2 ** 60, true, {}, []];
  const first = (body[listKey] as unknown[])[0] as Record<string, unknown>;
  const paths: string[][] = [];
  const walk = (o: Record<string, unknown>, at: string[]) => {
    for (const [k, v] of Object.entries(o)) {
      paths.push([...at, k]);
      if (v && typeof v === 'object' && !Array.isArray(v)) walk(v as Record<string, unknown>, [...at, k]);
    }
  };
  walk(first, []);
  // Fields the payload of this era left out are mutated too (a twin appearing, a legacy field).
  for (const k of ['volume', 'volume_fp', 'open_interest', 'yes_price', 'no_price', 'count', 'taker_side']) paths.push([k]);
  for (const path of paths) {
    for (const v of values) {
      const copy = structuredClone(body);
      let node = (copy[listKey] as Array<Record<string, unknown>>)[0]!;
      for (const k of path.slice(0, -1)) node = (node[k] ??= {}) as Record<string, unknown>;
      if (v === undefined) delete node[path.at(-1)!];
      else node[path.at(-1)!] = v;
      yield [`${path.join('.')} = ${JSON.stringify(v)}`, copy];
    }
  }
  yield ['a list that is not an array', { ...body, [listKey]: { 0: first } }];
  yield ['an item that is not an object', { ...body, [listKey]: ['x'] }];
  yield ['a body that is an array', [first]];
}

describe('fast Kalshi decoders agree with the zod schemas', () => {
  let settled: RunningSandbox;
  let trading: RunningSandbox;
  const world = (now?: Date) =>
    createGeneratedWorld({ seed: 99, cities: ['chicago'], dates: { from: '2025-02-26', to: '2025-03-02' }, inefficiency: 'none', ...(now ? { now } : {}) });

  beforeAll(async () => {
    // Markets settled long before the world's clock (historical tier), and markets trading at it (live tier).
    settled = await startSandbox({ world: world(new Date('2026-01-01T00:00:00Z')), routes: ALL_ROUTES, port: 0 });
    trading = await startSandbox({ world: world(new Date('2025-03-01T18:00:00Z')), routes: ALL_ROUTES, port: 0 });
  });
  afterAll(async () => {
    await settled?.close();
    await trading?.close();
  });

  async function markets(sandbox: RunningSandbox): Promise<MarketRow[]> {
    const client = new KalshiClient({ baseUrl: `${sandbox.url}${SANDBOX_PATHS.kalshi}`, rateLimit: null });
    const out: MarketRow[] = [];
    for await (const e of client.listEvents({ tickers: ['KXHIGHCHI-25MAR01'], withNestedMarkets: true })) out.push(...e.markets);
    expect(out.length).toBeGreaterThan(0);
    return out;
  }
  const get = async (sandbox: RunningSandbox, path: string, era: string) => {
    const res = await fetch(`${sandbox.url}${SANDBOX_PATHS.kalshi}${path}`, { headers: { [SANDBOX_ERA_HEADER]: era } });
    expect(res.status, path).toBe(200);
    return (await res.json()) as Record<string, unknown>;
  };

  it('gives the same rows on the sandbox payloads of every era and both tiers, and on every one-field change of them', async () => {
    let bodies = 0;
    for (const [sandbox, tier] of [
      [settled, 'historical'],
      [trading, 'live'],
    ] as const) {
      const [m] = await markets(sandbox);
      const start = Math.floor(m!.openTime!.getTime() / 1000);
      const end = Math.min(Math.floor(m!.closeTime!.getTime() / 1000), Math.floor(Date.parse('2025-03-01T18:00:00Z') / 1000));
      for (const era of ERAS) {
        for (const p of [60, 1] as const) {
          const path = tier === 'historical' ? `/historical/markets/${m!.ticker}/candlesticks` : `/series/KXHIGHCHI/markets/${m!.ticker}/candlesticks`;
          const body = await get(sandbox, `${path}?start_ts=${start}&end_ts=${end}&period_interval=${p}`, era);
          const rows = candleRowsFast(body, m!.ticker, p);
          expect(rows, `${tier} ${era} ${p}-minute candles`).toEqual(candlesBySchema(body, m!.ticker, p));
          expect(rows!.length).toBeGreaterThan(0);
          for (const [what, changed] of mutants(body, 'candlesticks')) expectAgrees(candleRowsFast(changed, m!.ticker, p), candlesBySchema(changed, m!.ticker, p), `${tier} ${era} candles, ${what}`);
          bodies++;
        }
        const trades = await get(sandbox, `${tier === 'historical' ? '/historical/trades' : '/markets/trades'}?ticker=${m!.ticker}&limit=1000`, era);
        if (((trades.trades as unknown[]) ?? []).length === 0) continue;
        expect(tradesPageFast(trades), `${tier} ${era} trades`).toEqual(tradesBySchema(trades));
        for (const [what, changed] of mutants(trades, 'trades')) expectAgrees(tradesPageFast(changed), tradesBySchema(changed), `${tier} ${era} trades, ${what}`);
        bodies++;
      }
    }
    expect(bodies).toBeGreaterThanOrEqual(12);
    // The changes reach both sides: bodies the schema refuses, and bodies it takes.
    expect(seen.refused).toBeGreaterThan(100);
    expect(seen.agreed).toBeGreaterThan(100);
  });

  it('gives the same rows on the shared Kalshi fixtures', () => {
    const dir = sharedPath('reference', 'fixtures');
    if (!dir.present) return;
    const read = (f: string) => JSON.parse(readFileSync(join(dir.path, f), 'utf8')) as Record<string, unknown>;
    for (const f of ['kalshi-candlesticks.json', 'kalshi-candlesticks-legacy-feb2026.json', 'kalshi-historical-candlesticks.json']) {
      const body = read(f);
      const rows = candleRowsFast(body, TICKER, 60);
      expect(rows, f).toEqual(candlesBySchema(body, TICKER, 60));
      for (const [what, changed] of mutants(body, 'candlesticks')) expectAgrees(candleRowsFast(changed, TICKER, 60), candlesBySchema(changed, TICKER, 60), `${f}, ${what}`);
    }
    const trades = read('kalshi-trades-page.json');
    expect(tradesPageFast(trades)).toEqual(tradesBySchema(trades));
    for (const [what, changed] of mutants(trades, 'trades')) expectAgrees(tradesPageFast(changed), tradesBySchema(changed), `trades fixture, ${what}`);
  });
});
