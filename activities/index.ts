import type { TaskQueueRole } from '../temporal.config';
import type pg from 'pg';
import type { Db } from '../db/client';
import type { Logger } from '../lib/logger';
import type { Config } from '../temporal.config';
import { createBackfillActivities } from './backfill';
import { createRegistryActivities } from './registry';
import { createValidateActivities } from './validate';
import { createLiveIngestActivities } from './live-ingest';
import { createTuneActivities } from './ml/tune';
import { createDatasetActivities } from './ml/dataset';
import { createTrainActivities } from './ml/train';
import { createDeltaTrainActivities } from './ml/train-delta';
import { createEdgeActivities } from './ml/edge';

/**
 * Credentials and identities for the real services, read once from the environment by the process
 * that hosts the workers (workers/process.ts, cli/session.ts); never in workflow arguments or logs.
 */
export interface ApiCredentials {
  visualCrossingApiKey?: string;
  /** api.weather.gov asks every client for a User-Agent with a contact. */
  nwsUserAgent?: string;
}

export function credentialsFromEnv(env: NodeJS.ProcessEnv): ApiCredentials {
  return {
    ...(env.VISUAL_CROSSING_API_KEY && { visualCrossingApiKey: env.VISUAL_CROSSING_API_KEY }),
    ...(env.WX_NWS_USER_AGENT && { nwsUserAgent: env.WX_NWS_USER_AGENT }),
  };
}

/** What activity factories receive: connections and settings, never secrets in arguments. */
export interface ActivityDeps {
  db: Db;
  /** The same pool as `db`'s, for COPY-based bulk upserts. */
  pool: pg.Pool;
  log: Logger;
  /** Settings (base URLs, data dir, timeouts); credentials are in `credentials`, never in the config. */
  config: Config;
  /** Without them the sandbox's stand-ins are used, and against the real services the keyed sources are skipped. */
  credentials?: ApiCredentials;
}

/** The activities each task queue's worker registers. Queues without built stages yet have none. */
export function activitiesFor(role: TaskQueueRole, deps: ActivityDeps): object {
  switch (role) {
    case 'ingest':
      return { ...createRegistryActivities(deps), ...createBackfillActivities(deps), ...createValidateActivities(deps), ...createLiveIngestActivities(deps) };
    case 'ml':
      return { ...createTuneActivities(deps), ...createDatasetActivities(deps), ...createTrainActivities(deps), ...createDeltaTrainActivities(deps), ...createEdgeActivities(deps) };
    case 'pipeline':
    case 'backtest':
    case 'trading':
      return {};
  }
}
