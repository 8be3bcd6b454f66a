/**
 * A hung upstream (the sandbox's `hang` fault accepts a request and never answers): each such attempt
 * fails at the client's per-request timeout and is retried, so a backfill through a sandbox that hangs
 * on some requests ends with exactly the content of a backfill through a healthy one.
 * Real Temporal dev server, real sandbox over HTTP, real PostgreSQL, in-process workers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createDb } from '../../db/client';
import { createLogger } from '../../lib/logger';
import { createWorkers, installTemporalRuntimeLogger } from '../../workers/host';
import { backfillWorkflowId, type BackfillInput, type BackfillProgress } from '../../schemas/backfill';
import type { backfillWorkflow } from '../../workflows/backfill';
import type { FaultConfig } from '../../sandbox/faults';
import { startDevServer } from '../support/temporal';
import { freshDatabase } from '../support/postgres';
import { checksums, CITIES, FROM, startBackfillSandbox, testConfig, TO } from '../backfill/helpers';

// Long enough that an answered request never times out on a busy machine, short enough for a test.
const TIMEOUT_MS = 4000;

describe('a sandbox endpoint that never answers', () => {
  let env: TestWorkflowEnvironment;
  const cleanup: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    installTemporalRuntimeLogger(createLogger('test', { level: 'error' }));
    env = await startDevServer();
  });
  afterAll(async () => {
    for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
    await env?.teardown();
  });

  /** One backfill into a fresh database through a sandbox with `faults`; returns its checksums and warnings. */
  async function backfill(faults?: FaultConfig) {
    const lines: string[] = [];
    const log = createLogger('test', { level: 'warn', stream: { write: (l: string) => void lines.push(l) } });
    const database = await freshDatabase('wx_hang');
    const sandbox = await startBackfillSandbox(faults ? { faults } : {});
    const { config } = testConfig(sandbox.port, { WX_HTTP_TIMEOUT_MS: String(TIMEOUT_MS) });
    const db = createDb(database.url, { log });
    cleanup.push(() => database.drop());
    try {
      const workers = await createWorkers({ config, roles: ['ingest'], connection: env.nativeConnection, deps: { db: db.db, pool: db.pool, log, config } });
      const input: BackfillInput = { cities: CITIES, from: FROM, to: TO, heartbeatTimeoutSeconds: 5 };
      const result = env.client.workflow.execute<typeof backfillWorkflow>('backfillWorkflow', {
        workflowId: `${backfillWorkflowId(CITIES, CITIES, FROM, TO)}#hang-${randomBytes(2).toString('hex')}`,
        taskQueue: config.temporal.taskQueues.ingest,
        args: [input],
      });
      await Promise.all(workers.map((w) => w.runUntil(result)));
      const progress: BackfillProgress = await result;
      return { progress, sums: await checksums(database.url, { withWriteTimes: false }), hangs: sandbox.faults.counts, lines };
    } finally {
      await sandbox.close();
      await db.close();
    }
  }

  it('fails each hung attempt at the request timeout, retries it, and backfills the same rows', async () => {
    const healthy = await backfill();
    const hung = await backfill({ seed: 'hang', all: { rateHang: 0.03 } });
    expect(healthy.progress.status).toBe('done');
    expect(hung.progress.status).toBe('done');

    const hangCount = Object.values(hung.hangs).reduce((n, bySource) => n + (bySource.hang ?? 0), 0);
    expect(hangCount).toBeGreaterThan(0);
    // Every hung attempt was ended by the client's timeout (not by the activity's) and retried (a slow
    // answered request on a loaded machine may time out too, hence at least).
    const timedOut = hung.lines.map((l) => JSON.parse(l) as { msg: string; err?: string }).filter((e) => e.msg === 'retrying request' && e.err?.includes(`no complete answer within ${TIMEOUT_MS} ms`));
    expect(timedOut.length).toBeGreaterThanOrEqual(hangCount);

    expect(hung.sums).toEqual(healthy.sums);
    expect(healthy.sums['kalshi.candle']!.rows).toBeGreaterThan(1000);
  }, 300_000);
});
