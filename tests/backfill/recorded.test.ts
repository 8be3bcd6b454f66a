/**
 * A backfill from the recorded world (../shared/data/real through the sandbox, over HTTP, with the real
 * clients and the real backfill workflows) reproduces, exactly, the settled highs and the market results
 * that the recorded files hold. The expected values are read straight from the files here, not from the
 * world, so the test checks the whole chain: files → world → sandbox payloads → clients → database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadConfig, TASK_QUEUE_ROLES } from '../../temporal.config';
import { createDb } from '../../db/client';
import { createLogger } from '../../lib/logger';
import { createWorkers } from '../../workers/host';
import { startSandbox, type RunningSandbox } from '../../sandbox/server';
import { ALL_ROUTES } from '../../sandbox/routes/index';
import { loadRecordedWorld } from '../../sandbox/worlds/recorded';
import type { BackfillInput } from '../../schemas/backfill';
import type { backfillWorkflow } from '../../workflows/backfill';
import { startDevServer } from '../support/temporal';
import { freshDatabase } from '../support/postgres';
import { sharedReal } from '../support/shared';

const log = createLogger('test', { level: 'warn' });
const REAL = sharedReal().path;
// Early autumn 2024 (legacy HIGHCHI tickers, integer-cent payloads) and late January 2025 (markets
// recorded without strike fields), for Chicago and Austin.
const RANGES = [
  { from: '2024-09-28', to: '2024-10-01' },
  { from: '2025-01-20', to: '2025-01-21' },
];
const CITIES = ['chicago', 'austin'] as const;
const SERIES = { chicago: 'kxhighchi', austin: 'kxhighaus' } as const;

interface RecordedFile {
  event: { event_ticker: string };
  markets: Array<{ ticker: string; result: string; expiration_value: string; status: string }>;
}

function expectedFromFiles(city: (typeof CITIES)[number], from: string, to: string) {
  const results = new Map<string, string>();
  const highs = new Map<string, number>();
  for (let d = new Date(`${from}T00:00:00Z`); d <= new Date(`${to}T00:00:00Z`); d.setUTCDate(d.getUTCDate() + 1)) {
    const date = d.toISOString().slice(0, 10);
    const file = join(REAL, 'cpratim_kalshi_weather', SERIES[city], 'events', `${date}.json`);
    const body = JSON.parse(readFileSync(file, 'utf8')) as RecordedFile;
    for (const m of body.markets) if (m.status === 'finalized') results.set(m.ticker, m.result);
    const value = body.markets.map((m) => m.expiration_value).find((v) => v);
    if (value) highs.set(date, Number(/^-?\d+(\.\d+)?/.exec(value)![0]));
  }
  return { results, highs };
}

describe.skipIf(!sharedReal().present)('backfill from the recorded world (shared/data/real)', () => {
  let env: TestWorkflowEnvironment;
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let sandbox: RunningSandbox;

  beforeAll(async () => {
    [env, database] = await Promise.all([startDevServer(), freshDatabase('wx_recorded')]);
    const world = loadRecordedWorld(REAL, { cities: [...CITIES] });
    sandbox = await startSandbox({ port: 0, world, routes: ALL_ROUTES });
  });
  afterAll(async () => {
    await sandbox?.close();
    await env?.teardown();
    await database?.drop();
  });

  it('reproduces the settled highs and market results exactly', async () => {
    const suffix = randomBytes(3).toString('hex');
    const config = loadConfig({
      env: {
        WX_WORLD: 'recorded',
        WX_WORLD_DIR: REAL,
        WX_SANDBOX_PORT: String(sandbox.port),
        ...Object.fromEntries(TASK_QUEUE_ROLES.map((r) => [`WX_TASK_QUEUE_${r.toUpperCase()}`, `${r}-${suffix}`])),
      },
    });
    const db = createDb(database.url);
    try {
      const workers = await createWorkers({ config, roles: ['ingest'], connection: env.nativeConnection, deps: { db: db.db, pool: db.pool, log, config } });
      const scenario = Promise.all(
        RANGES.map((r) => {
          const input: BackfillInput = { cities: [...CITIES], from: r.from, to: r.to, sources: ['kalshi', 'settlements'] };
          return env.client.workflow.execute<typeof backfillWorkflow>('backfillWorkflow', {
            workflowId: `recorded-${r.from}-${suffix}`,
            taskQueue: config.temporal.taskQueues.ingest,
            args: [input],
          });
        }),
      );
      await Promise.all(workers.map((w) => w.runUntil(scenario)));
      for (const progress of await scenario) expect(progress.status).toBe('done');

      for (const city of CITIES) {
        for (const r of RANGES) {
          const { results, highs } = expectedFromFiles(city, r.from, r.to);
          expect(results.size).toBeGreaterThan(0);
          const markets = await db.pool.query<{ ticker: string; result: string }>(
            'SELECT ticker, result FROM kalshi.market WHERE city_id = $1 AND event_date BETWEEN $2 AND $3',
            [city, r.from, r.to],
          );
          const stored = new Map(markets.rows.map((m) => [m.ticker, m.result]));
          for (const [ticker, result] of results) expect({ ticker, result: stored.get(ticker) }).toEqual({ ticker, result });

          const settled = await db.pool.query<{ date: string; high_f: number }>(
            `SELECT to_char(date, 'YYYY-MM-DD') AS date, high_f FROM wx.settlement_consolidated WHERE city_id = $1 AND date BETWEEN $2 AND $3 ORDER BY date`,
            [city, r.from, r.to],
          );
          expect(Object.fromEntries(settled.rows.map((s) => [s.date, s.high_f]))).toEqual(Object.fromEntries(highs));
        }
      }
    } finally {
      await db.close();
    }
  });
});
