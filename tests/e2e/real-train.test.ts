/**
 * Issue 9 on real data, as a user runs it: `wx backfill --world recorded` (the sandbox serving
 * ../shared/data/real) for Chicago, whose range is checked against the files (a day of 2023, before
 * Open-Meteo's archive, which the recorded world does not serve, is not refused; a day before the files
 * is), then `wx ml train --quote-times` with the test days from 2025-03-01. Real processes, the
 * embedded PostgreSQL and Temporal, workers in the CLI. The range is short (seven months) so that
 * the file stays within a few minutes; the full split is bench/ml-real-train.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { DateTime } from 'luxon';
import pg from 'pg';
import { disposeWxWorld, newWxWorld, runWx, type WxWorld } from '../support/wx-process';
import { embeddedPostgresUrl } from '../../runtime/postgres';
import { sharedReal } from '../support/shared';
import { recordedEventSpan } from '../../sandbox/worlds/recorded/span';
import type { TrainCityResult, Scores } from '../../activities/ml/train';
import type { ModelReportData } from '../../domain/ml/model-report-data';

const real = sharedReal();
const FROM = '2024-10-01';
const TO = '2025-04-30';
const TEST_FROM = '2025-03-01';

/**
 * The document `--json` printed, from its first line (`{` or `[` alone): the session's lines come
 * before it, and on a loaded machine Temporal core writes its own warnings (a workflow task over 5 s)
 * to stdout too.
 */
function jsonOutput<T>(stdout: string): T {
  const lines = stdout.split('\n');
  const start = lines.findIndex((l) => l === '{' || l === '[');
  expect(start, `no JSON document on stdout:\n${stdout}`).toBeGreaterThanOrEqual(0);
  return JSON.parse(lines.slice(start).join('\n')) as T;
}

const expectFiniteScores = (s: Scores, what: string) => {
  for (const [k, v] of Object.entries(s)) expect(Number.isFinite(v), `${what}.${k} = ${v}`).toBe(true);
  expect(s.logLoss, `${what}.logLoss`).toBeGreaterThan(0);
};

