/**
 * The per-city checks: SQL that loads aggregates (daily counts, newest instants, candle islands,
 * settlement values, skill sums) or bounded chunks of one series, the pure checks of domain/validation,
 * and flag upserts. Each returns a ValidationPart for the report step.
 */
import { heartbeat } from '@temporalio/activity';
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import type { Logger } from '../../lib/logger';
import { getCity, type CityId } from '../../domain/cities';
import { climateDateOf, climateDayWindowUtc } from '../../domain/climate-day';
import {
  checkDstDayCounts,
  checkForecastValues,
  coverageCells,
  datesBetween,
  detectObservationAnomalies,
  dstTransitions,
  findSettlementDisagreements,
  stalenessHours,
  type ClimateDayCount,
  type DayCount,
  type TempPoint,
} from '../../domain/validation';
import {
  FORECAST_CANDIDATE_BOUNDS,
} from '../../domain/validation/forecasts';
import {
  forecastKey,
  notFlagged,
  observationKey,
  settlementConsolidatedKey,
  upsertFlags,
  type FlagRow,
  type FlagTable,
} from './flags';
import { loadCandleGaps } from './candle-gaps';
import { addFlagCounts, emptyPart, type CityCheckInput, type ValidationPart } from './parts';

export interface CheckDeps {
  db: Db;
  log: Logger;
}

const EXAMPLES_PER_RULE = 5;
const CHUNK_DAYS = 14;
const DAY_MS = 86_400_000;

/** Heartbeats when running as an activity; a no-op when called directly (tests). */
function beat(details?: unknown): void {
  try {
    heartbeat(details);
  } catch {
    // not inside an activity
  }
}

async function rows<T>(db: Db, query: ReturnType<typeof sql>): Promise<T[]> {
  const res = await db.execute(query);
  return res.rows as T[];
}

const ts = (d: Date | string | number) => sql`${new Date(d).toISOString()}::timestamptz`;

function rangeWindow(city: CityId, from: string, to: string): { start: Date; end: Date } {
  return { start: climateDayWindowUtc(city, from).start.toJSDate(), end: climateDayWindowUtc(city, to).end.toJSDate() };
}

/** Collects flags per rule (found/inserted counts and a few examples) and writes them. */
class FlagSink {
  readonly counts = new Map<string, { table: string; rule: string; found: number; inserted: number }>();
  readonly examples: ValidationPart['flagExamples'] = [];
  constructor(private readonly db: Db) {}

  async write(rows: FlagRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    const byRule = new Map<string, FlagRow[]>();
    for (const r of rows) byRule.set(`${r.table}|${r.rule}`, [...(byRule.get(`${r.table}|${r.rule}`) ?? []), r]);
    let total = 0;
    for (const list of byRule.values()) {
      const first = list[0]!;
      const { inserted } = await upsertFlags(this.db, list);
      total += inserted;
      addFlagCounts(this.counts, first.table, first.rule, list.length, inserted);
      const have = this.examples.filter((e) => e.table === first.table && e.rule === first.rule).length;
      for (const r of list.slice(0, Math.max(0, EXAMPLES_PER_RULE - have))) this.examples.push({ table: r.table, rule: r.rule, rowKey: r.rowKey, detail: r.detail });
    }
    return total;
  }

  /** Rules with zero findings are listed too, so the report shows every rule checked. */
  countsFor(table: FlagTable, rules: readonly string[]): ValidationPart['flags'] {
    for (const rule of rules) addFlagCounts(this.counts, table, rule, 0, 0);
    return [...this.counts.values()].sort((a, b) => a.table.localeCompare(b.table) || a.rule.localeCompare(b.rule));
  }
}

/**
 * Observations of the city's settlement station, every source: daily coverage, freshness, DST-day
 * counts, and spikes / stuck runs / impossible values (flagged), scanned in 14-day chunks with margins
 * so that runs crossing a chunk boundary are judged whole.
 */
