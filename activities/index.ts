import type { TaskQueueRole } from '../temporal.config';
import type pg from 'pg';
import type { Db } from '../db/client';
import type { Logger } from '../lib/logger';
import type { Config } from '../temporal.config';
import { createBackfillActivities } from './backfill';
import { createRegistryActivities } from './registry';
import { createValidateActivities } from './validate';
import { createLiveIngestActivities } from './live-ingest';

/** What activity factories receive: connections and settings, never secrets in arguments. */
export interface ActivityDeps {
  db: Db;
  /** The same pool as `db`'s, for COPY-based bulk upserts. */
  pool: pg.Pool;
  log: Logger;
  /** Settings (base URLs, data dir); secrets are read by clients from the environment, not from here. */
  config: Config;
}

/** The activities each task queue's worker registers. Queues without built stages yet have none. */
export function activitiesFor(role: TaskQueueRole, deps: ActivityDeps): object {
  switch (role) {
    case 'ingest':
      return { ...createRegistryActivities(deps), ...createBackfillActivities(deps), ...createValidateActivities(deps), ...createLiveIngestActivities(deps) };
    case 'pipeline':
    case 'ml':
    case 'backtest':
    case 'trading':
      return {};
  }
}
