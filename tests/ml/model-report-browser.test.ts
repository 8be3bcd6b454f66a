/**
 * The model report from a real training run: a generated city's dataset (built and cached by the
 * product's code), trainCityModel against real PostgreSQL writing report.json beside metrics.json,
 * `wx ml report` finding the active version in ml.model_version and writing the HTML, then headless
 * Chromium opening it from file://: no console errors, no requests, every plot an inline non-empty
 * SVG, and the score table holding metrics.json's figures. Screenshot: data/test-artifacts/model-report.png.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from '../../db/client';
import { createLogger } from '../../lib/logger';
import type { TrainCityResult } from '../../activities/ml/train';
import { modelReportPath, runModelReport, type ModelReportResult } from '../../cli/commands/ml-report';
import { formatScore, SCORE_COLUMNS } from '../../reports/model-report';
import { ModelMetricsSchema, ModelReportDataSchema, type ModelReportDataParsed } from '../../schemas/model-report';
import type { Config } from '../../temporal.config';
import { collectConsoleErrors, hasChromium, launchBrowser, screenshot } from '../support/browser';
import { freshDatabase } from '../support/postgres';
import { FIXTURE_TEST_FROM, FIXTURE_TO, trainFixtureModel } from './model-report-fixture';

const log = createLogger('test', { level: 'warn' });

describe('model report (real training, wx ml report, Chromium)', { timeout: 120_000 }, () => {
  let dataDir: string;
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let db: DbHandle;
  let trained: TrainCityResult;
  let config: Config;
  let report: ModelReportDataParsed;
  let written: ModelReportResult;
  let html: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wx-model-report-'));
    database = await freshDatabase();
    db = createDb(database.url, { log });
    ({ result: trained, config } = await trainFixtureModel(dataDir, db, log, database.url));
    report = ModelReportDataSchema.parse(JSON.parse(readFileSync(join(trained.artifactDir, 'report.json'), 'utf8')));
    written = await runModelReport(config, { city: 'chicago', kind: 'bracket', json: false }, log);
    html = readFileSync(written.path, 'utf8');
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('a city without daily forecasts: no forecast-only baseline, the reason in metrics.json, and the report says so', async () => {
    const other = mkdtempSync(join(tmpdir(), 'wx-model-report-nofc-'));
    const otherDb = await freshDatabase();
    const handle = createDb(otherDb.url, { log });
    try {
      const { result, config: c } = await trainFixtureModel(other, handle, log, otherDb.url, { withoutForecasts: true });
      expect(result.forecastNormal).toBeNull();
      expect(result.forecastNormalNote).toMatch(/^no daily forecast with a settled high in the training days \(0 rows\)$/);
      const metrics = JSON.parse(readFileSync(join(result.artifactDir, 'metrics.json'), 'utf8')) as TrainCityResult;
      expect(metrics.forecastNormalNote).toBe(result.forecastNormalNote);
      expect(trained.forecastNormal).not.toBeNull();
      expect(trained.forecastNormalNote).toBeUndefined();
      const page = readFileSync((await runModelReport(c, { city: 'chicago', kind: 'bracket', json: false }, log)).path, 'utf8');
      expect(page).toContain('no daily forecast in the training days');
    } finally {
      await handle.close();
      await otherDb.drop();
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('the trainer writes report.json for the test days, scored as metrics.json scores them', () => {
    const metrics = ModelMetricsSchema.parse(JSON.parse(readFileSync(join(trained.artifactDir, 'metrics.json'), 'utf8')));
    expect([report.city, report.kind, report.version]).toEqual(['chicago', 'bracket', trained.version]);
    expect(report.test).toEqual({ from: FIXTURE_TEST_FROM, to: FIXTURE_TO, days: trained.testDays, rows: trained.testRows });
    // The same rows and the same metric functions: the same numbers as metrics.json, per source.
    for (const s of ['model', 'market', 'forecastNormal', 'climatology'] as const) {
      expect(metrics[s], s).not.toBeNull();
      expect(report.sources[s]!.scores, s).toEqual(metrics[s]);
      const bins = report.sources[s]!.calibration;
      // Every (row, bracket) pair lands in one bin.
      expect(bins.reduce((n, b) => n + b.count, 0), s).toBe(trained.testRows * 6);
    }
    // Mid-March to the end of April: two months, whose rows add up to the test rows.
    expect(report.byMonth.map((m) => m.month)).toEqual(['2024-03', '2024-04']);
    expect(report.byMonth.map((m) => m.days)).toEqual([16, 30]);
    expect(report.byMonth.reduce((n, m) => n + m.rows, 0)).toBe(trained.testRows);
    // Month means weighted by rows give back the overall log loss.
    const weighted = report.byMonth.reduce((s, m) => s + m.logLoss.model * m.rows, 0) / trained.testRows;
    expect(weighted).toBeCloseTo(trained.model.logLoss, 10);
    // The market's longshots are over-priced in this world: the model leans on its market inputs.
    expect(report.importance.used).toBeGreaterThan(0);
    expect(report.importance.top[0]!.gainShare).toBeGreaterThan(0);
    const shares = report.importance.top.map((f) => f.gainShare);
    expect(shares).toEqual([...shares].sort((a, b) => b - a));
    expect(report.importance.top.every((f) => f.split > 0)).toBe(true);
  });

  it('writes data/reports/models/{city}-{version}.html, self-contained', () => {
    expect(written).toEqual({ city: 'chicago', kind: 'bracket', version: trained.version, path: modelReportPath(config, 'chicago', trained.version) });
    expect(written.path).toBe(join(dataDir, 'reports', 'models', `chicago-${trained.version}.html`));
    // 4 reliability diagrams, the months and the importance plots.
    expect((html.match(/<svg/g) ?? []).length).toBe(6);
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(http|src="http|href="http/);
  });

  describe.skipIf(!hasChromium())('in Chromium', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchBrowser();
    });
    afterAll(async () => {
      await browser?.close();
    });

    it('opens from file:// with every plot drawn and the scores of metrics.json, without console errors or requests', async () => {
      const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
      const errors = collectConsoleErrors(page);
      const requests: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith('file:')) requests.push(r.url());
      });
      await page.goto(pathToFileURL(written.path).href, { waitUntil: 'load' });
      expect(await page.title()).toBe(`wx ml report — chicago ${trained.version}`);

      const plots = await page.locator('figure.plot').evaluateAll((figs) =>
        figs.map((f) => {
          const svg = f.querySelector('svg');
          const box = svg?.getBoundingClientRect();
          return { id: f.getAttribute('data-plot'), width: box?.width ?? 0, height: box?.height ?? 0, marks: svg ? svg.querySelectorAll('path, rect, line, circle, text').length : 0 };
        }),
      );
      expect(plots.map((p) => p.id)).toEqual(['reliability-model', 'reliability-market', 'reliability-forecastNormal', 'reliability-climatology', 'months', 'importance']);
      for (const p of plots) {
        expect(p.width, p.id!).toBeGreaterThan(150);
        expect(p.height, p.id!).toBeGreaterThan(80);
        expect(p.marks, p.id!).toBeGreaterThan(15);
      }
      // One point per non-empty calibration bin on the model's reliability curve.
      const nonEmpty = report.sources.model.calibration.filter((b) => b.count > 0).length;
      expect(await page.locator('[data-plot="reliability-model"] svg g.mark-symbol.role-mark.bins_marks path').count()).toBe(nonEmpty);
      // One bar per (month, source) and one per listed feature.
      expect(await page.locator('[data-plot="months"] svg g.mark-rect.role-mark path').count()).toBe(report.byMonth.length * 4);
      expect(await page.locator('[data-plot="importance"] svg g.mark-rect.role-mark path').count()).toBe(report.importance.top.length);

      // The score table: every source's row holds metrics.json's four scores, as formatted.
      const table = await page.locator('table.scores tbody tr').evaluateAll((rows) =>
        rows.map((r) => ({ source: r.getAttribute('data-source'), cells: Object.fromEntries([...r.querySelectorAll('[data-score]')].map((c) => [c.getAttribute('data-score'), c.textContent])) })),
      );
      expect(table.map((r) => r.source)).toEqual(['model', 'market', 'forecastNormal', 'climatology']);
      for (const row of table) {
        const scores = trained[row.source as 'model' | 'market' | 'forecastNormal' | 'climatology']!;
        expect(row.cells, row.source!).toEqual(Object.fromEntries(SCORE_COLUMNS.map((c) => [c.key, formatScore(c.key, scores[c.key])])));
      }
      // The lowest log loss of the four is the one marked best.
      const lowest = (['model', 'market', 'forecastNormal', 'climatology'] as const).reduce((a, b) => (trained[b]!.logLoss < trained[a]!.logLoss ? b : a));
      expect(await page.locator('table.scores td.best [data-score="logLoss"]').evaluateAll((cs) => cs.map((c) => c.closest('tr')!.getAttribute('data-source')))).toEqual([lowest]);
      expect(await page.locator('[data-summary="model"]').textContent()).toBe(trained.model.logLoss.toFixed(4));
      expect(await page.locator('[data-summary="market"]').textContent()).toBe(trained.market.logLoss.toFixed(4));
      expect(await page.locator('table.months tbody tr').count()).toBe(2);
      expect(await page.locator('table.importance tbody tr').count()).toBe(report.importance.top.length);

      const path = await screenshot(page, 'model-report');
      expect(existsSync(path)).toBe(true);
      expect(readFileSync(path).length).toBeGreaterThan(20_000);
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
      await page.close();
    });
  });
});
