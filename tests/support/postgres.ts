/**
 * The PostgreSQL servers tests create their databases on.
 *
 * - The default target is ONE embedded PostgreSQL (the product's own, runtime/postgres.ts) that
 *   tests/global-setup.ts starts for the whole run in a temp directory and hands to the test files
 *   through vitest's provide/inject; so a fresh machine needs no server of its own.
 * - WX_TEST_PG_URL (or DATABASE_URL) set: that server instead, and nothing embedded starts.
 * - The server on 127.0.0.1:5432 (WX_TEST_SYSTEM_PG_URL) is an extra target: tests that want it ask
 *   `systemPostgres()` and skip, with the reason, when nothing answers there.
 */
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { migrateDatabase } from '../../db/migrate';
import { maskUrlCredentials } from '../../lib/logger';

/** What global setup provides: an admin URL on the test server (any database there; new ones are created beside it). */
export interface TestPostgres {
  url: string;
  kind: 'embedded' | 'external';
}

declare module 'vitest' {
  export interface ProvidedContext {
    wxTestPostgres: TestPostgres;
  }
}

/** The URL the caller set for tests, when one is set (then no embedded server starts). */
export function externalTestPgUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.WX_TEST_PG_URL || env.DATABASE_URL || undefined;
}

/** The default test server: from global setup (vitest), or the caller's URL outside vitest's workers. */
export function testPostgres(): TestPostgres {
  const provided = inject('wxTestPostgres');
  if (provided) return provided;
  const url = externalTestPgUrl();
  if (!url) throw new Error('no test PostgreSQL: run under vitest (tests/global-setup.ts starts one) or set WX_TEST_PG_URL');
  return { url, kind: 'external' };
}

export const SYSTEM_PG_URL = process.env.WX_TEST_SYSTEM_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Whether the extra target (the server on 127.0.0.1:5432) answers; when not, `reason` says why tests skip. */
export async function systemPostgres(): Promise<{ url: string; present: boolean; reason: string }> {
  const client = new pg.Client({ connectionString: SYSTEM_PG_URL, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined); // a refused or dropped connection is the answer, reported below
  const reason = await client.connect().then(
    async () => {
      await client.end();
      return '';
    },
    (err: Error) => `nothing answers at ${maskUrlCredentials(SYSTEM_PG_URL)} (${err.message || (err as NodeJS.ErrnoException).code})`,
  );
  if (reason) console.warn(`[tests] skipping the tests on the system PostgreSQL: ${reason}`);
  return { url: SYSTEM_PG_URL, present: !reason, reason };
}

const withDatabase = (url: string, name: string) => {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
};

async function admin(url: string, sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/**
 * A fresh, migrated database on the test server (default: the one from global setup; `server` names
 * another, e.g. SYSTEM_PG_URL); `drop()` removes it.
 */
export async function freshDatabase(prefix = 'wx_test', server: string = testPostgres().url): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  await admin(server, `CREATE DATABASE ${name}`);
  const url = withDatabase(server, name);
  await migrateDatabase(url);
  return {
    url,
    drop: () => admin(server, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}
