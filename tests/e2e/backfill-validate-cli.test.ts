/**
 * `wx backfill` and `wx validate` as a user runs them on the embedded defaults (real processes, the
 * embedded servers, the sandbox's generated world, workers in the CLI process).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { disposeWxWorld, newWxWorld, runWx, type WxWorld } from '../support/wx-process';
import { embeddedPostgresUrl } from '../../runtime/postgres';
import { checksums } from '../backfill/helpers';

const range = ['--cities', 'chicago', '--from', '2025-01-01', '--to', '2025-01-01'];

describe('wx backfill and wx validate', { timeout: 400_000 }, () => {
  let world: WxWorld | undefined;
  afterAll(async () => {
    if (world) await disposeWxWorld(world);
  });

  it('backfills with progress per source, changes nothing on a re-run, validates with a report, and fails on a crossed threshold', async () => {
    world = await newWxWorld();

    const first = await runWx(world, ['backfill', ...range, '--json']);
    expect(first.code, first.stderr).toBe(0);
    const progress = JSON.parse(first.stdout) as { status: string; totals: Record<string, { status: string; rows: number; chunksDone: number; chunksTotal: number }> };
    expect(progress.status).toBe('done');
    expect(Object.keys(progress.totals).sort()).toEqual(['forecasts', 'kalshi', 'observations', 'settlements']);
    for (const t of Object.values(progress.totals)) {
      expect(t.status).toBe('done');
      expect(t.chunksDone).toBe(t.chunksTotal);
      expect(t.rows).toBeGreaterThan(0);
    }
    // Progress lines name each source with chunks, rows and a rate (stderr under --json).
    expect(first.stderr).toMatch(/observations\s+done\s+chunks 1\/1\s+rows 1,440\s+[\d,]+ rows\/s/);

    // The same range again changes no row: every table's checksum, write times included, is the same.
    const url = embeddedPostgresUrl(Number(world.env.WX_PG_PORT));
    const before = await checksums(url, { withWriteTimes: true });
    expect(before['wx.observation']!.rows).toBe(1440);
    const again = await runWx(world, ['backfill', ...range, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as typeof progress).status).toBe('done');
    expect(await checksums(url, { withWriteTimes: true })).toEqual(before);

    const ok = await runWx(world, ['validate', ...range, '--as-of', '2025-01-02T18:00:00Z', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    const report = JSON.parse(ok.stdout) as { ok: boolean; htmlPath: string; jsonPath: string; crossed: unknown[] };
    expect(report.ok).toBe(true);
    expect(report.crossed).toEqual([]);
    expect(existsSync(report.htmlPath)).toBe(true);
    expect(JSON.parse(readFileSync(report.jsonPath, 'utf8')).cities).toEqual(['chicago']);
    expect(readFileSync(report.htmlPath, 'utf8')).toContain('<svg');

    // A threshold nobody can meet: exit 1, the crossed threshold named, the report still written.
    const strict = await runWx(world, ['validate', ...range, '--as-of', '2025-01-09T00:00:00Z', '--thresholds', '{"maxStalenessHours":1}']);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toContain('validation FAILED');
    expect(strict.stdout).toMatch(/crossed: max_staleness_hours [\d.]+ > max 1 /);
    expect(strict.stdout).toMatch(/report: .*\.html/);
  });

  it('names bad arguments, exit 2', async () => {
    const w = await newWxWorld();
    try {
    for (const [args, message] of [
      [['backfill', '--sources', 'kalshi,radar'], /--sources: unknown source "radar"/],
      [['validate', '--as-of', 'yesterday'], /--as-of: "yesterday" is not an ISO instant/],
      [['validate', '--thresholds', '{oops'], /--thresholds: "\{oops" is not JSON/],
      [['backfill', '--world', 'recorded'], /--world recorded needs --world-dir DIR/],
    ] as const) {
      const res = await runWx(w, [...args]);
      expect({ args, code: res.code }).toEqual({ args, code: 2 });
      expect(res.stderr).toMatch(message);
    }
    } finally {
      rmSync(w.dataDir, { recursive: true, force: true });
    }
  });
});
