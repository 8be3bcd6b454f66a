/**
 * The recorded world over ../shared/data/real (or WX_SHARED_DIR), compared with the files directly: it
 * serves exactly what they hold, repairs nothing, and the product (the clients) copes with the gaps.
 * Skips with a message when the shared data is absent.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLadder, winningBracket } from '../../domain/brackets';
import type { CityId } from '../../domain/cities';
import { wholeFahrenheitFromText, tenthsCToWholeFahrenheit } from '../../domain/fahrenheit';
import { settlementSourceOf } from '../../clients/kalshi-payloads';
import { KalshiClient } from '../../clients/kalshi';
import { IemClient } from '../../clients/iem';
import { NceiClient, ghcnToSettlementRow, parseGhcnDly } from '../../clients/ncei';
import type { MarketRow } from '../../schemas/records';
import { readCsv } from '../../sandbox/worlds/recorded/csv';
import { loadRecordedWorld, type RecordedWorld } from '../../sandbox/worlds/recorded';
import { loadWorld } from '../../sandbox/worlds/index';
import { startSandbox, type RunningSandbox } from '../../sandbox/server';
import { ALL_ROUTES } from '../../sandbox/routes/index';
import { SANDBOX_PATHS } from '../../temporal.config';
import { sharedPath, sharedReal } from '../support/shared';

const REAL = sharedReal().path;
const present = sharedPath('data', 'real', 'cpratim_kalshi_weather').present;

const CPRATIM: Array<[CityId, string]> = [
  ['chicago', 'kxhighchi'],
  ['austin', 'kxhighaus'],
  ['miami', 'kxhighmia'],
  ['denver', 'kxhighden'],
];
const LOGAN: Array<[string, CityId]> = [
  ['chi', 'chicago'],
  ['aus', 'austin'],
  ['phl', 'philadelphia'],
];

interface FileMarket {
  ticker: string;
  result: string;
  status: string;
  expiration_value?: string;
  volume: number;
  strike_type?: string | null;
  floor_strike?: number | null;
  cap_strike?: number | null;
  yes_sub_title?: string;
  rules_primary?: string;
  settlement_value?: number;
}

function cpratimFiles(series: string): Array<{ date: string; markets: FileMarket[]; eventTicker: string }> {
  const dir = join(REAL, 'cpratim_kalshi_weather', series, 'events');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const body = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { event: { event_ticker: string }; markets: FileMarket[] };
      return { date: f.replace('.json', ''), markets: body.markets, eventTicker: body.event.event_ticker };
    });
}

/** Logan rows by event ticker (the double-hyphen artifact normalised). */
function loganEvents(code: string): Map<string, Array<Record<string, string>>> {
  const out = new Map<string, Array<Record<string, string>>>();
  for (const r of readCsv(join(REAL, 'logan_weather_prediction', 'kalshi', `real_kalshi_${code}_all.csv`))) {
    const e = r.event_ticker!.replace(/--/g, '-');
    out.set(e, [...(out.get(e) ?? []), r]);
  }
  return out;
}

/** Logan's half-open [low, high) thresholds as Kalshi's strike fields (the file's convention, PROVENANCE §2). */
function loganStrikes(r: Record<string, string>): { strike_type: string; floor_strike: number | null; cap_strike: number | null } {
  const low = r.threshold_low ? Number(r.threshold_low) : null;
  const high = r.threshold_high ? Number(r.threshold_high) : null;
  if (r.strike_type === 'between') return { strike_type: 'between', floor_strike: low, cap_strike: high! - 1 };
  if (r.strike_type === 'less') return { strike_type: 'less', floor_strike: null, cap_strike: high };
  return { strike_type: 'greater', floor_strike: low, cap_strike: null };
}

