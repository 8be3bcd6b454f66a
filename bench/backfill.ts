/**
 * End-to-end backfill throughput: `wx backfill` as a user runs it (six cities, the generated world
 * served by the local sandbox, workers in the same process, the embedded PostgreSQL) from a fresh data
 * directory on free ports, next to a raw COPY of exactly the rows it wrote, in the same run, on the
 * same server; then a re-run of the finished range (time and WAL written), then `wx down`.
 *
 *   npx tsx bench/backfill.ts                                   # 2025-03-01..31, six cities
 *   WX_BENCH_FROM=2025-03-06 WX_BENCH_TO=2025-03-12 npx tsx bench/backfill.ts
 *   WX_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=data/bench/prof" npx tsx bench/backfill.ts
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { PROJECT_ROOT } from '../runtime/temporal-cli';
import { embeddedPostgresUrl } from '../runtime/postgres';
import { freePort } from '../tests/support/ports';

export interface BackfillBenchFigures {
  from: string;
  to: string;
  cities: number;
  rows: Record<string, number>;
  totalRows: number;
  /** From the workflow's start line to its summary line of `wx backfill` (runtime start excluded). */
  backfillSeconds: number;
  rowsPerSecond: number;
  /** COPY of the same rows (COPY ... TO STDOUT of each table) into empty copies of the tables. */
  rawCopySeconds: number;
  rawCopyRowsPerSecond: number;
  /** CPU seconds (user + system) over the same window: the wx process (workers and the sandbox thread), and PostgreSQL. */
  wxCpuSeconds: number;
  pgCpuSeconds: number;
  rerunSeconds: number;
  rerunWalBytes: number;
  firstRunWalBytes: number;
}

const TABLES = ['kalshi.series', 'kalshi.event', 'kalshi.market', 'kalshi.candle', 'kalshi.trade', 'wx.observation', 'wx.settlement', 'wx.settlement_consolidated', 'wx.forecast_snapshot', 'wx.forecast_snapshot_hourly'];

