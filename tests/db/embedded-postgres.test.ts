import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger';
import { readPostmasterPid, startEmbeddedPostgres, stopEmbeddedPostgres, type RunningPostgres } from '../../runtime/postgres';
import { freePort, pidAlive, tempDir, waitFor } from './helpers';

const log = createLogger('test-embedded-pg', { level: process.env.WX_LOG_LEVEL ?? 'warn' });

async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

describe('embedded PostgreSQL manager', () => {
  let root: string;
  let dataDir: string;
  let port: number;
  let current: RunningPostgres | undefined;
  const timings: Record<string, number> = {};

  const start = async (label: string) => {
    const t0 = performance.now();
    const running = await startEmbeddedPostgres({ dataDir, port, log, stopOnExit: true });
    timings[label] = Math.round(performance.now() - t0);
    return running;
  };

  beforeAll(async () => {
    root = await tempDir('wx-embedded-pg-');
    dataDir = path.join(root, 'pg');
    port = await freePort();
  });

  afterAll(async () => {
    await current?.stop({ force: true }).catch(() => undefined);
    await stopEmbeddedPostgres(dataDir, log).catch(() => undefined);
    await fs.rm(root, { recursive: true, force: true });
    console.log(`embedded PostgreSQL timings (ms): ${JSON.stringify(timings)}`);
  });

  it('initialises a cluster on first start (once, even when two starts race), creates the wx database and logs to a file', async () => {
    const t0 = performance.now();
    const both = await Promise.all([
      startEmbeddedPostgres({ dataDir, port, log }),
      startEmbeddedPostgres({ dataDir, port, log }),
    ]);
    timings.coldInitAndStart = Math.round(performance.now() - t0);
    const fresh = both.filter((r) => !r.reused);
    expect(fresh).toHaveLength(1);
    current = fresh[0]!;
    expect(both.map((r) => r.pid)).toEqual([current.pid, current.pid]);
    expect(current.initialised).toBe(true);
    expect(current.url).toBe(`postgres://postgres:postgres@127.0.0.1:${port}/wx`);
    const [row] = await query<{ db: string; tz: string }>(current.url, `select current_database() as db, current_setting('TimeZone') as tz`);
    expect(row).toEqual({ db: 'wx', tz: 'UTC' });
    expect(existsSync(path.join(dataDir, 'PG_VERSION'))).toBe(true);
    expect(readFileSync(current.logFile, 'utf8')).toContain('database system is ready to accept connections');
    if (process.getuid?.() === 0) {
      // Root: the cluster belongs to the `postgres` OS user and the server does not run as root.
      const st = await fs.stat(dataDir);
      expect(st.uid).not.toBe(0);
      const status = readFileSync(`/proc/${current.pid}/status`, 'utf8');
      expect(status).toMatch(/^Uid:\s+[1-9]\d*/m);
    }
  });

  it('reuses a server left running by a previous process; stop() of a reused handle leaves it running unless forced', async () => {
    await current!.stop();
    expect(readPostmasterPid(dataDir)).toBeUndefined();
    const child = spawnSync(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'start-embedded-child.mts'), dataDir, String(port)], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(child.status, child.stderr).toBe(0);
    const previous = JSON.parse(child.stdout) as { pid: number; reused: boolean };
    expect(previous.reused).toBe(false);
    expect(pidAlive(previous.pid)).toBe(true); // outlived the process that started it

    const adopted = await start('reuseRunning');
    expect(adopted.reused).toBe(true);
    expect(adopted.pid).toBe(previous.pid);
    await adopted.stop();
    expect(pidAlive(previous.pid)).toBe(true);
    await query(adopted.url, 'select 1');
    await adopted.stop({ force: true });
    await waitFor(() => !pidAlive(previous.pid));

    current = await start('warmStart');
    expect(current.reused).toBe(false);
    expect(current.initialised).toBe(false);
  });

  it('keeps data across stop and start', async () => {
    await query(current!.url, `create table keep_me (id int primary key, note text); insert into keep_me values (1, 'survives')`);
    await current!.stop();
    expect(existsSync(path.join(dataDir, 'postmaster.pid'))).toBe(false);
    await expect(query(current!.url, 'select 1')).rejects.toThrow();

    current = await start('restart');
    expect(current.reused).toBe(false);
    expect(current.initialised).toBe(false);
    const rows = await query<{ note: string }>(current.url, 'select note from keep_me where id = 1');
    expect(rows).toEqual([{ note: 'survives' }]);
  });

  it('starts after the postmaster was killed with SIGKILL (stale postmaster.pid)', async () => {
    const pid = current!.pid;
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !pidAlive(pid));
    expect(readPostmasterPid(dataDir)?.pid).toBe(pid); // left behind

    current = await start('startAfterKill9');
    expect(current.reused).toBe(false);
    expect(current.pid).not.toBe(pid);
    const rows = await query<{ note: string }>(current.url, 'select note from keep_me where id = 1');
    expect(rows).toEqual([{ note: 'survives' }]);
  });

  it('starts when a stale postmaster.pid names a live process that is not a postmaster of this cluster', async () => {
    const pidFile = readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8');
    await current!.stop();
    // A recycled pid owned by the server's OS user: PostgreSQL alone would refuse to start
    // ("lock file already exists").
    const ids = process.getuid?.() === 0 ? await osIds('postgres') : {};
    const imposter: ChildProcess = spawn('sleep', ['60'], { ...ids, stdio: 'ignore' });
    try {
      const lines = pidFile.split('\n');
      lines[0] = String(imposter.pid);
      await fs.writeFile(path.join(dataDir, 'postmaster.pid'), lines.join('\n'));
      if (ids.uid !== undefined) await fs.chown(path.join(dataDir, 'postmaster.pid'), ids.uid, ids.gid!);

      current = await start('startWithRecycledPid');
      expect(current.reused).toBe(false);
      expect(current.pid).not.toBe(imposter.pid);
      expect(pidAlive(imposter.pid!)).toBe(true); // not ours to kill
      await query(current.url, 'select 1');
    } finally {
      imposter.kill('SIGKILL');
    }
  });

  it('refuses a port already taken by another server, naming the port', async () => {
    await current!.stop();
    const blocker = net.createServer((s) => s.destroy());
    const busy = await freePort();
    await new Promise<void>((r) => blocker.listen(busy, '127.0.0.1', () => r()));
    try {
      await expect(startEmbeddedPostgres({ dataDir, port: busy, log })).rejects.toThrow(new RegExp(`port ${busy}.*in use`));
    } finally {
      await new Promise((r) => blocker.close(r));
    }
    expect(await stopEmbeddedPostgres(dataDir, log)).toBe(false);
  });
});

async function osIds(user: string): Promise<{ uid?: number; gid?: number }> {
  const { execFileSync } = await import('node:child_process');
  return {
    uid: Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim()),
  };
}
