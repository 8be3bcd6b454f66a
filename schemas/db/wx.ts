/**
 * Schema `wx`: cities, stations, observations, settlements and forecast snapshots.
 *
 * Conventions (all schemas): timestamps are `timestamptz` (UTC instants), calendar dates are
 * `date` read as 'YYYY-MM-DD' strings, temperatures are °F (double precision for real-valued
 * observations/forecasts, integer for settled highs). Every natural key is a primary or unique
 * key so that ingest is an idempotent upsert (INSERT ... ON CONFLICT DO UPDATE).
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  date,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

export const wx = pgSchema('wx');

const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const ingestedAt = () => tstz('ingested_at').notNull().defaultNow();
const updatedAt = () => tstz('updated_at').notNull().defaultNow();

/** The six traded cities ('chicago', 'austin', 'denver', 'los_angeles', 'miami', 'philadelphia'). */
export const city = wx.table('city', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  /** IANA zone, e.g. 'America/Chicago'. */
  zone: text('zone').notNull(),
  /** Offset of local standard time from UTC in minutes (Chicago: -360); the climate day uses it all year. */
  standardOffsetMinutes: integer('standard_offset_minutes').notNull(),
  /** Settlement station, e.g. 'KMDW'. */
  stationIcao: text('station_icao').notNull(),
  /** Kalshi series, e.g. 'KXHIGHCHI' (nullable: informational). */
  seriesTicker: text('series_ticker'),
  updatedAt: updatedAt(),
});

export const station = wx.table(
  'station',
  {
    icao: text('icao').primaryKey(),
    cityId: text('city_id')
      .notNull()
      .references(() => city.id),
    name: text('name').notNull(),
    /** GHCN-Daily id, e.g. 'USW00014819'. */
    ghcnId: text('ghcn_id'),
    /** NWS CLI product location: `site` (WFO, e.g. 'LOT') and `issuedby` (e.g. 'MDW'). */
    cliSite: text('cli_site'),
    cliIssuedby: text('cli_issuedby'),
    lat: doublePrecision('lat').notNull(),
    lon: doublePrecision('lon').notNull(),
    elevationM: doublePrecision('elevation_m'),
    updatedAt: updatedAt(),
  },
  (t) => [index('station_city_idx').on(t.cityId)],
);

/** Minute / sub-hourly / hourly observations, one row per (station, source, instant). */
export const observation = wx.table(
  'observation',
  {
    station: text('station').notNull(),
    /** e.g. 'iem-asos', 'iem-asos1min', 'nws-api'. */
    source: text('source').notNull(),
    observedAt: tstz('observed_at').notNull(),
    tempF: doublePrecision('temp_f'),
    dewpointF: doublePrecision('dewpoint_f'),
    relativeHumidity: doublePrecision('relative_humidity'),
    windSpeedMph: doublePrecision('wind_speed_mph'),
    windGustMph: doublePrecision('wind_gust_mph'),
    windDirectionDeg: doublePrecision('wind_direction_deg'),
    pressureMb: doublePrecision('pressure_mb'),
    skyCover: text('sky_cover'),
    conditions: text('conditions'),
    /** Source quality flags per variable, e.g. {"temp":"V"} (NWS qualityControl) or report type. */
    qualityFlags: jsonb('quality_flags').$type<Record<string, unknown>>(),
    /** When the report was published: the observation time plus the feed's reporting delay (domain/known-at.ts). */
    availableAt: tstz('available_at').notNull(),
    ingestedAt: ingestedAt(),
  },
  (t) => [
    primaryKey({ name: 'observation_pk', columns: [t.station, t.source, t.observedAt] }),
    index('observation_station_time_idx').on(t.station, t.observedAt),
  ],
);

/** One row per (city, climate date, source): 'cli', 'ghcn', 'asos', 'twc', 'kalshi', ... */
export const settlement = wx.table(
  'settlement',
  {
    cityId: text('city_id').notNull(),
    date: date('date', { mode: 'string' }).notNull(),
    source: text('source').notNull(),
    highF: integer('high_f').notNull(),
    lowF: integer('low_f'),
    /** When the source issued the report (e.g. CLI issue time); null if unknown. */
    issuedAt: tstz('issued_at'),
    isPreliminary: boolean('is_preliminary').notNull().default(false),
    /** When the report or market result was published (domain/known-at.ts). */
    availableAt: tstz('available_at').notNull(),
    raw: jsonb('raw'),
    ingestedAt: ingestedAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ name: 'settlement_pk', columns: [t.cityId, t.date, t.source] }),
    index('settlement_date_idx').on(t.date),
  ],
);

