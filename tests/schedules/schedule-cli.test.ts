/** `wx schedule ...` against a real Temporal dev server (TEMPORAL_ADDRESS set: the CLI starts nothing). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { PROJECT_ROOT } from '../../runtime/temporal-cli';
import { startDevServer } from '../support/temporal';

describe('wx schedule', () => {
  let env: TestWorkflowEnvironment;
  // The CLI's data directory: a fresh one per run, removed afterwards (never a fixed name in the temp dir).
  let dataDir: string;
  beforeAll(async () => {
    [env, dataDir] = await Promise.all([startDevServer(), mkdtemp(join(tmpdir(), 'wx-schedule-test-'))]);
  });
  afterAll(async () => {
    await env?.teardown();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const wx = (...args: string[]) => {
    const res = spawnSync(process.execPath, ['--import', 'tsx', 'cli/wx.ts', 'schedule', ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, TEMPORAL_ADDRESS: env.address, WX_DATA_DIR: dataDir },
      encoding: 'utf8',
    });
    return { code: res.status, stdout: res.stdout, stderr: res.stderr };
  };

  it('creates the live-ingest schedules once, lists, pauses, unpauses and deletes them', () => {
    const cities = [
      ['chicago', 'America/Chicago'],
      ['los_angeles', 'America/Los_Angeles'],
    ] as const;
    // Per city: the pre-open, hourly and nightly forecast snapshots; then one candle poll for all.
    const expected = [...cities.flatMap(([c]) => [`live-ingest/forecast-open/${c}`, `live-ingest/forecast-hourly/${c}`, `live-ingest/forecast/${c}`]), 'live-ingest/candles'];
    const created = wx('create', '--cities', 'chicago,los_angeles', '--json');
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toEqual({ created: expected, existing: [] });
    expect(JSON.parse(wx('create', '--cities', 'chicago,los_angeles', '--json').stdout)).toEqual({ created: [], existing: expected });

    const list = JSON.parse(wx('list', '--json').stdout) as Array<{ scheduleId: string; paused: boolean; nextActionTimes: string[]; workflowType: string }>;
    expect(list.map((r) => r.scheduleId)).toEqual([...expected].sort((a, b) => a.localeCompare(b)));
    const next = (id: string, zone: string) => list.find((r) => r.scheduleId === id)!.nextActionTimes.map((t) => DateTime.fromISO(t).setZone(zone));
    for (const [city, zone] of cities) {
      // Nightly at 23:30 local civil time, in each city's own zone.
      for (const t of next(`live-ingest/forecast/${city}`, zone)) expect([t.hour, t.minute]).toEqual([23, 30]);
      // Before the 10:00 ET listing of the next day's markets, whatever the city's zone.
      for (const t of next(`live-ingest/forecast-open/${city}`, 'America/New_York')) expect([t.hour, t.minute]).toEqual([9, 45]);
      // Hourly through the local trading day: :05 past each hour from 07 to 22, consecutive runs an hour
      // apart within a day, never in the DST-ambiguous 01:00-03:00 hours.
      const hourly = next(`live-ingest/forecast-hourly/${city}`, zone);
      expect(hourly).toHaveLength(3);
      for (const t of hourly) {
        expect(t.minute).toBe(5);
        expect(t.hour).toBeGreaterThanOrEqual(7);
        expect(t.hour).toBeLessThanOrEqual(22);
      }
      for (let i = 1; i < hourly.length; i++) {
        if (hourly[i]!.hasSame(hourly[i - 1]!, 'day')) expect(hourly[i]!.diff(hourly[i - 1]!, 'minutes').minutes).toBe(60);
      }
    }
    for (const r of list) expect(r.workflowType).toBe(r.scheduleId === 'live-ingest/candles' ? 'candlePollWorkflow' : 'forecastSnapshotWorkflow');

    expect(wx('pause', 'live-ingest/candles', '--note', 'maintenance').stdout.trim()).toBe('live-ingest/candles: paused');
    expect(wx('pause', 'live-ingest/forecast-hourly/chicago').stdout.trim()).toBe('live-ingest/forecast-hourly/chicago: paused');
    const paused = JSON.parse(wx('list', '--json').stdout) as Array<{ scheduleId: string; paused: boolean; note?: string }>;
    expect(paused.find((r) => r.scheduleId === 'live-ingest/candles')).toMatchObject({ paused: true, note: 'maintenance' });
    expect(paused.filter((r) => r.paused).map((r) => r.scheduleId)).toEqual(['live-ingest/candles', 'live-ingest/forecast-hourly/chicago']);
    expect(wx('unpause', 'live-ingest/candles').code).toBe(0);
    expect(wx('unpause', 'live-ingest/forecast-hourly/chicago').code).toBe(0);
    expect((JSON.parse(wx('list', '--json').stdout) as Array<{ paused: boolean }>).every((r) => !r.paused)).toBe(true);

    for (const id of ['live-ingest/forecast/los_angeles', 'live-ingest/forecast-open/los_angeles', 'live-ingest/forecast-hourly/los_angeles']) {
      expect(wx('delete', id).stdout.trim()).toBe(`${id}: deleted`);
    }
    const left = (JSON.parse(wx('list', '--json').stdout) as Array<{ scheduleId: string }>).map((r) => r.scheduleId);
    expect(left).toEqual(expected.filter((id) => !id.endsWith('/los_angeles')).sort((a, b) => a.localeCompare(b)));
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
