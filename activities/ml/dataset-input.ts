/**
 * Loads what the dataset builder reads for one city and range of climate dates from PostgreSQL, every
 * row with its available_at, flagged rows and flagged events left out (wx.data_flag). Times travel as
 * epoch milliseconds computed by the server (no Date objects for a year of one-minute rows).
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { buildLadder } from '../../domain/brackets';
import { getCity, type CityId } from '../../domain/cities';
import { climateDayWindowUtc } from '../../domain/climate-day';
import type { DatasetInput, EventInput, HourlyForecastInput, QuoteColumns } from '../../domain/features';
import { InvalidBracketError, LadderError } from '../../domain/errors';
import type { IsoDate } from '../../domain/iso-date';
import { eventNotFlagged, notFlagged } from '../validate/flags';

const ms = (column: string) => sql.raw(`(extract(epoch from ${column}) * 1000)::float8`);
const MICROS_PER_CENT = 10_000;

export interface LoadedDatasetInput {
  input: DatasetInput;
  /** Events in the range that could not be used, with why (an unusable ladder after validation). */
  skippedEvents: Array<{ eventTicker: string; reason: string }>;
  /** Which observation feed was used (the one with the most rows for the station). */
  observationSource: string | undefined;
}

export async function loadDatasetInput(db: Db, city: CityId, from: string, to: string): Promise<LoadedDatasetInput> {
  const station = getCity(city).station.icao;
  const dayStart = climateDayWindowUtc(city, from as IsoDate).start.toJSDate();
  const dayEnd = climateDayWindowUtc(city, to as IsoDate).end.toJSDate();
  // Markets open the morning before their climate day: observations and runs from a day earlier matter.
  const before = new Date(dayStart.getTime() - 2 * 86_400_000);

  const { events, skipped } = await loadEvents(db, city, from, to);

  const settlements = (
    await db.execute(sql`
      select to_char(s.date, 'YYYY-MM-DD') as date, s.high_f, ${ms('s.available_at')} as available_at
      from wx.settlement_consolidated s
      where s.city_id = ${city} and s.date <= ${to}::date and s.high_f is not null and s.available_at is not null
        and ${notFlagged('wx.settlement_consolidated', 's')}
      order by s.date`)
  ).rows.map((r) => ({ date: String(r.date), highF: Number(r.high_f), availableAt: Number(r.available_at) }));

  const dailyForecasts = (
    await db.execute(sql`
      select f.source, f.model, to_char(f.target_date, 'YYYY-MM-DD') as target_date, ${ms('f.basis_time')} as basis_ms,
             f.lead_days, f.tempmax_f, ${ms('f.available_at')} as available_at
      from wx.forecast_snapshot f
      where f.city_id = ${city} and f.target_date between ${from}::date and ${to}::date and f.tempmax_f is not null
        and ${notFlagged('wx.forecast_snapshot', 'f')}
      order by f.source, f.model, f.target_date, f.basis_time`)
  ).rows.map((r) => ({
    source: String(r.source),
    model: String(r.model),
    targetDate: String(r.target_date),
    basisMs: Number(r.basis_ms),
    leadDays: Number(r.lead_days),
    highF: Number(r.tempmax_f),
    availableAt: Number(r.available_at),
  }));

  const hourlyRows = (
    await db.execute(sql`
      select h.source, h.model, ${ms('h.basis_time')} as basis_ms, ${ms('h.valid_time')} as valid_ms, h.temp_f, ${ms('h.available_at')} as available_at
      from wx.forecast_snapshot_hourly h
      where h.city_id = ${city} and h.valid_time >= ${dayStart} and h.valid_time < ${dayEnd} and h.temp_f is not null
      order by h.source, h.model, h.basis_time, h.valid_time`)
  ).rows;
  const hourlyRuns: HourlyForecastInput[] = [];
  for (let i = 0; i < hourlyRows.length; ) {
    const first = hourlyRows[i]!;
    let j = i;
    while (j < hourlyRows.length && hourlyRows[j]!.source === first.source && hourlyRows[j]!.model === first.model && hourlyRows[j]!.basis_ms === first.basis_ms) j++;
    const part = hourlyRows.slice(i, j);
    hourlyRuns.push({
      source: String(first.source),
      model: String(first.model),
      basisMs: Number(first.basis_ms),
      validMs: Float64Array.from(part, (r) => Number(r.valid_ms)),
      tempF: Float64Array.from(part, (r) => Number(r.temp_f)),
      availableAt: Float64Array.from(part, (r) => Number(r.available_at)),
    });
    i = j;
  }

  const sources = (
    await db.execute(sql`select o.source, count(*)::int as n from wx.observation o
      where o.station = ${station} and o.observed_at >= ${before} and o.observed_at < ${dayEnd} group by o.source order by n desc, o.source`)
  ).rows;
  const observationSource = sources[0] ? String(sources[0].source) : undefined;
  const obsRows = observationSource
    ? (
        await db.execute(sql`
          select ${ms('o.observed_at')} as observed_ms, ${ms('o.available_at')} as available_at, o.temp_f
          from wx.observation o
          where o.station = ${station} and o.source = ${observationSource} and o.observed_at >= ${before} and o.observed_at < ${dayEnd}
            and ${notFlagged('wx.observation', 'o')}
          order by o.available_at, o.observed_at`)
      ).rows
    : [];
  const observations = {
    observedMs: Float64Array.from(obsRows, (r) => Number(r.observed_ms)),
    availableAt: Float64Array.from(obsRows, (r) => Number(r.available_at)),
    tempF: Float64Array.from(obsRows, (r) => (r.temp_f === null ? NaN : Number(r.temp_f))),
  };

  const quotes = await loadQuotes(db, events.flatMap((e) => e.brackets.map((b) => b.ticker)));
  return { input: { city, events, settlements, dailyForecasts, hourlyRuns, observations, quotes }, skippedEvents: skipped, observationSource };
}

