import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { buildLadder, roundHalfUp, winningBracket, buildBracket } from '../../domain/brackets';
import { CITY_IDS, getCity } from '../../domain/cities';
import { climateDayWindowUtc } from '../../domain/climate-day';
import { createGeneratedWorld, tenthsCFor } from '../../sandbox/worlds/generated';
import { loadWorld } from '../../sandbox/worlds/index';

const RANGE = { from: '2025-03-05', to: '2025-03-12' }; // spans the US spring-forward (Mar 9)
const world = (seed = 42, inefficiency: 'none' | 'underreaction' | 'longshot' = 'none', dates = RANGE) =>
  createGeneratedWorld({ seed, dates, inefficiency });

const utc = (s: string) => new Date(s);

describe('generated world: determinism', () => {
  it('same seed -> same rows, different seed -> different rows', () => {
    const a = world(7);
    const b = world(7);
    const c = world(8);
    const pick = (w: ReturnType<typeof world>) => {
      const ev = w.events({ city: 'denver', dates: { from: '2025-03-07', to: '2025-03-07' } })[0]!;
      const t = ev.markets[2]!.ticker;
      return {
        cli: w.cliReports('denver', RANGE),
        ev,
        candles: w.candles(t, 60, { from: utc('2025-03-01'), to: utc('2025-03-10') }),
        trades: w.trades(t, { from: utc('2025-03-01'), to: utc('2025-03-10') }),
        obs: w.observations('denver', { from: utc('2025-03-07T12:00Z'), to: utc('2025-03-07T13:00Z') }),
        fc: w.dailyForecasts('denver', 'open-meteo', utc('2025-03-04T12:00Z'), RANGE),
        mos: w.mosForecasts('denver', 'GFS', RANGE),
      };
    };
    expect(pick(a)).toEqual(pick(b));
    expect(pick(a).cli).not.toEqual(pick(c).cli);
    expect(pick(a).obs).not.toEqual(pick(c).obs);
  });

  it("a date's values do not depend on the world's range or clock", () => {
    const a = world(3, 'none', { from: '2025-03-01', to: '2025-03-31' });
    const b = world(3, 'none', { from: '2025-03-08', to: '2025-03-09' });
    expect(b.cliReports('miami', RANGE)).toEqual(a.cliReports('miami', { from: '2025-03-08', to: '2025-03-09' }));
    const tk = b.events({ city: 'miami' })[0]!.markets[1]!.ticker;
    const r = { from: utc('2025-03-07'), to: utc('2025-03-09') };
    expect(b.candles(tk, 1, r)).toEqual(a.candles(tk, 1, r));
  });

  it('a 90-day x 6-city world is cheap to create and to list', () => {
    const t0 = Date.now();
    const w = createGeneratedWorld({ seed: 1, dates: { from: '2025-01-01', to: '2025-03-31' } });
    expect(w.cliReports('chicago', w.dates)).toHaveLength(90);
    expect(Date.now() - t0).toBeLessThan(3000);
  });
});

