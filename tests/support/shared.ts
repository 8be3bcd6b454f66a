/**
 * The shared reference data (../shared beside the repository, as CI lays it out; or WX_SHARED_DIR):
 * fixtures under reference/fixtures, recordings under data/real. The one place tests look for it, so a
 * fresh clone at any path finds it the same way, and a machine without it skips those tests with a
 * reason instead of failing on a missing file.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PROJECT_ROOT } from '../../runtime/temporal-cli';

export const SHARED_DIR = resolve(process.env.WX_SHARED_DIR ?? join(PROJECT_ROOT, '..', 'shared'));

export interface SharedPath {
  path: string;
  present: boolean;
  /** Why tests that need it skip (printed once when absent). */
  reason: string;
}

const warned = new Set<string>();

/** A folder (or file) of the shared data, and whether it is there; warns once per path when it is not. */
export function sharedPath(...parts: string[]): SharedPath {
  const path = join(SHARED_DIR, ...parts);
  const present = existsSync(path);
  const reason = `no shared data at ${path} (clone ../shared beside the repository or set WX_SHARED_DIR)`;
  if (!present && !warned.has(path)) {
    warned.add(path);
    console.warn(`[tests] skipping tests that need it: ${reason}`);
  }
  return { path, present, reason };
}

/** shared/reference/fixtures: recorded API payloads. */
export const sharedFixtures = (): SharedPath => sharedPath('reference', 'fixtures');
/** shared/data/real: the real recordings (see its PROVENANCE.md). */
export const sharedReal = (): SharedPath => sharedPath('data', 'real');