async function loadEvents(db: Db, city: CityId, from: string, to: string): Promise<{ events: EventInput[]; skipped: LoadedDatasetInput['skippedEvents'] }> {
  const rows = (
    await db.execute(sql`
      select e.event_ticker, to_char(e.event_date, 'YYYY-MM-DD') as date, m.ticker, m.strike_type, m.floor_strike, m.cap_strike,
             ${ms('m.open_time')} as open_ms, ${ms('m.close_time')} as close_ms, coalesce(m.result, '') as result
      from kalshi.event e join kalshi.market m on m.event_ticker = e.event_ticker
      where e.city_id = ${city} and e.event_date between ${from}::date and ${to}::date and ${eventNotFlagged('e')}
      order by e.event_date, e.event_ticker, m.ticker`)
  ).rows;
  const byEvent = new Map<string, typeof rows>();
  for (const r of rows) {
    const k = String(r.event_ticker);
    const list = byEvent.get(k);
    if (list) list.push(r);
    else byEvent.set(k, [r]);
  }
  const events: EventInput[] = [];
  const skipped: LoadedDatasetInput['skippedEvents'] = [];
  for (const [eventTicker, ms_] of byEvent) {
    const skip = (reason: string) => skipped.push({ eventTicker, reason });
    let brackets;
    try {
      brackets = buildLadder(
        ms_.map((m) => ({
          ticker: String(m.ticker),
          strike_type: m.strike_type === null ? null : String(m.strike_type),
          floor_strike: m.floor_strike === null ? null : Number(m.floor_strike),
          cap_strike: m.cap_strike === null ? null : Number(m.cap_strike),
        })),
      ).brackets;
    } catch (err) {
      if (err instanceof LadderError || err instanceof InvalidBracketError) {
        skip(err.message);
        continue;
      }
      throw err;
    }
    if (brackets.length !== 6) {
      skip(`${brackets.length} brackets, not 6`);
      continue;
    }
    const opens = ms_.map((m) => Number(m.open_ms)).filter(Number.isFinite);
    const closes = ms_.map((m) => Number(m.close_ms)).filter(Number.isFinite);
    if (opens.length === 0 || closes.length === 0) {
      skip('no open or close time');
      continue;
    }
    const yes = brackets.map((b, j) => (ms_.find((m) => m.ticker === b.ticker)!.result === 'yes' ? j : -1)).filter((j) => j >= 0);
    events.push({
      eventTicker,
      date: String(ms_[0]!.date),
      openMs: Math.min(...opens),
      closeMs: Math.max(...closes),
      brackets,
      ...(yes.length === 1 ? { winner: yes[0]! } : {}),
    });
  }
  return { events, skipped };
}

/** Each market's finest candles (1-minute where it has them, else hourly, else daily), in cents and contracts. */
async function loadQuotes(db: Db, tickers: string[]): Promise<Map<string, QuoteColumns>> {
  const out = new Map<string, QuoteColumns>();
  if (tickers.length === 0) return out;
  const rows = (
    await db.execute(sql`
      with finest as (
        select market_ticker, min(period_minutes) as period from kalshi.candle
        where market_ticker = any(${sql.param(tickers)}::text[]) group by market_ticker)
      select c.market_ticker, ${ms('c.bucket_start')} + c.period_minutes * 60000 as end_ms, c.yes_bid_close, c.yes_ask_close, c.volume
      from kalshi.candle c join finest f on f.market_ticker = c.market_ticker and f.period = c.period_minutes
      order by c.market_ticker, c.bucket_start`)
  ).rows;
  for (let i = 0; i < rows.length; ) {
    const ticker = String(rows[i]!.market_ticker);
    let j = i;
    while (j < rows.length && rows[j]!.market_ticker === ticker) j++;
    const part = rows.slice(i, j);
    const cents = (v: unknown) => (v === null ? NaN : Number(v) / MICROS_PER_CENT);
    out.set(ticker, {
      endMs: Float64Array.from(part, (r) => Number(r.end_ms)),
      bid: Float64Array.from(part, (r) => cents(r.yes_bid_close)),
      ask: Float64Array.from(part, (r) => cents(r.yes_ask_close)),
      volume: Float64Array.from(part, (r) => Number(r.volume) / 100),
    });
    i = j;
  }
  return out;
}
