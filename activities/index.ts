import type { TaskQueueRole } from '../temporal.config';
import type { Db } from '../db/client';
import type { Logger } from '../lib/logger';
import { createRegistryActivities } from './registry';

/** What activity factories receive: connections and settings, never secrets in arguments. */
export interface ActivityDeps {
  db: Db;
  log: Logger;
}

/** The activities each task queue's worker registers. Queues without built stages yet have none. */
export function activitiesFor(role: TaskQueueRole, deps: ActivityDeps): object {
  switch (role) {
    case 'ingest':
      return { ...createRegistryActivities(deps) };
    case 'pipeline':
    case 'ml':
    case 'backtest':
    case 'trading':
      return {};
  }
}
