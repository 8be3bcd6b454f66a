/**
 * Wall time of the main job on its defaults (`wx start`: three cities, a year of events, the generated
 * world) from a fresh data directory, with the time of each stage as the pipeline reports it and the
 * rows the backfill wrote. Ports are free ones so that it never meets a running `wx start`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PROJECT_ROOT } from '../runtime/temporal-cli';
import { embeddedPostgresUrl } from '../runtime/postgres';
import { freePort } from '../tests/support/ports';

export interface MainJobFigures {
  wallSeconds: number;
  stageSeconds: Record<string, number>;
  rows: Record<string, number>;
}

export async function benchMainJob(): Promise<MainJobFigures> {
  const dataDir = mkdtempSync(join(tmpdir(), 'wx-bench-main-'));
  const [t, ui, pgPort, sb] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = { ...process.env, WX_DATA_DIR: dataDir, WX_TEMPORAL_PORT: String(t), WX_TEMPORAL_UI_PORT: String(ui), WX_PG_PORT: String(pgPort), WX_SANDBOX_PORT: String(sb) };
  delete env.TEMPORAL_ADDRESS;
  delete env.DATABASE_URL;
  const run = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'cli/wx.ts', ...args], { cwd: PROJECT_ROOT, env });
      let stdout = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.resume();
      child.on('exit', (code) => resolve({ code, stdout }));
    });
  try {
    const t0 = performance.now();
    const res = await run(['start']);
    const wallSeconds = (performance.now() - t0) / 1000;
    if (res.code !== 0) throw new Error(`wx start failed (${res.code}):\n${res.stdout}`);
    const stageSeconds: Record<string, number> = {};
    for (const m of res.stdout.matchAll(/^\s+(\w+)\s+done .* in ([\d.]+)s$/gm)) stageSeconds[m[1]!] = Number(m[2]);
    const client = new pg.Client({ connectionString: embeddedPostgresUrl(pgPort) });
    await client.connect();
    const rows: Record<string, number> = {};
    for (const table of ['wx.observation', 'wx.settlement', 'wx.forecast_snapshot', 'wx.forecast_snapshot_hourly', 'kalshi.market', 'kalshi.candle', 'kalshi.trade']) {
      rows[table] = Number((await client.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
    }
    await client.end();
    return { wallSeconds, stageSeconds, rows };
  } finally {
    await run(['down']);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(`${dataDir}.lock`, { force: true });
  }
}

export function printMainJob(f: MainJobFigures): void {
  console.log(`wall time of \`wx start\` on the defaults from a fresh data directory: ${f.wallSeconds.toFixed(1)} s`);
  console.table(Object.fromEntries(Object.entries(f.stageSeconds).map(([stage, s]) => [stage, { seconds: s }])));
  const total = Object.values(f.rows).reduce((a, b) => a + b, 0);
  console.table(f.rows);
  console.log(`rows written: ${total.toLocaleString('en-US')}; backfill stage: ${f.stageSeconds.backfill ? Math.round(total / f.stageSeconds.backfill).toLocaleString('en-US') : '?'} rows/s end to end`);
}

if (process.argv[1]?.endsWith('main-job.ts')) printMainJob(await benchMainJob());
