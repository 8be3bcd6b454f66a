/**
 * Builds the configured world: `generated` (seeded, calibrated, no files needed) or `recorded`
 * (a directory laid out like ../shared/data/real).
 */
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

export function loadWorld(opts: LoadWorldOptions): World {
  if (opts.kind === 'recorded') {
    if (!opts.dir) throw new Error('a recorded world needs a directory (WX_WORLD_DIR / --world-dir)');
    return loadRecordedWorld(opts.dir, {
      cities: opts.cities,
      ...(opts.dates ? { dates: opts.dates } : {}),
      ...(opts.now ? { now: opts.now } : {}),
    });
  }
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

export { createGeneratedWorld, GeneratedWorld, type GeneratedWorldOptions, type Inefficiency } from './generated';
export { loadRecordedWorld, RecordedWorld, type RecordedWorldOptions } from './recorded';
