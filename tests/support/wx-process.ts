/**
 * Runs `wx` as a user does (a real process tree: the CLI, the Temporal dev server, PostgreSQL) in a
 * private data directory on free ports, and can SIGKILL the whole tree.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT, resolveTemporalBinary } from '../../runtime/temporal-cli';
import { freePort } from './ports';

export interface WxWorld {
  dataDir: string;
  env: Record<string, string>;
  temporalAddress: string;
  uiUrl: string;
}

export async function newWxWorld(): Promise<WxWorld> {
  // Under /tmp: the embedded PostgreSQL runs as the `postgres` user, who must reach the directory.
  const dataDir = mkdtempSync(join(tmpdir(), 'wx-e2e-'));
  const [tport, uiPort, pgPort, sandboxPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  return {
    dataDir,
    env: {
      WX_DATA_DIR: dataDir,
      WX_TEMPORAL_PORT: String(tport),
      WX_TEMPORAL_UI_PORT: String(uiPort),
      WX_PG_PORT: String(pgPort),
      WX_SANDBOX_PORT: String(sandboxPort),
      WX_LOG_LEVEL: 'info',
    },
    temporalAddress: `127.0.0.1:${tport}`,
    uiUrl: `http://127.0.0.1:${uiPort}`,
  };
}

function cleanEnv(world: WxWorld, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...world.env };
  // The embedded defaults are under test: never an external cluster or database from the caller.
  delete env.TEMPORAL_ADDRESS;
  delete env.DATABASE_URL;
  // ...unless the test itself sets them (e.g. an address where nothing answers).
  return { ...env, ...extra };
}

export interface WxRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (null when killed). */
  exited: Promise<number | null>;
  /** Resolves once stdout contains the pattern. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

export function spawnWx(world: WxWorld, args: string[], extraEnv: Record<string, string> = {}): WxRun {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/wx.ts', ...args], { cwd: PROJECT_ROOT, env: cleanEnv(world, extraEnv) });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForOutput(pattern, timeoutMs = 120_000) {
      return new Promise((resolve, reject) => {
        const deadline = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; stdout:\n${out}\nstderr:\n${err}`)), timeoutMs);
        const check = () => {
          const m = out.match(pattern);
          if (m) {
            clearTimeout(deadline);
            child.stdout!.off('data', check);
            resolve(m);
          }
        };
        child.stdout!.on('data', check);
        void exited.then((code) => {
          if (!out.match(pattern)) {
            clearTimeout(deadline);
            reject(new Error(`wx exited (${code}) before printing ${pattern}; stdout:\n${out}\nstderr:\n${err}`));
          }
        });
        check();
      });
    },
  };
}

/** `wx down`, then the world's data directory goes (it lives under the system temp directory). */
export async function disposeWxWorld(world: WxWorld): Promise<void> {
  await runWx(world, ['down']);
  rmSync(world.dataDir, { recursive: true, force: true });
}

/** Runs `wx` to completion. */
export async function runWx(world: WxWorld, args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = spawnWx(world, args, extraEnv);
  const code = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

/** Every descendant of `pid` (from /proc), deepest last. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process exited while we listed /proc
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

/**
 * SIGKILL of the whole tree: the CLI, its children, and the embedded servers it started detached
 * (their pids from the data directory), as a crash or an OOM kill would.
 */
export function killTree(world: WxWorld, run: WxRun): number[] {
  const pids = [run.child.pid!, ...descendants(run.child.pid!)];
  const statePid = (file: string, parse: (s: string) => number) => (existsSync(file) ? parse(readFileSync(file, 'utf8')) : undefined);
  const temporalPid = statePid(join(world.dataDir, 'temporal', 'server.json'), (s) => JSON.parse(s).pid);
  const pgPid = statePid(join(world.dataDir, 'pg', 'postmaster.pid'), (s) => Number(s.split('\n')[0]));
  for (const p of [temporalPid, pgPid]) if (p) pids.push(p, ...descendants(p));
  for (const p of new Set(pids)) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return pids;
}

/** `temporal workflow list` against the world's server, as a user would check. */
export function temporalWorkflowList(world: WxWorld, query?: string): string {
  const cli = resolveTemporalBinary('cli').path!;
  const res = spawnSync(cli, ['workflow', 'list', '--address', world.temporalAddress, ...(query ? ['--query', query] : [])], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`temporal workflow list failed: ${res.stderr}`);
  return res.stdout;
}
