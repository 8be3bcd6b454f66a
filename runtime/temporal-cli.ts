import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

export type BinarySource = 'TEMPORAL_CLI' | 'PATH' | '.tools' | 'sdk-download';
export interface ResolvedBinary {
  path?: string;
  source: BinarySource;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false; // not there or not executable: the caller tries the next place
  }
}

function onPath(name: string, pathEnv: string | undefined): string | undefined {
  for (const dir of (pathEnv ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Finds a Temporal binary in the order the project promises: an explicit path (TEMPORAL_CLI for the
 * CLI), then PATH, then the copy the install step put under .tools/, and only last the SDK's own
 * download (which needs the internet).
 */
export function resolveTemporalBinary(
  kind: 'cli' | 'test-server',
  opts: { explicit?: string; env?: NodeJS.ProcessEnv; root?: string } = {},
): ResolvedBinary {
  const env = opts.env ?? process.env;
  const root = opts.root ?? PROJECT_ROOT;
  const name = kind === 'cli' ? 'temporal' : 'temporal-test-server';
  const explicit = opts.explicit ?? (kind === 'cli' ? env.TEMPORAL_CLI : env.TEMPORAL_TEST_SERVER);
  if (explicit) {
    if (!isExecutable(explicit)) {
      throw new Error(`${kind === 'cli' ? 'TEMPORAL_CLI' : 'TEMPORAL_TEST_SERVER'}="${explicit}": no executable file there`);
    }
    return { path: explicit, source: 'TEMPORAL_CLI' };
  }
  const fromPath = onPath(name, env.PATH);
  if (fromPath) return { path: fromPath, source: 'PATH' };
  const local = join(root, '.tools', kind === 'cli' ? 'temporal-cli' : 'temporal-test-server', 'bin', name);
  if (existsSync(local) && isExecutable(local)) return { path: local, source: '.tools' };
  return { source: 'sdk-download' };
}
