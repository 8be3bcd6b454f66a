/**
 * `wx backfill --no-workers` follows a backfill whose ingest worker runs as its own process
 * (`workers/ingest.ts`, as deployed beside the CLI). The worker is SIGKILLed mid-backfill and started
 * again a while later: the CLI keeps following through the time no worker answers its progress query
 * and ends with exit 0 once the backfill is done. Real processes, the embedded servers, the sandbox
 * served by the CLI.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { spawnIngestWorker, type IngestWorkerProcess } from '../support/ingest-worker';
import { disposeWxWorld, newWxWorld, spawnWx, type WxWorld } from '../support/wx-process';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function spawnWorker(world: WxWorld): IngestWorkerProcess {
  return spawnIngestWorker({ ...world.env, TEMPORAL_ADDRESS: world.temporalAddress, DATABASE_URL: '' });
}

describe('wx backfill while its worker process is killed and restarted', { timeout: 400_000 }, () => {
  let world: WxWorld | undefined;
  const workers: ChildProcess[] = [];
  afterAll(async () => {
    for (const w of workers) w.kill('SIGKILL');
    if (world) await disposeWxWorld(world);
  });

  it('keeps following and exits 0 when the backfill is done', async () => {
    world = await newWxWorld();
    const run = spawnWx(world, ['backfill', '--no-workers', '--cities', 'chicago,miami', '--from', '2025-01-01', '--to', '2025-01-31']);
    await run.waitForOutput(/waiting for workers elsewhere/, 180_000);
    const first = spawnWorker(world);
    workers.push(first.child);
    await first.ready;
    // Killed once the backfill shows progress (the CLI prints a line per source as rows arrive).
    await run.waitForOutput(/rows [1-9][\d,]*/, 180_000);
    first.child.kill('SIGKILL');
    await first.exited;
    // Longer than a query waits for a worker (30 s): at least one progress query fails meanwhile.
    await sleep(35_000);
    expect(run.child.exitCode, run.stdout() + run.stderr()).toBeNull();
    const second = spawnWorker(world);
    workers.push(second.child);
    await second.ready;

    const code = await Promise.race([run.exited, sleep(300_000).then(() => 'still running after 300 s')]);
    expect(code, `stdout:\n${run.stdout()}\nstderr:\n${run.stderr()}`).toBe(0);
    expect(run.stdout()).toMatch(/backfill done: [\d,]+ rows/);
    expect(run.stderr()).not.toContain('Failed to query Workflow');
  });
});
