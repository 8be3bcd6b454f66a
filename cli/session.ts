/**
 * What every CLI command that runs workflows needs: the runtime up (or reused), the sandbox serving
 * the configured world, a Temporal client, and workers for every task queue in this process when asked.
 * Everything opened here is closed when the command ends; the embedded servers stay up unless `down`.
 */
import { resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from '../temporal.config';
import { TASK_QUEUE_ROLES } from '../temporal.config';
import type { Logger } from '../lib/logger';
import { startRuntime, stopRuntime, type Runtime, type RuntimeStep } from '../runtime';
import { startConfiguredSandbox } from '../runtime/sandbox';
import { createDb } from '../db/client';
import { createWorkers, installTemporalRuntimeLogger, runWorkers } from '../workers/host';
import { credentialsFromEnv } from '../activities/index';

export type Out = (line: string) => void;

export interface Session {
  client: Client;
  runtime: Runtime;
  /** Runs workers for every task queue in this process until `until` settles. */
  startWorkers(until: Promise<unknown>): Promise<void>;
}

export interface SessionOptions {
  /** Dates the sandbox's world must cover; the sandbox is not started without them. */
  sandboxRange?: { from: string; to: string };
  /** Run workers here (default true); false when workers run elsewhere. */
  workers?: boolean;
  /** Stop the embedded servers at the end. */
  down?: boolean;
}

function describeStep(s: RuntimeStep): string {
  const verb = { started: 'started', reused: 'reused (already running)', external: 'using', applied: 'applied' }[s.action];
  return `${s.part.padEnd(10)} ${verb} ${s.detail} in ${(s.ms / 1000).toFixed(1)}s`;
}

export async function withSession<T>(config: Config, log: Logger, out: Out, opts: SessionOptions, fn: (s: Session) => Promise<T>): Promise<T> {
  // The sandbox first: a world directory that holds nothing usable, or a port in use, fails before
  // any server starts or anything is written.
  const sandbox = opts.sandboxRange ? await startConfiguredSandbox(config, opts.sandboxRange, log) : undefined;
  if (opts.sandboxRange) {
    out(
      sandbox
        ? `  sandbox    serving the ${config.world.kind} world (${config.world.kind === 'generated' ? `seed ${config.world.seed}, inefficiency ${config.world.inefficiency}` : `files read from ${resolve(config.world.dir ?? '.')}`}) on ${sandbox.url}`
        : '  apis       the real services (keys from the environment)',
    );
  }
  out(`wx: starting the runtime (data in ${config.dataDir})`);
  let runtime: Runtime;
  let connection: Connection;
  try {
    runtime = await startRuntime(config, log, { onStep: (s) => out(`  ${describeStep(s)}`) });
    connection = await Connection.connect({ address: runtime.temporalAddress });
  } catch (err) {
    await sandbox?.close();
    throw err;
  }
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const db = opts.workers === false ? undefined : createDb(runtime.databaseUrl, { log });
  let nativeConnection: NativeConnection | undefined;
  let workersDone: Promise<void> | undefined;
  try {
    return await fn({
      client,
      runtime,
      startWorkers: async (until) => {
        if (!db) {
          out('wx: --no-workers: waiting for workers elsewhere');
          return;
        }
        installTemporalRuntimeLogger(log);
        nativeConnection = await NativeConnection.connect({ address: runtime.temporalAddress });
        const workers = await createWorkers({
          config,
          roles: TASK_QUEUE_ROLES,
          connection: nativeConnection,
          deps: { db: db.db, pool: db.pool, log, config, credentials: credentialsFromEnv(process.env) },
          identity: `wx-cli@${process.pid}`,
        });
        workersDone = runWorkers(workers, until);
      },
    });
  } finally {
    await workersDone;
    await sandbox?.close();
    await nativeConnection?.close();
    await connection.close();
    await db?.close();
    if (opts.down) {
      // Whoever started them (this run or an earlier one), the embedded servers go down.
      await stopRuntime(config, log);
      out('wx: stopped the embedded servers (--down)');
    } else {
      out('wx: Temporal and PostgreSQL keep running for the Web UI; `wx down` stops them');
    }
  }
}
