/**
 * The transaction of one backfill chunk, committed durably before the slice's checkpoint names it.
 *
 * The checkpoint heartbeated after a chunk (nextChunk = i + 1) promises that the chunk's rows survive:
 * a retried attempt starts after it and never fetches that chunk again. A server (or role, or
 * database) running with `synchronous_commit = off` acknowledges COMMIT before the commit's WAL is
 * flushed, and a crash of PostgreSQL then loses the last fraction of a second of acknowledged
 * commits: the chunk was checkpointed and its rows were gone (seen as a whole Kalshi day missing
 * after a PostgreSQL kill, tests/robustness/postgres-restart.test.ts). So the chunk's transaction
 * waits for the local WAL flush whenever the session would not: one flush per chunk (a day of one
 * source), a stronger setting (on, remote_write, remote_apply) is left as it is.
 */
import type pg from 'pg';
import { inTransaction } from '../../db/transaction';

/** Raises this transaction's synchronous_commit to 'local' only when the session has it off. */
export const DURABLE_COMMIT_SQL = `SELECT set_config('synchronous_commit', 'local', true) WHERE current_setting('synchronous_commit') = 'off'`;

/** `inTransaction` whose COMMIT returns only once the transaction's WAL is flushed to disk. */
export function inDurableTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return inTransaction(pool, async (client) => {
    await client.query(DURABLE_COMMIT_SQL);
    return fn(client);
  });
}
