/**
 * Bad input to `wx`, as an outside tester typed it (issue 7, point 8): every case is a real process in
 * a private data directory on free ports, and must end with exit 2, exactly one line on stderr that
 * names the input and its value, no stack trace, and nothing started or written (no PostgreSQL
 * cluster, no Temporal server, hence no row and no workflow).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { disposeWxWorld, newWxWorld, runWx, type WxWorld } from '../support/wx-process';
import { freePort } from '../support/ports';

const day = ['--cities', 'chicago', '--from', '2025-01-01', '--to', '2025-01-01'];

describe('wx on bad input', { timeout: 120_000 }, () => {
  const worlds: WxWorld[] = [];
  const dirs: string[] = [];
  afterAll(async () => {
    for (const w of worlds) await disposeWxWorld(w);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** Runs wx in a new world and checks the outcome every bad input must have. */
  async function expectRefused(args: string[], line: RegExp, env: Record<string, string> = {}): Promise<string> {
    const world = await newWxWorld();
    worlds.push(world);
    const res = await runWx(world, args, env);
    const lines = res.stderr.split('\n').filter(Boolean);
    expect(res.code, `stdout:\n${res.stdout}\nstderr:\n${res.stderr}`).toBe(2);
    expect(lines, res.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(line);
    expect(res.stderr).not.toMatch(/^\s+at /m);
    // Nothing started, so nothing written: no cluster was created, no Temporal server ran.
    expect(existsSync(join(world.dataDir, 'pg', 'PG_VERSION')), 'a PostgreSQL cluster was created').toBe(false);
    expect(existsSync(join(world.dataDir, 'temporal', 'server.json')), 'a Temporal server was started').toBe(false);
    return lines[0]!;
  }

  function worldDir(files: Record<string, string | Buffer>): string {
    const dir = mkdtempSync(join(tmpdir(), 'wx-bad-world-'));
    dirs.push(dir);
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    return dir;
  }

  async function listen(): Promise<{ port: number; server: Server }> {
    const port = await freePort();
    const server = createServer((s) => s.end());
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return { port, server };
  }

  it('an absurd range (1900-01-01..2100-01-01)', async () => {
    await expectRefused(['backfill', '--cities', 'chicago', '--from', '1900-01-01', '--to', '2100-01-01'], /^wx: --to: 2100-01-01 is after today \(\d{4}-\d{2}-\d{2}\)/);
  });

  it('a range before what the sources serve (--from 1900-01-01)', async () => {
    await expectRefused(['backfill', '--cities', 'chicago', '--from', '1900-01-01', '--to', '2025-01-01', '--sources', 'kalshi'], /^wx: --from: 1900-01-01 is before 2022-12-11: Kalshi lists daily-high/);
  });

  it('WX_FROM=2025-99-99', async () => {
    await expectRefused(['start'], /^wx: invalid configuration: WX_FROM="2025-99-99" \(pipeline\.from\): expected an existing calendar date/, { WX_FROM: '2025-99-99' });
  });

  it('a wrong-typed threshold in --thresholds', async () => {
    await expectRefused(['validate', ...day, '--thresholds', '{"maxStalenessHours":"lots"}'], /^wx: --thresholds: maxStalenessHours = "lots": .*expected number/);
  });

  it('a world directory of garbage files', async () => {
    const dir = worldDir({
      'cpratim_kalshi_weather/kxhighchi/events/KXHIGHCHI-25JAN01.json': Buffer.from([0x8b, 0x1f, 0x00, 0xff, 0x7b, 0x22]),
      'notes.txt': 'not a world',
    });
    const file = join(dir, 'cpratim_kalshi_weather/kxhighchi/events/KXHIGHCHI-25JAN01.json');
    const line = await expectRefused(['backfill', ...day, '--world', 'recorded', '--world-dir', dir], /^wx: --world-dir \/ WX_WORLD_DIR .*is not valid JSON/);
    expect(line).toContain(file);
  });

  it('an empty world directory', async () => {
    const dir = worldDir({});
    await expectRefused(['backfill', ...day, '--world', 'recorded', '--world-dir', dir], new RegExp(`^wx: --world-dir / WX_WORLD_DIR ${dir} holds no Kalshi events`));
  });

  it('a missing world directory', async () => {
    const dir = join(tmpdir(), `wx-no-such-world-${process.pid}`);
    await expectRefused(['backfill', ...day, '--world', 'recorded', '--world-dir', dir], new RegExp(`^wx: --world-dir / WX_WORLD_DIR ${dir} does not exist$`));
  });

  it('DATABASE_URL on a closed port', async () => {
    const port = await freePort();
    await expectRefused(['backfill', ...day], new RegExp(`^wx: DATABASE_URL=postgres://postgres:\\*\\*\\*@127\\.0\\.0\\.1:${port}/wx: cannot use this PostgreSQL server .*ECONNREFUSED`), {
      DATABASE_URL: `postgres://postgres:secret@127.0.0.1:${port}/wx`,
    });
  });

  it('TEMPORAL_ADDRESS on a closed port', async () => {
    const port = await freePort();
    await expectRefused(['backfill', ...day], new RegExp(`^wx: TEMPORAL_ADDRESS=127\\.0\\.0\\.1:${port}: no Temporal server answers there$`), { TEMPORAL_ADDRESS: `127.0.0.1:${port}` });
  });

  it('the embedded PostgreSQL port already in use', async () => {
    const { port, server } = await listen();
    try {
      await expectRefused(['backfill', ...day], new RegExp(`^wx: WX_PG_PORT=${port}: port ${port} on 127\\.0\\.0\\.1 is in use`), { WX_PG_PORT: String(port) });
    } finally {
      server.close();
    }
  });

  it('the sandbox port already in use', async () => {
    const { port, server } = await listen();
    try {
      await expectRefused(['backfill', ...day], new RegExp(`^wx: WX_SANDBOX_PORT=${port}: the sandbox's port on 127\\.0\\.0\\.1 is in use`), { WX_SANDBOX_PORT: String(port) });
    } finally {
      server.close();
    }
  });
});
