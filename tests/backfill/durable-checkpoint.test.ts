/**
 * A slice's checkpoint names only chunks whose rows are durably committed, without killing the server:
 *   - on a database whose sessions run with synchronous_commit = off (COMMIT acknowledged before its WAL
 *     is flushed: a PostgreSQL crash then loses it), the pool's sessions (db/client.ts) and so every
 *     chunk's COMMIT still wait for the flush; this is what lost a whole Kalshi day after a PostgreSQL
 *     kill (tests/robustness/postgres-restart);
 *   - a chunk whose COMMIT fails (its backend terminated, as when the server goes away) is not
 *     checkpointed, and the next attempt resumes at it and ends with the content of a clean run.
 * Real sandbox over HTTP, the slice activity in a MockActivityEnvironment, real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createDb, type DbHandle } from '../../db/client';
import { createBackfillActivities } from '../../activities/backfill';
import { createLogger } from '../../lib/logger';
import type { SliceCheckpoint, SliceResult } from '../../schemas/backfill';
import type { RunningSandbox } from '../../sandbox/server';
import { freshDatabase } from '../support/postgres';
import { checksums, startBackfillSandbox, testConfig } from './helpers';

const log = createLogger('test', { level: 'silent' });
const SLICE = { city: 'chicago' as const, source: 'observations' as const, from: '2025-03-01', to: '2025-03-03' };

type Query = (text: string, values?: unknown[]) => Promise<pg.QueryResult>;

/** Runs `before(client, query)` ahead of every COMMIT sent by the pool's clients (`query` is the unwrapped one). */
function beforeEachCommit(pool: pg.Pool, before: (client: pg.PoolClient, query: Query) => Promise<void>): void {
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as unknown as (...args: unknown[]) => Promise<pg.QueryResult>;
    (client as unknown as { query: unknown }).query = (...args: unknown[]) =>
      args[0] === 'COMMIT' ? before(client as pg.PoolClient, (text, values) => query(text, values)).then(() => query(...args)) : query(...args);
  });
}

describe('backfill checkpoints name only durably committed chunks', () => {
  let sandbox: RunningSandbox;
  const cleanup: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    sandbox = await startBackfillSandbox();
    cleanup.push(() => sandbox.close());
  });
  afterAll(async () => {
    for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
  });

  async function database(): Promise<{ url: string; handle: DbHandle }> {
    const database = await freshDatabase('wx_durable');
    const handle = createDb(database.url, { log });
    cleanup.push(() => database.drop(), () => handle.close());
    return { url: database.url, handle };
  }

  it('waits for the WAL flush of every chunk on a database whose sessions have synchronous_commit off', async () => {
    const { url, handle } = await database();
    // Before the pool's first connection, so that every session it opens has the setting.
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`ALTER DATABASE "${new URL(url).pathname.slice(1)}" SET synchronous_commit = off`);
    await admin.end();
    const events: string[] = [];
    beforeEachCommit(handle.pool, async (_client, query) => {
      events.push(`commit with synchronous_commit=${(await query(`SELECT current_setting('synchronous_commit') AS s`)).rows[0].s}`);
    });
    // New sessions of this database acknowledge commits before flushing them; the pool's do not.
    const plain = new pg.Client({ connectionString: url });
    await plain.connect();
    expect((await plain.query(`SELECT current_setting('synchronous_commit') AS s`)).rows[0].s).toBe('off');
    await plain.end();
    expect((await handle.pool.query(`SELECT current_setting('synchronous_commit') AS s`)).rows[0].s).toBe('local');

    const { config } = testConfig(sandbox.port);
    const { backfillSlice } = createBackfillActivities({ db: handle.db, pool: handle.pool, log, config });
    const mock = new MockActivityEnvironment({ heartbeatTimeoutMs: 5000 });
    let last = 0;
    mock.on('heartbeat', (d: SliceCheckpoint) => {
      if (d.nextChunk > last) events.push(`checkpoint ${(last = d.nextChunk)}`);
    });
    const result = (await mock.run(backfillSlice, SLICE)) as SliceResult;
    expect(result).toMatchObject({ chunks: 3, skipped: false });
    expect(result.rows).toBeGreaterThan(0);
    // Each chunk's commit waited for its flush, and came before the checkpoint that names it.
    expect(events).toEqual([
      'commit with synchronous_commit=local',
      'checkpoint 1',
      'commit with synchronous_commit=local',
      'checkpoint 2',
      'commit with synchronous_commit=local',
      'checkpoint 3',
    ]);
  }, 60_000);

  it('leaves a stronger synchronous_commit as it is', async () => {
    const { url, handle } = await database();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`ALTER DATABASE "${new URL(url).pathname.slice(1)}" SET synchronous_commit = remote_apply`);
    await admin.end();
    expect((await handle.pool.query(`SELECT current_setting('synchronous_commit') AS s`)).rows[0].s).toBe('remote_apply');
  }, 30_000);

  it('does not checkpoint a chunk whose COMMIT fails, and the next attempt resumes at it with the content of a clean run', async () => {
    const { config } = testConfig(sandbox.port);
    const clean = await database();
    await new MockActivityEnvironment().run(createBackfillActivities({ db: clean.handle.db, pool: clean.handle.pool, log, config }).backfillSlice, SLICE);

    const { url, handle } = await database();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    cleanup.push(() => admin.end());
    let commits = 0;
    // The second chunk's backend is terminated just before its COMMIT (waiting until it is gone).
    beforeEachCommit(handle.pool, async (client) => {
      if (++commits === 2) await admin.query('SELECT pg_terminate_backend($1, 10000)', [(client as unknown as { processID: number }).processID]);
    });
    const { backfillSlice } = createBackfillActivities({ db: handle.db, pool: handle.pool, log, config });
    const first = new MockActivityEnvironment({ heartbeatTimeoutMs: 5000 });
    const beats: SliceCheckpoint[] = [];
    first.on('heartbeat', (d: SliceCheckpoint) => beats.push(d));
    await expect(first.run(backfillSlice, SLICE)).rejects.toThrow(/observations chicago 2025-03-02\.\.2025-03-02/);
    const saved = beats.at(-1)!;
    expect(saved.nextChunk).toBe(1);
    const days = async () =>
      (await handle.pool.query<{ day: string }>(`SELECT DISTINCT to_char(observed_at - interval '6 hours', 'YYYY-MM-DD') AS day FROM wx.observation ORDER BY 1`)).rows.map((r) => r.day);
    expect(await days()).toEqual(['2025-03-01']);

    const second = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: saved, heartbeatTimeoutMs: 5000 });
    const result = (await second.run(backfillSlice, SLICE)) as SliceResult;
    expect(result).toMatchObject({ resumedFromChunk: 1, chunks: 3 });
    expect(await days()).toEqual(['2025-03-01', '2025-03-02', '2025-03-03']);
    expect(await checksums(url, { withWriteTimes: false })).toEqual(await checksums(clean.url, { withWriteTimes: false }));
  }, 60_000);
});
