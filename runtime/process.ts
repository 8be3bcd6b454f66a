import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../lib/logger';

/**
 * A live process. A zombie (exited, not yet reaped by its parent) does not count: in a container
 * without an init, a killed server stays a zombie for good, and waiting for it to "exit" would hang.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone else, so it may still be alive.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2) !== 'Z';
  } catch {
    return !existsSync('/proc/self/stat'); // no /proc: trust kill(pid, 0)
  }
}

/** Polls `check` until it returns true; throws naming what was awaited after `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string, intervalMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** SIGTERM, then SIGKILL after `graceMs`. Returns whether a live process was stopped. */
export async function stopProcess(pid: number, log: Logger, graceMs = 10_000): Promise<boolean> {
  if (!isProcessAlive(pid)) return false;
  const signal = (sig: NodeJS.Signals) => {
    try {
      // The servers are started detached as group leaders: signal the whole group.
      process.kill(-pid, sig);
    } catch {
      process.kill(pid, sig);
    }
  };
  signal('SIGTERM');
  try {
    await waitFor(() => !isProcessAlive(pid), graceMs, `pid ${pid} to exit`, 100);
  } catch {
    log.warn({ pid }, 'process did not exit after SIGTERM; sending SIGKILL');
    signal('SIGKILL');
    await waitFor(() => !isProcessAlive(pid), 5000, `pid ${pid} to die`, 100);
  }
  return true;
}

export function readLogTail(file: string, lines = 20): string {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}
