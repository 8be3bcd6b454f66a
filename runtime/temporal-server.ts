import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Logger } from '../lib/logger';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { resolveTemporalBinary } from './temporal-cli';
import { isProcessAlive, readLogTail, stopProcess, waitFor } from './process';

export interface TemporalServerOptions {
  dataDir: string;
  port: number;
  uiPort: number;
  namespace: string;
  cli?: string;
  log: Logger;
  /** How long to wait for the server to answer (first start creates the SQLite file). */
  readyTimeoutMs?: number;
}

export interface RunningTemporal {
  address: string;
  uiUrl: string;
  /** true when a dev server from an earlier run on the same data directory was still up. */
  reused: boolean;
  source: string;
  pid?: number;
  /** Stops the server if this process started it. */
  stop(): Promise<void>;
}

const StateFile = 'server.json';
interface ServerState {
  pid: number;
  port: number;
  uiPort: number;
  dbFile: string;
  startedAt: string;
}

function stateDir(dataDir: string): string {
  return join(dataDir, 'temporal');
}

export function readTemporalState(dataDir: string): ServerState | undefined {
  const file = join(stateDir(dataDir), StateFile);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ServerState;
  } catch {
    return undefined; // a torn state file from a crash: treated as no server
  }
}

/** Whether a Temporal frontend answers on this address. */
export async function temporalAnswers(address: string, timeoutMs = 2000): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: timeoutMs });
    await connection.workflowService.getSystemInfo({});
    return true;
  } catch {
    return false; // not up (yet); callers poll
  } finally {
    await connection?.close();
  }
}

/** Registers City and Stage (Keyword) where they are missing: a reused or external server may lack them. */
export async function ensureSearchAttributes(address: string, namespace: string, log: Logger): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    const known = new Set([...Object.keys(existing.customAttributes ?? {}), ...Object.keys(existing.systemAttributes ?? {})]);
    const missing = SEARCH_ATTRIBUTES.filter((a) => !known.has(a.name));
    if (missing.length === 0) return;
    await connection.operatorService.addSearchAttributes({
      namespace,
      // 2 = INDEXED_VALUE_TYPE_KEYWORD
      searchAttributes: Object.fromEntries(missing.map((a) => [a.name, 2])),
    });
    log.info({ added: missing.map((a) => a.name), namespace }, 'registered search attributes');
  } finally {
    await connection.close();
  }
}

/**
 * Starts (or reuses) the Temporal CLI dev server with its SQLite file under dataDir/temporal, so that
 * workflow state survives restarts. The server runs detached: it outlives `wx start` so that the Web UI
 * link keeps working, and `wx down` stops it.
 */
export async function startTemporalDevServer(opts: TemporalServerOptions): Promise<RunningTemporal> {
  const { log } = opts;
  const dir = stateDir(opts.dataDir);
  mkdirSync(dir, { recursive: true });
  mkdirSync(join(opts.dataDir, 'logs'), { recursive: true });
  const address = `127.0.0.1:${opts.port}`;
  const uiUrl = `http://127.0.0.1:${opts.uiPort}`;
  const dbFile = join(dir, 'dev.sqlite');

  const previous = readTemporalState(opts.dataDir);
  if (previous && isProcessAlive(previous.pid)) {
    // Our own server may answer slowly on a loaded machine: give it time before calling it foreign.
    if (previous.port === opts.port && (await temporalAnswers(address, 10_000))) {
      log.info({ pid: previous.pid, address }, 'temporal: reusing the dev server already running on this data directory');
      await ensureSearchAttributes(address, opts.namespace, log);
      return { address, uiUrl: `http://127.0.0.1:${previous.uiPort}`, reused: true, source: 'running', pid: previous.pid, stop: async () => {} };
    }
    throw new Error(
      `a Temporal dev server (pid ${previous.pid}) already uses ${dbFile} on port ${previous.port}, not ${opts.port}: ` +
        `stop it with \`wx down\` or set WX_TEMPORAL_PORT=${previous.port}`,
    );
  }
  if (await temporalAnswers(address, 1000)) {
    throw new Error(`port ${opts.port} already answers as a Temporal server that does not use ${dbFile}: set WX_TEMPORAL_PORT or TEMPORAL_ADDRESS`);
  }

  const binary = resolveTemporalBinary('cli', { explicit: opts.cli });
  if (!binary.path) return startWithSdkDownload(opts, dbFile);

  const args = [
    'server', 'start-dev',
    '--db-filename', dbFile,
    '--ip', '127.0.0.1',
    '--port', String(opts.port),
    '--ui-port', String(opts.uiPort),
    '--namespace', opts.namespace,
    '--log-level', 'warn',
    '--ui-disable-news-fetch',
    ...SEARCH_ATTRIBUTES.flatMap((a) => ['--search-attribute', `${a.name}=Keyword`]),
  ];
  const logFile = join(opts.dataDir, 'logs', 'temporal.log');
  const out = openSync(logFile, 'a');
  const started = Date.now();
  const child = spawn(binary.path, args, { detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  child.unref();
  if (!child.pid) throw new Error(`could not start ${binary.path}`);
  const state: ServerState = { pid: child.pid, port: opts.port, uiPort: opts.uiPort, dbFile, startedAt: new Date().toISOString() };
  writeFileSync(join(dir, StateFile), JSON.stringify(state, null, 2));

  let exitCode: number | null = null;
  child.on('exit', (code) => (exitCode = code ?? -1));
  try {
    await waitFor(async () => {
      if (exitCode !== null) throw new Error(`temporal exited with ${exitCode}`);
      return temporalAnswers(address, 1000);
    }, opts.readyTimeoutMs ?? 60_000, 'the Temporal dev server to answer');
  } catch (err) {
    await stopProcess(child.pid, log);
    rmSync(join(dir, StateFile), { force: true });
    throw new Error(`${(err as Error).message}; last lines of ${logFile}:\n${readLogTail(logFile)}`);
  }
  log.info({ pid: child.pid, address, uiUrl, ms: Date.now() - started, binary: binary.path, source: binary.source }, 'temporal: dev server started');
  return {
    address,
    uiUrl,
    reused: false,
    source: binary.source,
    pid: child.pid,
    stop: async () => {
      await stopTemporalDevServer(opts.dataDir, log);
    },
  };
}

/** Stops the dev server recorded in dataDir/temporal (SIGTERM, then SIGKILL after a grace period). */
export async function stopTemporalDevServer(dataDir: string, log: Logger): Promise<boolean> {
  const state = readTemporalState(dataDir);
  if (!state) return false;
  const stopped = await stopProcess(state.pid, log);
  rmSync(join(stateDir(dataDir), StateFile), { force: true });
  if (stopped) log.info({ pid: state.pid }, 'temporal: dev server stopped');
  return stopped;
}

/**
 * Last resort when no binary is found: the SDK downloads the CLI (needs the internet). The server then
 * lives as long as this process.
 */
async function startWithSdkDownload(opts: TemporalServerOptions, dbFile: string): Promise<RunningTemporal> {
  opts.log.warn('temporal: no CLI found (TEMPORAL_CLI, PATH, .tools/); falling back to the SDK download');
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      ip: '127.0.0.1',
      port: opts.port,
      ui: true,
      uiPort: opts.uiPort,
      dbFilename: dbFile,
      namespace: opts.namespace,
      searchAttributes: SEARCH_ATTRIBUTES.map((a) => a.key),
    },
  });
  return {
    address: `127.0.0.1:${opts.port}`,
    uiUrl: `http://127.0.0.1:${opts.uiPort}`,
    reused: false,
    source: 'sdk-download',
    stop: () => env.teardown(),
  };
}
