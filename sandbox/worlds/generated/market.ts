/**
 * The Kalshi side of the generated world, per event, simulated on demand minute by minute from
 * listing (10:00 America/New_York the day before) to close (the end of the climate day):
 *   - the ladder: six markets centred on the information μ at listing (two tails + four 2 °F bins,
 *     floors of either parity), a partition of the integers;
 *   - the fair distribution of the CLI high at each minute: X ~ N(μ(t), σ(t)) from the hourly
 *     information grid, truncated below at the running maximum of the day's observations so far,
 *     rounded half up to the brackets;
 *   - the market's probability: fair ('none'); during the climate day only part of the way from the
 *     pre-day distribution to the fair one ('underreaction', λ = 0.5); or a power-flattened fair
 *     distribution, p^0.7 normalised, which overprices tails and longshots ('longshot');
 *   - quotes: whole cents around the market probability with real spreads (median ~4¢, ~2-3¢ on
 *     cheap brackets, wider at listing), redrawn when makers requote (when the probability moves,
 *     and at random, less often overnight); near-certain losers often have no bid, near-certain
 *     winners sometimes no ask (one-sided books, as the real day-ahead quotes show);
 *   - trades: Poisson bursts per minute (~2 prints each), busier near 50¢ and in the ET trading day,
 *     sized like the real tape, the taker lifting the ask (yes) or hitting the bid (no), never a
 *     missing side; open interest follows the trades;
 *   - candles only for buckets with a trade or a quote change (sparse, as Kalshi's are).
 * Every rate and spread is in calibration.json (market.activity, market.quotes) with its source.
 */
import { DateTime } from 'luxon';
import { bracketLabel, type Bracket } from '../../../domain/brackets';
import { getCity, type CityId } from '../../../domain/cities';
import { formatEventTicker, formatMarketTicker } from '../../../domain/tickers';
import type { CandleRow, OrderbookSnapshot, TradeRow } from '../../../schemas/records';
import type { MarketActivity, QuoteCalibration, WorldCalibration } from './calibration';
import { addDays, CityModel, MIN } from './model';
import { normal, normalSf, poisson, rngFor, uuidFrom } from './math';


export type Inefficiency = 'none' | 'underreaction' | 'longshot';

export const UNDERREACTION_LAMBDA = 0.5;
export const LONGSHOT_GAMMA = 0.7;
const MICROS_PER_CENT = 10_000;

export interface MarketSpec {
  ticker: string;
  bracket: Bracket;
  /** Edges on the real-valued high: YES iff lo <= X < hi (X rounds half up into the bracket). */
  lo: number;
  hi: number;
  label: string;
}

export interface EventSpec {
  city: CityId;
  date: string;
  seriesTicker: string;
  eventTicker: string;
  openMs: number;
  closeMs: number;
  /** expected_expiration_time: 10:00 ET the day after; the market is determined then. */
  determinedMs: number;
  settledMs: number;
  latestExpirationMs: number;
  markets: MarketSpec[];
}

const etAt10 = (date: string): number => DateTime.fromISO(`${date}T10:00:00`, { zone: 'America/New_York' }).toMillis();

export function eventSpec(model: CityModel, date: string): EventSpec {
  const city = getCity(model.city);
  const day = model.day(date);
  const openMs = etAt10(addDays(date, -1));
  const info = model.info(date);
  const mu = info.mu[CityModel.index(info, openMs)]!;
  const f0 = Math.round(mu - 3.5);
  const eventTicker = formatEventTicker(city.seriesTicker, date);
  const markets: MarketSpec[] = [];
  const low: Bracket = { ticker: formatMarketTicker(eventTicker, 'T', f0), strikeType: 'less', cap: f0 };
  markets.push({ ticker: low.ticker, bracket: low, lo: -Infinity, hi: f0 - 0.5, label: bracketLabel(low) });
  for (let k = 0; k < 4; k++) {
    const f = f0 + 2 * k;
    const b: Bracket = { ticker: formatMarketTicker(eventTicker, 'B', f + 0.5), strikeType: 'between', floor: f, cap: f + 1 };
    markets.push({ ticker: b.ticker, bracket: b, lo: f - 0.5, hi: f + 1.5, label: bracketLabel(b) });
  }
  const high: Bracket = { ticker: formatMarketTicker(eventTicker, 'T', f0 + 7), strikeType: 'greater', floor: f0 + 7 };
  markets.push({ ticker: high.ticker, bracket: high, lo: f0 + 7.5, hi: Infinity, label: bracketLabel(high) });
  const determinedMs = etAt10(addDays(date, 1));
  return {
    city: model.city,
    date,
    seriesTicker: city.seriesTicker,
    eventTicker,
    openMs,
    closeMs: day.dayEndMs,
    determinedMs,
    settledMs: determinedMs + 3_600_000,
    latestExpirationMs: etAt10(addDays(date, 7)),
    markets,
  };
}

