/**
 * `wx backfill --world recorded --world-dir DIR` says exactly which directory it reads (resolved to an
 * absolute path, whatever form it was given in) and backfills from it. Real processes, the embedded
 * servers, the sandbox serving ../shared/data/real.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { relative } from 'node:path';
import { PROJECT_ROOT } from '../../runtime/temporal-cli';
import { disposeWxWorld, newWxWorld, runWx, type WxWorld } from '../support/wx-process';
import { sharedReal } from '../support/shared';

const real = sharedReal();

describe.skipIf(!real.present)('wx backfill on a recorded world', { timeout: 400_000 }, () => {
  let world: WxWorld | undefined;
  afterAll(async () => {
    if (world) await disposeWxWorld(world);
  });

  it('names the directory it reads, as an absolute path, and backfills from it', async () => {
    world = await newWxWorld();
    // Given relative to the working directory (the project root), as a user types it.
    const given = relative(PROJECT_ROOT, real.path);
    const res = await runWx(world, ['backfill', '--world', 'recorded', '--world-dir', given, '--cities', 'chicago', '--from', '2025-05-02', '--to', '2025-05-02', '--sources', 'kalshi']);
    expect(res.code, `stdout:\n${res.stdout}\nstderr:\n${res.stderr}`).toBe(0);
    expect(res.stdout).toContain(`serving the recorded world (files read from ${real.path})`);
    expect(res.stdout).toMatch(/backfill done: [1-9][\d,]* rows/);
  });
});
