import pg from 'pg';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { schema, type DbSchema } from '../schemas/db';
import { createLogger, maskUrlCredentials, type Logger } from '../lib/logger';

/** The drizzle database over all four schemas (wx, kalshi, sim, ml). */
export type Db = NodePgDatabase<DbSchema>;

export interface DbHandle {
  db: Db;
  pool: pg.Pool;
  /** Ends the pool; idempotent. */
  close(): Promise<void>;
}

export interface CreateDbOptions {
  /** Pool size (default 10). */
  max?: number;
  /** `application_name` shown in pg_stat_activity (default 'wx'). */
  applicationName?: string;
  /** Logs connection errors of idle and checked-out clients (a server restart would otherwise crash the process). */
  log?: Logger;
}

/**
 * Raises the session's synchronous_commit to 'local' when it is off; a stronger setting (on,
 * remote_write, remote_apply) is left as it is.
 *
 * Writers promise durability after COMMIT: a backfill checkpoints a chunk once its transaction commits,
 * and a retried attempt never fetches that chunk again. A server, role or database running with
 * `synchronous_commit = off` acknowledges COMMIT before its WAL is flushed, and a PostgreSQL crash then
 * loses the last acknowledged commits (a whole Kalshi day went missing after a PostgreSQL kill,
 * tests/robustness/postgres-restart.test.ts). Set once per session when the pool opens it, so every
 * writer on the pool is covered and no transaction pays a round trip for it.
 */
export const DURABLE_SESSION_SQL = `SELECT set_config('synchronous_commit', 'local', false) WHERE current_setting('synchronous_commit') = 'off'`;

/**
 * Opens a pooled connection to `url` (postgres://user:pass@host:port/db). Connections are made
 * lazily, so this never throws for an unreachable server; the first query does. Sessions run with
 * `TimeZone=UTC` and commit durably (DURABLE_SESSION_SQL; a session it fails on is not handed out).
 */
export function createDb(url: string, opts: CreateDbOptions = {}): DbHandle {
  const log = opts.log ?? createLogger('db');
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    application_name: opts.applicationName ?? 'wx',
    options: '-c TimeZone=UTC',
    connectionTimeoutMillis: 30_000,
    onConnect: async (client) => {
      await client.query(DURABLE_SESSION_SQL);
    },
  });
  pool.on('error', (err) => {
    log.warn({ err: err.message, url: maskUrlCredentials(url) }, 'idle PostgreSQL client error');
  });
  // The pool listens for errors only on idle clients. A checked-out client between two queries (a
  // transaction waiting for an HTTP answer) whose server goes away ('terminating connection due to
  // unexpected postmaster exit') emits 'error' with no listener, which kills the process. With this
  // listener the client is only marked broken: its next query fails, the activity fails and Temporal
  // retries it, and the pool drops the client when it is released.
  pool.on('connect', (client) => {
    client.on('error', (err) => {
      log.warn({ err: err.message, url: maskUrlCredentials(url) }, 'PostgreSQL connection lost (the work using it fails and is retried)');
    });
  });
  const db = drizzle(pool, { schema });
  let closed: Promise<void> | undefined;
  return {
    db,
    pool,
    close: () => (closed ??= pool.end()),
  };
}
