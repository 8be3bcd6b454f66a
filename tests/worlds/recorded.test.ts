/**
 * The recorded world over ../shared/data/real (or WX_SHARED_DIR), compared with the files directly.
 * Skips with a message when the shared data is absent.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildBracket, buildLadder, roundHalfUp, winningBracket } from '../../domain/brackets';
import type { CityId } from '../../domain/cities';
import type { MarketRow } from '../../schemas/records';
import { readCsv } from '../../sandbox/worlds/recorded/csv';
import { loadRecordedWorld, parseExpirationValue, type RecordedWorld } from '../../sandbox/worlds/recorded';
import { loadWorld } from '../../sandbox/worlds/index';
import { sharedPath, sharedReal } from '../support/shared';

const REAL = sharedReal().path;
const present = sharedPath('data', 'real', 'cpratim_kalshi_weather').present;

const CPRATIM: Array<[CityId, string]> = [
  ['chicago', 'kxhighchi'],
  ['austin', 'kxhighaus'],
  ['miami', 'kxhighmia'],
  ['denver', 'kxhighden'],
];

describe.skipIf(!present)('recorded world over shared/data/real', () => {
  let world: RecordedWorld;
  let markets: Map<string, MarketRow>;
  let loadMs = 0;

  beforeAll(() => {
    const t0 = Date.now();
    world = loadRecordedWorld(REAL);
    loadMs = Date.now() - t0;
    markets = new Map(world.events().flatMap((e) => e.markets.map((m) => [m.ticker, m] as const)));
  });

  it('loads everything in a few seconds, six cities, New York ignored', () => {
    expect(loadMs).toBeLessThan(10_000);
    expect(world.kind).toBe('recorded');
    expect(world.events().every((e) => e.event.cityId !== 'new_york')).toBe(true);
    expect([...markets.keys()].some((t) => t.startsWith('KXHIGHNY'))).toBe(false);
    expect(world.dates).toEqual({ from: '2022-12-22', to: '2025-06-30' });
    expect(world.observations('chicago', { from: new Date('2025-01-01'), to: new Date('2025-01-02') })).toEqual([]);
  });

  it('reproduces the settled highs (expiration_value) and every market result of the cpratim files', () => {
    let highs = 0;
    for (const [city, series] of CPRATIM) {
      const dir = join(REAL, 'cpratim_kalshi_weather', series, 'events');
      const cli = new Map(world.cliReports(city, world.dates).map((r) => [r.date, r]));
      for (const f of readdirSync(dir)) {
        const payload = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { markets: Array<{ ticker: string; result: string; status: string; expiration_value: string; volume: number }> };
        const date = f.replace('.json', '');
        const ev = payload.markets.map((m) => parseExpirationValue(m.expiration_value)).find((x) => x !== undefined);
        if (ev !== undefined) {
          expect(cli.get(date)?.highF, `${city} ${date}`).toBe(ev);
          highs++;
        }
        for (const m of payload.markets) {
          const row = markets.get(m.ticker)!;
          expect(row, m.ticker).toBeDefined();
          expect(row.result).toBe(m.result);
          expect(row.status).toBe(m.status);
          expect(row.volume).toBe(m.volume * 100);
        }
      }
    }
    expect(highs).toBeGreaterThan(250);
    // Free text: "84. Although the Daily Climate Report was not finalized ..."
    expect(world.cliReports('miami', { from: '2024-11-05', to: '2024-11-05' })[0]!.highF).toBe(84);
  });

  it('reproduces the Logan market results for events cpratim does not hold', () => {
    let checked = 0;
    for (const [code, city] of [['chi', 'chicago'], ['aus', 'austin'], ['phl', 'philadelphia']] as const) {
      for (const r of readCsv(join(REAL, 'logan_weather_prediction', 'kalshi', `real_kalshi_${code}_all.csv`))) {
        const ticker = r.ticker!.replace(/--/g, '-');
        const row = markets.get(ticker);
        expect(row, ticker).toBeDefined();
        if (row!.payloadEra !== 'logan-csv') continue;
        expect(row!.result).toBe(r.result);
        expect(row!.cityId).toBe(city);
        const tmax = Number(r.actual_tmax);
        if (r.actual_tmax && Number.isFinite(tmax)) {
          expect(world.cliReports(city, { from: r.date!, to: r.date! })[0]!.highF).toBe(roundHalfUp(tmax));
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(5000);
  });

  it('every settled event with strikes forms a ladder whose winner is the CLI high (strikes inferred where missing)', () => {
    let n = 0;
    for (const city of ['chicago', 'austin', 'miami', 'denver'] as const) {
      const cli = new Map(world.cliReports(city, world.dates).map((r) => [r.date, r.highF]));
      for (const { event, markets: ms } of world.events({ city })) {
        const winners = ms.filter((m) => m.result === 'yes');
        if (winners.length !== 1 || ms.length !== 6) continue;
        const ladder = buildLadder(ms.map((m) => buildBracket({ ticker: m.ticker, strike_type: m.strikeType, floor_strike: m.floorStrike, cap_strike: m.capStrike })));
        const high = cli.get(event.eventDate);
        if (high === undefined) continue;
        expect(winningBracket(ladder, high).ticker, event.eventTicker).toBe(winners[0]!.ticker);
        n++;
      }
    }
    expect(n).toBeGreaterThan(1000);
    const jan20 = world.events({ city: 'chicago', dates: { from: '2025-01-20', to: '2025-01-20' } })[0]!;
    expect(jan20.markets.every((m) => m.strikeType)).toBe(true);
    const raw = jan20.markets.find((m) => m.result === 'yes')!.raw as { strike_type?: string };
    expect(raw.strike_type).toBeUndefined();
  });

  it('keeps legacy HIGHCHI events under series KXHIGHCHI', () => {
    const legacy = world.events({ seriesTicker: 'KXHIGHCHI', dates: { from: '2024-08-16', to: '2024-08-16' } });
    expect(legacy.map((e) => e.event.eventTicker)).toEqual(['HIGHCHI-24AUG16']);
    expect(legacy[0]!.event.seriesTicker).toBe('KXHIGHCHI');
  });

  it('serves the presettlement quotes as 60-minute candles closing at the snapshot time', () => {
    let n = 0;
    for (const code of ['chi', 'aus', 'phl']) {
      for (const r of readCsv(join(REAL, 'logan_weather_prediction', 'kalshi', `kalshi_presettlement_${code}.csv`))) {
        const end = Date.parse(r.snapshot_time_utc!.replace(' UTC', 'Z').replace(' ', 'T'));
        const ticker = r.ticker!.replace(/--/g, '-');
        const cs = world.candles(ticker, 60, { from: new Date(end - 3_600_000), to: new Date(end) });
        expect(cs, `${ticker} ${r.snapshot_time_utc}`).toHaveLength(1);
        expect(cs[0]!.yesBidClose).toBe(Math.round(Number(r.bid_cents)) * 10_000);
        expect(cs[0]!.yesAskClose).toBe(Math.round(Number(r.ask_cents)) * 10_000);
        n++;
      }
    }
    expect(n).toBeGreaterThan(9000);
  });

  it('trades: the tape sums to the market volume and candles derived from it agree', () => {
    const r = { from: new Date('2025-05-01'), to: new Date('2025-05-10') };
    for (const m of world.events({ city: 'chicago', dates: { from: '2025-05-05', to: '2025-05-05' } })[0]!.markets) {
      const trades = world.trades(m.ticker, r);
      const vol = trades.reduce((a, t) => a + t.count, 0);
      expect(vol).toBe(m.volume);
      for (const p of [1, 60, 1440] as const) {
        const cs = world.candles(m.ticker, p, r).filter((c) => c.priceClose != null);
        expect(cs.reduce((a, c) => a + c.volume!, 0)).toBe(vol);
        for (const c of cs) {
          expect(c.priceLow!).toBeLessThanOrEqual(Math.min(c.priceOpen!, c.priceClose!));
          expect(c.priceHigh!).toBeGreaterThanOrEqual(Math.max(c.priceOpen!, c.priceClose!));
        }
      }
    }
  });

  it('GHCN from .dly and csv, MOS with the KORD proxy for Chicago', () => {
    const g = world.ghcnDaily('chicago', { from: '2025-05-05', to: '2025-05-05' })[0]!;
    expect(roundHalfUp((g.tmaxTenthsC! / 10) * 1.8 + 32)).toBe(world.cliReports('chicago', { from: '2025-05-05', to: '2025-05-05' })[0]!.highF);
    expect(world.ghcnDaily('philadelphia', { from: '2024-07-01', to: '2024-07-31' })).toHaveLength(31);
    const mos = world.mosForecasts('chicago', 'gfs', { from: '2025-01-01', to: '2025-01-31' });
    expect(mos.length).toBeGreaterThan(25);
    expect(mos.every((m) => m.station === 'KORD')).toBe(true);
    expect(world.mosForecasts('philadelphia', 'NAM', { from: '2025-01-01', to: '2025-01-31' }).every((m) => m.station === 'KPHL')).toBe(true);
  });

  it('loadWorld restricts a recorded world to cities and dates', () => {
    const w = loadWorld({ kind: 'recorded', seed: 0, dir: REAL, cities: ['austin'], dates: { from: '2025-05-01', to: '2025-05-08' } });
    expect(w.cities).toEqual(['austin']);
    expect(w.events().map((e) => e.event.eventDate)).toEqual(['2025-05-01', '2025-05-02', '2025-05-03', '2025-05-04', '2025-05-05', '2025-05-06', '2025-05-07', '2025-05-08']);
  });
});