describe('generated world: settlement truth', () => {
  const w = world(11);
  it('the climate-day maximum of the observations rounds half up to the CLI high, every city and date', () => {
    for (const city of CITY_IDS) {
      for (const r of w.cliReports(city, RANGE)) {
        const win = climateDayWindowUtc(city, r.date);
        const obs = w.observations(city, { from: win.start.toJSDate(), to: win.end.toJSDate() });
        expect(obs).toHaveLength(1440);
        const max = Math.max(...obs.map((o) => o.tempF!));
        const min = Math.min(...obs.map((o) => o.tempF!));
        expect(roundHalfUp(max)).toBe(r.highF);
        expect(roundHalfUp(min)).toBe(r.lowF);
        expect(obs.every((o) => o.station === getCity(city).station.icao)).toBe(true);
      }
    }
  });

  it('observations are continuous across climate-day boundaries (no jump at midnight LST)', () => {
    // Found by `wx validate` on the main job: days generated one by one used to jump up to 10 °F at the
    // boundary, which the spike detector rightly flagged.
    for (const city of CITY_IDS) {
      const first = climateDayWindowUtc(city, RANGE.from).start.toJSDate();
      const last = climateDayWindowUtc(city, RANGE.to).end.toJSDate();
      const obs = w.observations(city, { from: first, to: last });
      let worst = 0;
      for (let i = 1; i < obs.length; i++) worst = Math.max(worst, Math.abs(obs[i]!.tempF! - obs[i - 1]!.tempF!));
      expect({ city, worst: worst < 1.5 }).toEqual({ city, worst: true });
    }
  });

  it('GHCN TMAX/TMIN in tenths of °C convert back to the CLI values', () => {
    for (const city of CITY_IDS) {
      const cli = w.cliReports(city, RANGE);
      const ghcn = w.ghcnDaily(city, RANGE);
      expect(ghcn).toHaveLength(cli.length);
      ghcn.forEach((g, i) => {
        expect(g.ghcnId).toBe(getCity(city).station.ghcnId);
        expect(roundHalfUp((g.tmaxTenthsC! / 10) * 1.8 + 32)).toBe(cli[i]!.highF);
        expect(roundHalfUp((g.tminTenthsC! / 10) * 1.8 + 32)).toBe(cli[i]!.lowF);
      });
    }
    for (let f = -30; f <= 120; f++) expect(roundHalfUp((tenthsCFor(f) / 10) * 1.8 + 32)).toBe(f);
  });

  it('hides what is not known yet at now()', () => {
    const live = createGeneratedWorld({ seed: 11, dates: RANGE, now: utc('2025-03-08T18:00:00Z') });
    expect(live.cliReports('chicago', RANGE).map((r) => r.date)).toEqual(['2025-03-05', '2025-03-06', '2025-03-07']);
    const obs = live.observations('chicago', { from: utc('2025-03-08T06:00Z'), to: utc('2025-03-09T06:00Z') });
    expect(obs.at(-1)!.observedAt.getTime()).toBeLessThanOrEqual(utc('2025-03-08T18:00:00Z').getTime());
    const ev = live.events({ city: 'chicago' });
    const byDate = Object.fromEntries(ev.map((e) => [e.event.eventDate, e.markets[0]!.status]));
    expect(byDate['2025-03-07']).toBe('finalized');
    expect(byDate['2025-03-08']).toBe('active');
    expect(byDate['2025-03-09']).toBe('active');
    expect(byDate['2025-03-10']).toBe('initialized');
    expect(live.dailyForecasts('chicago', 'visualcrossing', utc('2025-03-09T00:00Z'), RANGE)).toEqual([]);
  });
});

