import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Runtime, Worker, bundleWorkflowCode, DefaultLogger, type WorkflowBundleWithSourceMap, type LogLevel } from '@temporalio/worker';
import type { Config, TaskQueueRole } from '../temporal.config';
import type { Logger } from '../lib/logger';
import { activitiesFor, type ActivityDeps } from '../activities';
import { cachedWorkflowBundle } from './bundle-cache';

const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

let runtimeInstalled = false;
/** Routes the SDK's own logs into our JSON logger (once per process, before any connection). */
export function installTemporalRuntimeLogger(log: Logger): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const levels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
    TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error',
  };
  Runtime.install({
    logger: new DefaultLogger('WARN', (entry) => {
      // A queue without activities yet (ml, backtest, trading) is expected, not worth a warning.
      const level = /^No activities registered/.test(entry.message) ? 'debug' : levels[entry.level];
      log[level]({ ...entry.meta, sdk: true }, entry.message);
    }),
    // The native core's own warnings (e.g. a slow workflow task) go through the same logger: printed
    // to the console they land in the middle of a command's stdout (`--json` stops being JSON).
    telemetryOptions: { logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} } },
  });
}

let bundlePromise: Promise<WorkflowBundleWithSourceMap> | undefined;
/**
 * One webpack bundle of the workflows per process, shared by the workers of every queue; with a
 * `cacheDir`, reused from disk while none of its source files changed (workers/bundle-cache.ts).
 */
export function workflowBundle(cacheDir?: string): Promise<WorkflowBundleWithSourceMap> {
  const build = () => bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } });
  bundlePromise ??= cacheDir ? cachedWorkflowBundle({ workflowsPath: WORKFLOWS_PATH, root: process.cwd(), cacheDir }, build) : build();
  return bundlePromise;
}

export interface CreateWorkersOptions {
  config: Config;
  roles: readonly TaskQueueRole[];
  connection: NativeConnection;
  deps: ActivityDeps;
  /** Test hook: replaces the activities of a role (e.g. to inject a failure). */
  activityOverrides?: Partial<Record<TaskQueueRole, object>>;
  identity?: string;
}

/** One worker per task queue role; all share the connection and the workflow bundle. */
export async function createWorkers(opts: CreateWorkersOptions): Promise<Worker[]> {
  const bundle = await workflowBundle(join(opts.config.dataDir, 'cache'));
  return Promise.all(
    opts.roles.map((role) =>
      Worker.create({
        connection: opts.connection,
        namespace: opts.config.temporal.namespace,
        taskQueue: opts.config.temporal.taskQueues[role],
        workflowBundle: bundle,
        activities: opts.activityOverrides?.[role] ?? activitiesFor(role, opts.deps),
        ...(opts.identity ? { identity: `${opts.identity}/${role}` } : {}),
        // In-flight activities get time to finish (or checkpoint) on SIGTERM before being cancelled.
        shutdownGraceTime: '10s',
        shutdownForceTime: '30s',
      }),
    ),
  );
}

/** Runs the workers until they are shut down (SIGINT/SIGTERM, or `until` settling). */
export async function runWorkers(workers: Worker[], until?: Promise<unknown>): Promise<void> {
  if (until) {
    await Promise.all(workers.map((w) => w.runUntil(until.catch(() => undefined))));
  } else {
    await Promise.all(workers.map((w) => w.run()));
  }
}