/**
 * The one settled outcome per (city, date) that P&L, datasets and backtests use: Kalshi's own result
 * where it settled (domain/settlement-consolidation.ts), the weather truth beside it.
 */
export const settlementConsolidated = wx.table(
  'settlement_consolidated',
  {
    cityId: text('city_id').notNull(),
    date: date('date', { mode: 'string' }).notNull(),
    /** The settled high: Kalshi's expiration value where Kalshi settled, else the weather truth; null when no source gave a number. */
    highF: integer('high_f'),
    /** Where the label came from: 'kalshi' when Kalshi settled the event, else the weather source taken. */
    source: text('source').notNull(),
    /** The market that settled YES: the label's bracket (join kalshi.market for its strikes); null without one. */
    winningMarketTicker: text('winning_market_ticker'),
    /** Kalshi's expiration value (whole °F), when it set one. */
    kalshiHighF: integer('kalshi_high_f'),
    /** The weather truth: the best weather source's high (cli > ghcn > asos > others) and its source. */
    weatherHighF: integer('weather_high_f'),
    weatherSource: text('weather_source'),
    /** Source precedence applied, highest first, e.g. ['kalshi','cli','ghcn','asos']. */
    precedence: text('precedence').array().notNull(),
    /** True when any two sources, or Kalshi's winning bracket and a source, disagree. */
    disagreement: boolean('disagreement').notNull().default(false),
    /** Every disagreement in words, e.g. ['kalshi 84 vs cli 85', 'winner …-B84.5 (84..85) does not contain cli 86']. */
    disagreements: text('disagreements').array().notNull().default(sql`'{}'::text[]`),
    /** Every source's high, e.g. {"cli": 87, "ghcn": 87, "asos": 88}. */
    sourceValues: jsonb('source_values').$type<Record<string, number | null>>().notNull(),
    /** When the label could first be known: the publication time of what it was taken from (null if unknown). */
    availableAt: tstz('available_at'),
    consolidatedAt: tstz('consolidated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: 'settlement_consolidated_pk', columns: [t.cityId, t.date] })],
);

/** Daily forecast for a target date as issued at `basis_time` (historical forecasts never overwrite each other). */
export const forecastSnapshot = wx.table(
  'forecast_snapshot',
  {
    cityId: text('city_id').notNull(),
    /** e.g. 'visualcrossing', 'open-meteo', 'iem-mos'. */
    source: text('source').notNull(),
    /** e.g. 'gfs', 'nbm', 'best_match'. */
    model: text('model').notNull(),
    targetDate: date('target_date', { mode: 'string' }).notNull(),
    /** Model run / issue time (UTC). */
    basisTime: tstz('basis_time').notNull(),
    /** Local (city) calendar date of the basis time. */
    basisDate: date('basis_date', { mode: 'string' }).notNull(),
    /** target_date - basis_date in days. */
    leadDays: integer('lead_days').notNull(),
    tempmaxF: doublePrecision('tempmax_f'),
    tempminF: doublePrecision('tempmin_f'),
    tempF: doublePrecision('temp_f'),
    feelslikemaxF: doublePrecision('feelslikemax_f'),
    dewF: doublePrecision('dew_f'),
    humidity: doublePrecision('humidity'),
    precipIn: doublePrecision('precip_in'),
    precipProb: doublePrecision('precip_prob'),
    snowIn: doublePrecision('snow_in'),
    windspeedMph: doublePrecision('windspeed_mph'),
    windgustMph: doublePrecision('windgust_mph'),
    cloudcover: doublePrecision('cloudcover'),
    pressureMb: doublePrecision('pressure_mb'),
    conditions: text('conditions'),
    /**
     * When this value could first have been known to a user of the source (UTC): the run time plus the
     * source's publication delay (domain/known-at.ts). Datasets, backtests and the trader join on it.
     */
    availableAt: tstz('available_at').notNull(),
    raw: jsonb('raw'),
    ingestedAt: ingestedAt(),
  },
  (t) => [
    primaryKey({
      name: 'forecast_snapshot_pk',
      columns: [t.cityId, t.source, t.model, t.targetDate, t.basisTime],
    }),
    index('forecast_snapshot_city_target_idx').on(t.cityId, t.targetDate),
    index('forecast_snapshot_city_basis_date_idx').on(t.cityId, t.basisDate),
    index('forecast_snapshot_city_available_idx').on(t.cityId, t.availableAt),
  ],
);

/** Hourly forecast curve of one run. */
export const forecastSnapshotHourly = wx.table(
  'forecast_snapshot_hourly',
  {
    cityId: text('city_id').notNull(),
    source: text('source').notNull(),
    model: text('model').notNull(),
    basisTime: tstz('basis_time').notNull(),
    validTime: tstz('valid_time').notNull(),
    tempF: doublePrecision('temp_f'),
    dewF: doublePrecision('dew_f'),
    humidity: doublePrecision('humidity'),
    precipIn: doublePrecision('precip_in'),
    precipProb: doublePrecision('precip_prob'),
    windspeedMph: doublePrecision('windspeed_mph'),
    cloudcover: doublePrecision('cloudcover'),
    /**
     * When this value could first have been known to a user of the source (UTC): the run time plus the
     * source's publication delay (domain/known-at.ts). Datasets, backtests and the trader join on it.
     */
    availableAt: tstz('available_at').notNull(),
    ingestedAt: ingestedAt(),
  },
  (t) => [
    primaryKey({
      name: 'forecast_snapshot_hourly_pk',
      columns: [t.cityId, t.source, t.model, t.basisTime, t.validTime],
    }),
    index('forecast_snapshot_hourly_city_valid_idx').on(t.cityId, t.validTime),
  ],
);

/**
 * What a backfill slice (city, source, calendar month) ingested, from which world: a re-run of a
 * finished range skips slices recorded here unless `--refresh`.
 */
export const ingestManifest = wx.table(
  'ingest_manifest',
  {
    cityId: text('city_id').notNull(),
    /** 'kalshi' | 'observations' | 'settlements' | 'forecasts'. */
    source: text('source').notNull(),
    /** First day of the calendar month, 'YYYY-MM-01'. */
    month: date('month', { mode: 'string' }).notNull(),
    /** The days of the month covered, inclusive ('YYYY-MM-DD'); a partial month is re-run when a wider range asks. */
    fromDate: date('from_date', { mode: 'string' }).notNull(),
    toDate: date('to_date', { mode: 'string' }).notNull(),
    /** Identifies what served the data (world kind, seed or directory fingerprint, or 'real'). */
    worldKey: text('world_key').notNull(),
    rows: bigint('rows', { mode: 'number' }).notNull(),
    completedAt: tstz('completed_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: 'ingest_manifest_pk', columns: [t.cityId, t.source, t.month] })],
);

/** Rows that a validation rule flagged; datasets exclude them. */
export const dataFlag = wx.table(
  'data_flag',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    /** Qualified table name, e.g. 'wx.observation'. */
    tableName: text('table_name').notNull(),
    /** The flagged row's primary key as an object, e.g. {"station":"KMDW","source":"iem-asos","observed_at":"..."}. */
    rowKey: jsonb('row_key').$type<Record<string, unknown>>().notNull(),
    rule: text('rule').notNull(),
    detail: text('detail'),
    flaggedAt: tstz('flagged_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('data_flag_natural_key').on(t.tableName, t.rowKey, t.rule),
    index('data_flag_table_rule_idx').on(t.tableName, t.rule),
  ],
);

export type City = typeof city.$inferSelect;
export type NewCity = typeof city.$inferInsert;
export type Station = typeof station.$inferSelect;
export type NewStation = typeof station.$inferInsert;
export type Observation = typeof observation.$inferSelect;
export type NewObservation = typeof observation.$inferInsert;
export type Settlement = typeof settlement.$inferSelect;
export type NewSettlement = typeof settlement.$inferInsert;
export type SettlementConsolidated = typeof settlementConsolidated.$inferSelect;
export type NewSettlementConsolidated = typeof settlementConsolidated.$inferInsert;
export type ForecastSnapshot = typeof forecastSnapshot.$inferSelect;
export type NewForecastSnapshot = typeof forecastSnapshot.$inferInsert;
export type ForecastSnapshotHourly = typeof forecastSnapshotHourly.$inferSelect;
export type NewForecastSnapshotHourly = typeof forecastSnapshotHourly.$inferInsert;
export type IngestManifest = typeof ingestManifest.$inferSelect;
export type DataFlag = typeof dataFlag.$inferSelect;
export type NewDataFlag = typeof dataFlag.$inferInsert;
