import { join } from 'node:path';
import type { Config } from '../temporal.config';
import { temporalUiUrl } from '../temporal.config';
import type { Logger } from '../lib/logger';
import { maskUrlCredentials } from '../lib/logger';
import { ensureDatabase, migrateDatabase } from '../db/migrate';
import { embeddedPostgresUrl, portAnswers, readPostmasterPid, startEmbeddedPostgres, stopEmbeddedPostgres } from './postgres';
import { isProcessAlive } from './process';
import { ensureSearchAttributes, readTemporalState, startTemporalDevServer, stopTemporalDevServer, temporalAnswers } from './temporal-server';
import { RuntimeInputError } from './errors';

export interface RuntimeStep {
  part: 'postgres' | 'temporal' | 'migrations';
  action: 'started' | 'reused' | 'external' | 'applied';
  ms: number;
  detail: string;
}

export interface Runtime {
  temporalAddress: string;
  namespace: string;
  uiUrl: string;
  databaseUrl: string;
  steps: RuntimeStep[];
  /** Stops what this process started (a reused or external part is left alone). */
  stop(): Promise<void>;
}

export interface StartRuntimeOptions {
  onStep?: (step: RuntimeStep) => void;
  /** Apply migrations after PostgreSQL is up (default true). */
  migrate?: boolean;
}

/**
 * Brings up the parts the product needs: PostgreSQL (embedded under dataDir/pg unless DATABASE_URL is
 * set) and Temporal (the CLI dev server under dataDir/temporal unless TEMPORAL_ADDRESS is set), then
 * applies the migrations. Both embedded servers are reused when already running on the same data.
 */
export async function startRuntime(config: Config, log: Logger, opts: StartRuntimeOptions = {}): Promise<Runtime> {
  const steps: RuntimeStep[] = [];
  const stops: Array<() => Promise<void>> = [];
  const step = (s: RuntimeStep) => {
    steps.push(s);
    opts.onStep?.(s);
  };
  const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
    const t0 = performance.now();
    const value = await fn();
    return [value, Math.round(performance.now() - t0)];
  };

  // Addresses the user gave are checked before anything starts: a wrong one is bad input, and the
  // other part must not be started (and stopped again) for nothing.
  const temporalCheck = config.temporal.address ? await timed(() => temporalAnswers(config.temporal.address!, 5000)) : undefined;
  if (temporalCheck && !temporalCheck[0]) throw new RuntimeInputError(`TEMPORAL_ADDRESS=${config.temporal.address}: no Temporal server answers there`);
  const databaseCheck = config.database.url
    ? await timed(() =>
        ensureDatabase(config.database.url!).catch((err: Error & { code?: string }) => {
          throw new RuntimeInputError(`DATABASE_URL=${maskUrlCredentials(config.database.url!)}: cannot use this PostgreSQL server (${err.message || err.code})`);
        }),
      )
    : undefined;
  await assertPortsFree(config);

  try {
    // Both servers start at once: on two cores the waits overlap well.
    const pgPromise = (async () => {
      if (config.database.url) {
        step({ part: 'postgres', action: 'external', ms: databaseCheck![1], detail: maskUrlCredentials(config.database.url) });
        return config.database.url;
      }
      const [pg, ms] = await timed(() =>
        startEmbeddedPostgres({ dataDir: join(config.dataDir, 'pg'), port: config.database.embeddedPort, log, stopOnExit: false }),
      );
      stops.push(pg.stop);
      step({ part: 'postgres', action: pg.reused ? 'reused' : 'started', ms, detail: `embedded on 127.0.0.1:${config.database.embeddedPort}` });
      return pg.url;
    })();

    const temporalPromise = (async () => {
      if (config.temporal.address) {
        const ms = temporalCheck![1];
        await ensureSearchAttributes(config.temporal.address, config.temporal.namespace, log).catch((err: Error) =>
          log.warn({ err: err.message }, 'could not check the City/Stage search attributes on the cluster; register them by hand (docs/deploy.md)'),
        );
        step({ part: 'temporal', action: 'external', ms, detail: config.temporal.address });
        return { address: config.temporal.address, uiUrl: temporalUiUrl(config) };
      }
      const [t, ms] = await timed(() =>
        startTemporalDevServer({
          dataDir: config.dataDir,
          port: config.temporal.port,
          uiPort: config.temporal.uiPort,
          namespace: config.temporal.namespace,
          cli: config.temporal.cli,
          log,
        }),
      );
      stops.push(t.stop);
      step({ part: 'temporal', action: t.reused ? 'reused' : 'started', ms, detail: `${t.address} (UI ${t.uiUrl}, binary from ${t.source})` });
      return { address: t.address, uiUrl: config.temporal.uiUrl ?? t.uiUrl };
    })();

    const [databaseUrl, temporal] = await Promise.all([pgPromise, temporalPromise]);
    if (opts.migrate !== false) {
      const [, ms] = await timed(() => migrateDatabase(databaseUrl, log));
      step({ part: 'migrations', action: 'applied', ms, detail: 'drizzle/' });
    }
    return {
      temporalAddress: temporal.address,
      namespace: config.temporal.namespace,
      uiUrl: temporal.uiUrl,
      databaseUrl,
      steps,
      stop: async () => {
        for (const stop of stops.reverse()) await stop();
      },
    };
  } catch (err) {
    // Nothing half-started is left behind by a failed start.
    await Promise.allSettled(stops.map((s) => s()));
    throw err;
  }
}

