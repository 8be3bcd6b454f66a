import { defineConfig } from 'drizzle-kit';

/**
 * `npm run db:generate` (drizzle-kit generate) diffs ./schemas/db against ./drizzle and writes a
 * new migration there. The URL is only needed by drizzle-kit commands that talk to a database
 * (push, introspect, studio); migrations are applied by db/migrate.ts at runtime.
 */
export default defineConfig({
  dialect: 'postgresql',
  schema: './schemas/db/index.ts',
  out: './drizzle',
  schemaFilter: ['wx', 'kalshi', 'sim', 'ml'],
  dbCredentials: {
    url: process.env.WX_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres:postgres@127.0.0.1:54329/wx',
  },
  strict: true,
  verbose: true,
});
