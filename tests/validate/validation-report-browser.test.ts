/**
 * The HTML report in headless Chromium, opened from its file: no console errors, every plot an inline,
 * non-empty SVG, no network; a screenshot lands in data/test-artifacts/validation-report.png.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderValidationHtml } from '../../reports/validation-report';
import { ValidationReportSchema, validationReportJsonSchema } from '../../schemas/validation';
import { collectConsoleErrors, hasChromium, launchBrowser, screenshot } from '../support/browser';
import { sampleReport } from './sample-report';

describe('validation report HTML', () => {
  const report = sampleReport();
  let html: string;
  let dir: string;
  let file: string;

  beforeAll(async () => {
    html = await renderValidationHtml(report);
    dir = mkdtempSync(join(tmpdir(), 'wx-validation-html-'));
    file = join(dir, 'sample.html');
    writeFileSync(file, html);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the sample report is schema-valid and crosses the thresholds it should', () => {
    expect(ValidationReportSchema.parse(report)).toEqual(report);
    expect(report.crossed).toEqual(['min_coverage_pct', 'max_candle_gap_minutes', 'max_settlement_disagreements', 'max_dst_deviations']);
    const schema = validationReportJsonSchema() as { type: string; properties: Record<string, unknown> };
    expect(schema.type).toBe('object');
    expect(Object.keys(schema.properties)).toContain('skill');
  });

  it('is self-contained: inline SVG plots, no scripts, no external resources', () => {
    expect((html.match(/<svg/g) ?? []).length).toBe(6); // 2 heatmaps, bias, MAE, gap histogram, flags
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

    it('opens from file://, shows every plot and table, without console errors or requests', async () => {
      const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
      const errors = collectConsoleErrors(page);
      const requests: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith('file:')) requests.push(r.url());
      });
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });

      expect(await page.title()).toBe('wx validate — sample');
      expect(await page.locator('h1 .verdict').textContent()).toBe('FAILED (4 thresholds crossed)');

      const plots = await page.locator('figure.plot').evaluateAll((figs) =>
        figs.map((f) => {
          const svg = f.querySelector('svg');
          const box = svg?.getBoundingClientRect();
          return {
            id: f.getAttribute('data-plot'),
            width: box?.width ?? 0,
            height: box?.height ?? 0,
            marks: svg ? svg.querySelectorAll('path, rect, line, circle, text').length : 0,
          };
        }),
      );
      expect(plots.map((p) => p.id)).toEqual(['coverage-chicago', 'coverage-denver', 'skill-bias', 'skill-mae', 'candle-gaps', 'flags']);
      for (const p of plots) {
        expect(p.width, p.id!).toBeGreaterThan(150);
        expect(p.height, p.id!).toBeGreaterThan(80);
        expect(p.marks, p.id!).toBeGreaterThan(20);
      }
      // The heatmap draws one cell per (source, date): 12 sources x 28 days.
      const cells = await page.locator('[data-plot="coverage-chicago"] svg g.mark-rect.role-mark path').count();
      expect(cells).toBe(report.coverage.filter((c) => c.city === 'chicago').length);
      expect(cells).toBe(12 * 28);

      const thresholdRows = await page.locator('table.thresholds tbody tr').evaluateAll((rows) => rows.map((r) => [r.querySelector('code')?.textContent, r.className]));
      expect(thresholdRows).toEqual([
        ['min_coverage_pct', 'crossed'],
        ['max_staleness_hours', ''],
        ['max_candle_gap_minutes', 'crossed'],
        ['max_settlement_disagreements', 'crossed'],
        ['max_dst_deviations', 'crossed'],
        ['max_flagged_pct', ''],
      ]);
      expect(await page.locator('table.disagreements tbody tr').count()).toBe(1);
      expect(await page.locator('table.flags tbody tr').count()).toBe(7);

      const path = await screenshot(page, 'validation-report');
      expect(existsSync(path)).toBe(true);
      expect(readFileSync(path).length).toBeGreaterThan(20_000);
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
      await page.close();
    });
  });
});