/**
 * The embedded servers' ports must be free unless our own server already runs there (it is then
 * reused): a port held by something else would fail deep inside a server's start, after the other
 * server was started for nothing.
 */
async function assertPortsFree(config: Config): Promise<void> {
  if (!config.database.url) {
    const port = config.database.embeddedPort;
    const running = readPostmasterPid(join(config.dataDir, 'pg'));
    const ours = running?.port === port && isProcessAlive(running.pid);
    if (!ours && (await portAnswers(port))) {
      throw new RuntimeInputError(`WX_PG_PORT=${port}: port ${port} on 127.0.0.1 is in use by another program; choose a free port for the embedded PostgreSQL`);
    }
  }
  if (config.temporal.address) return;
  // Our own dev server from an earlier run (its state file names a live process on these ports) is
  // reused, however slowly it answers on a loaded machine.
  const ours = readTemporalState(config.dataDir);
  if (ours && ours.port === config.temporal.port && ours.uiPort === config.temporal.uiPort && isProcessAlive(ours.pid)) return;
  // A Temporal server there (another's: startTemporalDevServer says which) is no stranger.
  if (await temporalAnswers(`127.0.0.1:${config.temporal.port}`, 1000)) return;
  for (const [port, env] of [
    [config.temporal.port, 'WX_TEMPORAL_PORT'],
    [config.temporal.uiPort, 'WX_TEMPORAL_UI_PORT'],
  ] as const) {
    if (await portAnswers(port)) {
      throw new RuntimeInputError(`${env}=${port}: port ${port} on 127.0.0.1 is in use by another program; choose a free port for the embedded Temporal server`);
    }
  }
}

/** Where a standalone worker or CLI command finds the parts, without starting anything. */
export function runtimeEndpoints(config: Config): { temporalAddress: string; databaseUrl: string; uiUrl: string } {
  return {
    temporalAddress: config.temporal.address ?? `127.0.0.1:${config.temporal.port}`,
    databaseUrl: config.database.url ?? embeddedPostgresUrl(config.database.embeddedPort),
    uiUrl: temporalUiUrl(config),
  };
}

/** `wx down`: stops the embedded servers recorded under the data directory. */
export async function stopRuntime(config: Config, log: Logger): Promise<{ temporal: boolean; postgres: boolean }> {
  const temporal = config.temporal.address ? false : await stopTemporalDevServer(config.dataDir, log);
  const postgres = config.database.url ? false : await stopEmbeddedPostgres(join(config.dataDir, 'pg'), log);
  return { temporal, postgres };
}
