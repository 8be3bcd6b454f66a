/**
 * `wx schedule training` against a real Temporal dev server (TEMPORAL_ADDRESS set: the CLI starts
 * nothing): one Schedule per city, idempotent, listed with its cron and next runs, paused and unpaused,
 * triggered and deleted; bad input is one line and exit 2 before Temporal is contacted.
 *
 * Most commands run in this process through the CLI's `main` (the same program, parser and exit codes as
 * `wx`, without a tsx start per command, which keeps the file under a minute on a loaded machine); the
 * first create and one bad cron run as their own `wx` process.
 *
 * The triggered run is executed by a worker on the ML queue whose bundle (training-workflows.ts) holds the
 * real scheduledTrainingWorkflow and, as trainCityWorkflow, a stand-in that only waits; no ML activities.
 * The test checks the child the run starts (id, range, input, search attributes, parent), not a training,
 * which the ML tests cover. The child runs until its parent is terminated, which (parent-close policy
 * TERMINATE) ends it too.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DateTime } from 'luxon';
import { WorkflowFailedError, type WorkflowExecutionDescription } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { PROJECT_ROOT } from '../../runtime/temporal-cli';
import { loadConfig, type Config } from '../../temporal.config';
import { createLogger } from '../../lib/logger';
import { installTemporalRuntimeLogger } from '../../workers/host';
import { CITY, STAGE } from '../../workflows/search-attributes';
import { scheduledTrainingRange, type scheduledTrainingWorkflow } from '../../workflows/scheduled-training';
import { cronProblem, trainingSchedules, type TrainingScheduleRow } from '../../cli/commands/schedule-training';
import { main } from '../../cli/wx';
import { startDevServer } from '../support/temporal';

const run = promisify(execFile);
/** Cron forms the CLI accepts; the dev-server test below creates a schedule with each. */
const ACCEPTED_CRONS = ['30 11 * * *', '0 6 * * MON-FRI', '*/15 3-5 1,15 jan-mar 0', '5 4 */2 * SUN,SAT', '0 12 1-31/7 12 6', '7/20 9 * * *', '@daily', '@weekly', '@monthly', '@yearly', '@hourly'];
const WORKFLOWS = join(PROJECT_ROOT, 'tests', 'schedules', 'training-workflows.ts');

describe('scheduledTrainingRange', () => {
  it('ends two UTC dates before the start date and spans historyDays dates, across a leap day and a year end', () => {
    // 2024-03-02 minus 2 is 2024-02-29; the 365 dates ending there start on 2023-03-02 (2024-02-29 is one of them).
    expect(scheduledTrainingRange(new Date('2024-03-02T00:30:00Z'), 365)).toEqual({ from: '2023-03-02', to: '2024-02-29' });
    // Late in the UTC day (still 2026-01-01 in UTC, the evening of Dec 31 in New York) counts from the UTC date.
    expect(scheduledTrainingRange(new Date('2026-01-01T23:59:59Z'), 30)).toEqual({ from: '2025-12-01', to: '2025-12-30' });
    expect(scheduledTrainingRange(new Date('2026-01-01T00:00:00Z'), 1)).toEqual({ from: '2025-12-30', to: '2025-12-30' });
  });
});

describe('cronProblem', () => {
  it('accepts 5-field expressions with names, ranges, steps and lists, and the shorthands', () => {
    for (const ok of ACCEPTED_CRONS) expect(cronProblem(ok), ok).toBeNull();
  });
  it('names what is wrong', () => {
    expect(cronProblem('61 * * * *')).toBe('minute 61 is outside 0-59');
    expect(cronProblem('0 24 * * *')).toBe('hour 24 is outside 0-23');
    expect(cronProblem('0 5 0 * *')).toBe('day of month 0 is outside 1-31');
    expect(cronProblem('0 5 * 13 *')).toBe('month 13 is outside 1-12');
    expect(cronProblem('0 5 * * 7')).toBe('day of week 7 is outside 0-6');
    expect(cronProblem('0 5 * * FUN')).toBe('day of week "FUN" is not a number or name');
    expect(cronProblem('0 5 * *')).toMatch(/^expected 5 fields .* got 4$/);
    expect(cronProblem('0 0 5 * * * 2027')).toMatch(/got 7$/);
    expect(cronProblem('*/0 * * * *')).toBe('minute step 0 must be at least 1');
    expect(cronProblem('0 9-5 * * *')).toBe('hour range "9-5" runs backwards');
    expect(cronProblem('@every 1h')).toMatch(/^expected one of @yearly/);
  });
});

