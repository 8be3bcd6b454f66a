/**
 * wx.data_flag: how validation writes flags, and how datasets leave flagged rows out.
 *
 * A flag names its row by the row's primary key as a JSON object with the column names as keys;
 * timestamps are written as `Date.prototype.toISOString()` ('2025-03-09T08:00:00.000Z'), dates as
 * 'YYYY-MM-DD'. `rowKeySql` builds the very same JSON in SQL, so a dataset query excludes flagged rows
 * with an index lookup on data_flag's unique key (table_name, row_key, rule):
 *
 *   db.execute(sql`select o.observed_at, o.temp_f from wx.observation o
 *                  where o.station = ${station} and ${notFlagged('wx.observation', 'o')}`)
 *
 * or with the query builder (no alias: the table's own columns):
 *
 *   db.select().from(wxObservation).where(and(eq(wxObservation.station, 'KMDW'), notFlagged('wx.observation')))
 *
 * Flags are never deleted (nor the rows): a flag is evidence; to keep a row anyway, filter by `rules`.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { wxDataFlag } from '../../schemas/db';

type KeyType = 'text' | 'date' | 'timestamptz';

/** The tables validation flags, and each one's primary-key columns in key order. */
export const FLAG_TABLES = {
  'wx.observation': { station: 'text', source: 'text', observed_at: 'timestamptz' },
  'wx.forecast_snapshot': { city_id: 'text', source: 'text', model: 'text', target_date: 'date', basis_time: 'timestamptz' },
  'wx.settlement': { city_id: 'text', date: 'date', source: 'text' },
  'wx.settlement_consolidated': { city_id: 'text', date: 'date' },
  /** Events (incomplete ladders): any table with an event_ticker column can be filtered by these flags. */
  'kalshi.event': { event_ticker: 'text' },
} as const satisfies Record<string, Record<string, KeyType>>;
export type FlagTable = keyof typeof FLAG_TABLES;

/** The rules validation writes (data_flag.rule). */
export const FLAG_RULES = {
  'wx.observation': ['obs_spike', 'obs_stuck', 'obs_impossible'],
  'wx.forecast_snapshot': ['forecast_zero', 'forecast_impossible', 'forecast_max_below_min'],
  'wx.settlement': [],
  'wx.settlement_consolidated': ['settlement_disagreement'],
  'kalshi.event': ['ladder_incomplete'],
} as const satisfies Record<FlagTable, readonly string[]>;

/** A timestamp as it appears in row keys. */
export const keyInstant = (t: Date | number): string => new Date(t).toISOString();

export const observationKey = (r: { station: string; source: string; observedAt: Date | number }) => ({
  station: r.station,
  source: r.source,
  observed_at: keyInstant(r.observedAt),
});
export const forecastKey = (r: { cityId: string; source: string; model: string; targetDate: string; basisTime: Date | number }) => ({
  city_id: r.cityId,
  source: r.source,
  model: r.model,
  target_date: r.targetDate,
  basis_time: keyInstant(r.basisTime),
});
export const settlementConsolidatedKey = (r: { cityId: string; date: string }) => ({ city_id: r.cityId, date: r.date });
export const settlementKey = (r: { cityId: string; date: string; source: string }) => ({ city_id: r.cityId, date: r.date, source: r.source });
export const eventKey = (r: { eventTicker: string }) => ({ event_ticker: r.eventTicker });