export async function checkObservations({ db, log }: CheckDeps, input: CityCheckInput): Promise<ValidationPart & { flagsInserted: number }> {
  const city = getCity(input.city);
  const station = city.station.icao;
  const { start, end } = rangeWindow(city.id, input.from, input.to);
  const dates = datesBetween(input.from, input.to);
  const part = emptyPart(city.id, 'observations');
  const t = input.thresholds;

  const daily = await rows<{ source: string; date: string; n: number; n_temp: number; hours: number; minutes: number }>(
    db,
    sql`select source,
               to_char((observed_at at time zone 'UTC') + make_interval(mins => ${city.standardOffsetMinutes}::int), 'YYYY-MM-DD') as date,
               count(*)::int as n, count(temp_f)::int as n_temp,
               count(distinct date_trunc('hour', observed_at))::int as hours,
               count(distinct date_trunc('minute', observed_at))::int as minutes
        from wx.observation
        where station = ${station} and observed_at >= ${ts(start)} and observed_at < ${ts(end)}
        group by 1, 2`,
  );
  const sources = [...new Set(daily.map((d) => d.source))].sort();
  const counts: DayCount[] = daily.map((d) => ({ source: `obs:${d.source}`, date: d.date, count: d.n }));
  part.coverage = coverageCells(dates, counts, 'median').map((c) => ({ city: city.id, ...c }));

  const dayCounts: ClimateDayCount[] = daily.map((d) => ({ source: `obs:${d.source}`, date: d.date, count: d.n, hours: d.hours, minutes: d.minutes }));
  const transitions = dstTransitions(city.timeZone, input.from, input.to);
  part.dst = checkDstDayCounts(dayCounts, transitions, { minuteTolerance: t.dstMinuteTolerance }).map((f) => ({ city: city.id, ...f }));

  if (sources.length) {
    const newest = await rows<{ source: string; newest: Date | null }>(
      db,
      sql`select source, max(observed_at) as newest from wx.observation
          where station = ${station} and source in (${sql.join(sources.map((s) => sql`${s}`), sql`, `)}) and observed_at <= ${ts(input.asOf)}
          group by source`,
    );
    part.freshness = sources.map((s) => {
      const n = newest.find((r) => r.source === s)?.newest ?? null;
      const iso = n ? new Date(n).toISOString() : null;
      return { city: city.id, source: `obs:${s}`, newest: iso, stalenessHours: stalenessHours(iso, input.asOf) };
    });
  }

  // Anomalies, chunk by chunk.
  const sink = new FlagSink(db);
  const marginMs = Math.max(2 * t.spikeWindowMinutes, t.stuckHours * 60 + 60) * 60_000;
  let flagsInserted = 0;
  for (const source of sources) {
    for (let c0 = start.getTime(); c0 < end.getTime(); c0 += CHUNK_DAYS * DAY_MS) {
      const c1 = Math.min(end.getTime(), c0 + CHUNK_DAYS * DAY_MS);
      const pts = await rows<{ t: number; v: number | null }>(
        db,
        sql`select (extract(epoch from observed_at) * 1000)::float8 as t, temp_f as v
            from wx.observation
            where station = ${station} and source = ${source}
              and observed_at >= ${ts(c0 - marginMs)} and observed_at < ${ts(c1 + marginMs)}
            order by observed_at`,
      );
      const points: TempPoint[] = pts.map((p) => ({ t: Number(p.t), v: p.v === null ? null : Number(p.v) }));
      const inCore = (i: number) => points[i]!.t >= c0 && points[i]!.t < c1;
      part.checkedRows += points.filter((p, i) => p.v !== null && inCore(i)).length;
      const found = detectObservationAnomalies(points, { jumpF: t.spikeJumpF, windowMinutes: t.spikeWindowMinutes }, { hours: t.stuckHours, maxGapMinutes: t.stuckMaxGapMinutes }).filter((f) =>
        inCore(f.index),
      );
      part.flaggedRows += new Set(found.map((f) => f.index)).size;
      flagsInserted += await sink.write(
        found.map((f) => ({ table: 'wx.observation', rule: f.rule, detail: f.detail, rowKey: observationKey({ station, source, observedAt: points[f.index]!.t }) })),
      );
      beat({ city: city.id, source, chunk: new Date(c0).toISOString() });
    }
  }
  part.flags = sink.countsFor('wx.observation', ['obs_spike', 'obs_stuck', 'obs_impossible']);
  part.flagExamples = sink.examples;
  log.info({ city: city.id, sources, checked: part.checkedRows, flagged: part.flaggedRows, inserted: flagsInserted }, 'validate: observations checked');
  return { ...part, flagsInserted };
}

