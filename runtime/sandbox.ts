/**
 * The local sandbox as part of the embedded runtime: for `generated` and `recorded` worlds it serves
 * every external API on 127.0.0.1:<sandboxPort>; for the `real` world nothing is started.
 *
 * By default the sandbox runs in a worker thread of its own: it renders every payload the workers
 * parse, and on the main thread it took about a sixth of the one thread a backfill had
 * (docs/performance.md). `inProcess: true` keeps it on the caller's thread (tests that inspect it).
 */
import { Worker } from 'node:worker_threads';
import { DateTime } from 'luxon';
import type { Config } from '../temporal.config';
import type { Logger } from '../lib/logger';
import type { FaultConfig } from '../sandbox/faults';
import { RuntimeInputError } from './errors';

export interface SandboxRange {
  from: string;
  to: string;
}

/** A sandbox serving on `url` until closed. */
export interface ServedSandbox {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The world settings the sandbox needs (plain data, so that they cross into the thread). */
export type WorldSettings = Pick<Config['world'], 'seed' | 'dir' | 'inefficiency'> & { kind: 'generated' | 'recorded'; cities: Config['cities'] };

export interface SandboxThreadData {
  entry: string;
  world: WorldSettings;
  range: SandboxRange;
  port: number;
  faults?: FaultConfig;
}

/**
 * Starts the sandbox for the configured world over the given dates (a little wider, so that markets
 * listed the day before the first date and forecasts issued days ahead exist too).
 */
export async function startConfiguredSandbox(
  config: Config,
  range: SandboxRange,
  log: Logger,
  opts: { port?: number; faults?: FaultConfig; inProcess?: boolean } = {},
): Promise<ServedSandbox | undefined> {
  if (config.world.kind === 'real' || config.apis.mode === 'real') return undefined;
  const world: WorldSettings = { kind: config.world.kind, seed: config.world.seed, dir: config.world.dir, inefficiency: config.world.inefficiency, cities: config.cities };
  const port = opts.port ?? config.apis.sandboxPort;
  const sandbox = opts.inProcess
    ? await serveConfiguredWorld(world, range, { port, ...(opts.faults ? { faults: opts.faults } : {}) })
    : await startInThread({ entry: new URL('./sandbox-thread.ts', import.meta.url).href, world, range, port, ...(opts.faults ? { faults: opts.faults } : {}) });
  log.info({ port: sandbox.port, world: world.kind, thread: !opts.inProcess }, 'sandbox: listening');
  return sandbox;
}

/** Loads the world and listens (on the calling thread). */
export async function serveConfiguredWorld(world: WorldSettings, range: SandboxRange, opts: { port: number; faults?: FaultConfig }): Promise<ServedSandbox> {
  const [{ startSandbox }, { loadWorld }, { ALL_ROUTES }] = await Promise.all([
    import('../sandbox/server'),
    import('../sandbox/worlds/index'),
    import('../sandbox/routes/index'),
  ]);
  const from = DateTime.fromISO(range.from, { zone: 'utc' }).minus({ days: 10 }).toISODate()!;
  const to = DateTime.fromISO(range.to, { zone: 'utc' }).plus({ days: 2 }).toISODate()!;
  const loaded = await loadWorld({ kind: world.kind, seed: world.seed, dir: world.dir, inefficiency: world.inefficiency, cities: world.cities, dates: { from, to } });
  try {
    const running = await startSandbox({ port: opts.port, world: loaded, routes: ALL_ROUTES, faults: opts.faults });
    // The world's work ahead of the requests for the dates asked (answers are the same without it).
    const preparing = new AbortController();
    loaded.prepare?.(range, preparing.signal).catch((err: unknown) => {
      process.emitWarning(`sandbox: preparing the world ahead of requests failed (requests compute it themselves): ${err instanceof Error ? err.message : String(err)}`);
    });
    return {
      url: running.url,
      port: running.port,
      close: () => {
        preparing.abort();
        return running.close();
      },
    };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new RuntimeInputError(`WX_SANDBOX_PORT=${opts.port}: the sandbox's port on 127.0.0.1 is in use (another wx start or wx sandbox?); choose a free port`);
    }
    throw err;
  }
}

interface ThreadMessage {
  ready?: { url: string; port: number };
  closed?: boolean;
  error?: { name: string; message: string; code?: string };
}

/** An error from the thread with the name, message and code the caller would have seen on its own thread. */
function rebuild(e: NonNullable<ThreadMessage['error']>): Error {
  const err = new Error(e.message);
  err.name = e.name;
  if (e.code) (err as NodeJS.ErrnoException).code = e.code;
  return err;
}

async function startInThread(data: SandboxThreadData): Promise<ServedSandbox> {
  const thread = new Worker(new URL('./sandbox-thread-boot.mjs', import.meta.url), { workerData: data });
  const exited = new Promise<number>((resolve) => thread.once('exit', resolve));
  const ready = await new Promise<{ url: string; port: number }>((resolve, reject) => {
    thread.once('error', reject);
    void exited.then((code) => reject(new Error(`the sandbox thread exited (code ${code}) before it listened`)));
    thread.on('message', (m: ThreadMessage) => {
      if (m.ready) resolve(m.ready);
      else if (m.error && !m.closed) reject(rebuild(m.error));
    });
  }).catch(async (err: unknown) => {
    await thread.terminate();
    throw err;
  });
  return {
    ...ready,
    close: async () => {
      const closed = new Promise<ThreadMessage>((resolve) => thread.on('message', (m: ThreadMessage) => m.closed && resolve(m)));
      thread.postMessage('close');
      const m = await Promise.race([closed, exited.then((): ThreadMessage => ({ closed: true }))]);
      await thread.terminate();
      if (m.error) throw rebuild(m.error);
    },
  };
}
