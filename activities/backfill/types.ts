/**
 * What a backfill source adapter is: for each chunk of a slice, fetch every row the chunk writes
 * (network only), then optionally derive more rows from the database inside the chunk's transaction.
 * The activity (activities/backfill.ts) commits each chunk in one transaction and checkpoints it.
 */
import type pg from 'pg';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { BulkUpsertOptions } from '../../db/bulk-upsert';
import type { CityId } from '../../domain/cities';
import type { Logger } from '../../lib/logger';
import type { DateSpan } from '../../schemas/backfill';
import type { IemClient } from '../../clients/iem';
import type { KalshiClient } from '../../clients/kalshi';
import type { NceiClient } from '../../clients/ncei';
import type { OpenMeteoClient } from '../../clients/open-meteo';
import type { VisualCrossingClient } from '../../clients/visualcrossing';

/** Rows for one table, upserted as one bulkUpsert inside the chunk's transaction. */
export interface ChunkBatch {
  table: PgTable;
  rows: object[];
  opts?: BulkUpsertOptions;
}

/** The API clients, built on first use from the configuration (secrets from the environment). */
export interface BackfillClients {
  kalshi(): KalshiClient;
  iem(): IemClient;
  ncei(): NceiClient;
  visualCrossing(): VisualCrossingClient;
  openMeteo(): OpenMeteoClient;
}

export interface AdapterContext {
  city: CityId;
  /** The whole slice (a calendar month at most). */
  slice: DateSpan;
  forecastLeadDays: number;
  /** Kalshi: 1-minute candles only for events on or after this date (60-minute candles for all). */
  minuteCandlesFrom?: string;
  clients: BackfillClients;
  log: Logger;
}

export interface SourceAdapter {
  /** Every row the chunk writes, fetched from the APIs; nothing is written yet. */
  fetch(chunk: DateSpan): Promise<ChunkBatch[]>;
  /** Rows derived from the database after the chunk's batches are upserted, in the same transaction. */
  afterUpsert?(client: pg.PoolClient, chunk: DateSpan): Promise<number>;
  /**
   * Whether every row fetched so far is final at the source (e.g. every Kalshi market has its result);
   * a slice is recorded as complete in wx.ingest_manifest only then. Omitted: the date rule alone decides.
   */
  settled?(): boolean;
}

export type AdapterFactory = (ctx: AdapterContext) => SourceAdapter;