/** Forecast snapshots: coverage per target date and source, freshness of basis times, impossible values (flagged). */
export async function checkForecasts({ db, log }: CheckDeps, input: CityCheckInput): Promise<ValidationPart & { flagsInserted: number }> {
  const cityId = input.city;
  const dates = datesBetween(input.from, input.to);
  const part = emptyPart(cityId, 'forecasts');

  const daily = await rows<{ source: string; date: string; n: number; n_max: number }>(
    db,
    sql`select source, to_char(target_date, 'YYYY-MM-DD') as date, count(*)::int as n, count(tempmax_f)::int as n_max
        from wx.forecast_snapshot
        where city_id = ${cityId} and target_date between ${input.from}::date and ${input.to}::date
        group by 1, 2`,
  );
  const sources = [...new Set(daily.map((d) => d.source))].sort();
  part.coverage = coverageCells(dates, daily.map((d) => ({ source: `forecast:${d.source}`, date: d.date, count: d.n })), 'presence').map((c) => ({ city: cityId, ...c }));
  part.checkedRows = daily.reduce((a, d) => a + d.n_max, 0);

  if (sources.length) {
    const newest = await rows<{ source: string; newest: Date | null }>(
      db,
      sql`select source, max(basis_time) as newest from wx.forecast_snapshot
          where city_id = ${cityId} and source in (${sql.join(sources.map((s) => sql`${s}`), sql`, `)}) and basis_time <= ${ts(input.asOf)}
          group by source`,
    );
    part.freshness = sources.map((s) => {
      const n = newest.find((r) => r.source === s)?.newest ?? null;
      const iso = n ? new Date(n).toISOString() : null;
      return { city: cityId, source: `forecast:${s}`, newest: iso, stalenessHours: stalenessHours(iso, input.asOf) };
    });
  }

  // SQL narrows to rows that might break a rule (NaN sorts above every number in PostgreSQL); the pure check decides.
  const { min, max } = FORECAST_CANDIDATE_BOUNDS;
  const candidates = await rows<{ source: string; model: string; target_date: string; basis_time: Date; tempmax_f: number | null; tempmin_f: number | null }>(
    db,
    sql`select source, model, to_char(target_date, 'YYYY-MM-DD') as target_date, basis_time, tempmax_f, tempmin_f
        from wx.forecast_snapshot
        where city_id = ${cityId} and target_date between ${input.from}::date and ${input.to}::date
          and (tempmax_f = 0 or tempmax_f < ${min} or tempmax_f > ${max} or tempmin_f < ${min} or tempmin_f > ${max} or tempmax_f < tempmin_f)`,
  );
  const sink = new FlagSink(db);
  const flags: FlagRow[] = [];
  let flaggedRows = 0;
  for (const r of candidates) {
    const found = checkForecastValues({ tempmaxF: r.tempmax_f === null ? null : Number(r.tempmax_f), tempminF: r.tempmin_f === null ? null : Number(r.tempmin_f) });
    if (found.length) flaggedRows++;
    for (const f of found) {
      flags.push({ table: 'wx.forecast_snapshot', rule: f.rule, detail: f.detail, rowKey: forecastKey({ cityId, source: r.source, model: r.model, targetDate: r.target_date, basisTime: r.basis_time }) });
    }
  }
  const flagsInserted = await sink.write(flags);
  part.flaggedRows = flaggedRows;
  part.flags = sink.countsFor('wx.forecast_snapshot', ['forecast_zero', 'forecast_impossible', 'forecast_max_below_min']);
  part.flagExamples = sink.examples;
  log.info({ city: cityId, sources, checked: part.checkedRows, flagged: flaggedRows, inserted: flagsInserted }, 'validate: forecasts checked');
  return { ...part, flagsInserted };
}

