import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { buildLadder, roundHalfUp, winningBracket, buildBracket } from '../../domain/brackets';
import { CITY_IDS, getCity } from '../../domain/cities';
import { climateDayWindowUtc } from '../../domain/climate-day';
import { createGeneratedWorld, tenthsCFor } from '../../sandbox/worlds/generated';
import { defaultCalibration } from '../../sandbox/worlds/generated/calibration';
import { loadWorld } from '../../sandbox/worlds/index';
import { quoteAt } from './quote-at';

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
  it('the climate-day maximum of the observations is the CLI high or a degree off it; the minimum is the CLI low', () => {
    for (const city of CITY_IDS) {
      for (const r of w.cliReports(city, RANGE)) {
        const win = climateDayWindowUtc(city, r.date);
        const obs = w.observations(city, { from: win.start.toJSDate(), to: win.end.toJSDate() });
        expect(obs).toHaveLength(1440);
        const max = Math.max(...obs.map((o) => o.tempF!));
        const min = Math.min(...obs.map((o) => o.tempF!));
        expect(Math.abs(roundHalfUp(max) - r.highF!)).toBeLessThanOrEqual(1);
        expect(roundHalfUp(min)).toBe(r.lowF);
        expect(obs.every((o) => o.station === getCity(city).station.icao)).toBe(true);
      }
    }
  });

  it('on some days the observed maximum misses the CLI high, at the calibrated rates (below often, above rarely)', () => {
    // The intended rates are calibration.observations (from the real hourly METAR misses, see
    // scripts/calibrate-world.ts); 6 cities x 181 days, so the binomial sd is under 1.4 points.
    const { belowProb, aboveProb } = defaultCalibration().observations;
    const big = createGeneratedWorld({ seed: 77, dates: { from: '2025-01-01', to: '2025-06-30' } });
    const diffs = CITY_IDS.flatMap((city) =>
      big.cliReports(city, big.dates).map((r) => {
        const win = climateDayWindowUtc(city, r.date);
        const obs = big.observations(city, { from: win.start.toJSDate(), to: win.end.toJSDate() });
        return roundHalfUp(Math.max(...obs.map((o) => o.tempF!))) - r.highF!;
      }),
    );
    const n = diffs.length;
    const share = (d: number) => diffs.filter((x) => x === d).length / n;
    const tol = (p: number) => 4 * Math.sqrt((p * (1 - p)) / n);
    expect(n).toBe(6 * 181);
    expect(Math.abs(share(-1) - belowProb)).toBeLessThan(tol(belowProb));
    expect(Math.abs(share(1) - aboveProb)).toBeLessThan(tol(aboveProb));
    expect(share(1)).toBeGreaterThan(0);
    expect(share(-1) + share(0) + share(1)).toBe(1);
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
    const q = quoteAt(w, ev.markets[2]!.ticker, utc('2025-03-10T12:00Z'), ev.markets[2]!.openTime!)!;
    // An empty side is a missing quote: no bid is a yes bid of 0, no ask a yes ask of $1.
    expect(book.yes.length ? book.yes.at(-1)![0] : 0).toBe(q.bid);
    expect(book.no.length ? 1_000_000 - book.no.at(-1)![0] : 1_000_000).toBe(q.ask);
  });

  it('series: quadratic fee, multiplier 1', () => {
    expect(w.series().map((s) => [s.ticker, s.feeType, s.feeMultiplier])).toContainEqual(['KXHIGHPHIL', 'quadratic', 1]);
  });
});

