import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { migrateDatabase } from '../../db/migrate';

/** The PostgreSQL server every machine here runs (trust auth); tests create their own databases on it. */
export const LOCAL_PG = process.env.WX_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A fresh, migrated database on the local server; `drop()` removes it. */
export async function freshDatabase(prefix = 'wx_test'): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: LOCAL_PG });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = LOCAL_PG.replace(/\/[^/]*$/, `/${name}`);
  await migrateDatabase(url);
  return {
    url,
    async drop() {
      const c = new pg.Client({ connectionString: LOCAL_PG });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
