/**
 * workers/bundle-cache.ts: the cached workflow bundle is reused while every module it was built from is
 * unchanged, and rebuilt when one changes. The bundle is the real one of this project's workflows.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleWorkflowCode } from '@temporalio/worker';
import { cachedWorkflowBundle } from '../../workers/bundle-cache';

describe('cachedWorkflowBundle', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wx-bundle-cache-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reuses the bundle of the real workflows from disk, and rebuilds when a module it holds changes', async () => {
    const workflowsPath = join(process.cwd(), 'workflows', 'index.ts');
    let builds = 0;
    const build = () => {
      builds += 1;
      return bundleWorkflowCode({ workflowsPath, logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } });
    };
    const cacheDir = join(dir, 'cache');
    const first = await cachedWorkflowBundle({ workflowsPath, root: process.cwd(), cacheDir }, build);
    const second = await cachedWorkflowBundle({ workflowsPath, root: process.cwd(), cacheDir }, build);
    expect(builds).toBe(1);
    expect(second.code).toBe(first.code);
    expect(first.code).toContain('./workflows/backfill.ts');

    // A copy of the project root whose one module differs: the cache does not match, it rebuilds.
    const fakeRoot = join(dir, 'root');
    const build2 = async () => {
      builds += 1;
      return { code: 'var m = {\n/***/ "./mod.ts"\n/*!***!*/\n(function () {}) };', sourceMap: '' };
    };
    writeFileSync(join(dir, 'mod.ts'), 'export const a = 1;\n');
    const opts = { workflowsPath: join(fakeRoot, 'index.ts'), root: dir, cacheDir };
    await cachedWorkflowBundle(opts, build2);
    await cachedWorkflowBundle(opts, build2);
    expect(builds).toBe(2);
    writeFileSync(join(dir, 'mod.ts'), 'export const a = 2;\n');
    await cachedWorkflowBundle(opts, build2);
    expect(builds).toBe(3);
  }, 120_000);
});