/** The JSON row key of rows of `table` in SQL: `alias` names the row's table in the query (default: the table itself). */
export function rowKeySql(table: FlagTable, alias?: string): SQL {
  const cols = FLAG_TABLES[table] as Record<string, KeyType>;
  const [schema, name] = table.split('.') as [string, string];
  const qualifier = alias ? sql.identifier(alias) : sql`${sql.identifier(schema)}.${sql.identifier(name)}`;
  const parts = Object.entries(cols).map(([col, type]) => {
    const ref = sql`${qualifier}.${sql.identifier(col)}`;
    const value =
      type === 'timestamptz'
        ? sql`to_char(${ref} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
        : type === 'date'
          ? sql`to_char(${ref}, 'YYYY-MM-DD')`
          : ref;
    return sql`${sql.raw(`'${col}'`)}, ${value}`;
  });
  return sql`jsonb_build_object(${sql.join(parts, sql`, `)})`;
}

/**
 * A WHERE condition, true for rows of `table` that carry no flag (or none of `rules`, when given).
 * `alias`: the row's table alias in the query; omit it when the query names the table itself.
 */
export function notFlagged(table: FlagTable, alias?: string, rules?: readonly string[]): SQL {
  // An alias no caller's query will use for its own tables.
  const ruleFilter = rules && rules.length ? sql` and wx_flag__.rule in (${sql.join(rules.map((r) => sql`${r}`), sql`, `)})` : sql``;
  return sql`not exists (select 1 from wx.data_flag wx_flag__ where wx_flag__.table_name = ${table} and wx_flag__.row_key = ${rowKeySql(table, alias)}${ruleFilter})`;
}

/** The name the brief uses; same as `notFlagged`. */
export const excludeFlagged = notFlagged;

/**
 * Later stages skip flagged events (an incomplete ladder cannot price or label a day). A WHERE
 * condition, true for rows whose event carries no flag: `alias` names a table of the query with an
 * `event_ticker` column (kalshi.event, kalshi.market), e.g.
 *
 *   sql`select m.ticker, m.result from kalshi.market m where m.city_id = ${city} and ${eventNotFlagged('m')}`
 */
export function eventNotFlagged(alias: string, rules?: readonly string[]): SQL {
  return notFlagged('kalshi.event', alias, rules);
}

/**
 * The same for rows keyed by (city_id, a date column) such as wx.settlement_consolidated or
 * wx.forecast_snapshot: true when no event of that city and climate date is flagged.
 */
export function dayEventsNotFlagged(alias: string, dateColumn = 'date', rules?: readonly string[]): SQL {
  const a = sql.identifier(alias);
  const ruleFilter = rules && rules.length ? sql` and wx_flag__.rule in (${sql.join(rules.map((r) => sql`${r}`), sql`, `)})` : sql``;
  return sql`not exists (select 1 from kalshi.event wx_event__ join wx.data_flag wx_flag__
    on wx_flag__.table_name = 'kalshi.event' and wx_flag__.row_key = jsonb_build_object('event_ticker', wx_event__.event_ticker)${ruleFilter}
    where wx_event__.city_id = ${a}.city_id and wx_event__.event_date = ${a}.${sql.identifier(dateColumn)})`;
}

export interface FlagRow {
  table: FlagTable;
  rowKey: Record<string, unknown>;
  rule: string;
  detail: string;
}

/**
 * Idempotent upsert on data_flag's unique key (table_name, row_key, rule): a new flag is inserted, an
 * existing one keeps its id and flagged_at (its detail is refreshed if it changed). Returns how many
 * flags were new.
 */
export async function upsertFlags(db: Db, rows: readonly FlagRow[], batchSize = 1000): Promise<{ inserted: number }> {
  const seen = new Set<string>();
  const unique = rows.filter((r) => {
    const k = `${r.table}|${r.rule}|${JSON.stringify(r.rowKey)}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  let inserted = 0;
  for (let i = 0; i < unique.length; i += batchSize) {
    const batch = unique.slice(i, i + batchSize);
    const res = await db
      .insert(wxDataFlag)
      .values(batch.map((r) => ({ tableName: r.table, rowKey: r.rowKey, rule: r.rule, detail: r.detail })))
      .onConflictDoUpdate({
        target: [wxDataFlag.tableName, wxDataFlag.rowKey, wxDataFlag.rule],
        set: { detail: sql`excluded.detail` },
        setWhere: sql`${wxDataFlag.detail} is distinct from excluded.detail`,
      })
      .returning({ inserted: sql<boolean>`(xmax = 0)` });
    inserted += res.filter((r) => r.inserted).length;
  }
  return { inserted };
}