describe('generated world: Kalshi events', () => {
  const w = world(5);
  it('six markets partition the integers and exactly one wins = winningBracket(CLI high)', () => {
    for (const city of CITY_IDS) {
      const cli = new Map(w.cliReports(city, RANGE).map((r) => [r.date, r.highF]));
      for (const { event, markets } of w.events({ city })) {
        expect(markets).toHaveLength(6);
        const ladder = buildLadder(markets.map((m) => buildBracket({ ticker: m.ticker, strike_type: m.strikeType, floor_strike: m.floorStrike, cap_strike: m.capStrike })));
        const high = cli.get(event.eventDate)!;
        const winners = markets.filter((m) => m.result === 'yes');
        expect(winners).toHaveLength(1);
        expect(winners[0]!.ticker).toBe(winningBracket(ladder, high).ticker);
        expect(markets.every((m) => m.status === 'finalized' && m.expirationValue === `${high}.00`)).toBe(true);
        expect(winners[0]!.settlementValueMicros).toBe(1_000_000);
      }
    }
  });

  it('ladders are centred on the forecast at listing, with floors of both parities', () => {
    const wide = createGeneratedWorld({ seed: 5, cities: ['chicago'], dates: { from: '2025-06-01', to: '2025-06-30' } });
    const floors = wide.events().map((e) => e.markets[1]!.floorStrike! % 2);
    expect(new Set(floors.map((f) => Math.abs(f))).size).toBe(2);
  });

  it('open 10:00 America/New_York the day before, close at the end of the climate day (DST days included)', () => {
    for (const city of CITY_IDS) {
      for (const { event, markets } of w.events({ city })) {
        const open = DateTime.fromJSDate(markets[0]!.openTime!).setZone('America/New_York');
        expect(open.toISODate()).toBe(DateTime.fromISO(event.eventDate).minus({ days: 1 }).toISODate());
        expect([open.hour, open.minute]).toEqual([10, 0]);
        expect(markets[0]!.closeTime!.getTime()).toBe(climateDayWindowUtc(city, event.eventDate).end.toMillis());
      }
    }
    // Chicago on spring-forward day: opens 15:00Z (EST) on Mar 8, climate day Mar 9 06:00Z -> Mar 10 06:00Z.
    const m = w.events({ city: 'chicago', dates: { from: '2025-03-09', to: '2025-03-09' } })[0]!.markets[0]!;
    expect(m.openTime!.toISOString()).toBe('2025-03-08T15:00:00.000Z');
    expect(m.closeTime!.toISOString()).toBe('2025-03-10T06:00:00.000Z');
    const after = w.events({ city: 'chicago', dates: { from: '2025-03-11', to: '2025-03-11' } })[0]!.markets[0]!;
    expect(after.openTime!.toISOString()).toBe('2025-03-10T14:00:00.000Z');
  });

  it('candles are consistent and their volume is the sum of the trades', () => {
    const ev = w.events({ city: 'austin', dates: { from: '2025-03-10', to: '2025-03-10' } })[0]!;
    const r = { from: utc('2025-03-01'), to: utc('2025-03-20') };
    for (const m of ev.markets) {
      const trades = w.trades(m.ticker, r);
      for (const period of [1, 60, 1440] as const) {
        const cs = w.candles(m.ticker, period, r);
        expect(cs.length).toBeGreaterThan(0);
        let vol = 0;
        for (const c of cs) {
          for (const [o, h, l, cl] of [
            [c.yesBidOpen, c.yesBidHigh, c.yesBidLow, c.yesBidClose],
            [c.yesAskOpen, c.yesAskHigh, c.yesAskLow, c.yesAskClose],
            [c.priceOpen, c.priceHigh, c.priceLow, c.priceClose],
          ]) {
            if (o == null) continue;
            expect(l!).toBeLessThanOrEqual(Math.min(o, cl!));
            expect(h!).toBeGreaterThanOrEqual(Math.max(o, cl!));
          }
          expect(c.yesBidClose!).toBeLessThan(c.yesAskClose!);
          const inBucket = trades.filter((t) => t.createdTime >= c.bucketStart && t.createdTime.getTime() < c.bucketStart.getTime() + period * 60_000);
          expect(c.volume).toBe(inBucket.reduce((a, t) => a + t.count, 0));
          vol += c.volume!;
        }
        expect(vol).toBe(trades.reduce((a, t) => a + t.count, 0));
      }
      expect(m.volume).toBe(trades.reduce((a, t) => a + t.count, 0));
      for (const t of trades) {
        expect(t.yesPriceMicros % 10_000).toBe(0);
        expect(t.createdTime.getTime()).toBeGreaterThanOrEqual(m.openTime!.getTime());
        expect(t.createdTime.getTime()).toBeLessThan(m.closeTime!.getTime());
      }
    }
    const book = w.orderbook(ev.markets[2]!.ticker, utc('2025-03-10T12:00Z'))!;
    expect(book.yes.length + book.no.length).toBeGreaterThan(0);
    const c = w.candles(ev.markets[2]!.ticker, 1, { from: utc('2025-03-10T12:00Z'), to: utc('2025-03-10T12:01Z') })[0]!;
    if (book.yes.length) expect(book.yes.at(-1)![0]).toBe(c.yesBidClose);
    if (book.no.length) expect(book.no.at(-1)![0]).toBe(1_000_000 - c.yesAskClose!);
  });

  it('series: quadratic fee, multiplier 1', () => {
    expect(w.series().map((s) => [s.ticker, s.feeType, s.feeMultiplier])).toContainEqual(['KXHIGHPHIL', 'quadratic', 1]);
  });
});

