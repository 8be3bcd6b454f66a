/**
 * The Temporal Web UI of the embedded dev server, in a real browser (Debian's chromium driven by
 * playwright-core): the pipeline runs are listed, and filtering by the City search attribute keeps
 * only that city's runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { collectConsoleErrors, hasChromium, launchBrowser, screenshot } from '../support/browser';
import { disposeWxWorld, newWxWorld, runWx, type WxWorld } from '../support/wx-process';

const range = ['--from', '2025-03-01', '--to', '2025-03-01'];

describe.skipIf(!hasChromium())('Temporal Web UI (headless chromium)', { timeout: 120_000 }, () => {
  let world: WxWorld;
  let browser: Browser;

  beforeAll(async () => {
    world = await newWxWorld();
    for (const city of ['chicago', 'miami']) {
      const res = await runWx(world, ['start', '--cities', city, ...range]);
      if (res.code !== 0) throw new Error(`wx start --cities ${city} failed:\n${res.stdout}\n${res.stderr}`);
    }
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    if (world) await disposeWxWorld(world);
  });

  const rowLink = (page: Page, workflowId: string) => page.getByRole('link', { name: workflowId, exact: true });

  it('lists the pipeline runs and filters them by City', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors = collectConsoleErrors(page);
    await page.goto(`${world.uiUrl}/namespaces/default/workflows`);

    const chicago = 'pipeline/chicago/2025-03-01..2025-03-01';
    const miami = 'pipeline/miami/2025-03-01..2025-03-01';
    await rowLink(page, chicago).waitFor({ timeout: 30_000 });
    await expect(rowLink(page, miami).isVisible()).resolves.toBe(true);
    await expect(rowLink(page, 'registry/miami/2025-03-01..2025-03-01').isVisible()).resolves.toBe(true);
    await screenshot(page, 'web-ui-workflows');

    // Filter as a user does: the list's query editor, a City clause, Enter.
    await page.getByTestId('toggle-manual-query').click();
    const editor = page.locator('#manual-search, [data-testid="manual-search-input"], textarea, input[placeholder*="query" i]').first();
    await editor.waitFor({ timeout: 10_000 });
    await editor.fill('City = "chicago"');
    await editor.press('Enter');

    await page.waitForURL(/query=/, { timeout: 15_000 });
    await rowLink(page, 'registry/chicago/2025-03-01..2025-03-01').waitFor({ timeout: 15_000 });
    await expect(rowLink(page, chicago).isVisible()).resolves.toBe(true);
    await rowLink(page, miami).waitFor({ state: 'detached', timeout: 15_000 });
    await expect(rowLink(page, 'registry/miami/2025-03-01..2025-03-01').count()).resolves.toBe(0);
    await screenshot(page, 'web-ui-filtered-by-city');

    // The run's page opens from the filtered list.
    await rowLink(page, chicago).click();
    await page.getByText('pipelineWorkflow').first().waitFor({ timeout: 15_000 });
    await screenshot(page, 'web-ui-pipeline-run');
    expect(errors).toEqual([]);
  });
});
