/**
 * Builds the configured world: `generated` (seeded, calibrated, no files needed) or `recorded`
 * (a directory laid out like ../shared/data/real).
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CityId } from '../../domain/cities';
import type { DateRange, World } from '../world';
import { createGeneratedWorld, type Inefficiency } from './generated';
import { loadRecordedWorld } from './recorded';

export interface LoadWorldOptions {
  kind: 'generated' | 'recorded';
  seed: number | string;
  /** Required for `recorded`. */
  dir?: string | undefined;
  inefficiency?: Inefficiency;
  cities: readonly CityId[];
  /** Generated: the dates to generate. Recorded: restricts what is loaded (omit for everything in `dir`). */
  dates?: DateRange;
  /** The world's clock (default: after the last date's settlement). */
  now?: Date;
}

/**
 * A recorded world's directory that is missing or holds nothing usable: bad input (the CLI exits 2
 * with this one line). Named, not typed, checks find it across the sandbox thread's boundary.
 */
export class WorldDirError extends Error {
  override name = 'WorldDirError';
}

export function loadWorld(opts: LoadWorldOptions): World {
  if (opts.kind === 'recorded') return loadRecordedDir(opts);
  if (opts.kind !== 'generated') throw new Error(`unknown world kind ${String(opts.kind)}: expected generated or recorded`);
  if (!opts.dates) throw new Error('a generated world needs dates');
  return createGeneratedWorld({
    seed: opts.seed,
    cities: opts.cities,
    dates: opts.dates,
    inefficiency: opts.inefficiency ?? 'none',
    ...(opts.now ? { now: opts.now } : {}),
  });
}

/** The recorded world from `opts.dir`, or a WorldDirError naming the directory (and the file) that is not usable. */
function loadRecordedDir(opts: LoadWorldOptions): World {
  if (!opts.dir) throw new WorldDirError('a recorded world needs a directory (--world-dir / WX_WORLD_DIR)');
  const dir = resolve(opts.dir);
  const named = `--world-dir / WX_WORLD_DIR ${dir}${dir === opts.dir ? '' : ` (given as ${JSON.stringify(opts.dir)})`}`;
  if (!existsSync(dir)) throw new WorldDirError(`${named} does not exist`);
  if (!statSync(dir).isDirectory()) throw new WorldDirError(`${named} is not a directory`);
  let world: World;
  try {
    world = loadRecordedWorld(dir, {
      cities: opts.cities,
      ...(opts.dates ? { dates: opts.dates } : {}),
      ...(opts.now ? { now: opts.now } : {}),
    });
  } catch (err) {
    throw new WorldDirError(`${named}: ${(err as Error).message}`);
  }
  // Without a single market there is nothing to backfill or trade: say so instead of serving emptiness.
  const events = opts.cities.reduce((n, city) => n + world.events({ city, ...(opts.dates ? { dates: opts.dates } : {}) }).length, 0);
  if (events === 0) {
    const range = opts.dates ? ` in ${opts.dates.from}..${opts.dates.to}` : '';
    throw new WorldDirError(`${named} holds no Kalshi events for ${opts.cities.join(', ')}${range} (expected files laid out like shared/data/real)`);
  }
  return world;
}

export { createGeneratedWorld, GeneratedWorld, type GeneratedWorldOptions, type Inefficiency } from './generated';
export { loadRecordedWorld, RecordedWorld, type RecordedWorldOptions } from './recorded';