/** Settlements: coverage per source (and consolidated), freshness, disagreements between sources (flagged on the consolidated row). */
export async function checkSettlements({ db, log }: CheckDeps, input: CityCheckInput): Promise<ValidationPart & { flagsInserted: number }> {
  const cityId = input.city;
  const dates = datesBetween(input.from, input.to);
  const part = emptyPart(cityId, 'settlements');

  const values = await rows<{ source: string; date: string; high_f: number }>(
    db,
    sql`select source, to_char(date, 'YYYY-MM-DD') as date, high_f from wx.settlement
        where city_id = ${cityId} and date between ${input.from}::date and ${input.to}::date`,
  );
  const consolidated = await rows<{ date: string; high_f: number | null; source: string; disagreement: boolean }>(
    db,
    sql`select to_char(date, 'YYYY-MM-DD') as date, high_f, source, disagreement from wx.settlement_consolidated
        where city_id = ${cityId} and date between ${input.from}::date and ${input.to}::date`,
  );
  const counts: DayCount[] = [
    ...values.map((v) => ({ source: `settlement:${v.source}`, date: v.date, count: 1 })),
    ...consolidated.map((c) => ({ source: 'settlement:consolidated', date: c.date, count: 1 })),
  ];
  part.coverage = coverageCells(dates, counts, 'presence').map((c) => ({ city: cityId, ...c }));

  const sources = [...new Set(values.map((v) => v.source))].sort();
  const asOfDate = climateDateOf(cityId, new Date(input.asOf));
  if (sources.length) {
    const newest = await rows<{ source: string; newest: string | null }>(
      db,
      sql`select source, to_char(max(date), 'YYYY-MM-DD') as newest from wx.settlement
          where city_id = ${cityId} and source in (${sql.join(sources.map((s) => sql`${s}`), sql`, `)}) and date <= ${asOfDate}::date
          group by source`,
    );
    part.freshness = sources.map((s) => {
      const d = newest.find((r) => r.source === s)?.newest ?? null;
      const iso = d ? climateDayWindowUtc(cityId, d).end.toJSDate().toISOString() : null;
      return { city: cityId, source: `settlement:${s}`, newest: iso, stalenessHours: stalenessHours(iso, input.asOf) };
    });
  }

  const disagreements = findSettlementDisagreements(
    values.map((v) => ({ cityId, date: v.date, source: v.source, highF: Number(v.high_f) })),
    input.thresholds.settlementToleranceF,
  );
  part.settlementDisagreements = disagreements.map((d) => {
    const c = consolidated.find((x) => x.date === d.date);
    return { city: cityId, date: d.date, values: d.values, spread: d.spread, consolidated: c ? { highF: c.high_f === null ? null : Number(c.high_f), source: c.source, disagreement: c.disagreement } : null };
  });
  const sink = new FlagSink(db);
  const flagsInserted = await sink.write(
    disagreements.map((d) => ({
      table: 'wx.settlement_consolidated',
      rule: 'settlement_disagreement',
      rowKey: settlementConsolidatedKey({ cityId, date: d.date }),
      detail: `${Object.entries(d.values)
        .map(([s, v]) => `${s} ${v}`)
        .join(', ')} (spread ${d.spread} °F > ${input.thresholds.settlementToleranceF} °F)`,
    })),
  );
  part.flags = sink.countsFor('wx.settlement_consolidated', ['settlement_disagreement']);
  part.flagExamples = sink.examples;
  log.info({ city: cityId, sources, disagreements: disagreements.length, inserted: flagsInserted }, 'validate: settlements checked');
  return { ...part, flagsInserted };
}