describe.skipIf(!present)('recorded world over shared/data/real', () => {
  let world: RecordedWorld;
  let markets: Map<string, MarketRow>;

  beforeAll(() => {
    world = loadRecordedWorld(REAL);
    markets = new Map(world.events().flatMap((e) => e.markets.map((m) => [m.ticker, m] as const)));
  });

  it('loads everything, six cities, New York ignored', () => {
    expect(world.kind).toBe('recorded');
    expect(world.events().every((e) => e.event.cityId !== 'new_york')).toBe(true);
    expect([...markets.keys()].some((t) => t.startsWith('KXHIGHNY'))).toBe(false);
    expect(world.dates).toEqual({ from: '2022-12-22', to: '2025-06-30' });
    expect(world.observations('chicago', { from: new Date('2025-01-01'), to: new Date('2025-01-02') })).toEqual([]);
  });

  it('holds every cpratim market exactly as recorded: strikes absent where the file lacks them, results, expiration values, sources', () => {
    let checked = 0;
    let withoutStrikes = 0;
    for (const [city, series] of CPRATIM) {
      for (const file of cpratimFiles(series)) {
        const ev = world.events({ city, dates: { from: file.date, to: file.date } });
        expect(ev.map((e) => e.event.eventTicker), `${city} ${file.date}`).toEqual([file.eventTicker]);
        expect(ev[0]!.markets.map((m) => m.ticker)).toEqual(file.markets.map((m) => m.ticker));
        for (const m of file.markets) {
          const row = markets.get(m.ticker)!;
          expect({ ticker: row.ticker, strikeType: row.strikeType, floorStrike: row.floorStrike, capStrike: row.capStrike }).toEqual({
            ticker: m.ticker,
            strikeType: m.strike_type ?? null,
            floorStrike: m.floor_strike ?? null,
            capStrike: m.cap_strike ?? null,
          });
          if (m.strike_type == null) withoutStrikes++;
          expect(row.result).toBe(m.result);
          expect(row.status).toBe(m.status);
          expect(row.volume).toBe(m.volume * 100);
          expect(row.expirationValue).toBe(m.expiration_value ? m.expiration_value : null);
          expect(row.settlementSource).toBe(settlementSourceOf(m.rules_primary));
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(5000);
    // The YES market of every event of 2025-01-16..02-09 was recorded without strikes: 25 days x 4 cities.
    expect(withoutStrikes).toBe(100);
  });

  it('serves no CLI report: no file of the corpus is one (Kalshi expiration values, GHCN and Logan tmax are not)', () => {
    for (const city of world.cities) expect(world.cliReports(city, world.dates)).toEqual([]);
  });

  it('holds the Logan markets for events cpratim does not hold, one per CSV row and no other', () => {
    let checked = 0;
    let fiveBracketDays = 0;
    for (const [code, city] of LOGAN) {
      for (const [eventTicker, rows] of loganEvents(code)) {
        const ev = world.events({ city, dates: { from: rows[0]!.date!, to: rows[0]!.date! } })[0]!;
        if (ev.markets[0]!.payloadEra !== 'logan-csv') continue;
        expect(ev.event.eventTicker).toBe(eventTicker);
        expect(ev.markets.map((m) => m.ticker).sort()).toEqual(rows.map((r) => r.ticker!.replace(/--/g, '-')).sort());
        for (const r of rows) {
          const row = markets.get(r.ticker!.replace(/--/g, '-'))!;
          expect(row.result).toBe(r.result);
          expect(row.cityId).toBe(city);
          expect(row.settlementSource).toBeNull();
          expect(row.expirationValue ?? null).toBeNull();
          const s = loganStrikes(r);
          expect({ strikeType: row.strikeType, floorStrike: row.floorStrike, capStrike: row.capStrike }).toEqual({ strikeType: s.strike_type, floorStrike: s.floor_strike, capStrike: s.cap_strike });
          checked++;
        }
        if (rows.length === 5 && rows.every((r) => r.result !== 'yes') && rows[0]!.date! >= '2025-01-16' && rows[0]!.date! <= '2025-02-09') fiveBracketDays++;
      }
    }
    expect(checked).toBeGreaterThan(5000);
    // Philadelphia has no cpratim events: its 25 five-bracket days are served as five brackets without a winner.
    expect(fiveBracketDays).toBe(25);
    const phl = world.events({ city: 'philadelphia', dates: { from: '2025-01-20', to: '2025-01-20' } })[0]!;
    expect(phl.markets).toHaveLength(5);
    expect(phl.markets.some((m) => m.result === 'yes')).toBe(false);
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

  it('GHCN from .dly (QC flags kept) and csv, MOS with the KORD proxy for Chicago', () => {
    const g = world.ghcnDaily('chicago', { from: '2025-05-05', to: '2025-05-05' })[0]!;
    const ev = markets.get('KXHIGHCHI-25MAY05-T54')!;
    expect(tenthsCToWholeFahrenheit(g.tmaxTenthsC!)).toBe(wholeFahrenheitFromText(ev.expirationValue));
    // 2019-05-21 TMAX at KMDW failed NCEI's internal-consistency check (QFLAG I): kept with its flag.
    expect(world.ghcnDaily('chicago', { from: '2019-05-21', to: '2019-05-21' })[0]).toMatchObject({ tmaxTenthsC: 133, tmaxQflag: 'I' });
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

  describe('over HTTP (the sandbox serving the world)', () => {
    let sandbox: RunningSandbox;
    const K = SANDBOX_PATHS.kalshi;
    const get = async (path: string): Promise<Record<string, unknown>> => {
      const res = await fetch(`${sandbox.url}${path}`);
      expect(res.status, path).toBe(200);
      return (await res.json()) as Record<string, unknown>;
    };
    /** Every market the API shows for an event: nested live ones plus the historical tier's. */
    const servedMarkets = async (eventTicker: string): Promise<Array<Record<string, unknown>>> => {
      const live = (await get(`${K}/events/${eventTicker}?with_nested_markets=true`)).markets as Array<Record<string, unknown>>;
      const hist = (await get(`${K}/historical/markets?event_ticker=${eventTicker}&limit=1000`)).markets as Array<Record<string, unknown>>;
      return [...live, ...hist];
    };

    beforeAll(async () => {
      sandbox = await startSandbox({ port: 0, world, routes: ALL_ROUTES });
    });
    afterAll(async () => sandbox?.close());

    it('serves no market, strike, result or expiration value that the files do not hold', async () => {
      let compared = 0;
      // Every Chicago cpratim event (integer-cent JSON), and the Logan events of Philadelphia around the
      // five-bracket days and of Chicago in March 2023.
      for (const file of cpratimFiles('kxhighchi')) {
        const served = await servedMarkets(file.eventTicker);
        expect(served.map((m) => m.ticker).sort(), file.eventTicker).toEqual(file.markets.map((m) => m.ticker).sort());
        for (const s of served) {
          const f = file.markets.find((m) => m.ticker === s.ticker)!;
          expect({ ticker: s.ticker, strike_type: s.strike_type ?? null, floor_strike: s.floor_strike ?? null, cap_strike: s.cap_strike ?? null }).toEqual({
            ticker: f.ticker,
            strike_type: f.strike_type ?? null,
            floor_strike: f.floor_strike ?? null,
            cap_strike: f.cap_strike ?? null,
          });
          expect(s.result).toBe(f.result);
          expect(s.expiration_value ?? null).toBe(f.expiration_value || null);
          expect(s.settlement_value_dollars).toBe(f.result && typeof f.settlement_value === 'number' ? (f.settlement_value / 100).toFixed(4) : undefined);
          compared++;
        }
      }
      for (const [code, from, to] of [
        ['phl', '2025-01-01', '2025-02-28'],
        ['chi', '2023-03-01', '2023-03-31'],
      ] as const) {
        for (const [eventTicker, rows] of loganEvents(code)) {
          if (rows[0]!.date! < from || rows[0]!.date! > to) continue;
          const served = await servedMarkets(eventTicker);
          expect(served.map((m) => m.ticker).sort(), eventTicker).toEqual(rows.map((r) => r.ticker!).sort());
          for (const s of served) {
            const r = rows.find((x) => x.ticker === s.ticker)!;
            const k = loganStrikes(r);
            expect({ ticker: s.ticker, strike_type: s.strike_type, floor_strike: s.floor_strike ?? null, cap_strike: s.cap_strike ?? null }).toEqual({ ticker: r.ticker, ...k });
            expect(s.result).toBe(r.result);
            expect(s.expiration_value).toBeUndefined();
            compared++;
          }
        }
      }
      expect(compared).toBeGreaterThan(1900);
    });

    it('serves no CLI report from IEM, for any city or year', async () => {
      const iem = new IemClient({ baseUrl: `${sandbox.url}${SANDBOX_PATHS.iem}`, rateLimit: { limit: 1000, intervalMs: 1000 }, http: { minDelayMs: 1, maxDelayMs: 5, maxAttempts: 2 } });
      for (const city of world.cities) {
        for (const year of [2023, 2024, 2025]) expect(await iem.cliReports(city, year)).toEqual([]);
      }
    });

    it('the product fills the strikes the payload omits, from ticker and subtitle, and they form the ladder Kalshi settled', async () => {
      const kalshi = new KalshiClient({ baseUrl: `${sandbox.url}${K}`, rateLimit: null, minDelayMs: 1, maxDelayMs: 5, maxAttempts: 3 });
      let settledOnValue = 0;
      for (const [city, series] of CPRATIM) {
        for (const file of cpratimFiles(series).filter((f) => f.date >= '2025-01-16' && f.date <= '2025-02-09')) {
          const { markets: rows } = await kalshi.getEvent(file.eventTicker);
          expect(rows.every((m) => m.strikeType != null), `${city} ${file.date}`).toBe(true);
          const ladder = buildLadder(rows.map((m) => ({ ticker: m.ticker, strike_type: m.strikeType, floor_strike: m.floorStrike, cap_strike: m.capStrike })));
          const high = file.markets.map((m) => wholeFahrenheitFromText(m.expiration_value)).find((x) => x !== undefined);
          const winner = rows.find((m) => m.result === 'yes')!;
          // The filled-in market is the YES one, and Kalshi's expiration value falls in it.
          expect(file.markets.find((m) => m.ticker === winner.ticker)!.strike_type ?? null).toBeNull();
          if (high !== undefined) {
            expect(winningBracket(ladder, high).ticker).toBe(winner.ticker);
            settledOnValue++;
          }
        }
      }
      expect(settledOnValue).toBeGreaterThan(90);
    });

    it('NCEI serves GHCN values with their QC flags, and the client leaves the failed ones out', async () => {
      const ncei = new NceiClient({ baseUrl: `${sandbox.url}${SANDBOX_PATHS.ncei}`, http: { minDelayMs: 1, maxDelayMs: 5, maxAttempts: 2 } });
      const may = await ncei.ghcnDaily('chicago', { from: '2019-05-01', to: '2019-05-31' });
      expect(may).toHaveLength(30);
      expect(may.some((r) => r.date === '2019-05-21')).toBe(false);
      expect(may.find((r) => r.date === '2019-05-20')).toMatchObject({ source: 'ghcn' });
      const body = (await get(`${SANDBOX_PATHS.ncei}/access/services/data/v1?dataset=daily-summaries&stations=USW00014819&startDate=2019-05-21&endDate=2019-05-21&format=json&includeAttributes=true`)) as unknown as Array<Record<string, string>>;
      expect(body).toEqual([{ DATE: '2019-05-21', STATION: 'USW00014819', TMAX: '133', TMAX_ATTRIBUTES: ',I,W,', TMIN: expect.any(String), TMIN_ATTRIBUTES: ',,W,' }]);

      // Every value of the .dly files in the event years, as served, equals the file (value and QFLAG), and nothing else is served.
      for (const id of ['USW00014819', 'USW00013904']) {
        const file = parseGhcnDly(readFileSync(join(REAL, 'logan_weather_prediction', 'ghcn', `${id}.dly`), 'utf8')).filter((v) => v.date >= '2018-01-01' && v.date <= '2025-06-30');
        const served = (await get(
          `${SANDBOX_PATHS.ncei}/access/services/data/v1?dataset=daily-summaries&stations=${id}&startDate=2018-01-01&endDate=2025-06-30&format=json&includeAttributes=true`,
        )) as unknown as Array<Record<string, string | undefined>>;
        const q = (attrs: string | undefined) => attrs?.split(',')[1] ?? '';
        expect(served.map((r) => [r.DATE, r.TMAX ?? null, q(r.TMAX_ATTRIBUTES), r.TMIN ?? null, q(r.TMIN_ATTRIBUTES)])).toEqual(
          file.map((v) => [v.date, v.tmaxTenthsC === undefined ? null : String(v.tmaxTenthsC), v.tmaxFlags?.q ?? '', v.tminTenthsC === undefined ? null : String(v.tminTenthsC), v.tminFlags?.q ?? '']),
        );
        expect(served.length).toBeGreaterThan(2500);
      }
    });
  });
});

describe('GHCN quality control (a .dly line with a Q flag)', () => {
  // KMDW May 2019 as NCEI writes it: day 1 = 150 (no flags, source W), day 2 = 133 with QFLAG I, the rest missing.
  const line = (element: string, days: string[]) => `USW00014819201905${element}${days.join('')}${'-9999   '.repeat(31 - days.length)}`;
  const dly = `${line('TMAX', ['  150  W', '  133 IW'])}\n${line('TMIN', ['   50  W', '   40 IW'])}\n`;

  it('parses the flag and leaves the failed value out of the settlement rows', () => {
    const values = parseGhcnDly(dly);
    expect(values).toEqual([
      { ghcnId: 'USW00014819', date: '2019-05-01', tmaxTenthsC: 150, tmaxFlags: { m: '', q: '', s: 'W' }, tminTenthsC: 50, tminFlags: { m: '', q: '', s: 'W' } },
      { ghcnId: 'USW00014819', date: '2019-05-02', tmaxTenthsC: 133, tmaxFlags: { m: '', q: 'I', s: 'W' }, tminTenthsC: 40, tminFlags: { m: '', q: 'I', s: 'W' } },
    ]);
    expect(ghcnToSettlementRow('chicago', values[0]!)).toMatchObject({ highF: 59, lowF: 41 });
    expect(ghcnToSettlementRow('chicago', values[1]!)).toBeUndefined();
    // A failed TMIN alone only empties the low.
    expect(ghcnToSettlementRow('chicago', { ...values[0]!, tminFlags: { m: '', q: 'I', s: 'W' } })).toMatchObject({ highF: 59, lowF: null });
  });
});