/** P(bracket) for X ~ N(mu, sigma) truncated to X >= floor (floor = -Infinity when nothing is observed). */
export function bracketProbs(markets: readonly MarketSpec[], mu: number, sigma: number, floor: number, out: Float64Array): void {
  const denom = floor === -Infinity ? 1 : normalSf((floor - mu) / sigma);
  if (!(denom > 1e-250)) {
    // The running maximum is far above the forecast: the high is (about) the running maximum.
    markets.forEach((m, j) => (out[j] = floor >= m.lo && floor < m.hi ? 1 : 0));
    return;
  }
  markets.forEach((m, j) => {
    const lo = Math.max(m.lo, floor);
    if (m.hi <= lo) out[j] = 0;
    else out[j] = Math.max(0, normalSf((lo - mu) / sigma) - normalSf((m.hi - mu) / sigma)) / denom;
  });
}

export interface MarketSim {
  spec: EventSpec;
  minutes: number;
  /** Quotes per minute and market (index minute * 6 + market), whole cents. */
  bid: Uint8Array;
  ask: Uint8Array;
  /** Open interest after each minute, centi-contracts. */
  oi: Int32Array;
  /** 1 where a minute of a market has a quote change or a trade: only those minutes have a 1-minute candle. */
  active: Uint8Array;
  /** Trade prints per market, as columns (rows are built on demand): time, yes price (cents), centi-contracts, taker side (1 = yes), id words. */
  tradeMs: Float64Array[];
  tradePrice: Uint8Array[];
  tradeCount: Int32Array[];
  tradeYes: Uint8Array[];
  tradeId: Uint32Array[];
}

/** Whole-cent quotes of one market: a centre near the market probability and a spread (calibration.market.quotes). */
export function drawQuote(rng: () => number, pCents: number, hoursSinceOpen: number, q: QuoteCalibration): { bid: number; ask: number } {
  const x = Math.min(pCents, 100 - pCents);
  const median = x < q.cheapBelowCents ? q.medianSpreadCents.cheap : q.medianSpreadCents.other;
  const early = 1 + (q.earlyWidening - 1) * Math.exp(-hoursSinceOpen / q.earlyDecayHours);
  const spread = Math.min(30, Math.max(1, Math.round(median * early * Math.exp(q.spreadLogSd * normal(rng)))));
  const centre = pCents + q.midNoiseCents * normal(rng);
  let bid = Math.round(centre - spread / 2);
  let ask = bid + spread;
  // One-sided books: nobody bids for a near-certain loser, nobody offers a near-certain winner.
  if (pCents < q.noBidBelowCents && rng() < q.noBidProb * (1 - pCents / q.noBidBelowCents)) bid = 0;
  if (pCents > 100 - q.noAskAboveCents && rng() < q.noAskProb * (1 - (100 - pCents) / q.noAskAboveCents)) ask = 100;
  bid = Math.min(99, Math.max(0, bid));
  ask = Math.min(100, Math.max(1, ask));
  if (ask <= bid) {
    if (bid >= 99) bid = ask - 1;
    else ask = bid + 1;
  }
  return { bid, ask };
}

/** Activity factor per hour of the event window (America/New_York hour of day), from calibration.market.activity. */
function hourlyActivity(spec: EventSpec, minutes: number, act: MarketActivity): Float64Array {
  const hours = Math.ceil(minutes / 60);
  const out = new Float64Array(hours);
  for (let h = 0; h < hours; h++) out[h] = act.byEtHour[DateTime.fromMillis(spec.openMs + h * 3_600_000, { zone: 'America/New_York' }).hour]!;
  return out;
}

