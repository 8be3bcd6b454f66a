/**
 * validateWorkflow on the real Temporal dev server, its activities against a real PostgreSQL database
 * (a fresh one per file) holding a small hand-made dataset with planted problems (tests/validate/fixture.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { and, count, eq, sql } from 'drizzle-orm';
import { loadConfig, type Config } from '../../temporal.config';
import { createDb } from '../../db/client';
import { createLogger } from '../../lib/logger';
import { activitiesFor } from '../../activities';
import { createValidateActivities } from '../../activities/validate';
import { notFlagged } from '../../activities/validate/flags';
import { wxDataFlag, wxForecastSnapshot, wxObservation } from '../../schemas/db';
import { ValidationReportSchema, type ValidateInput, type ValidateResult, type ValidationReport } from '../../schemas/validation';
import type { validateCityWorkflow, validateWorkflow } from '../../workflows/validate';
import { startDevServer } from '../support/temporal';
import { collectConsoleErrors, hasChromium, launchBrowser, screenshot } from '../support/browser';
import { pathToFileURL } from 'node:url';
import { freshDatabase } from '../support/postgres';
import { AS_OF, FROM, GAP_MARKET, IMPOSSIBLE_AT, OBS_ROWS, SPIKE_AT, TO, ZERO_FORECAST_KEY, insertFixture } from './fixture';

const log = createLogger('test', { level: 'warn' });
const WORKFLOWS = fileURLToPath(new URL('../../workflows/validate.ts', import.meta.url));

const LOOSE = { minCoveragePct: 50, maxCandleGapMinutes: 120, maxSettlementDisagreements: 1, maxFlaggedPct: 20 };

describe('validate workflow (real dev server, real PostgreSQL)', () => {
  let env: TestWorkflowEnvironment;
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let db: ReturnType<typeof createDb>;
  let config: Config;
  let dataDir: string;
  let bundle: WorkflowBundleWithSourceMap;
  const taskQueue = `ingest-${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    [env, database] = await Promise.all([startDevServer(), freshDatabase()]);
    db = createDb(database.url);
    dataDir = mkdtempSync(join(tmpdir(), 'wx-validate-'));
    config = loadConfig({ env: {}, overrides: { dataDir } });
    await insertFixture(db.db);
    bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS, logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } });
  });

  /** A worker runs once (runUntil shuts it down): a fresh one per scenario, on the shared bundle. */
  const newWorker = () =>
    Worker.create({
      connection: env.nativeConnection,
      namespace: config.temporal.namespace,
      taskQueue,
      workflowBundle: bundle,
      activities: createValidateActivities({ db: db.db, pool: db.pool, log, config }),
    });

  afterAll(async () => {
    await db?.close();
    await env?.teardown();
    await database?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** Runs the workflow while the worker polls; resolves with its result or its failure. */
  async function run(input: ValidateInput, workflowId = `validate-${randomBytes(3).toString('hex')}`): Promise<ValidateResult | WorkflowFailedError> {
    const scenario = env.client.workflow.execute<typeof validateWorkflow>('validateWorkflow', { workflowId, taskQueue, args: [input] }).catch((e: unknown) => e as WorkflowFailedError);
    await (await newWorker()).runUntil(scenario);
    return scenario;
  }

  const flagCount = async () => (await db.db.select({ n: count() }).from(wxDataFlag))[0]!.n;
  const readReport = (path: string): ValidationReport => ValidationReportSchema.parse(JSON.parse(readFileSync(path, 'utf8')));

  let failedResult: ValidateResult;

  it('fails with ValidationFailed under the default thresholds, after writing the report', async () => {
    const error = await run({ cities: ['chicago'], from: FROM, to: TO, asOf: AS_OF, reportId: 'planted-defaults' });
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const cause = (error as WorkflowFailedError).cause as ApplicationFailure;
    if (!(cause instanceof ApplicationFailure)) {
      const chain = (e: unknown): string => (e instanceof Error ? `${e.message}${e.cause ? ` / ${chain(e.cause)}` : ''}` : String(e));
      throw new Error(`unexpected failure: ${chain(cause)}`);
    }
    expect(cause.type).toBe('ValidationFailed');
    expect(cause.nonRetryable).toBe(true);
    failedResult = cause.details?.[0] as ValidateResult;
    expect(failedResult.ok).toBe(false);
    expect(failedResult.jsonPath).toBe(join(dataDir, 'reports', 'validation', 'planted-defaults.json'));
    expect(failedResult.htmlPath).toBe(join(dataDir, 'reports', 'validation', 'planted-defaults.html'));
    expect(existsSync(failedResult.jsonPath) && existsSync(failedResult.htmlPath)).toBe(true);
    expect(failedResult.crossed.map((c) => c.name).sort()).toEqual(['max_candle_gap_minutes', 'max_flagged_pct', 'max_settlement_disagreements', 'min_coverage_pct']);
    expect(failedResult.crossed.find((c) => c.name === 'min_coverage_pct')).toMatchObject({ value: 75, limit: 95, detail: 'chicago forecast:open-meteo 75%' });
    expect(failedResult.crossed.find((c) => c.name === 'max_candle_gap_minutes')).toMatchObject({ value: 90, limit: 60 });
    expect(cause.message).toContain('min_coverage_pct');
    expect(failedResult.summary).toMatchObject({ cities: 1, days: 4, checkedRows: OBS_ROWS + 14, flaggedRows: 12, flagsInserted: 13, settlementDisagreements: 1, candleGaps: 1, dstDeviations: 0, thresholdsCrossed: 4 });
  });

  it('flags the planted rows in wx.data_flag', async () => {
    const flags = await db.db.select().from(wxDataFlag);
    const byRule = (rule: string) => flags.filter((f) => f.rule === rule);
    expect(byRule('obs_spike').map((f) => f.rowKey)).toEqual([{ station: 'KMDW', source: 'iem-asos', observed_at: SPIKE_AT }]);
    expect(byRule('obs_impossible').map((f) => f.rowKey)).toEqual([{ station: 'KMDW', source: 'iem-asos', observed_at: IMPOSSIBLE_AT }]);
    const stuck = byRule('obs_stuck').map((f) => (f.rowKey as { observed_at: string }).observed_at).sort();
    expect(stuck).toHaveLength(9);
    expect(stuck[0]).toBe('2025-03-10T08:53:00.000Z');
    expect(stuck[8]).toBe('2025-03-10T16:53:00.000Z');
    expect(byRule('obs_stuck')[0]!.detail).toMatch(/^35\.0 °F unchanged for 8\.0 h \(9 readings/);
    expect(byRule('forecast_zero').map((f) => f.rowKey)).toEqual([ZERO_FORECAST_KEY]);
    expect(byRule('settlement_disagreement').map((f) => [f.tableName, f.rowKey, f.detail])).toEqual([
      ['wx.settlement_consolidated', { city_id: 'chicago', date: '2025-03-09' }, 'asos 58, cli 55, ghcn 55 (spread 3 °F > 1 °F)'],
    ]);
    expect(flags).toHaveLength(13);
    // Nothing was deleted.
    expect((await db.db.select({ n: count() }).from(wxObservation))[0]!.n).toBe(OBS_ROWS);
  });

  it('notFlagged leaves exactly the flagged rows out (raw SQL with an alias, and the query builder)', async () => {
    const raw = await db.db.execute(sql`select count(*)::int as n from wx.observation o where o.station = 'KMDW' and ${notFlagged('wx.observation', 'o')}`);
    expect((raw.rows[0] as { n: number }).n).toBe(OBS_ROWS - 11);
    const [built] = await db.db.select({ n: count() }).from(wxObservation).where(and(eq(wxObservation.station, 'KMDW'), notFlagged('wx.observation')));
    expect(built!.n).toBe(OBS_ROWS - 11);
    const [spikesOnly] = await db.db.select({ n: count() }).from(wxObservation).where(notFlagged('wx.observation', undefined, ['obs_spike']));
    expect(spikesOnly!.n).toBe(OBS_ROWS - 1);
    const [fc] = await db.db.select({ n: count() }).from(wxForecastSnapshot).where(notFlagged('wx.forecast_snapshot'));
    expect(fc!.n).toBe(14 - 1);
  });

  it('writes the JSON report: coverage, freshness, gaps, disagreements, DST, flags, skill by lead', () => {
    const r = readReport(failedResult.jsonPath);
    expect(r).toMatchObject({ id: 'planted-defaults', asOf: AS_OF, from: FROM, to: TO, cities: ['chicago'], ok: false });
    expect(r.crossed.sort()).toEqual(['max_candle_gap_minutes', 'max_flagged_pct', 'max_settlement_disagreements', 'min_coverage_pct']);
    const cell = (source: string, date: string) => r.coverage.find((c) => c.source === source && c.date === date)!;
    expect(cell('forecast:open-meteo', '2025-03-10')).toMatchObject({ count: 0, pct: 0 });
    expect(cell('forecast:open-meteo', '2025-03-09').pct).toBe(100);
    expect(cell('obs:iem-asos', '2025-03-09')).toMatchObject({ count: 24, pct: 100 });
    expect(cell('candle:1m', '2025-03-08').pct).toBe(100);
    expect(r.coverageSummary.map((c) => [c.source, c.pct])).toEqual([
      ['candle:1m', 100],
      ['candle:60m', 100],
      ['forecast:open-meteo', 75],
      ['forecast:visualcrossing', 100],
      ['market:kalshi', 100],
      ['obs:iem-asos', 100],
      ['settlement:asos', 100],
      ['settlement:cli', 100],
      ['settlement:consolidated', 100],
      ['settlement:ghcn', 100],
    ]);
    const fresh = Object.fromEntries(r.freshness.map((f) => [f.source, f.stalenessHours]));
    expect(fresh).toEqual({
      'candle:1m': 6, // last bucket 05:59Z + 1 min
      'candle:60m': 6,
      'forecast:open-meteo': 48, // newest basis 2025-03-09T12:00Z
      'forecast:visualcrossing': 24,
      'market:kalshi': 45, // newest open 2025-03-09T15:00Z
      'obs:iem-asos': 6.1,
      'settlement:asos': 6, // climate day 2025-03-10 ends 2025-03-11T06:00Z
      'settlement:cli': 6,
      'settlement:ghcn': 6,
    });
    expect(r.candleGaps.longest).toEqual([{ city: 'chicago', market: GAP_MARKET, periodMinutes: 1, start: '2025-03-08T01:00:00.000Z', minutes: 90, kind: 'inner' }]);
    expect(r.candleGaps.summary).toEqual([
      { city: 'chicago', periodMinutes: 1, marketsChecked: 4, marketsWithGaps: 1, gaps: 1, missingMinutes: 90, maxGapMinutes: 90 },
      { city: 'chicago', periodMinutes: 60, marketsChecked: 4, marketsWithGaps: 0, gaps: 0, missingMinutes: 0, maxGapMinutes: 0 },
    ]);
    expect(r.candleGaps.histogram.find((b) => b.periodMinutes === 1 && b.label === '1–3 h')!.count).toBe(1);
    expect(r.settlementDisagreements).toEqual([
      { city: 'chicago', date: '2025-03-09', values: { asos: 58, cli: 55, ghcn: 55 }, spread: 3, consolidated: { highF: 55, source: 'cli', disagreement: true } },
    ]);
    // The spring-forward day has 24 hours of data like the others: the climate day is a fixed UTC window.
    expect(r.dst).toEqual([
      expect.objectContaining({ city: 'chicago', source: 'obs:iem-asos', date: '2025-03-09', kind: 'spring', count: 24, hours: 24, medianHours: 24, deviates: false }),
    ]);
    expect(Object.fromEntries(r.flags.byRule.map((f) => [f.rule, [f.found, f.inserted]]))).toEqual({
      obs_spike: [1, 1],
      obs_stuck: [9, 9],
      obs_impossible: [1, 1],
      forecast_zero: [1, 1],
      forecast_impossible: [0, 0],
      forecast_max_below_min: [0, 0],
      settlement_disagreement: [1, 1],
      // Checked on every event; the fixture writes markets without kalshi.event rows, so none is judged.
      ladder_incomplete: [0, 0],
    });
    expect(r.summary).toMatchObject({ laddersChecked: 0, incompleteLadders: 0 });
    expect(r.incompleteLadders).toEqual([]);
    // Hand computation in fixture.ts: the 0 °F forecast and the disagreement day are left out.
    expect(r.skill.filter((s) => s.city === 'chicago').map((s) => [s.source, s.leadDays, s.n, s.bias, s.mae])).toEqual([
      ['open-meteo/gfs', 0, 2, -0.5, 0.5],
      ['open-meteo/gfs', 1, 2, -2, 2],
      ['visualcrossing/default', 0, 3, 0, 2],
      ['visualcrossing/default', 1, 2, 1, 2],
    ]);
    expect(r.skill.filter((s) => s.city === 'all')).toHaveLength(4);
    const html = readFileSync(failedResult.htmlPath, 'utf8');
    expect(html).toContain('FAILED (4 thresholds crossed)');
    expect((html.match(/<svg/g) ?? []).length).toBe(5); // heatmap, bias, MAE, gap histogram, flags
    expect(html).not.toMatch(/<script|<link|src="http/);
  });

  it.skipIf(!hasChromium())('the report written by the workflow opens in Chromium without console errors', async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
      const errors = collectConsoleErrors(page);
      await page.goto(pathToFileURL(failedResult.htmlPath).href, { waitUntil: 'load' });
      const sizes = await page.locator('figure.plot svg').evaluateAll((svgs) => svgs.map((s) => s.getBoundingClientRect().width * s.getBoundingClientRect().height));
      expect(sizes).toHaveLength(5);
      expect(sizes.every((a) => a > 10_000)).toBe(true);
      await screenshot(page, 'validation-report-planted');
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('passes with loose thresholds, and re-running adds no duplicate flags', async () => {
    const before = await flagCount();
    const result = (await run({ cities: ['chicago'], from: FROM, to: TO, asOf: AS_OF, thresholds: LOOSE, reportId: 'planted-loose' })) as ValidateResult;
    expect(result).not.toBeInstanceOf(Error);
    expect(result.ok).toBe(true);
    expect(result.crossed).toEqual([]);
    expect(result.summary.flagsInserted).toBe(0);
    expect(result.summary.flaggedRows).toBe(12);
    expect(await flagCount()).toBe(before);
    const r = readReport(result.jsonPath);
    expect(r.ok).toBe(true);
    expect(r.checks.every((c) => c.ok)).toBe(true);
    expect(r.thresholds).toMatchObject({ ...LOOSE, maxStalenessHours: 72, spikeJumpF: 10 });
    expect(r.flags.byRule.every((f) => f.inserted === 0)).toBe(true);
  });

  it('fails when staleness crosses its limit (asOf far after the data)', async () => {
    const error = (await run({ cities: ['chicago'], from: FROM, to: TO, asOf: '2025-03-20T00:00:00Z', thresholds: LOOSE })) as WorkflowFailedError;
    const details = (error.cause as ApplicationFailure).details?.[0] as ValidateResult;
    expect(details.crossed.map((c) => c.name)).toEqual(['max_staleness_hours']);
    expect(details.crossed[0]!.value).toBe(252); // newest open-meteo basis 2025-03-09T12:00Z
  });

  it('refuses bad input without retrying (InvalidInput)', async () => {
    const error = (await run({ cities: ['gotham' as never], from: TO, to: FROM, asOf: 'yesterday' })) as WorkflowFailedError;
    const cause = error.cause as ApplicationFailure;
    expect(cause.type).toBe('InvalidInput');
    expect(cause.message).toContain('cities.0');
    expect(cause.message).toContain('asOf');
  });

  it('validateCityWorkflow (the pipeline stage) validates one city as of the end of its range', async () => {
    const workflowId = `validate/chicago/${FROM}..${TO}`;
    const scenario = env.client.workflow
      .execute<typeof validateCityWorkflow>('validateCityWorkflow', { workflowId, taskQueue, args: [{ city: 'chicago', from: FROM, to: TO }] })
      .catch((e: unknown) => e as WorkflowFailedError);
    await (await newWorker()).runUntil(scenario);
    const details = ((await scenario) as WorkflowFailedError).cause instanceof ApplicationFailure ? (((await scenario) as WorkflowFailedError).cause as ApplicationFailure).details?.[0] as ValidateResult : undefined;
    expect(details?.reportId).toBe(`validate_chicago_${FROM}..${TO}`);
    const r = readReport(details!.jsonPath);
    expect(r.asOf).toBe('2025-03-11T18:00:00.000Z');
    expect(r.workflowId).toBe(workflowId);
  });

  it('the ingest worker registers the validate activities', () => {
    const acts = activitiesFor('ingest', { db: db.db, pool: db.pool, log, config }) as Record<string, unknown>;
    for (const name of ['validateObservations', 'validateForecasts', 'validateSettlements', 'validateMarkets', 'validateForecastSkill', 'writeValidationReport']) {
      expect(typeof acts[name]).toBe('function');
    }
  });
});
