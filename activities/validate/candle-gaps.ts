/**
 * Candle gaps of a city's markets, with the evidence that tells an idle market from missing data
 * (domain/validation/candles.ts classifyCandleGap). Kalshi's candles are sparse, so a week of
 * 1-minute candles holds thousands of gaps per city; they are loaded by SQL window functions in
 * chunks of event dates, each gap with the quotes and last trade price at its edges, the trades
 * inside it, and whether an hourly candle lies inside it. Only missing-data gaps are listed; idle
 * ones are summed.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import type { CityId } from '../../domain/cities';
import {
  classifyCandleGap,
  datesBetween,
  findCandleGaps,
  gapHistogram,
  type BucketIsland,
  type CandleGap,
  type GapEvidence,
  type IdleGapSummary,
} from '../../domain/validation';
import type { ValidationPart } from './parts';

const CHUNK_DAYS = 14;
const PERIODS = [1, 60] as const;
const MIN = 60_000;

const ts = (d: Date | string | number) => sql`${new Date(d).toISOString()}::timestamptz`;

async function rows<T>(db: Db, query: ReturnType<typeof sql>): Promise<T[]> {
  const res = await db.execute(query);
  return res.rows as T[];
}

interface InnerRow {
  market: string;
  period: number;
  prev_ms: number;
  next_ms: number;
  quotes_unchanged: boolean;
  last_changed: boolean;
  trades: number;
  coarser: boolean;
}

interface MarketRow {
  market: string;
  period: number;
  open_ms: number;
  close_ms: number;
  first_ms: number;
  last_ms: number;
  lead_trades: number;
  trail_trades: number;
  lead_coarser: boolean;
  trail_coarser: boolean;
}

export type CandleGapsPart = Required<NonNullable<ValidationPart['candleGaps']>>;

/** Gaps of the 1- and 60-minute candles of `cityId`'s markets with event dates in [from, to], judged at `asOfMs`. */
export async function loadCandleGaps(db: Db, cityId: CityId, from: string, to: string, asOfMs: number, maxGapMinutes: number): Promise<CandleGapsPart> {
  const missing: Array<CandleGap & { market: string; periodMinutes: number }> = [];
  const stats = new Map<number, { checked: number; withGaps: number; idle: IdleGapSummary }>(
    PERIODS.map((p) => [p, { checked: 0, withGaps: 0, idle: { periodMinutes: p, gaps: 0, minutes: 0, longestMinutes: 0 } }]),
  );
  const dates = datesBetween(from, to);
  for (let i = 0; i < dates.length; i += CHUNK_DAYS) {
    const d0 = dates[i]!;
    const d1 = dates[Math.min(dates.length, i + CHUNK_DAYS) - 1]!;
    const inner = await rows<InnerRow>(
      db,
      sql`with c as (
            select c.market_ticker as market, c.period_minutes as period, c.bucket_start as b,
                   c.yes_bid_open, c.yes_ask_open, c.price_previous,
                   lag(c.bucket_start) over w as prev_b,
                   lag(c.yes_bid_close) over w as prev_bid,
                   lag(c.yes_ask_close) over w as prev_ask,
                   lag(coalesce(c.price_close, c.price_previous)) over w as prev_last
            from kalshi.candle c join kalshi.market m on m.ticker = c.market_ticker
            where m.city_id = ${cityId} and m.event_date between ${d0}::date and ${d1}::date and c.period_minutes in (1, 60)
            window w as (partition by c.market_ticker, c.period_minutes order by c.bucket_start))
          select g.market, g.period::int as period,
                 (extract(epoch from g.prev_b) * 1000)::float8 as prev_ms, (extract(epoch from g.b) * 1000)::float8 as next_ms,
                 (g.yes_bid_open is not distinct from g.prev_bid and g.yes_ask_open is not distinct from g.prev_ask) as quotes_unchanged,
                 (g.price_previous is distinct from g.prev_last) as last_changed,
                 (select count(*) from kalshi.trade t
                   where t.market_ticker = g.market and t.created_time >= g.prev_b + make_interval(mins => g.period) and t.created_time < g.b)::int as trades,
                 (g.period = 1 and exists (select 1 from kalshi.candle h
                   where h.market_ticker = g.market and h.period_minutes = 60
                     and h.bucket_start >= g.prev_b + interval '1 minute' and h.bucket_start + interval '60 minutes' <= g.b)) as coarser
          from c g
          where g.prev_b is not null and g.b > g.prev_b + make_interval(mins => g.period)`,
    );
    const markets = await rows<MarketRow>(
      db,
      sql`select m.ticker as market, p.period::int as period,
                 (extract(epoch from m.open_time) * 1000)::float8 as open_ms, (extract(epoch from m.close_time) * 1000)::float8 as close_ms,
                 (extract(epoch from x.f) * 1000)::float8 as first_ms, (extract(epoch from x.l) * 1000)::float8 as last_ms,
                 (select count(*) from kalshi.trade t where t.market_ticker = m.ticker and t.created_time >= m.open_time and t.created_time < x.f)::int as lead_trades,
                 (select count(*) from kalshi.trade t where t.market_ticker = m.ticker and t.created_time >= x.l + make_interval(mins => p.period)
                    and t.created_time < least(m.close_time, ${ts(asOfMs)}))::int as trail_trades,
                 (p.period = 1 and exists (select 1 from kalshi.candle h where h.market_ticker = m.ticker and h.period_minutes = 60
                    and h.bucket_start + interval '60 minutes' <= x.f)) as lead_coarser,
                 (p.period = 1 and exists (select 1 from kalshi.candle h where h.market_ticker = m.ticker and h.period_minutes = 60
                    and h.bucket_start >= x.l + interval '1 minute' and h.bucket_start < least(m.close_time, ${ts(asOfMs)}))) as trail_coarser
          from kalshi.market m
          cross join (values (1), (60)) as p(period)
          cross join lateral (select min(c.bucket_start) as f, max(c.bucket_start) as l from kalshi.candle c
                              where c.market_ticker = m.ticker and c.period_minutes = p.period) x
          where m.city_id = ${cityId} and m.event_date between ${d0}::date and ${d1}::date
            and m.open_time is not null and m.close_time is not null and x.f is not null`,
    );
    const innerBy = new Map<string, InnerRow[]>();
    for (const r of inner) {
      const k = `${r.market}|${r.period}`;
      const list = innerBy.get(k);
      if (list) list.push(r);
      else innerBy.set(k, [r]);
    }
    for (const m of markets) {
      const period = Number(m.period);
      const p = period * MIN;
      const gapsIn = (innerBy.get(`${m.market}|${period}`) ?? []).sort((a, b) => Number(a.prev_ms) - Number(b.prev_ms));
      // Islands are the runs between inner gaps.
      const islands: BucketIsland[] = [];
      let start = Number(m.first_ms);
      const evidence = new Map<number, GapEvidence>();
      for (const g of gapsIn) {
        islands.push({ start, end: Number(g.prev_ms) });
        start = Number(g.next_ms);
        evidence.set(Number(g.prev_ms) + p, { quotesUnchanged: g.quotes_unchanged, lastPriceChanged: g.last_changed, trades: Number(g.trades), coarserCandleInside: g.coarser });
      }
      islands.push({ start, end: Number(m.last_ms) });
      const found = findCandleGaps({ periodMinutes: period, openMs: Number(m.open_ms), closeMs: Math.min(Number(m.close_ms), asOfMs), islands });
      const s = stats.get(period)!;
      s.checked++;
      let marketMissing = 0;
      for (const g of found) {
        const e: GapEvidence =
          g.kind === 'inner'
            ? (evidence.get(g.start) ?? { quotesUnchanged: null, lastPriceChanged: null, trades: 0, coarserCandleInside: false })
            : g.kind === 'leading'
              ? { quotesUnchanged: null, lastPriceChanged: null, trades: Number(m.lead_trades), coarserCandleInside: m.lead_coarser }
              : { quotesUnchanged: null, lastPriceChanged: null, trades: Number(m.trail_trades), coarserCandleInside: m.trail_coarser };
        if (classifyCandleGap(e) === 'missing') {
          marketMissing++;
          missing.push({ ...g, market: m.market, periodMinutes: period });
        } else {
          s.idle.gaps++;
          s.idle.minutes += g.minutes;
          s.idle.longestMinutes = Math.max(s.idle.longestMinutes, g.minutes);
        }
      }
      if (marketMissing) s.withGaps++;
    }
  }
  const summary = PERIODS.map((periodMinutes) => {
    const mine = missing.filter((g) => g.periodMinutes === periodMinutes);
    const s = stats.get(periodMinutes)!;
    return {
      city: cityId,
      periodMinutes,
      marketsChecked: s.checked,
      marketsWithGaps: s.withGaps,
      gaps: mine.length,
      missingMinutes: mine.reduce((a, g) => a + g.minutes, 0),
      maxGapMinutes: mine.reduce((a, g) => Math.max(a, g.minutes), 0),
    };
  });
  const longest = [...missing].sort((a, b) => b.minutes - a.minutes || a.start - b.start).slice(0, 50);
  return {
    summary,
    histogram: gapHistogram(missing),
    longest: longest.map((g) => ({ city: cityId, market: g.market, periodMinutes: g.periodMinutes, start: new Date(g.start).toISOString(), minutes: g.minutes, kind: g.kind })),
    overLimit: missing.filter((g) => g.minutes > maxGapMinutes).length,
    idle: PERIODS.map((p) => ({ city: cityId, ...stats.get(p)!.idle })),
  };
}