export function simulate(model: CityModel, spec: EventSpec, inefficiency: Inefficiency, cal: WorldCalibration, seed: string): MarketSim {
  const M = spec.markets.length;
  const minutes = Math.round((spec.closeMs - spec.openMs) / MIN);
  const info = model.info(spec.date);
  const obs = model.obs(spec.date);
  const day = model.day(spec.date);
  const bid = new Uint8Array(minutes * M);
  const ask = new Uint8Array(minutes * M);
  const oi = new Int32Array(minutes * M);
  const active = new Uint8Array(minutes * M);
  const cols = spec.markets.map(() => ({ ms: [] as number[], price: [] as number[], count: [] as number[], yes: [] as number[], id: [] as number[] }));
  const oiNow = new Array<number>(M).fill(0);

  const pRef = new Float64Array(M);
  {
    const i = CityModel.index(info, day.dayStartMs);
    bracketProbs(spec.markets, info.mu[i]!, info.sigma[i]!, -Infinity, pRef);
  }
  const vol = cal.market.volume;
  const { activity, quotes } = cal.market;
  const actByHour = hourlyActivity(spec, minutes, activity);
  const meanAct = actByHour.reduce((a, b) => a + b, 0) / actByHour.length;
  const printsPerBurst = 1 / (1 - activity.burstContinueProb);
  const tradesPerMarket = vol.meanMarketVolumeContracts / Math.max(1, vol.meanTradeContracts);
  // 0.55: the mean of (0.15 + 4p(1-p)) over a ladder's markets; bursts of ~2 prints; the day's activity profile.
  const baseRate = tradesPerMarket / minutes / 0.55 / printsPerBurst / Math.max(1e-6, meanAct);
  const sizeMu = Math.log(Math.max(1, vol.medianTradeContracts));
  const sizeSigma = Math.sqrt(2 * Math.max(0.01, Math.log(Math.max(vol.meanTradeContracts, vol.medianTradeContracts + 0.01) / Math.max(1, vol.medianTradeContracts))));
  const rng = rngFor(seed, spec.city, spec.date, 'trades');
  // A stream of its own, so that the quotes before the climate day do not depend on the inefficiency.
  const qrng = rngFor(seed, spec.city, spec.date, 'quotes');

  const fair = new Float64Array(M);
  const p = new Float64Array(M);
  const rate = new Float64Array(M);
  const requote = new Float64Array(M);
  /** The probability (cents) the current quotes were drawn around, per market. */
  const centre = new Float64Array(M).fill(NaN);
  const curBid = new Uint8Array(M);
  const curAsk = new Uint8Array(M);
  let runMax = -Infinity;
  let lastI = -1;
  let lastMax = NaN;
  let lastInDay = false;
  for (let k = 0; k < minutes; k++) {
    const t = spec.openMs + k * MIN;
    const inDay = t >= day.dayStartMs;
    if (inDay) {
      const o = Math.floor((t - day.dayStartMs) / MIN);
      if (o < 1440) runMax = Math.max(runMax, obs[o]!);
    }
    const i = CityModel.index(info, t);
    // The distribution changes only with the hourly information or a new running maximum.
    if (i !== lastI || runMax !== lastMax || inDay !== lastInDay) {
      lastI = i;
      lastMax = runMax;
      lastInDay = inDay;
      bracketProbs(spec.markets, info.mu[i]!, info.sigma[i]!, runMax, fair);
      if (inefficiency === 'underreaction' && inDay) {
        for (let j = 0; j < M; j++) p[j] = pRef[j]! + UNDERREACTION_LAMBDA * (fair[j]! - pRef[j]!);
      } else if (inefficiency === 'longshot') {
        let s = 0;
        for (let j = 0; j < M; j++) s += (p[j] = Math.max(1e-9, fair[j]!) ** LONGSHOT_GAMMA);
        for (let j = 0; j < M; j++) p[j] = p[j]! / s;
      } else p.set(fair);
      for (let j = 0; j < M; j++) {
        const busy = 4 * p[j]! * (1 - p[j]!);
        rate[j] = baseRate * (0.15 + busy);
        requote[j] = activity.requotePerMinute.base + activity.requotePerMinute.peak * busy;
      }
    }

    const act = actByHour[Math.floor(k / 60)]!;
    const hoursSinceOpen = k / 60;
    for (let j = 0; j < M; j++) {
      const idx = k * M + j;
      const pc = 100 * p[j]!;
      // Makers requote when the probability has moved half a cent from what they quoted around, and
      // now and then otherwise; overnight both happen less often (quiet hours keep stale quotes).
      const moved = !(Math.abs(pc - centre[j]!) < 0.5);
      if (k === 0 || (moved && qrng() < Math.max(0.05, act)) || qrng() < requote[j]! * act) {
        const qt = drawQuote(qrng, pc, hoursSinceOpen, quotes);
        centre[j] = pc;
        if (k === 0 || qt.bid !== curBid[j] || qt.ask !== curAsk[j]) active[idx] = 1;
        curBid[j] = qt.bid;
        curAsk[j] = qt.ask;
      }
      const b = curBid[j]!;
      const a = curAsk[j]!;
      bid[idx] = b;
      ask[idx] = a;
      const bursts = poisson(rng, rate[j]! * act);
      if (bursts > 0) {
        let n = 0;
        for (let q = 0; q < bursts; q++) {
          n++;
          while (rng() < activity.burstContinueProb) n++;
        }
        const col = cols[j]!;
        const times: number[] = [];
        for (let q = 0; q < n; q++) times.push(t + Math.floor(rng() * MIN));
        times.sort((x, y) => x - y);
        for (const ms of times) {
          const size = Math.min(5000, Math.max(1, Math.round(Math.exp(sizeMu + sizeSigma * normal(rng)))));
          // The taker lifts the ask (yes) or hits the bid (no); a missing side cannot be traded against.
          const yesSide = a < 100 && (b === 0 || rng() < 0.5);
          const count = size * 100;
          if (rng() < 0.65 || oiNow[j]! < count) oiNow[j] = oiNow[j]! + count;
          else oiNow[j] = oiNow[j]! - count;
          col.ms.push(ms);
          col.price.push(yesSide ? a : b);
          col.count.push(count);
          col.yes.push(yesSide ? 1 : 0);
          for (let w = 0; w < 4; w++) col.id.push((rng() * 0x100000000) >>> 0);
        }
        active[idx] = 1;
      }
      oi[idx] = oiNow[j]!;
    }
  }
  return {
    spec,
    minutes,
    bid,
    ask,
    oi,
    active,
    tradeMs: cols.map((c) => Float64Array.from(c.ms)),
    tradePrice: cols.map((c) => Uint8Array.from(c.price)),
    tradeCount: cols.map((c) => Int32Array.from(c.count)),
    tradeYes: cols.map((c) => Uint8Array.from(c.yes)),
    tradeId: cols.map((c) => Uint32Array.from(c.id)),
  };
}

