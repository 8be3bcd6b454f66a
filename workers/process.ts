import { hostname } from 'node:os';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig, type TaskQueueRole } from '../temporal.config';
import { createLogger } from '../lib/logger';
import { createDb } from '../db/client';
import { runtimeEndpoints } from '../runtime';
import { credentialsFromEnv } from '../activities/index';
import { createWorkers, installTemporalRuntimeLogger, runWorkers } from './host';

/**
 * Entry of a standalone worker process for some task queues. It connects to the configured Temporal
 * address and database (it starts neither), runs until SIGINT/SIGTERM, then lets in-flight activities
 * finish within the grace time and exits.
 */
export async function runWorkerProcess(roles: readonly TaskQueueRole[]): Promise<void> {
  const config = loadConfig();
  const log = createLogger(`worker:${roles.join('+')}`, { level: config.logLevel });
  installTemporalRuntimeLogger(log);
  const { temporalAddress, databaseUrl } = runtimeEndpoints(config);
  const db = createDb(databaseUrl, { log });
  const connection = await NativeConnection.connect({ address: temporalAddress });
  try {
    const workers = await createWorkers({ config, roles, connection, deps: { db: db.db, pool: db.pool, log, config, credentials: credentialsFromEnv(process.env) }, identity: `${hostname()}:${process.pid}` });
    log.info({ roles, taskQueues: roles.map((r) => config.temporal.taskQueues[r]), temporalAddress }, 'workers running');
    // The SDK's Runtime shuts the workers down on SIGINT/SIGTERM; run() resolves once they drained.
    await runWorkers(workers);
    log.info('workers stopped');
  } finally {
    await connection.close();
    await db.close();
  }
}

