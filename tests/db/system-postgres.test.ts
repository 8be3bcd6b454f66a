/**
 * The extra test target: the PostgreSQL server on 127.0.0.1:5432 (WX_TEST_SYSTEM_PG_URL), used when
 * present and reported as skipped when not. The migrations apply on a fresh database there (a server
 * not ours: another version, other defaults), and one small backfill writes there exactly what it
 * writes on the default target (the embedded PostgreSQL of tests/global-setup.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createDb } from '../../db/client';
import { migrateDatabase } from '../../db/migrate';
import { createLogger } from '../../lib/logger';
import { createWorkers, installTemporalRuntimeLogger } from '../../workers/host';
import { backfillWorkflowId, type BackfillInput } from '../../schemas/backfill';
import type { backfillWorkflow } from '../../workflows/backfill';
import type { RunningSandbox } from '../../sandbox/server';
import { startDevServer } from '../support/temporal';
import { freshDatabase, systemPostgres } from '../support/postgres';
import { checksums, FROM, startBackfillSandbox, testConfig, type Checksums } from '../backfill/helpers';

const log = createLogger('test', { level: 'error' });
const system = await systemPostgres();

describe.skipIf(!system.present)('the system PostgreSQL on 127.0.0.1:5432 (extra target)', () => {
  let env: TestWorkflowEnvironment;
  let sandbox: RunningSandbox;
  const cleanup: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    installTemporalRuntimeLogger(log);
    [env, sandbox] = await Promise.all([startDevServer(), startBackfillSandbox()]);
  });
  afterAll(async () => {
    for (const fn of cleanup.reverse()) await fn().catch((err: Error) => console.warn(`cleanup: ${err.message}`));
    await sandbox?.close();
    await env?.teardown();
  });

  /** One city, one day of the backfill tests' world, into `url`. */
  async function backfillInto(url: string): Promise<Checksums> {
    const { config } = testConfig(sandbox.port);
    const db = createDb(url, { log });
    try {
      const workers = await createWorkers({ config, roles: ['ingest'], connection: env.nativeConnection, deps: { db: db.db, pool: db.pool, log, config } });
      const input: BackfillInput = { cities: ['chicago'], from: FROM, to: FROM, heartbeatTimeoutSeconds: 5 };
      const run = env.client.workflow.execute<typeof backfillWorkflow>('backfillWorkflow', {
        workflowId: `${backfillWorkflowId(['chicago'], ['chicago'], FROM, FROM)}#${randomBytes(3).toString('hex')}`,
        taskQueue: config.temporal.taskQueues.ingest,
        args: [input],
      });
      await Promise.all(workers.map((w) => w.runUntil(run)));
      expect((await run).status).toBe('done');
    } finally {
      await db.close();
    }
    return checksums(url, { withWriteTimes: false });
  }

  it('applies the migrations on a fresh database there, and a second run applies nothing', async () => {
    const database = await freshDatabase('wx_system', system.url);
    cleanup.push(() => database.drop());
    const again = await migrateDatabase(database.url, log);
    expect(again.applied).toBe(0);
    expect(again.total).toBeGreaterThanOrEqual(1);
    const c = new pg.Client({ connectionString: database.url });
    await c.connect();
    const { rows } = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations`);
    await c.end();
    expect(rows[0]!.n).toBe(again.total);
  });

  it('a backfill writes there exactly what it writes on the default (embedded) target', async () => {
    const [onSystem, onDefault] = await Promise.all([freshDatabase('wx_system', system.url), freshDatabase('wx_default')]);
    cleanup.push(() => onSystem.drop(), () => onDefault.drop());
    const there = await backfillInto(onSystem.url);
    const here = await backfillInto(onDefault.url);
    expect(there['kalshi.candle']!.rows).toBeGreaterThan(0);
    expect(there['wx.observation']!.rows).toBeGreaterThan(0);
    expect(there).toEqual(here);
  });
});