describe.skipIf(!real.present)('wx ml train on the recorded world (real data)', { timeout: 400_000 }, () => {
  let world: WxWorld | undefined;
  afterAll(async () => {
    if (world) await disposeWxWorld(world);
  });

  it('backfills Chicago, trains, and scores the model next to the market, forecast-normal and climatology on the same test rows', async () => {
    world = await newWxWorld();
    // The range is checked against the files (their first Chicago event), not the real services' archives:
    // before them it is refused with one line and nothing started ...
    const span = recordedEventSpan(real.path, ['chicago'])!;
    const early = DateTime.fromISO(span.from, { zone: 'utc' }).minus({ days: 2 }).toISODate()!;
    const refused = await runWx(world, ['backfill', '--world', 'recorded', '--world-dir', real.path, '--cities', 'chicago', '--from', early, '--to', span.from]);
    expect(refused.code, `stdout:\n${refused.stdout}\nstderr:\n${refused.stderr}`).toBe(2);
    expect(refused.stderr.trim()).toBe(`wx: --from: ${early} is before ${span.from}: the recorded world in ${real.path} (chicago) holds Kalshi events from ${span.from} to ${span.to}`);
    expect(existsSync(join(world.dataDir, 'pg', 'PG_VERSION')), 'a PostgreSQL cluster was created').toBe(false);
    // ... and a day before Open-Meteo's archive (2024-01-01), which a recorded world does not serve, is backfilled.
    const before2024 = await runWx(world, ['backfill', '--world', 'recorded', '--world-dir', real.path, '--cities', 'chicago', '--from', '2023-06-01', '--to', '2023-06-01', '--json']);
    expect(before2024.code, `stdout:\n${before2024.stdout}\nstderr:\n${before2024.stderr}`).toBe(0);
    expect(jsonOutput<{ totals: Record<string, { rows: number }> }>(before2024.stdout).totals.kalshi!.rows).toBeGreaterThan(0);

    const backfill = await runWx(world, ['backfill', '--world', 'recorded', '--world-dir', real.path, '--cities', 'chicago', '--from', FROM, '--to', TO, '--json']);
    expect(backfill.code, `stdout:\n${backfill.stdout}\nstderr:\n${backfill.stderr}`).toBe(0);
    const progress = jsonOutput<{ status: string; totals: Record<string, { status: string; rows: number }> }>(backfill.stdout);
    expect(progress.status).toBe('done');
    // The recorded world serves Kalshi and settlements from its files (no minute observations, no Open-Meteo).
    expect(progress.totals.kalshi!.rows).toBeGreaterThan(0);
    expect(progress.totals.settlements!.rows).toBeGreaterThan(0);

    const train = await runWx(world, ['ml', 'train', '--cities', 'chicago', '--from', FROM, '--to', TO, '--test-from', TEST_FROM, '--quote-times', '--trials', '2', '--json']);
    expect(train.code, `stdout:\n${train.stdout}\nstderr:\n${train.stderr}`).toBe(0);
    const results = jsonOutput<TrainCityResult[]>(train.stdout);
    expect(results.map((r) => r.city)).toEqual(['chicago']);
    const r = results[0]!;
    expect(r.kind).toBe('bracket');

    // Every score finite, on test rows that exist and lie on or after --test-from; training days before.
    expectFiniteScores(r.model, 'model');
    expectFiniteScores(r.market, 'market');
    expectFiniteScores(r.climatology, 'climatology');
    // The recorded world serves MOS for Chicago (O'Hare as a proxy, PROVENANCE.md §2): a forecast-only
    // baseline exists. (Null would mean no forecast with a settled high in the training days.)
    expect(r.forecastNormal, 'forecastNormal: Chicago has MOS forecasts in the recorded world').not.toBeNull();
    expectFiniteScores(r.forecastNormal!, 'forecastNormal');
    expect(r.testRows).toBeGreaterThan(0);
    expect(r.testDays).toBeGreaterThan(0);
    expect(r.testRows).toBeGreaterThanOrEqual(r.testDays);
    expect(r.trainDays).toBeGreaterThan(0);
    expect(r.testFrom >= TEST_FROM, `first test day ${r.testFrom}`).toBe(true);
    for (const k of ['estimate', 'lo', 'hi'] as const) expect(Number.isFinite(r.logLossDiff[k])).toBe(true);
    expect(r.logLossDiff.lo).toBeLessThanOrEqual(r.logLossDiff.hi);

    // report.json is built from the test rows themselves: its days lie in the test period, and each
    // source's log loss over its months, weighted by rows, is the figure printed for it; so all four
    // were scored on the very same rows.
    const report = JSON.parse(readFileSync(join(r.artifactDir, 'report.json'), 'utf8')) as ModelReportData;
    expect(report.test.rows).toBe(r.testRows);
    expect(report.test.days).toBe(r.testDays);
    expect(report.test.from).toBe(r.testFrom);
    expect(report.test.from >= TEST_FROM && report.test.to <= TO, `test days ${report.test.from}..${report.test.to}`).toBe(true);
    for (const m of report.byMonth) expect(m.month >= TEST_FROM.slice(0, 7), m.month).toBe(true);
    expect(report.byMonth.reduce((n, m) => n + m.rows, 0)).toBe(r.testRows);
    const pooled = (s: 'model' | 'market' | 'forecastNormal' | 'climatology') => report.byMonth.reduce((acc, m) => acc + m.rows * m.logLoss[s]!, 0) / r.testRows;
    expect(pooled('model')).toBeCloseTo(r.model.logLoss, 9);
    expect(pooled('market')).toBeCloseTo(r.market.logLoss, 9);
    expect(pooled('forecastNormal')).toBeCloseTo(r.forecastNormal!.logLoss, 9);
    expect(pooled('climatology')).toBeCloseTo(r.climatology.logLoss, 9);
    const params = JSON.parse(readFileSync(join(r.artifactDir, 'params.json'), 'utf8')) as { testFrom: string; maxQuoteAgeMinutes: number | null };
    expect(params.testFrom).toBe(r.testFrom);
    // --quote-times without --max-quote-age: rows with a quote at most an hour old.
    expect(params.maxQuoteAgeMinutes).toBe(60);

    // Real-data facts (../shared/reference/market-baselines.md): the market (Chicago 1.382 over
    // 2022-12..2025-06, 1.309 on this test period) is far sharper than climatology by month (2.513) and
    // than a uniform guess over six brackets (1.792), which is what climatology falls back to here: the
    // backfilled range holds no earlier year of highs. A model that ends up no better than climatology
    // has not learned from the market it is given.
    expect(r.market.logLoss).toBeLessThan(r.climatology.logLoss);
    expect(r.market.logLoss).toBeLessThan(Math.log(6));
    expect(r.model.logLoss).toBeLessThan(r.climatology.logLoss);

    // One active bracket model version in the database, this one, its ONNX file on disk.
    const client = new pg.Client({ connectionString: embeddedPostgresUrl(Number(world.env.WX_PG_PORT)) });
    await client.connect();
    try {
      const { rows } = await client.query<{ version: string; status: string; artifact_path: string | null }>(
        `select version, status, artifact_path from ml.model_version where city_id = 'chicago' and kind = 'bracket'`,
      );
      expect(rows.map((v) => [v.version, v.status])).toEqual([[r.version, 'active']]);
      const onnx = rows[0]!.artifact_path!;
      const onnxPath = isAbsolute(onnx) ? onnx : join(world.dataDir, onnx);
      expect(onnxPath).toBe(join(r.artifactDir, 'model.onnx'));
      expect(existsSync(onnxPath) && statSync(onnxPath).size > 0, onnxPath).toBe(true);
      // Whatever else training registered (e.g. other kinds), never two active versions of one kind.
      const active = await client.query<{ kind: string; n: number }>(`select kind, count(*)::int as n from ml.model_version where city_id = 'chicago' and status = 'active' group by kind`);
      for (const a of active.rows) expect(a.n, `active ${a.kind} versions`).toBe(1);
    } finally {
      await client.end();
    }
  });
});
