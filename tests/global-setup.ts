/**
 * Runs once before the tests:
 * - installs what the browser tests need (Debian's chromium, via scripts/install-chromium.sh) so that
 *   `npm test` works on a fresh machine;
 * - starts the one embedded PostgreSQL the test files create their databases on (unless WX_TEST_PG_URL
 *   or DATABASE_URL names a server), in a temp directory on a free port, and provides its URL to the
 *   test files (tests/support/postgres.ts); it is stopped and removed after the run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { createLogger, maskUrlCredentials } from '../lib/logger';
import { startEmbeddedPostgres } from '../runtime/postgres';
import { PROJECT_ROOT, resolveTemporalBinary } from '../runtime/temporal-cli';
import { freePort } from './support/ports';
import { externalTestPgUrl, type TestPostgres } from './support/postgres';

function ensureChromium(): void {
  const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  if (!existsSync(chromium)) {
    const res = spawnSync('bash', [join(PROJECT_ROOT, 'scripts', 'install-chromium.sh')], { stdio: 'inherit' });
    if (res.status !== 0) {
      // The browser tests then skip with a message; everything else still runs.
      console.warn(`[global-setup] could not install chromium (exit ${res.status}); browser tests will be skipped`);
    }
  }
}

/** The test server: the caller's, or a throw-away embedded one (with its teardown). */
async function testPostgres(): Promise<{ server: TestPostgres; stop: () => Promise<void> }> {
  const external = externalTestPgUrl();
  if (external) {
    console.info(`[global-setup] tests use the PostgreSQL server at ${maskUrlCredentials(external)} (WX_TEST_PG_URL / DATABASE_URL)`);
    return { server: { url: external, kind: 'external' }, stop: async () => undefined };
  }
  // Under the system temp directory: as root the server runs as the `postgres` OS user, who must reach it.
  const root = mkdtempSync(join(tmpdir(), 'wx-test-pg-'));
  const running = await startEmbeddedPostgres({
    dataDir: join(root, 'pg'),
    port: await freePort(),
    log: createLogger('test-postgres', { level: 'error' }),
    // Throw-away cluster: durability off (tests that kill servers start their own).
    settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: 300 },
  });
  console.info(`[global-setup] tests use an embedded PostgreSQL at ${maskUrlCredentials(running.url)} (data in ${root})`);
  return {
    server: { url: running.url, kind: 'embedded' },
    stop: async () => {
      await running.stop({ force: true });
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  ensureChromium();
  if (!resolveTemporalBinary('cli').path) {
    throw new Error('no Temporal CLI: run `npm install` (its install step puts one under .tools/) or set TEMPORAL_CLI');
  }
  const { server, stop } = await testPostgres();
  project.provide('wxTestPostgres', server);
  return stop;
}
