/**
 * The backfill workflows on the real Temporal dev server, the real clients over HTTP against the real
 * sandbox (generated world), into a real PostgreSQL database: the expected rows, live progress that
 * never goes backwards or past its total, a second run that skips every slice (the ingest manifest),
 * `refresh` that fetches again and changes nothing, a wider range that re-runs only the partly covered
 * month, the same content through a faulty sandbox, and a non-retryable failure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { Worker } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { MockActivityEnvironment, type TestWorkflowEnvironment } from '@temporalio/testing';
import { createDb } from '../../db/client';
import { createBackfillActivities } from '../../activities/backfill';
import { createLogger } from '../../lib/logger';
import { createWorkers, installTemporalRuntimeLogger } from '../../workers/host';
import { climateDayWindowUtc } from '../../domain/climate-day';
import { BACKFILL_SOURCES, backfillWorkflowId, type SliceCheckpoint, type SliceResult, type BackfillCityProgress, type BackfillInput, type BackfillProgress } from '../../schemas/backfill';
import { sliceIsFinal } from '../../activities/backfill/manifest';
import { liveBackfillProgress } from '../../cli/commands/backfill';
import { backfillProgressQuery, type backfillWorkflow } from '../../workflows/backfill';
import { CITY, STAGE } from '../../workflows/search-attributes';
import { startSandbox, type RunningSandbox } from '../../sandbox/server';
import { ALL_ROUTES } from '../../sandbox/routes/index';
import { createGeneratedWorld } from '../../sandbox/worlds/generated';
import type { FaultConfig } from '../../sandbox/faults';
import { startDevServer } from '../support/temporal';
import { freshDatabase } from '../support/postgres';
import { backfillWorld, checksums, CITIES, counts, FROM, startBackfillSandbox, testConfig, TO, WORLD_SEED, type Checksums } from './helpers';

const log = createLogger('test', { level: 'error' });

describe('backfill workflows (real dev server, real sandbox over HTTP, real PostgreSQL)', () => {
  let env: TestWorkflowEnvironment;
  const cleanup: Array<() => Promise<unknown>> = [];
  let reference: Checksums;
  let referenceUrl: string;

  beforeAll(async () => {
    installTemporalRuntimeLogger(log);
    env = await startDevServer();
  });
  afterAll(async () => {
    for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
    await env?.teardown();
  });

  /** A fresh database and a sandbox (with faults), and a function that runs one backfill with in-process workers. */
  async function setup(faults?: FaultConfig) {
    const database = await freshDatabase('wx_backfill');
    const sandbox: RunningSandbox = await startBackfillSandbox(faults ? { faults } : {});
    const { config } = testConfig(sandbox.port, { WX_WORLD_SEED: String(WORLD_SEED) });
    const db = createDb(database.url, { log });
    cleanup.push(() => sandbox.close(), () => db.close(), () => database.drop());
    /** Sandbox requests so far (every request is counted, faulted or not). */
    const requests = () => Object.values(sandbox.faults.counts).reduce((n, c) => n + Object.values(c).reduce((a, b) => a + (b ?? 0), 0), 0);
    /**
     * Runs one backfill; `whileWorkersRun` checks queries while the workers still answer them; `watch`
     * polls the live progress (as `wx backfill` shows it) until the run ends.
     */
    const run = async (
      whileWorkersRun?: () => Promise<void>,
      opts: { from?: string; to?: string; refresh?: boolean; watch?: (p: BackfillProgress) => void } = {},
    ) => {
      const from = opts.from ?? FROM;
      const to = opts.to ?? TO;
      const workers: Worker[] = await createWorkers({ config, roles: ['ingest'], connection: env.nativeConnection, deps: { db: db.db, pool: db.pool, log, config } });
      const input: BackfillInput = { cities: CITIES, from, to, heartbeatTimeoutSeconds: 5, ...(opts.refresh ? { refresh: true } : {}) };
      const scenario = (async () => {
        const handle = await env.client.workflow.start<typeof backfillWorkflow>('backfillWorkflow', {
          workflowId: `${backfillWorkflowId(CITIES, CITIES, from, to)}#${randomBytes(2).toString('hex')}`,
          taskQueue: config.temporal.taskQueues.ingest,
          args: [input],
        });
        let watching = !!opts.watch;
        const watcher = (async () => {
          while (watching) {
            const p = (await handle.query(backfillProgressQuery)) as BackfillProgress;
            if (p.status === 'running') opts.watch!(await liveBackfillProgress(env.client.workflow, p));
            await new Promise((r) => setTimeout(r, 50));
          }
        })();
        try {
          const result = await handle.result().finally(() => (watching = false));
          await watcher;
          const progress = (await handle.query(backfillProgressQuery)) as BackfillProgress;
          await whileWorkersRun?.();
          return { result, progress };
        } catch (err) {
          return { error: err };
        }
      })();
      await Promise.all(workers.map((w) => w.runUntil(scenario)));
      return scenario;
    };
    return { database, sandbox, config, db, run, requests };
  }

  it('writes the expected rows, reports progress that never goes backwards or past its total, and a second run skips every slice', async () => {
    const { database, run, requests, db } = await setup();
    const seen: BackfillProgress[] = [];
    const first = await run(async () => {
      const childId = `backfill/chicago/${FROM}..${TO}`;
      const child = env.client.workflow.getHandle(childId);
      const described = await child.describe();
      expect(described.status.name).toBe('COMPLETED');
      expect(described.typedSearchAttributes.get(CITY)).toBe('chicago');
      expect(described.typedSearchAttributes.get(STAGE)).toBe('backfill');
      const childProgress = (await child.query(backfillProgressQuery)) as BackfillCityProgress;
      expect(childProgress).toMatchObject({ city: 'chicago', status: 'done' });
      expect(childProgress.sources.observations).toMatchObject({ slicesDone: 2, chunksDone: 5 });
    }, { watch: (p) => seen.push(p) });
    expect(first.error).toBeUndefined();
    const summary = first.result!;
    expect(summary.status).toBe('done');
    expect(Object.keys(summary.cities).sort()).toEqual([...CITIES].sort());
    // 2 month slices per source; chunks: a day for kalshi and observations, a week for the others.
    expect(summary.totals.kalshi).toMatchObject({ status: 'done', slicesDone: 4, slicesTotal: 4, chunksDone: 10, chunksTotal: 10 });
    expect(summary.totals.observations).toMatchObject({ status: 'done', chunksDone: 10, chunksTotal: 10 });
    expect(summary.totals.settlements).toMatchObject({ status: 'done', chunksDone: 4, chunksTotal: 4 });
    expect(summary.totals.forecasts).toMatchObject({ status: 'done', chunksDone: 4, chunksTotal: 4 });
    expect(summary.totals.kalshi!.rows).toBeGreaterThan(0);
    expect(summary.totals.kalshi!.rowsPerSecond).toBeGreaterThan(0);
    expect(first.progress).toEqual(summary);

    // The live view while it ran: within its totals, and never backwards, source by source.
    expect(seen.length).toBeGreaterThan(2);
    for (const source of BACKFILL_SOURCES) {
      let before = { chunksDone: 0, rows: 0, slicesDone: 0 };
      for (const p of seen) {
        const t = p.totals[source]!;
        expect(t.chunksTotal).toBe(summary.totals[source]!.chunksTotal);
        expect(t.chunksDone).toBeLessThanOrEqual(t.chunksTotal);
        expect(t.slicesDone).toBeLessThanOrEqual(t.slicesTotal);
        expect(t.chunksDone).toBeGreaterThanOrEqual(before.chunksDone);
        expect(t.rows).toBeGreaterThanOrEqual(before.rows);
        expect(t.slicesDone).toBeGreaterThanOrEqual(before.slicesDone);
        before = t;
      }
    }
    expect(seen.some((p) => Object.values(p.totals).some((t) => t!.chunksDone > 0 && t!.chunksDone < t!.chunksTotal))).toBe(true);

    // Every (city, source, month) slice is in the manifest, from this world.
    const manifest = await db.pool.query<{ n: number; worlds: string[] }>(`SELECT count(*)::int AS n, array_agg(DISTINCT world_key) AS worlds FROM wx.ingest_manifest`);
    expect(manifest.rows[0]).toEqual({ n: CITIES.length * BACKFILL_SOURCES.length * 2, worlds: [`generated:seed=${WORLD_SEED}:inefficiency=none`] });

    // What the world holds is what the database holds.
    const world = backfillWorld();
    const sums = await checksums(database.url, { withWriteTimes: true });
    const expected = { events: 0, markets: 0, candles: 0, trades: 0, observations: 0, cli: 0 };
    for (const city of CITIES) {
      for (const { markets } of world.events({ city, dates: { from: FROM, to: TO } })) {
        expected.events += 1;
        for (const m of markets) {
          expected.markets += 1;
          const range = { from: m.openTime!, to: m.closeTime! };
          expected.candles += world.candles(m.ticker, 60, range).length + world.candles(m.ticker, 1, range).length;
          expected.trades += world.trades(m.ticker, range).length;
        }
      }
      expected.observations += world.observations(city, { from: climateDayWindowUtc(city, FROM).start.toJSDate(), to: climateDayWindowUtc(city, TO).end.toJSDate() }).length;
      expected.cli += world.cliReports(city, { from: FROM, to: TO }).length;
    }
    expect(expected.candles).toBeGreaterThan(1000);
    expect(counts(sums)).toMatchObject({
      'kalshi.event': expected.events,
      'kalshi.market': expected.markets,
      'kalshi.candle': expected.candles,
      'kalshi.trade': expected.trades,
      'wx.observation': expected.observations,
      'wx.settlement_consolidated': 10,
    });
    expect(sums['wx.settlement']!.rows).toBeGreaterThanOrEqual(expected.cli + 10); // cli + ghcn (+ kalshi)
    expect(sums['wx.forecast_snapshot']!.rows).toBeGreaterThan(0);
    expect(sums['wx.forecast_snapshot_hourly']!.rows).toBeGreaterThan(0);
    expect(sums['kalshi.series']!.rows).toBeGreaterThan(0);

    // Again: every slice is skipped without one request to the sandbox, and not one row changes.
    const before = requests();
    const second = await run();
    expect(second.error).toBeUndefined();
    expect(requests()).toBe(before);
    for (const source of BACKFILL_SOURCES) {
      expect(second.result!.totals[source]).toMatchObject({ status: 'done', slicesSkipped: 4, slicesDone: 4, chunksDone: summary.totals[source]!.chunksTotal, rows: 0 });
    }
    expect(await checksums(database.url, { withWriteTimes: true })).toEqual(sums);

    // refresh: everything is fetched again, and still not one row changes, write timestamps included.
    const third = await run(undefined, { refresh: true });
    expect(third.error).toBeUndefined();
    expect(requests()).toBeGreaterThan(before + 100);
    for (const source of BACKFILL_SOURCES) expect(third.result!.totals[source]).toMatchObject({ status: 'done', slicesSkipped: 0, rows: summary.totals[source]!.rows });
    expect(await checksums(database.url, { withWriteTimes: true })).toEqual(sums);

    reference = await checksums(database.url, { withWriteTimes: false });
    referenceUrl = database.url;
    expect(referenceUrl).toBeTruthy();

    // A wider range: February (2025-02-26..28, wider than the recorded 27..28) is fetched again, March
    // (01..03, as recorded) is skipped.
    const wider = await run(undefined, { from: '2025-02-26' });
    expect(wider.error).toBeUndefined();
    for (const source of BACKFILL_SOURCES) expect(wider.result!.totals[source]).toMatchObject({ status: 'done', slicesSkipped: 2, slicesDone: 4 });
    const feb = await db.pool.query<{ from: string; to: string }>(`SELECT DISTINCT from_date::text AS from, to_date::text AS to FROM wx.ingest_manifest WHERE month = '2025-02-01'`);
    expect(feb.rows).toEqual([{ from: '2025-02-26', to: '2025-02-28' }]);

  }, 150_000);

  it('ends with the same content through a sandbox injecting 429s, 5xx, drops and truncated bodies (~10%)', async () => {
    expect(reference).toBeDefined();
    const { database, sandbox, run } = await setup({ seed: 'backfill-faults', all: { rate429: 0.04, rate5xx: 0.03, rateDrop: 0.015, rateTruncate: 0.015 } });
    const out = await run();
    expect(out.error).toBeUndefined();
    const injected = Object.values(sandbox.faults.counts).reduce((n, c) => n + (c['429'] ?? 0) + (c['5xx'] ?? 0) + (c.drop ?? 0) + (c.truncate ?? 0), 0);
    expect(injected).toBeGreaterThan(5);
    expect(await checksums(database.url, { withWriteTimes: false })).toEqual(reference);
  }, 150_000);

  it('fails a source with a non-retryable payload error (schema drift) and writes nothing for it', async () => {
    expect(reference).toBeDefined();
    const { database, run } = await setup({ seed: 'drift', sources: { ncei: { rateSchemaDrift: 1 } } });
    const out = await run();
    expect(out.error).toBeInstanceOf(WorkflowFailedError);
    const cause = (out.error as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('BackfillFailed');
    expect(cause.message).toMatch(/chicago: backfill of chicago failed: settlements 2025-02-27\.\.2025-02-28: settlements chicago 2025-02-27\.\.2025-02-28: ncei: payload from \S+ does not match the expected shape: .*\[PayloadShape\]/);
    const progress = cause.details?.[0] as BackfillProgress;
    expect(progress.totals.settlements).toMatchObject({ status: 'failed', chunksDone: 0 });
    expect(progress.totals.observations).toMatchObject({ status: 'done' });
    const sums = await checksums(database.url, { withWriteTimes: false });
    expect(counts(sums)['wx.settlement']).toBe(0);
    expect(counts(sums)['wx.settlement_consolidated']).toBe(0);
    // Every other source wrote exactly what the clean run wrote.
    for (const table of Object.keys(reference).filter((t) => !t.startsWith('wx.settlement'))) expect(sums[table], table).toEqual(reference[table]);
  }, 150_000);

  it('a slice activity resumes from the checkpoint in its heartbeat details and heartbeats one per chunk', async () => {
    const { database, config, db } = await setup();
    const { backfillSlice } = createBackfillActivities({ db: db.db, pool: db.pool, log, config });
    const slice = { city: 'chicago' as const, source: 'observations' as const, from: '2025-03-01', to: '2025-03-03' };
    // Attempt 2 of a slice whose first two chunks (days) were committed by attempt 1.
    const mock = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: { nextChunk: 2, rows: 1000 } satisfies SliceCheckpoint, heartbeatTimeoutMs: 5000 });
    const beats: SliceCheckpoint[] = [];
    mock.on('heartbeat', (d: SliceCheckpoint) => beats.push(d));
    const result = (await mock.run(backfillSlice, slice)) as SliceResult;
    expect(result).toMatchObject({ chunks: 3, resumedFromChunk: 2, attempt: 2 });
    const days = await db.pool.query<{ day: string; n: number }>(
      `SELECT to_char(observed_at - interval '6 hours', 'YYYY-MM-DD') AS day, count(*)::int AS n FROM wx.observation GROUP BY 1 ORDER BY 1`,
    );
    // Only the third climate day was fetched and written; the count carries attempt 1's rows.
    expect(days.rows.map((r) => r.day)).toEqual(['2025-03-03']);
    expect(result.rows).toBe(1000 + days.rows[0]!.n);
    expect(beats.at(-1)).toEqual({ nextChunk: 3, rows: result.rows, source: 'observations', chunks: 3, from: '2025-03-01' });
    expect(database.url).toBeTruthy();
  }, 60_000);

  it('marks a slice complete only once its data is final at the source', () => {
    // Observations settle two days after the slice's last date, settlements (GHCN) seven.
    expect(sliceIsFinal('observations', '2025-03-31', '2025-04-02')).toBe(false);
    expect(sliceIsFinal('observations', '2025-03-31', '2025-04-03')).toBe(true);
    expect(sliceIsFinal('settlements', '2025-03-31', '2025-04-07')).toBe(false);
    expect(sliceIsFinal('settlements', '2025-03-31', '2025-04-08')).toBe(true);
    // A month that includes today is never final.
    expect(sliceIsFinal('kalshi', '2026-12-31', '2026-12-02')).toBe(false);
  });

  it('a slice whose data is not final yet (a market without a result) is not recorded, so the next run fetches it again', async () => {
    const { db, config, requests } = await setup();
    const { backfillSlice } = createBackfillActivities({ db: db.db, pool: db.pool, log, config });
    const slice = { city: 'chicago' as const, source: 'kalshi' as const, from: '2025-03-01', to: '2025-03-01' };
    const count = async (sql: string) => (await db.pool.query<{ n: number }>(sql)).rows[0]!.n;
    // Settled at the source (the world's clock is after the last date): recorded, then skipped.
    expect(((await new MockActivityEnvironment().run(backfillSlice, slice)) as SliceResult).skipped).toBe(false);
    expect(await count(`SELECT count(*)::int AS n FROM wx.ingest_manifest WHERE source = 'kalshi'`)).toBe(1);
    const before = requests();
    expect(((await new MockActivityEnvironment().run(backfillSlice, slice)) as SliceResult).skipped).toBe(true);
    expect(requests()).toBe(before);

    // A sandbox whose clock is midday of that date: its markets are still trading (no result yet).
    const live = await startSandbox({ world: createGeneratedWorld({ seed: WORLD_SEED, cities: CITIES, dates: { from: '2025-02-20', to: '2025-03-06' }, inefficiency: 'none', now: new Date('2025-03-01T18:00:00Z') }), routes: ALL_ROUTES, port: 0 });
    cleanup.push(() => live.close());
    const liveConfig = testConfig(live.port, { WX_WORLD_SEED: String(WORLD_SEED) }).config;
    const other = await freshDatabase('wx_backfill');
    const otherDb = createDb(other.url, { log });
    cleanup.push(() => otherDb.close(), () => other.drop());
    const liveSlice = createBackfillActivities({ db: otherDb.db, pool: otherDb.pool, log, config: liveConfig }).backfillSlice;
    expect(((await new MockActivityEnvironment().run(liveSlice, slice)) as SliceResult).rows).toBeGreaterThan(0);
    expect((await otherDb.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM kalshi.market WHERE result = ''`)).rows[0]!.n).toBeGreaterThan(0);
    expect((await otherDb.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM wx.ingest_manifest`)).rows[0]!.n).toBe(0);
    expect(((await new MockActivityEnvironment().run(liveSlice, slice)) as SliceResult).skipped).toBe(false);
  }, 60_000);
});
