/**
 * The database schema: four PostgreSQL schemas (wx, kalshi, sim, ml).
 *
 * Use the namespaces (`import { wx, kalshi } from '../schemas/db'`, then `wx.settlement`,
 * `kalshi.candle`), or the flat prefixed names below. Several schemas share table names
 * (`kalshi.trade`, `sim.trade`), hence the prefixes. The flat named exports are also what
 * drizzle-kit reads to generate migrations (it only sees top-level table and schema exports).
 */
import * as wx from './wx';
import * as kalshi from './kalshi';
import * as sim from './sim';
import * as ml from './ml';

export { wx, kalshi, sim, ml };
export type {
  City,
  NewCity,
  Station,
  NewStation,
  Observation,
  NewObservation,
  Settlement,
  NewSettlement,
  SettlementConsolidated,
  NewSettlementConsolidated,
  ForecastSnapshot,
  NewForecastSnapshot,
  ForecastSnapshotHourly,
  NewForecastSnapshotHourly,
  DataFlag,
  NewDataFlag,
  IngestManifest,
} from './wx';
export type { Series, NewSeries, KalshiEvent, NewKalshiEvent, Market, NewMarket, Candle, NewCandle, KalshiTrade, NewKalshiTrade, OrderbookSnapshotRow } from './kalshi';
export type { RunKind, SimRun, NewSimRun, SimTrade, NewSimTrade, LiveOrder, NewLiveOrder } from './sim';
export type { TrialState, Study, NewStudy, Trial, NewTrial, ModelVersion, NewModelVersion } from './ml';
export { RUN_KINDS } from './sim';
export { TRIAL_STATES } from './ml';

// PostgreSQL schemas (drizzle-kit emits CREATE SCHEMA for these).
export const wxSchema = wx.wx;
export const kalshiSchema = kalshi.kalshi;
export const simSchema = sim.sim;
export const mlSchema = ml.ml;

// Tables.
export const wxCity = wx.city;
export const wxStation = wx.station;
export const wxObservation = wx.observation;
export const wxSettlement = wx.settlement;
export const wxSettlementConsolidated = wx.settlementConsolidated;
export const wxForecastSnapshot = wx.forecastSnapshot;
export const wxForecastSnapshotHourly = wx.forecastSnapshotHourly;
export const wxDataFlag = wx.dataFlag;
export const wxIngestManifest = wx.ingestManifest;
export const kalshiSeries = kalshi.series;
export const kalshiEvent = kalshi.event;
export const kalshiMarket = kalshi.market;
export const kalshiCandle = kalshi.candle;
export const kalshiTrade = kalshi.trade;
export const kalshiOrderbookSnapshot = kalshi.orderbookSnapshot;
export const simRun = sim.run;
export const simTrade = sim.trade;
export const simLiveOrders = sim.liveOrders;
export const mlStudy = ml.study;
export const mlTrial = ml.trial;
export const mlModelVersion = ml.modelVersion;

/** Every table, as passed to drizzle() (enables `db.query.<name>` relational reads). */
export const schema = {
  wxCity,
  wxStation,
  wxObservation,
  wxSettlement,
  wxSettlementConsolidated,
  wxForecastSnapshot,
  wxForecastSnapshotHourly,
  wxDataFlag,
  wxIngestManifest,
  kalshiSeries,
  kalshiEvent,
  kalshiMarket,
  kalshiCandle,
  kalshiTrade,
  kalshiOrderbookSnapshot,
  simRun,
  simTrade,
  simLiveOrders,
  mlStudy,
  mlTrial,
  mlModelVersion,
};

export type DbSchema = typeof schema;

/** The PostgreSQL schemas this project owns, in creation order. */
export const DB_SCHEMAS = ['wx', 'kalshi', 'sim', 'ml'] as const;