describe('generated world: forecasts', () => {
  it('forecast error spread grows with lead (over many days)', () => {
    const w = createGeneratedWorld({ seed: 9, cities: ['philadelphia', 'austin'], dates: { from: '2024-01-01', to: '2024-12-31' } });
    const errs: number[][] = Array.from({ length: 8 }, () => []);
    for (const city of w.cities) {
      const truth = new Map(w.cliReports(city, w.dates).map((r) => [r.date, r.highF]));
      for (const basis of w.forecastBasisTimes(city, 'visualcrossing', { from: utc('2024-01-01'), to: utc('2024-12-20') })) {
        for (const f of w.dailyForecasts(city, 'visualcrossing', basis, w.dates)) {
          const t = truth.get(f.targetDate);
          if (t !== undefined) errs[f.leadDays]!.push(f.tempmaxF! - t);
        }
      }
    }
    const sd = errs.map((e) => Math.sqrt(e.reduce((a, x) => a + x * x, 0) / e.length));
    for (let l = 1; l < 8; l++) expect(sd[l]!).toBeGreaterThan(sd[l - 1]!);
    expect(sd[1]!).toBeGreaterThan(2);
    expect(sd[1]!).toBeLessThan(5);
    expect(sd[7]!).toBeGreaterThan(1.5 * sd[1]!);
  });

  it('hourly curves, basis times and MOS runs', () => {
    const w = world(4);
    const bt = w.forecastBasisTimes('miami', 'open-meteo', { from: utc('2025-03-06'), to: utc('2025-03-08') });
    expect(bt.map((d) => d.toISOString())).toEqual(['2025-03-06T00:00:00.000Z', '2025-03-06T12:00:00.000Z', '2025-03-07T00:00:00.000Z', '2025-03-07T12:00:00.000Z']);
    const hourly = w.hourlyForecasts('miami', 'open-meteo', bt[0]!, { from: utc('2025-03-06T05:00Z'), to: utc('2025-03-07T05:00Z') });
    expect(hourly).toHaveLength(24);
    const daily = w.dailyForecasts('miami', 'open-meteo', bt[0]!, { from: '2025-03-06', to: '2025-03-06' })[0]!;
    expect(Math.max(...hourly.map((h) => h.tempF!))).toBeCloseTo(daily.tempmaxF!, 0);
    const mos = w.mosForecasts('miami', 'nam', { from: '2025-03-08', to: '2025-03-08' });
    expect(mos.map((m) => m.runTime.toISOString())).toEqual(['2025-03-07T00:00:00.000Z', '2025-03-07T12:00:00.000Z', '2025-03-08T00:00:00.000Z']);
    expect(mos.every((m) => Number.isInteger(m.tmaxF) && m.station === 'KMIA')).toBe(true);
  });
});

describe('generated world: inefficiency knobs', () => {
  const dates = { from: '2025-04-01', to: '2025-04-20' };
  const mk = (ineff: 'none' | 'underreaction' | 'longshot') => createGeneratedWorld({ seed: 21, cities: ['chicago', 'austin'], dates, inefficiency: ineff });
  const none = mk('none');
  const mid = (c: { yesBidClose?: number | null; yesAskClose?: number | null }) => (c.yesBidClose! + c.yesAskClose!) / 2;

  it('longshot: tails and cheap brackets priced above the fair market, favourites below', () => {
    const ls = mk('longshot');
    let cheapDiff = 0;
    let favDiff = 0;
    for (const { markets } of none.events()) {
      for (const m of markets) {
        for (const at of [m.openTime!.getTime() + 5 * 3_600_000, m.closeTime!.getTime() - 8 * 3_600_000]) {
          const r = { from: new Date(at), to: new Date(at + 60_000) };
          const a = none.candles(m.ticker, 1, r)[0]!;
          const b = ls.candles(m.ticker, 1, r)[0]!;
          if (mid(a) < 150_000) cheapDiff += mid(b) - mid(a);
          if (mid(a) > 500_000) favDiff += mid(b) - mid(a);
        }
      }
    }
    expect(cheapDiff).toBeGreaterThan(0);
    expect(favDiff).toBeLessThan(0);
  });

  it('underreaction: late in the climate day the market is less certain about the winner than the fair market', () => {
    const ur = mk('underreaction');
    let fairWin = 0;
    let urWin = 0;
    for (const { event, markets } of none.events()) {
      const win = markets.find((m) => m.result === 'yes')!;
      const late = new Date(win.closeTime!.getTime() - 3 * 3_600_000);
      const r = { from: late, to: new Date(late.getTime() + 60_000) };
      fairWin += mid(none.candles(win.ticker, 1, r)[0]!);
      urWin += mid(ur.candles(win.ticker, 1, r)[0]!);
      // Before the climate day the two agree.
      const early = { from: win.openTime!, to: new Date(win.openTime!.getTime() + 60_000) };
      expect(ur.candles(win.ticker, 1, early)).toEqual(none.candles(win.ticker, 1, early));
      expect(event.eventDate >= dates.from).toBe(true);
    }
    expect(urWin).toBeLessThan(fairWin * 0.8);
  });
});

describe('loadWorld', () => {
  it('builds a generated world from config-ish options', () => {
    const w = loadWorld({ kind: 'generated', seed: 42, inefficiency: 'none', cities: ['chicago'], dates: RANGE });
    expect(w.kind).toBe('generated');
    expect(w.description).toBe('generated seed=42 inefficiency=none');
    expect(w.cities).toEqual(['chicago']);
    expect(() => loadWorld({ kind: 'recorded', seed: 1, cities: ['chicago'] })).toThrow(/directory/);
  });
});