describe('wx schedule training (real dev server)', () => {
  let env: TestWorkflowEnvironment;
  let config: Config;
  let worker: Worker;
  let running: Promise<void>;
  let stop: () => void;
  // The CLI's data directory: a fresh one per run, removed afterwards.
  let dataDir: string;

  beforeAll(async () => {
    installTemporalRuntimeLogger(createLogger('test', { level: 'error' }));
    let bundle: Awaited<ReturnType<typeof bundleWorkflowCode>>;
    [env, dataDir, bundle] = await Promise.all([
      startDevServer(),
      mkdtemp(join(tmpdir(), 'wx-training-schedule-test-')),
      bundleWorkflowCode({ workflowsPath: WORKFLOWS, logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } }),
    ]);
    // The queue the CLI puts in the schedules: the same configuration as the spawned CLI's.
    config = loadConfig({ overrides: { dataDir } });
    worker = await Worker.create({ connection: env.nativeConnection, namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueues.ml, workflowBundle: bundle });
    const until = new Promise<void>((resolve) => (stop = resolve));
    running = worker.runUntil(until);
  }, 60_000);
  afterAll(async () => {
    stop?.();
    await running;
    await env?.teardown();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /** The CLI as a user runs it, asynchronously so that the worker in this process keeps polling. */
  const wxProcess = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    try {
      const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'cli/wx.ts', 'schedule', ...args], {
        cwd: PROJECT_ROOT,
        env: { ...process.env, TEMPORAL_ADDRESS: env.address, WX_DATA_DIR: dataDir },
        encoding: 'utf8',
      });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  };

  /** The CLI's program in this process: its stdout and stderr captured, its exit code returned. One at a time. */
  const wx = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    const saved = { TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS, WX_DATA_DIR: process.env.WX_DATA_DIR };
    Object.assign(process.env, { TEMPORAL_ADDRESS: env.address, WX_DATA_DIR: dataDir });
    let stdout = '';
    let stderr = '';
    const capture = (into: 'out' | 'err') => (chunk: string | Uint8Array): boolean => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      if (into === 'out') stdout += text;
      else stderr += text;
      return true;
    };
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture('out') as typeof process.stdout.write);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture('err') as typeof process.stderr.write);
    try {
      const code = await main(['schedule', ...args]);
      return { code, stdout, stderr };
    } finally {
      out.mockRestore();
      err.mockRestore();
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  };

  const until = async <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe().catch((err: unknown) => {
        if ((err as Error).name === 'WorkflowNotFoundError') return undefined;
        throw err;
      });
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  it('creates one schedule per city once, lists it with its cron and next runs, pauses, unpauses, triggers a training and deletes it', async () => {
    const cron = '30 11 * * MON-FRI';
    const create = ['training', '--cities', 'chicago,los_angeles', '--cron', cron, '--history-days', '30', '--trials', '2', '--step-minutes', '30', '--json'];
    const first = await wxProcess(...create);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ created: ['training/chicago', 'training/los_angeles'], existing: [], differing: [] });
    // Again: nothing duplicated; and with another cron the kept schedule's cron is named, not replaced.
    const again = await wx(...create);
    expect(JSON.parse(again.stdout)).toEqual({ created: [], existing: ['training/chicago', 'training/los_angeles'], differing: [] });
    const other = await wx('training', '--cities', 'chicago', '--cron', '@daily');
    expect(other.code, other.stderr).toBe(0);
    expect(other.stdout).toContain('already there: training/chicago');
    expect(other.stdout).toContain(`training/chicago: kept with cron "${cron}", not "@daily"`);

    const d = await env.client.schedule.getHandle('training/chicago').describe();
    expect(d.spec.timezone).toBe('America/New_York');
    expect(d.policies.overlap).toBe('SKIP');
    expect(d.action).toMatchObject({ type: 'startWorkflow', workflowType: 'scheduledTrainingWorkflow', taskQueue: config.temporal.taskQueues.ml, args: [{ city: 'chicago', historyDays: 30, tuneTrials: 2, stepMinutes: 30 }] });

    const list = JSON.parse((await wx('training', 'list', '--json')).stdout) as TrainingScheduleRow[];
    expect(list.map((r) => r.scheduleId)).toEqual(['training/chicago', 'training/los_angeles']);
    for (const r of list) {
      expect(r).toMatchObject({ cron, timezone: 'America/New_York', paused: false, historyDays: 30, tuneTrials: 2, stepMinutes: 30 });
      expect(r.nextActionTimes).toHaveLength(3);
      // 11:30 New York time on weekdays, whatever the city's zone (and the server's).
      for (const t of r.nextActionTimes.map((s) => DateTime.fromISO(s).setZone('America/New_York'))) {
        expect([t.hour, t.minute, t.second]).toEqual([11, 30, 0]);
        expect(t.weekday).toBeLessThanOrEqual(5);
        expect(t > DateTime.now()).toBe(true);
      }
    }
    const text = (await wx('training', 'list')).stdout;
    const chicagoLine = text.split('\n').find((l) => l.includes('training/chicago'));
    expect(chicagoLine).toMatch(/^active +training\/chicago +cron "30 11 \* \* MON-FRI" America\/New_York +next (\S+) +\(history 30 days, trials 2, step 30 min\)$/);
    expect(chicagoLine).toContain(`next ${list[0]!.nextActionTimes[0]} `);
    // The general list shows them too, with their cron, next to any other schedule.
    const all = JSON.parse((await wx('list', '--json')).stdout) as Array<{ scheduleId: string; cron?: string; workflowType: string }>;
    expect(all.filter((r) => r.scheduleId.startsWith('training/'))).toEqual(list.map((r) => expect.objectContaining({ scheduleId: r.scheduleId, cron, workflowType: 'scheduledTrainingWorkflow' })));

    // Pause by city, unpause by id (the general command): describe() shows each.
    expect((await wx('training', 'pause', 'chicago', '--note', 'data late')).stdout.trim()).toBe('training/chicago: paused');
    const paused = await env.client.schedule.getHandle('training/chicago').describe();
    expect(paused.state).toMatchObject({ paused: true, note: 'data late' });
    expect((await env.client.schedule.getHandle('training/los_angeles').describe()).state.paused).toBe(false);
    expect((await wx('unpause', 'training/chicago')).stdout.trim()).toBe('training/chicago: unpaused');
    expect((await env.client.schedule.getHandle('training/chicago').describe()).state.paused).toBe(false);

    // Trigger now: a scheduledTrainingWorkflow run starts, which starts the child over the expected range.
    const handle = env.client.schedule.getHandle('training/chicago');
    await handle.trigger();
    const action = await until('the triggered run', async () => (await handle.describe()).info.recentActions[0]);
    const parent = env.client.workflow.getHandle<typeof scheduledTrainingWorkflow>(action.action.workflow.workflowId);
    const parentInfo = await parent.describe();
    expect(parentInfo.type).toBe('scheduledTrainingWorkflow');
    expect(parentInfo.taskQueue).toBe(config.temporal.taskQueues.ml);
    expect(parentInfo.typedSearchAttributes.get(CITY)).toBe('chicago');
    const start = DateTime.fromJSDate(parentInfo.startTime, { zone: 'utc' }).startOf('day');
    const to = start.minus({ days: 2 }).toISODate()!;
    const from = start.minus({ days: 2 + 29 }).toISODate()!;
    const childId = `train/chicago/${from}..${to}`;
    const child: WorkflowExecutionDescription = await until('the child trainCityWorkflow', () => env.client.workflow.getHandle(childId).describe());
    expect(child.type).toBe('trainCityWorkflow');
    expect(child.parentExecution?.workflowId).toBe(parentInfo.workflowId);
    expect(child.taskQueue).toBe(config.temporal.taskQueues.ml);
    expect(child.typedSearchAttributes.get(CITY)).toBe('chicago');
    expect(child.typedSearchAttributes.get(STAGE)).toBe('train');
    const started = (await env.client.workflow.getHandle(childId).fetchHistory()).events?.[0]?.workflowExecutionStartedEventAttributes;
    const [childInput] = await Promise.all((started?.input?.payloads ?? []).map((p) => env.client.options.loadedDataConverter.payloadConverter.fromPayload(p)));
    expect(childInput).toEqual({ city: 'chicago', from, to, tuneTrials: 2, stepMinutes: 30 });
    // Ending the scheduled run ends its training (parent-close policy TERMINATE).
    await parent.terminate('test done');
    await until('the child to be terminated', async () => ((await env.client.workflow.getHandle(childId).describe()).status.name === 'TERMINATED' ? true : undefined));

    expect((await wx('training', 'delete', 'training/los_angeles')).stdout.trim()).toBe('training/los_angeles: deleted');
    await expect(env.client.schedule.getHandle('training/los_angeles').describe()).rejects.toMatchObject({ name: 'ScheduleNotFoundError' });
    const left = JSON.parse((await wx('training', 'list', '--json')).stdout) as TrainingScheduleRow[];
    expect(left.map((r) => r.scheduleId)).toEqual(['training/chicago']);
    const missing = await wx('training', 'pause', 'los_angeles');
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe('wx: scheduleId: no schedule "training/los_angeles" (see `wx schedule training list`)');
  }, 60_000);

  it('refuses a bad cron, an unknown city and a bad number with one line, exit 2, creating nothing', async () => {
    const cron = await wxProcess('training', '--cities', 'denver', '--cron', '0 25 * * *');
    const city = await wx('training', '--cities', 'denver,atlantis', '--cron', '0 5 * * *');
    const days = await wx('training', '--cities', 'denver', '--cron', '0 5 * * *', '--history-days', '0');
    const id = await wx('training', 'pause', 'training/atlantis');
    for (const r of [cron, city, days, id]) {
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(cron.stderr).toContain('wx: --cron: "0 25 * * *" is not a cron expression: hour 25 is outside 0-23');
    expect(city.stderr).toContain('wx: --cities: unknown city "atlantis"');
    expect(days.stderr).toContain('wx: --history-days: at least 1');
    expect(id.stderr).toContain('wx: scheduleId: "training/atlantis" is not a training schedule');
    await expect(env.client.schedule.getHandle('training/denver').describe()).rejects.toMatchObject({ name: 'ScheduleNotFoundError' });
  }, 30_000);

  it('every cron form the CLI accepts is one the server accepts, with runs to come', async () => {
    for (const [i, expr] of ACCEPTED_CRONS.entries()) {
      expect(cronProblem(expr), expr).toBeNull();
      const [options] = await trainingSchedules(config, { cities: ['miami'], cron: expr });
      const handle = await env.client.schedule.create({ ...options!, scheduleId: `cron-check-${i}`, state: { paused: true } });
      const d = await handle.describe();
      expect(d.info.nextActionTimes.length, expr).toBeGreaterThan(0);
      await handle.delete();
    }
  });

  it('fails a run for an unknown city as InvalidInput, without retrying', async () => {
    const failed = await env.client.workflow
      .execute('scheduledTrainingWorkflow', { workflowId: 'scheduled-training/atlantis', taskQueue: config.temporal.taskQueues.ml, args: [{ city: 'atlantis' }] })
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(WorkflowFailedError);
    const cause = (failed as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect(cause).toMatchObject({ type: 'InvalidInput', nonRetryable: true });
    expect((cause as ApplicationFailure).message).toMatch(/^city: unknown city "atlantis"/);
  });
});
