/**
 * The ingest worker as its own process (`node --import tsx workers/ingest.ts`, as deployed), for tests
 * that SIGKILL and restart it. `ready` resolves once it polls; it rejects, with the worker's last
 * output, if the process exits first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { PROJECT_ROOT } from '../../runtime/temporal-cli';

export interface IngestWorkerProcess {
  child: ChildProcess;
  /** Everything the worker printed so far (stdout and stderr). */
  output: () => string;
  ready: Promise<void>;
  exited: Promise<void>;
}

/** `entry`: another queue's process entry (e.g. workers/ml.ts), started and watched the same way. */
export function spawnIngestWorker(env: Record<string, string>, entry = 'workers/ingest.ts'): IngestWorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('workers running')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code, signal) => reject(new Error(`worker exited (${code ?? signal}) before it was ready:\n${out.slice(-3000)}`)));
  });
  // Callers await `ready`; this only keeps a late exit from being an unhandled rejection.
  ready.catch(() => undefined);
  return { child, output: () => out, ready, exited: new Promise((resolve) => child.on('exit', () => resolve())) };
}