export async function benchBackfill(opts: { from?: string; to?: string } = {}): Promise<BackfillBenchFigures> {
  const from = opts.from ?? process.env.WX_BENCH_FROM ?? '2025-03-01';
  const to = opts.to ?? process.env.WX_BENCH_TO ?? '2025-03-31';
  const nodeArgs = (process.env.WX_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const dataDir = mkdtempSync(join(tmpdir(), 'wx-bench-backfill-'));
  const [t, ui, pgPort, sb] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = { ...process.env, WX_DATA_DIR: dataDir, WX_TEMPORAL_PORT: String(t), WX_TEMPORAL_UI_PORT: String(ui), WX_PG_PORT: String(pgPort), WX_SANDBOX_PORT: String(sb) };
  delete env.TEMPORAL_ADDRESS;
  delete env.DATABASE_URL;
  // CPU time, not only wall time: the machine is shared, and CPU seconds per row compare runs fairly.
  const postmasterPid = () => {
    const file = join(dataDir, 'pg', 'postmaster.pid');
    return existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) : undefined;
  };
  const pgCpu = () => {
    const pm = postmasterPid();
    if (!pm) return 0;
    // The postmaster's own time, its exited children's (cutime, cstime), and its live children's.
    let ticks = 0;
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      const st = procStat(Number(pid));
      if (!st) continue;
      if (Number(pid) === pm) ticks += st.utime + st.stime + st.cutime + st.cstime;
      else if (st.ppid === pm) ticks += st.utime + st.stime;
    }
    return ticks / CLOCK_TICKS;
  };
  /** Runs wx; returns its output and the seconds between the workflow's start line and its summary. */
  const run = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string; seconds: number; wxCpu: number; pgCpu: number }>((resolve) => {
      const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'cli/wx.ts', ...args], { cwd: PROJECT_ROOT, env });
      let stdout = '';
      let started = 0;
      let ended = 0;
      const cpu = { wx0: 0, wx1: 0, pg0: 0, pg1: 0 };
      const wxCpu = () => {
        const st = procStat(child.pid!);
        return st ? (st.utime + st.stime) / CLOCK_TICKS : 0;
      };
      let threads0: Map<string, number> | undefined;
      child.stdout.on('data', (d: Buffer) => {
        const now = performance.now();
        const text = d.toString();
        if (!started && /wx: backfill \S+ run/.test(stdout + text)) {
          started = now;
          [cpu.wx0, cpu.pg0] = [wxCpu(), pgCpu()];
          threads0 = threadCpu(child.pid!);
        }
        if (!ended && /\nbackfill (done|failed)/.test(stdout + text)) {
          ended = now;
          [cpu.wx1, cpu.pg1] = [wxCpu(), pgCpu()];
          if (process.env.WX_BENCH_THREADS && threads0) {
            // Which threads of the wx process spent it (JS main, the sandbox worker, V8's GC helpers, Temporal core's tokio, ...).
            const t1 = threadCpu(child.pid!);
            const rows = [...t1].map(([name, s]) => [name, +(s - (threads0!.get(name) ?? 0)).toFixed(2)] as const).filter(([, s]) => s > 0.05);
            console.log(`wx threads (CPU s over the backfill): ${rows.sort((a, b) => b[1] - a[1]).map(([n, s]) => `${n} ${s}`).join(', ')}`);
          }
        }
        stdout += text;
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
      child.on('exit', (code) =>
        resolve({ code, stdout: code === 0 ? stdout : `${stdout}\n${stderr}`, seconds: (ended - started) / 1000, wxCpu: cpu.wx1 - cpu.wx0, pgCpu: cpu.pg1 - cpu.pg0 }),
      );
    });
  const client = new pg.Client({ connectionString: embeddedPostgresUrl(pgPort) });
  const wal = async () => (await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]!.lsn;
  const walSince = async (lsn: string) => Number((await client.query<{ n: string }>('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1)::bigint AS n', [lsn])).rows[0]!.n);
  let connected = false;
  try {
    // Start the runtime first (a backfill of no source would not), so that WAL is measured from here.
    const up = await run(['backfill', '--from', from, '--to', from, '--sources', 'settlements', '--cities', 'chicago']);
    if (up.code !== 0) throw new Error(`wx backfill (warm-up) failed (${up.code}):\n${up.stdout}`);
    await client.connect();
    connected = true;
    for (const table of TABLES) await client.query(`TRUNCATE ${table} CASCADE`);
    await client.query('TRUNCATE wx.ingest_manifest');
    const lsn0 = await wal();
    const first = await run(['backfill', '--from', from, '--to', to]);
    if (first.code !== 0) throw new Error(`wx backfill failed (${first.code}):\n${first.stdout}`);
    const firstRunWalBytes = await walSince(lsn0);
    const rows: Record<string, number> = {};
    for (const table of TABLES) rows[table] = Number((await client.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
    const totalRows = Object.values(rows).reduce((a, b) => a + b, 0);

    // Raw COPY of the same rows: each table's rows as COPY text, into an empty copy with the same indexes.
    await client.query('CREATE SCHEMA IF NOT EXISTS bench_raw');
    const texts: Array<{ table: string; chunks: Buffer[] }> = [];
    for (const table of TABLES) {
      const chunks: Buffer[] = [];
      const out = client.query(copyStreams.to(`COPY ${table} TO STDOUT`));
      for await (const c of out) chunks.push(c as Buffer);
      const copy = `bench_raw.${table.replace('.', '_')}`;
      await client.query(`DROP TABLE IF EXISTS ${copy}; CREATE TABLE ${copy} (LIKE ${table} INCLUDING ALL)`);
      texts.push({ table: copy, chunks });
    }
    await client.query('CHECKPOINT');
    const t0 = performance.now();
    for (const { table, chunks } of texts) {
      await client.query('BEGIN');
      await pipeline(Readable.from(chunks), client.query(copyStreams.from(`COPY ${table} FROM STDIN`)));
      await client.query('COMMIT');
    }
    const rawCopySeconds = (performance.now() - t0) / 1000;
    await client.query('DROP SCHEMA bench_raw CASCADE');

    console.log(`first run: ${totalRows} rows in ${first.seconds.toFixed(1)} s = ${Math.round(totalRows / first.seconds)} rows/s; raw COPY ${rawCopySeconds.toFixed(2)} s`);

    const lsn1 = await wal();
    const again = await run(['backfill', '--from', from, '--to', to]);
    // The first run's figures stand even when the re-run fails (reported, not thrown).
    if (again.code !== 0) console.error(`wx backfill (re-run) failed (${again.code}):\n${again.stdout}`);
    const rerunWalBytes = await walSince(lsn1);
    return {
      from,
      to,
      cities: 6,
      rows,
      totalRows,
      backfillSeconds: first.seconds,
      rowsPerSecond: Math.round(totalRows / first.seconds),
      rawCopySeconds,
      rawCopyRowsPerSecond: Math.round(totalRows / rawCopySeconds),
      wxCpuSeconds: first.wxCpu,
      pgCpuSeconds: first.pgCpu,
      rerunSeconds: again.code === 0 ? again.seconds : Number.NaN,
      rerunWalBytes,
      firstRunWalBytes,
    };
  } finally {
    if (connected) await client.end();
    await run(['down']);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(`${dataDir}.lock`, { force: true });
  }
}

const CLOCK_TICKS = 100; // USER_HZ of /proc/<pid>/stat on Linux

/** utime, stime, cutime, cstime (clock ticks) and the parent of a process, from /proc (undefined once gone). */
function procStat(pid: number): { ppid: number; utime: number; stime: number; cutime: number; cstime: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' '); // fields from the 3rd (state) on
    return { ppid: Number(f[1]), utime: Number(f[11]), stime: Number(f[12]), cutime: Number(f[13]), cstime: Number(f[14]) };
  } catch {
    return undefined; // the process ended between listing and reading: nothing to count
  }
}

