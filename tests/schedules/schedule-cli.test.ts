/** `wx schedule ...` against a real Temporal dev server (TEMPORAL_ADDRESS set: the CLI starts nothing). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { DateTime } from 'luxon';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { PROJECT_ROOT } from '../../runtime/temporal-cli';
import { startDevServer } from '../support/temporal';

describe('wx schedule', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await startDevServer();
  });
  afterAll(async () => env?.teardown());

  const wx = (...args: string[]) => {
    const res = spawnSync(process.execPath, ['--import', 'tsx', 'cli/wx.ts', 'schedule', ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, TEMPORAL_ADDRESS: env.address, WX_DATA_DIR: '/tmp/wx-schedule-test' },
      encoding: 'utf8',
    });
    return { code: res.status, stdout: res.stdout, stderr: res.stderr };
  };

  it('creates the live-ingest schedules once, lists, pauses, unpauses and deletes them', () => {
    const created = wx('create', '--cities', 'chicago,los_angeles', '--json');
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toEqual({
      created: ['live-ingest/forecast/chicago', 'live-ingest/forecast/los_angeles', 'live-ingest/candles'],
      existing: [],
    });
    expect(JSON.parse(wx('create', '--cities', 'chicago,los_angeles', '--json').stdout).existing).toHaveLength(3);

    const list = JSON.parse(wx('list', '--json').stdout) as Array<{ scheduleId: string; paused: boolean; nextActionTimes: string[]; workflowType: string }>;
    expect(list.map((r) => r.scheduleId)).toEqual(['live-ingest/candles', 'live-ingest/forecast/chicago', 'live-ingest/forecast/los_angeles']);
    // The nightly snapshot fires at 23:30 local civil time in each city's own zone.
    for (const [id, zone] of [
      ['live-ingest/forecast/chicago', 'America/Chicago'],
      ['live-ingest/forecast/los_angeles', 'America/Los_Angeles'],
    ] as const) {
      const next = DateTime.fromISO(list.find((r) => r.scheduleId === id)!.nextActionTimes[0]!).setZone(zone);
      expect([next.hour, next.minute]).toEqual([23, 30]);
    }
    expect(list.find((r) => r.scheduleId === 'live-ingest/candles')!.workflowType).toBe('candlePollWorkflow');

    expect(wx('pause', 'live-ingest/candles', '--note', 'maintenance').stdout.trim()).toBe('live-ingest/candles: paused');
    const paused = JSON.parse(wx('list', '--json').stdout) as Array<{ scheduleId: string; paused: boolean; note?: string }>;
    expect(paused.find((r) => r.scheduleId === 'live-ingest/candles')).toMatchObject({ paused: true, note: 'maintenance' });
    expect(wx('unpause', 'live-ingest/candles').code).toBe(0);
    expect((JSON.parse(wx('list', '--json').stdout) as Array<{ paused: boolean }>).every((r) => !r.paused)).toBe(true);

    expect(wx('delete', 'live-ingest/forecast/los_angeles').stdout.trim()).toBe('live-ingest/forecast/los_angeles: deleted');
    expect((JSON.parse(wx('list', '--json').stdout) as unknown[]).length).toBe(2);
  });

  it('names a missing schedule and a bad id, exit 2', () => {
    const missing = wx('pause', 'live-ingest/nope');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('scheduleId: no schedule "live-ingest/nope"');
    const bad = wx('delete', 'bad id!');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('scheduleId: "bad id!" is not a schedule id');
  });
});
