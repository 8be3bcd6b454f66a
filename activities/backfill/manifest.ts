/**
 * The ingest manifest (wx.ingest_manifest): which (city, source, month) slices a backfill completed,
 * over which days, from which world. A re-run of a finished range skips the slices recorded here for
 * the same world (one indexed read each) instead of fetching and upserting them again; `--refresh`
 * bypasses it.
 *
 * What counts as the same world:
 *   - generated: the kind, seed and inefficiency (the world is a pure function of them);
 *   - recorded: a fingerprint of the directory's files (relative path, size and content hash);
 *   - real: 'real'.
 * A slice is recorded only when its data can no longer change at the source (sliceIsFinal): never a
 * month that includes today or the last SETTLE_DAYS days, never a Kalshi slice with a market that has
 * no result yet.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type pg from 'pg';
import type { Config } from '../../temporal.config';
import { addDays, type BackfillSource } from '../../schemas/backfill';

/**
 * Days after a slice's last date before its data is final at the source: the ASOS archive, Kalshi's
 * settlement (a day after close) and the forecast archives settle within a day or two; settlements wait
 * for GHCN-Daily, which arrives days late and can still be revised by quality control (docs/decisions.md).
 */
export const SETTLE_DAYS: Record<BackfillSource, number> = { kalshi: 2, observations: 2, settlements: 7, forecasts: 2 };

/** Whether a slice ending on `to` holds only final data on `today` (both 'YYYY-MM-DD', UTC). */
export function sliceIsFinal(source: BackfillSource, to: string, today: string): boolean {
  return addDays(to, SETTLE_DAYS[source]) < today;
}

export interface ManifestSlice {
  city: string;
  source: BackfillSource;
  from: string;
  to: string;
}

const monthOf = (date: string) => `${date.slice(0, 7)}-01`;

/** The manifest entry covering the whole slice from this world, if any. */
export async function completedSlice(pool: pg.Pool, slice: ManifestSlice, worldKey: string): Promise<{ rows: number; completedAt: Date } | undefined> {
  const res = await pool.query<{ rows: string; completed_at: Date }>(
    `SELECT rows, completed_at FROM wx.ingest_manifest
      WHERE city_id = $1 AND source = $2 AND month = $3 AND world_key = $4 AND from_date <= $5 AND to_date >= $6`,
    [slice.city, slice.source, monthOf(slice.from), worldKey, slice.from, slice.to],
  );
  const row = res.rows[0];
  return row ? { rows: Number(row.rows), completedAt: row.completed_at } : undefined;
}

/**
 * Records a completed slice. An entry of the same world whose days touch or overlap the slice's grows
 * to their union (a second run of the next week of the month extends it); an entry of another world,
 * or of days apart, is replaced (only the newest contiguous span is known to be complete).
 */
export async function recordCompletedSlice(pool: pg.Pool, slice: ManifestSlice, worldKey: string, rows: number): Promise<void> {
  const joins = `m.world_key = EXCLUDED.world_key AND m.from_date <= EXCLUDED.to_date + 1 AND m.to_date >= EXCLUDED.from_date - 1`;
  await pool.query(
    `INSERT INTO wx.ingest_manifest AS m (city_id, source, month, from_date, to_date, world_key, rows, completed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, now())
     ON CONFLICT (city_id, source, month) DO UPDATE SET
       from_date = CASE WHEN ${joins} THEN LEAST(m.from_date, EXCLUDED.from_date) ELSE EXCLUDED.from_date END,
       to_date = CASE WHEN ${joins} THEN GREATEST(m.to_date, EXCLUDED.to_date) ELSE EXCLUDED.to_date END,
       rows = EXCLUDED.rows,
       world_key = EXCLUDED.world_key,
       completed_at = now()`,
    [slice.city, slice.source, monthOf(slice.from), slice.from, slice.to, worldKey, rows],
  );
}

/** What serves the data under this configuration (see the module comment). */
export async function worldKey(config: Config): Promise<string> {
  if (config.apis.mode === 'real' || config.world.kind === 'real') return 'real';
  if (config.world.kind === 'generated') return `generated:seed=${config.world.seed}:inefficiency=${config.world.inefficiency}`;
  return `recorded:${await directoryFingerprint(config.world.dir!)}`;
}

const fingerprints = new Map<string, { stats: string; hash: string }>();

/**
 * sha256 over every file's relative path, size and content hash, in path order. The contents are read
 * again only when some file's size or modification time changed since the last call (per process).
 */
export async function directoryFingerprint(dir: string): Promise<string> {
  const files = (await listFiles(dir)).sort();
  const stats = await Promise.all(files.map(async (f) => ({ f, s: await stat(f) })));
  const statKey = stats.map(({ f, s }) => `${relative(dir, f)}\u0000${s.size}\u0000${s.mtimeMs}`).join('\n');
  const cached = fingerprints.get(dir);
  if (cached?.stats === statKey) return cached.hash;
  const whole = createHash('sha256');
  for (const { f, s } of stats) {
    const content = createHash('sha256').update(await readFile(f)).digest('hex');
    whole.update(`${relative(dir, f)}\u0000${s.size}\u0000${content}\n`);
  }
  const hash = whole.digest('hex').slice(0, 32);
  fingerprints.set(dir, { stats: statKey, hash });
  return hash;
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}