/** CPU seconds per thread name of a process (threads of one name summed). */
function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out; // the process ended: nothing to count
  }
  for (const tid of tids) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
      const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
      out.set(name, (out.get(name) ?? 0) + (Number(f[11]) + Number(f[12])) / CLOCK_TICKS);
    } catch {
      continue; // the thread ended between listing and reading
    }
  }
  return out;
}

export function printBackfill(f: BackfillBenchFigures): void {
  console.table(f.rows);
  console.log(`backfill ${f.from}..${f.to}, ${f.cities} cities: ${f.totalRows.toLocaleString('en-US')} rows in ${f.backfillSeconds.toFixed(1)} s = ${f.rowsPerSecond.toLocaleString('en-US')} rows/s end to end`);
  console.log(`raw COPY of the same rows (same server, same run): ${f.rawCopySeconds.toFixed(2)} s = ${f.rawCopyRowsPerSecond.toLocaleString('en-US')} rows/s (end to end / raw = ${(f.rowsPerSecond / f.rawCopyRowsPerSecond).toFixed(2)})`);
  console.log(`CPU over the backfill: wx process ${f.wxCpuSeconds.toFixed(1)} s (${((1e6 * f.wxCpuSeconds) / f.totalRows).toFixed(1)} µs/row), PostgreSQL ${f.pgCpuSeconds.toFixed(1)} s`);
  console.log(`WAL written by the first run: ${(f.firstRunWalBytes / 2 ** 20).toFixed(1)} MiB`);
  console.log(`re-run of the finished range: ${f.rerunSeconds.toFixed(1)} s, WAL written ${(f.rerunWalBytes / 2 ** 10).toFixed(0)} KiB`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) printBackfill(await benchBackfill());
