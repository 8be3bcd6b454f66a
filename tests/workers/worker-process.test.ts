/**
 * A standalone worker process (workers/all.ts) as deployed: it connects to a running Temporal server and
 * database, serves the task queues, logs one JSON line per event without secrets, and shuts down cleanly
 * on SIGTERM.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { PROJECT_ROOT } from '../../runtime/temporal-cli';
import { startDevServer } from '../support/temporal';
import { freshDatabase } from '../support/postgres';
import { createLogger, maskUrlCredentials } from '../../lib/logger';
import type { registryWorkflow } from '../../workflows/registry';

describe('worker process', () => {
  let env: TestWorkflowEnvironment;
  let database: Awaited<ReturnType<typeof freshDatabase>>;

  beforeAll(async () => {
    [env, database] = await Promise.all([startDevServer(), freshDatabase()]);
  });
  afterAll(async () => {
    await env?.teardown();
    await database?.drop();
  });

  it('serves its queues, logs JSON lines without secrets and exits 0 on SIGTERM', async () => {
    const suffix = randomBytes(3).toString('hex');
    const secret = `pw${randomBytes(6).toString('hex')}`;
    // Trust auth on the local server: any password is accepted, which lets us watch for it in logs.
    const databaseUrl = database.url.replace('postgres://postgres@', `postgres://postgres:${secret}@`);
    const queues = Object.fromEntries(['PIPELINE', 'INGEST', 'ML', 'BACKTEST', 'TRADING'].map((r) => [`WX_TASK_QUEUE_${r}`, `${r.toLowerCase()}-${suffix}`]));
    const child = spawn(process.execPath, ['--import', 'tsx', 'workers/all.ts'], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, TEMPORAL_ADDRESS: env.address, DATABASE_URL: databaseUrl, WX_LOG_LEVEL: 'info', ...queues },
    });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

    const deadline = Date.now() + 60_000;
    while (!stderr.includes('"workers running"')) {
      if (Date.now() > deadline) throw new Error(`worker did not start:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const result = await env.client.workflow.execute<typeof registryWorkflow>('registryWorkflow', {
      workflowId: `registry-proc-${suffix}`,
      taskQueue: `ingest-${suffix}`,
      args: [{ city: 'philadelphia', from: '2025-01-01', to: '2025-01-01' }],
    });
    expect(result).toEqual({ city: 'philadelphia', rows: 3 });

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const lines = stderr.trim().split('\n').filter(Boolean);
    const events = lines.map((l) => JSON.parse(l) as { msg: string; level: number });
    expect(events.map((e) => e.msg)).toEqual(expect.arrayContaining(['workers running', 'workers stopped']));
    expect(stderr).not.toContain(secret);
    expect(stdout).toBe('');
  });

  it('redacts secret-named fields at any depth and masks passwords in URLs', () => {
    const lines: string[] = [];
    const log = createLogger('redact-test', { level: 'info', stream: { write: (l: string) => void lines.push(l) } });
    log.info({ apiKey: 'k1', nested: { privateKey: 'k2', deeper: { token: 'k3' } }, 'KALSHI-ACCESS-SIGNATURE': 'k4', city: 'miami' }, 'event');
    expect(lines).toHaveLength(1);
    const event = JSON.parse(lines[0]!);
    expect(event).toMatchObject({ msg: 'event', city: 'miami', apiKey: '[redacted]', nested: { privateKey: '[redacted]', deeper: { token: '[redacted]' } } });
    expect(event['KALSHI-ACCESS-SIGNATURE']).toBe('[redacted]');
    expect(lines[0]).not.toMatch(/k[1-4]"/);
    expect(maskUrlCredentials('postgres://wx:s3cret@db:5432/wx')).toBe('postgres://wx:***@db:5432/wx');
    expect(maskUrlCredentials('postgres://db:5432/wx')).toBe('postgres://db:5432/wx');
  });
});
