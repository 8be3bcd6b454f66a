import { join } from 'node:path';
import type { Config } from '../temporal.config';
import { temporalUiUrl } from '../temporal.config';
import type { Logger } from '../lib/logger';
import { maskUrlCredentials } from '../lib/logger';
import { ensureDatabase, migrateDatabase } from '../db/migrate';
import { embeddedPostgresUrl, startEmbeddedPostgres, stopEmbeddedPostgres } from './postgres';
import { ensureSearchAttributes, startTemporalDevServer, stopTemporalDevServer, temporalAnswers } from './temporal-server';

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

  try {
    // Both servers start at once: on two cores the waits overlap well.
    const pgPromise = (async () => {
      if (config.database.url) {
        const [, ms] = await timed(() => ensureDatabase(config.database.url!));
        step({ part: 'postgres', action: 'external', ms, detail: maskUrlCredentials(config.database.url) });
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
        const [ok, ms] = await timed(() => temporalAnswers(config.temporal.address!, 5000));
        if (!ok) throw new Error(`TEMPORAL_ADDRESS=${config.temporal.address}: no Temporal server answers there`);
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