/** First index with arr[i] >= x. */
function lowerBound(arr: Float64Array, x: number): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (arr[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const hex8 = (n: number): string => n.toString(16).padStart(8, '0');

function tradeRow(sim: MarketSim, j: number, q: number): TradeRow {
  const ids = sim.tradeId[j]!;
  const [a, b, c, d] = [hex8(ids[4 * q]!), hex8(ids[4 * q + 1]!), hex8(ids[4 * q + 2]!), hex8(ids[4 * q + 3]!)];
  const yes = sim.tradePrice[j]![q]!;
  return {
    tradeId: `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${'89ab'[c.charCodeAt(0) & 3]}${c.slice(1, 4)}-${c.slice(4, 8)}${d}`,
    marketTicker: sim.spec.markets[j]!.ticker,
    createdTime: new Date(sim.tradeMs[j]![q]!),
    yesPriceMicros: yes * MICROS_PER_CENT,
    noPriceMicros: (100 - yes) * MICROS_PER_CENT,
    count: sim.tradeCount[j]![q]!,
    takerSide: sim.tradeYes[j]![q] ? 'yes' : 'no',
    isBlockTrade: false,
  };
}

/** Trade prints of market j in [fromMs, toMs), oldest first. */
export function tradesIn(sim: MarketSim, j: number, fromMs: number, toMs: number): TradeRow[] {
  const ms = sim.tradeMs[j]!;
  const out: TradeRow[] = [];
  for (let q = lowerBound(ms, fromMs), end = lowerBound(ms, toMs); q < end; q++) out.push(tradeRow(sim, j, q));
  return out;
}

/** Volume (centi-contracts) and last yes price (micros) of market j's trades before `toMs`. */
export function tradeSummary(sim: MarketSim, j: number, toMs: number): { volume: number; lastMicros: number | null } {
  const end = lowerBound(sim.tradeMs[j]!, toMs);
  let volume = 0;
  const counts = sim.tradeCount[j]!;
  for (let q = 0; q < end; q++) volume += counts[q]!;
  return { volume, lastMicros: end > 0 ? sim.tradePrice[j]![end - 1]! * MICROS_PER_CENT : null };
}

/**
 * Candles of market j for buckets starting in [fromMs, toMs) and before `endMs` (close or now,
 * whichever is first; the bucket in progress covers what has happened). 1440-minute buckets are UTC days.
 * Sparse as Kalshi's are: a bucket without a trade or a quote change has no candle (idle markets leave
 * gaps; kalshi-api.md 4.6). A bucket's quote open is the book at its start, i.e. the quote standing
 * from the minute before, so across an idle gap the next open equals the last close.
 */
export function candlesOf(sim: MarketSim, j: number, period: 1 | 60 | 1440, fromMs: number, toMs: number, endMs: number): CandleRow[] {
  const { spec } = sim;
  const M = spec.markets.length;
  const P = period * MIN;
  const stop = Math.min(toMs, endMs, spec.closeMs);
  let b = Math.floor(Math.max(fromMs, spec.openMs) / P) * P;
  if (b < fromMs) b += P;
  const out: CandleRow[] = [];
  const ticker = spec.markets[j]!.ticker;
  const tms = sim.tradeMs[j]!;
  const tpx = sim.tradePrice[j]!;
  const tct = sim.tradeCount[j]!;
  for (; b < stop; b += P) {
    const w0 = Math.max(b, spec.openMs);
    const w1 = Math.min(b + P, endMs, spec.closeMs);
    const k0 = Math.round((w0 - spec.openMs) / MIN);
    const k1 = Math.ceil((w1 - spec.openMs) / MIN);
    if (k1 <= k0) continue;
    let any = false;
    for (let k = k0; k < k1 && !any; k++) any = sim.active[k * M + j] === 1;
    if (!any) continue;
    const kOpen = k0 > 0 ? k0 - 1 : 0;
    let bh = sim.bid[kOpen * M + j]!;
    let bl = bh;
    let ah = sim.ask[kOpen * M + j]!;
    let al = ah;
    for (let k = k0; k < k1; k++) {
      const bb = sim.bid[k * M + j]!;
      const aa = sim.ask[k * M + j]!;
      bh = Math.max(bh, bb);
      bl = Math.min(bl, bb);
      ah = Math.max(ah, aa);
      al = Math.min(al, aa);
    }
    const t0 = lowerBound(tms, w0);
    const t1 = lowerBound(tms, w1);
    let volume = 0;
    let notional = 0;
    let ph = -1;
    let pl = Infinity;
    for (let q = t0; q < t1; q++) {
      const px = tpx[q]! * MICROS_PER_CENT;
      volume += tct[q]!;
      notional += px * tct[q]!;
      ph = Math.max(ph, px);
      pl = Math.min(pl, px);
    }
    const has = t1 > t0;
    out.push({
      marketTicker: ticker,
      periodMinutes: period,
      bucketStart: new Date(b),
      yesBidOpen: sim.bid[kOpen * M + j]! * MICROS_PER_CENT,
      yesBidHigh: bh * MICROS_PER_CENT,
      yesBidLow: bl * MICROS_PER_CENT,
      yesBidClose: sim.bid[(k1 - 1) * M + j]! * MICROS_PER_CENT,
      yesAskOpen: sim.ask[kOpen * M + j]! * MICROS_PER_CENT,
      yesAskHigh: ah * MICROS_PER_CENT,
      yesAskLow: al * MICROS_PER_CENT,
      yesAskClose: sim.ask[(k1 - 1) * M + j]! * MICROS_PER_CENT,
      priceOpen: has ? tpx[t0]! * MICROS_PER_CENT : null,
      priceHigh: has ? ph : null,
      priceLow: has ? pl : null,
      priceClose: has ? tpx[t1 - 1]! * MICROS_PER_CENT : null,
      priceMean: has ? Math.round(notional / volume) : null,
      pricePrevious: t0 > 0 ? tpx[t0 - 1]! * MICROS_PER_CENT : null,
      volume,
      openInterest: sim.oi[(k1 - 1) * M + j]!,
    });
  }
  return out;
}

/** The book at an instant: three levels a side around the quotes; empty outside trading hours. */
export function bookAt(sim: MarketSim, j: number, ms: number, seed: string): OrderbookSnapshot {
  const { spec } = sim;
  const ticker = spec.markets[j]!.ticker;
  if (ms < spec.openMs || ms >= spec.closeMs) return { ticker, yes: [], no: [] };
  const k = Math.floor((ms - spec.openMs) / MIN);
  const M = spec.markets.length;
  const b = sim.bid[k * M + j]!;
  const a = sim.ask[k * M + j]!;
  const rng = rngFor(seed, ticker, k, 'book');
  const size = () => (10 + Math.floor(rng() * 490)) * 100;
  const yes: Array<[number, number]> = [];
  const no: Array<[number, number]> = [];
  for (let d = 2; d >= 0; d--) {
    if (b - d >= 1) yes.push([(b - d) * MICROS_PER_CENT, size()]);
    if (100 - a - d >= 1) no.push([(100 - a - d) * MICROS_PER_CENT, size()]);
  }
  return { ticker, yes, no };
}
