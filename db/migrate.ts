import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { createLogger, maskUrlCredentials, type Logger } from '../lib/logger';

/** drizzle-kit's output folder (repo root /drizzle), resolved from this file. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../drizzle', import.meta.url));

/** Where drizzle records applied migrations (its defaults). */
export const MIGRATIONS_SCHEMA = 'drizzle';
export const MIGRATIONS_TABLE = '__drizzle_migrations';

/** pg_advisory_lock key that serialises migrations across processes ('wx' migrations). */
export const MIGRATION_LOCK_KEY = '7778000001';

export interface MigrateOptions {
  migrationsFolder?: string;
  /** How long to wait for another process's migration to finish (default 120 s). */
  lockTimeoutMs?: number;
}

export interface MigrateResult {
  /** Migrations applied by this call (0 when the database was already current). */
  applied: number;
  /** Migrations recorded in the database afterwards. */
  total: number;
  ms: number;
}

const errMessage = (err: unknown): string => (err instanceof Error ? err.message || String(err) : String(err));

async function connect(url: string, applicationName: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: applicationName, connectionTimeoutMillis: 30_000 });
  client.on('error', () => undefined); // surfaced by the failing query instead
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw new Error(`cannot connect to PostgreSQL at ${maskUrlCredentials(url)}: ${errMessage(err)}`, { cause: err });
  }
  return client;
}

async function appliedCount(client: pg.Client): Promise<number> {
  const reg = await client.query<{ t: string | null }>(`select to_regclass($1) as t`, [`"${MIGRATIONS_SCHEMA}"."${MIGRATIONS_TABLE}"`]);
  if (!reg.rows[0]?.t) return 0;
  const res = await client.query<{ n: string }>(`select count(*) as n from "${MIGRATIONS_SCHEMA}"."${MIGRATIONS_TABLE}"`);
  return Number(res.rows[0]?.n ?? 0);
}

/**
 * Applies the drizzle/ migrations to the database at `url` with drizzle-orm's node-postgres
 * migrator. Idempotent (already-applied migrations are skipped) and safe to run from several
 * processes at once: the whole run holds a session-level advisory lock, so a second process waits
 * and then finds nothing to do. Each run's pending migrations apply in one transaction.
 */
export async function migrateDatabase(url: string, log?: Logger, opts: MigrateOptions = {}): Promise<MigrateResult> {
  const logger = log ?? createLogger('db');
  const folder = opts.migrationsFolder ?? MIGRATIONS_FOLDER;
  const masked = maskUrlCredentials(url);
  if (!existsSync(`${folder}/meta/_journal.json`)) {
    throw new Error(`no drizzle migrations found in ${folder} (expected meta/_journal.json) for ${masked}`);
  }
  const t0 = performance.now();
  const client = await connect(url, 'wx-migrate');
  try {
    const deadline = Date.now() + (opts.lockTimeoutMs ?? 120_000);
    let waited = false;
    for (;;) {
      const res = await client.query<{ ok: boolean }>(`select pg_try_advisory_lock($1::bigint) as ok`, [MIGRATION_LOCK_KEY]);
      if (res.rows[0]?.ok) break;
      if (!waited) logger.info({ url: masked }, 'waiting for another process to finish migrating');
      waited = true;
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for the migration lock on ${masked} (another process is migrating)`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    try {
      const before = await appliedCount(client);
      await migrate(drizzle(client), {
        migrationsFolder: folder,
        migrationsSchema: MIGRATIONS_SCHEMA,
        migrationsTable: MIGRATIONS_TABLE,
      });
      const total = await appliedCount(client);
      const result = { applied: total - before, total, ms: Math.round(performance.now() - t0) };
      logger.info({ url: masked, ...result }, result.applied ? 'database migrated' : 'database schema up to date');
      return result;
    } finally {
      await client.query(`select pg_advisory_unlock($1::bigint)`, [MIGRATION_LOCK_KEY]).catch(() => undefined);
    }
  } catch (err) {
    if (err instanceof Error && err.message.includes(masked)) throw err;
    throw new Error(`migrating ${masked} failed: ${errMessage(err)}`, { cause: err });
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The database name in a connection URL (defaults to the user name, as libpq does). */
export function databaseName(url: string): string {
  const u = new URL(url);
  const name = decodeURIComponent(u.pathname.replace(/^\//, ''));
  return name || decodeURIComponent(u.username) || 'postgres';
}

/** The same URL pointing at another database on the same server. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/**
 * Creates the database named in `url` when it does not exist (connecting to the server's
 * `postgres` database). Returns true when it created it. Safe against a concurrent creator.
 */
export async function ensureDatabase(url: string): Promise<boolean> {
  const masked = maskUrlCredentials(url);
  let name: string;
  try {
    name = databaseName(url);
  } catch (err) {
    throw new Error(`not a valid PostgreSQL URL: ${masked}`, { cause: err });
  }
  if (name === 'postgres') return false;
  const client = await connect(withDatabase(url, 'postgres'), 'wx-ensure-db');
  try {
    const found = await client.query(`select 1 from pg_database where datname = $1`, [name]);
    if (found.rowCount) return false;
    try {
      await client.query(`create database ${client.escapeIdentifier(name)}`);
      return true;
    } catch (err) {
      const code = (err as { code?: string }).code;
      // 42P04 duplicate_database / 23505 unique_violation: another process created it first.
      if (code === '42P04' || code === '23505') return false;
      throw err;
    }
  } catch (err) {
    throw new Error(`cannot create database "${name}" on ${masked}: ${errMessage(err)}`, { cause: err });
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Drops a database (tests, `wx db reset`); returns false when it did not exist. */
export async function dropDatabase(url: string): Promise<boolean> {
  const masked = maskUrlCredentials(url);
  const name = databaseName(url);
  const client = await connect(withDatabase(url, 'postgres'), 'wx-drop-db');
  try {
    const res = await client.query(`select 1 from pg_database where datname = $1`, [name]);
    if (!res.rowCount) return false;
    await client.query(`drop database ${client.escapeIdentifier(name)} with (force)`);
    return true;
  } catch (err) {
    throw new Error(`cannot drop database "${name}" on ${masked}: ${errMessage(err)}`, { cause: err });
  } finally {
    await client.end().catch(() => undefined);
  }
}
