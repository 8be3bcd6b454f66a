/** Process liveness as `wx down` and the embedded-server reuse checks see it. */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isProcessAlive, waitFor } from '../../runtime/process';

describe('isProcessAlive', () => {
  it('counts a running process, not an exited one, and not a zombie', async () => {
    // `sleep 0.2` is started by a shell that then becomes `sleep 10` and never reaps it: a zombie, as a
    // killed server is in a container without an init process.
    const parent = spawn('sh', ['-c', 'sleep 0.2 & echo $!; exec sleep 10']);
    const zombie = await new Promise<number>((resolve) => parent.stdout.once('data', (d) => resolve(Number(String(d).trim()))));
    try {
      expect(isProcessAlive(parent.pid!)).toBe(true);
      await waitFor(() => readFileSync(`/proc/${zombie}/stat`, 'utf8').includes(') Z '), 5000, 'the child to become a zombie', 50);
      // kill(pid, 0) still succeeds on a zombie; the liveness check must not.
      expect(() => process.kill(zombie, 0)).not.toThrow();
      expect(isProcessAlive(zombie)).toBe(false);
    } finally {
      parent.kill('SIGKILL');
    }
    await new Promise((r) => parent.once('exit', r));
    expect(isProcessAlive(parent.pid!)).toBe(false);
  });
});