describe('generated world: untidy like the real market', () => {
  // The intended figures are in calibration.json (market.sparsity, market.quotes), measured on the
  // real corpus by scripts/calibrate-world.ts; the tolerances below are the tests' own.
  const cal = defaultCalibration().market;
  const w = world(5);
  const all = CITY_IDS.flatMap((city) => w.events({ city }));
  const MIN = 60_000;

  it('1-minute candles are sparse: a candle only in a minute with a trade or a quote change, nothing happens in a missing minute', () => {
    let eventShare = 0;
    let missingHours = 0;
    const bad: string[] = [];
    for (const { markets } of all) {
      const open = markets[0]!.openTime!.getTime();
      const close = markets[0]!.closeTime!.getTime();
      const r = { from: new Date(open), to: new Date(close) };
      const minutes = new Set<number>();
      for (const m of markets) {
        const cs = w.candles(m.ticker, 1, r);
        const trades = w.trades(m.ticker, r);
        const tradeMinutes = new Set(trades.map((t) => Math.floor(t.createdTime.getTime() / MIN) * MIN));
        expect(cs[0]!.bucketStart.getTime()).toBe(open); // the book appears at listing
        cs.forEach((c, i) => {
          const t = c.bucketStart.getTime();
          minutes.add(t);
          if (i === 0) return;
          const quoteChanged = c.yesBidOpen !== c.yesBidClose || c.yesAskOpen !== c.yesAskClose;
          if (!(quoteChanged || c.volume! > 0)) bad.push(`${m.ticker} ${c.bucketStart.toISOString()}: nothing happened`);
          if (c.volume! > 0 !== tradeMinutes.has(t)) bad.push(`${m.ticker} ${c.bucketStart.toISOString()}: volume vs trades`);
          // Across missing minutes the book stood still: the next open is the last close, and no trade fell in between.
          const prev = cs[i - 1]!;
          if (c.yesBidOpen !== prev.yesBidClose || c.yesAskOpen !== prev.yesAskClose) bad.push(`${m.ticker} ${c.bucketStart.toISOString()}: quote moved in a gap`);
          for (let g = prev.bucketStart.getTime() + MIN; g < t; g += MIN) if (tradeMinutes.has(g)) bad.push(`${m.ticker} ${new Date(g).toISOString()}: trade without a candle`);
        });
        // Hourly candles as Kalshi returns them: one per hour with any minute candle, its volume their sum.
        const hours = w.candles(m.ticker, 60, r);
        const byHour = new Map<number, typeof cs>();
        for (const c of cs) {
          const h = Math.floor(c.bucketStart.getTime() / (60 * MIN)) * 60 * MIN;
          byHour.set(h, [...(byHour.get(h) ?? []), c]);
        }
        expect(hours.map((h) => h.bucketStart.getTime())).toEqual([...byHour.keys()]);
        for (const h of hours) {
          const inside = byHour.get(h.bucketStart.getTime())!;
          expect(h.volume).toBe(inside.reduce((a, c) => a + c.volume!, 0));
          expect(h.yesBidClose).toBe(inside.at(-1)!.yesBidClose);
        }
        missingHours += Math.ceil((close - Math.floor(open / (60 * MIN)) * 60 * MIN) / (60 * MIN)) - hours.length;
      }
      eventShare += minutes.size / ((close - open) / MIN);
    }
    expect(bad.slice(0, 5)).toEqual([]);
    eventShare /= all.length;
    // Real minute exports: 0.44-0.60 of an event's minutes carry data (mean 0.50).
    expect(Math.abs(eventShare - cal.sparsity.eventMinuteShare)).toBeLessThan(0.1);
    expect(missingHours).toBeGreaterThan(0); // quiet hours have no hourly candle either
  });

  const snapshot = all.flatMap(({ event, markets }) => markets.map((m) => ({ m, q: quoteAt(w, m.ticker, new Date(`${event.eventDate}T05:00:00Z`), m.openTime!)! })));
  const cents = (x: number) => x / 10_000;
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

  it('quotes have real spreads: several cents, wider at listing, relatively wider on cheap brackets', () => {
    const twoSided = snapshot.filter(({ q }) => q.bid > 0 && q.ask < 1_000_000).map(({ q }) => ({ spread: cents(q.ask - q.bid), mid: cents(q.mid) }));
    const spreads = twoSided.map((x) => x.spread);
    const sorted = [...spreads].sort((a, b) => a - b);
    // Real day-ahead snapshots (2025 on): median 4¢ (2¢ on brackets under 5¢), p90 8¢.
    expect(median(twoSided.filter((x) => x.mid >= 5 && x.mid <= 95).map((x) => x.spread))).toBeGreaterThanOrEqual(3);
    expect(median(twoSided.filter((x) => x.mid >= 5 && x.mid <= 95).map((x) => x.spread))).toBeLessThanOrEqual(5);
    expect(Math.abs(sorted[Math.floor(0.9 * sorted.length)]! - cal.quotes.measured.p90SpreadCents)).toBeLessThanOrEqual(3);
    expect(sorted[0]).toBeGreaterThanOrEqual(1);
    const atListing = all.flatMap(({ markets }) => markets.map((m) => w.candles(m.ticker, 1, { from: m.openTime!, to: new Date(m.openTime!.getTime() + MIN) })[0]!));
    const listingSpreads = atListing.filter((c) => c.yesBidClose! > 0 && c.yesAskClose! < 1_000_000).map((c) => cents(c.yesAskClose! - c.yesBidClose!));
    expect(median(listingSpreads)).toBeGreaterThan(median(spreads));
    const rel = (lo: number, hi: number) => median(twoSided.filter((x) => x.mid >= lo && x.mid < hi).map((x) => x.spread / x.mid));
    expect(rel(0, 10)).toBeGreaterThan(rel(20, 80));
  });

  it('one-sided books appear: cheap losers often have no bid, near-certain winners at times no ask; no trade hits a missing side', () => {
    const noBid = snapshot.filter(({ q }) => q.bid === 0).length / snapshot.length;
    // Real day-ahead snapshots: 14% of markets without a bid, almost none without an ask.
    expect(Math.abs(noBid - cal.quotes.measured.noBidShare)).toBeLessThan(0.1);
    expect(snapshot.every(({ q }) => q.bid === 0 ? q.ask <= 100_000 : true)).toBe(true);
    let noAsk = 0;
    for (const { markets } of all) {
      for (const m of markets) {
        const r = { from: m.openTime!, to: m.closeTime! };
        const cs = w.candles(m.ticker, 1, r);
        noAsk += cs.filter((c) => c.yesAskClose === 1_000_000).length;
        const trades = w.trades(m.ticker, r);
        let i = 0;
        for (const t of trades) {
          expect(t.yesPriceMicros).toBeGreaterThanOrEqual(10_000);
          expect(t.yesPriceMicros).toBeLessThanOrEqual(990_000);
          while (i + 1 < cs.length && cs[i + 1]!.bucketStart <= t.createdTime) i++;
          // The trade's minute has a candle (cs[i]); a yes taker paid its ask, a no taker sold at its bid.
          expect(t.yesPriceMicros).toBe(t.takerSide === 'yes' ? cs[i]!.yesAskClose : cs[i]!.yesBidClose);
        }
      }
    }
    expect(noAsk).toBeGreaterThan(0);
    const oneSided = snapshot.find(({ q }) => q.bid === 0)!;
    const book = w.orderbook(oneSided.m.ticker, new Date(`${oneSided.m.eventDate}T05:00:00Z`))!;
    expect(book.yes).toEqual([]);
    expect(book.no.length).toBeGreaterThan(0);
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
  const mid = (ww: typeof none, m: { ticker: string; openTime?: Date | null }, at: Date) => quoteAt(ww, m.ticker, at, m.openTime!)!.mid;

  it('longshot: tails and cheap brackets priced above the fair market, favourites below', () => {
    const ls = mk('longshot');
    let cheapDiff = 0;
    let favDiff = 0;
    for (const { markets } of none.events()) {
      for (const m of markets) {
        for (const at of [m.openTime!.getTime() + 5 * 3_600_000, m.closeTime!.getTime() - 8 * 3_600_000]) {
          const a = mid(none, m, new Date(at));
          const b = mid(ls, m, new Date(at));
          if (a < 150_000) cheapDiff += b - a;
          if (a > 500_000) favDiff += b - a;
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
      fairWin += mid(none, win, late);
      urWin += mid(ur, win, late);
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