/** Kalshi markets and candles: coverage per event date, freshness, gaps inside each market's window. */
export async function checkMarkets({ db, log }: CheckDeps, input: CityCheckInput): Promise<ValidationPart & { flagsInserted: number }> {
  const cityId = input.city;
  const dates = datesBetween(input.from, input.to);
  const part = emptyPart(cityId, 'markets');
  const asOfMs = Date.parse(input.asOf);

  const perDate = await rows<{ date: string; markets: number; c1: number; c60: number }>(
    db,
    sql`select to_char(m.event_date, 'YYYY-MM-DD') as date, count(*)::int as markets,
               count(*) filter (where exists (select 1 from kalshi.candle c where c.market_ticker = m.ticker and c.period_minutes = 1))::int as c1,
               count(*) filter (where exists (select 1 from kalshi.candle c where c.market_ticker = m.ticker and c.period_minutes = 60))::int as c60
        from kalshi.market m
        where m.city_id = ${cityId} and m.event_date between ${input.from}::date and ${input.to}::date
        group by 1`,
  );
  const byDate = new Map(perDate.map((r) => [r.date, r]));
  const pct = (n: number, d: number) => (d > 0 ? Math.round((n / d) * 1000) / 10 : 0);
  for (const date of dates) {
    const r = byDate.get(date);
    const markets = r?.markets ?? 0;
    part.coverage.push({ city: cityId, source: 'market:kalshi', date, count: markets, pct: markets > 0 ? 100 : 0 });
    // Before minuteCandlesFrom the backfill fetched hourly candles only: no 1-minute coverage is expected.
    if (!input.minuteCandlesFrom || date >= input.minuteCandlesFrom) part.coverage.push({ city: cityId, source: 'candle:1m', date, count: r?.c1 ?? 0, pct: pct(r?.c1 ?? 0, markets) });
    part.coverage.push({ city: cityId, source: 'candle:60m', date, count: r?.c60 ?? 0, pct: pct(r?.c60 ?? 0, markets) });
  }
  part.coverage.sort((a, b) => a.source.localeCompare(b.source) || a.date.localeCompare(b.date));

  if (perDate.length) {
    const [fresh] = await rows<{ market: Date | null; c1: Date | null; c60: Date | null }>(
      db,
      sql`select
            (select max(open_time) from kalshi.market where city_id = ${cityId} and open_time <= ${ts(asOfMs)}) as market,
            (select max(x.b + interval '1 minute') from kalshi.market m cross join lateral (
               select max(bucket_start) as b from kalshi.candle c where c.market_ticker = m.ticker and c.period_minutes = 1 and c.bucket_start <= ${ts(asOfMs)}) x
             where m.city_id = ${cityId}) as c1,
            (select max(x.b + interval '60 minutes') from kalshi.market m cross join lateral (
               select max(bucket_start) as b from kalshi.candle c where c.market_ticker = m.ticker and c.period_minutes = 60 and c.bucket_start <= ${ts(asOfMs)}) x
             where m.city_id = ${cityId}) as c60`,
    );
    const entry = (source: string, d: Date | null | undefined) => {
      const iso = d ? new Date(Math.min(new Date(d).getTime(), asOfMs)).toISOString() : null;
      return { city: cityId, source, newest: iso, stalenessHours: stalenessHours(iso, input.asOf) };
    };
    part.freshness = [entry('market:kalshi', fresh?.market), entry('candle:1m', fresh?.c1), entry('candle:60m', fresh?.c60)];
  }

  // Candle gaps: missing data only; idle stretches of a sparse market are summed, not counted (candle-gaps.ts).
  part.candleGaps = await loadCandleGaps(db, cityId, input.from, input.to, asOfMs, input.thresholds.maxCandleGapMinutes);
  const gapCount = part.candleGaps.summary.reduce((a, g) => a + g.gaps, 0);
  log.info({ city: cityId, gaps: gapCount, idle: part.candleGaps.idle }, 'validate: markets and candles checked');
  return { ...part, flagsInserted: 0 };
}

/**
 * Forecast skill by lead: Σ(tempmax − settled high), Σ|…| and n per (source/model, lead_days), over
 * rows that carry no flag (run after the flagging activities, so a 0 °F sentinel does not count).
 */
export async function checkSkill({ db }: CheckDeps, input: CityCheckInput): Promise<ValidationPart & { flagsInserted: number }> {
  const cityId = input.city;
  const part = emptyPart(cityId, 'skill');
  const sums = await rows<{ key: string; lead_days: number; n: number; sum_err: number; sum_abs: number }>(
    db,
    sql`select f.source || '/' || f.model as key, f.lead_days, count(*)::int as n,
               sum(f.tempmax_f - s.high_f)::float8 as sum_err, sum(abs(f.tempmax_f - s.high_f))::float8 as sum_abs
        from wx.forecast_snapshot f
        join wx.settlement_consolidated s on s.city_id = f.city_id and s.date = f.target_date
        where f.city_id = ${cityId} and f.target_date between ${input.from}::date and ${input.to}::date
          and f.tempmax_f is not null and s.high_f is not null and f.lead_days >= 0
          and ${notFlagged('wx.forecast_snapshot', 'f')} and ${notFlagged('wx.settlement_consolidated', 's')}
        group by 1, 2`,
  );
  part.skill = sums.map((r) => ({ city: cityId, key: r.key, leadDays: Number(r.lead_days), n: Number(r.n), sumErr: Number(r.sum_err), sumAbsErr: Number(r.sum_abs) }));
  return { ...part, flagsInserted: 0 };
}
