/**
 * Headless Chromium for browser tests, driven by playwright-core against the system Chromium
 * (scripts/install-chromium.sh installs it; playwright's own browser downloads are not used).
 *
 *   const browser = await launchBrowser();
 *   const page = await browser.newPage();
 *   const errors = collectConsoleErrors(page);
 *   await page.goto(url);
 *   expect(errors).toEqual([]);
 *   await screenshot(page, 'my-page');   // data/test-artifacts/my-page.png
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type LaunchOptions, type Page } from 'playwright-core';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where screenshots and other test outputs go (git-ignored through data/). */
export const ARTIFACTS_DIR = join(ROOT, 'data', 'test-artifacts');

export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

/** The Chromium executable: env CHROMIUM_PATH, else /usr/bin/chromium. */
export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH || DEFAULT_CHROMIUM_PATH;
}

/** True when the Chromium executable is present (tests can `describe.skipIf(!hasChromium())`). */
export function hasChromium(): boolean {
  return existsSync(chromiumPath());
}

/**
 * Launches headless Chromium. Flags suit a container running as root: no sandbox (it refuses to start
 * as root otherwise) and no /dev/shm (often 64 MB in containers, which crashes renderers).
 */
export async function launchBrowser(options: LaunchOptions = {}): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!existsSync(executablePath)) {
    throw new Error(
      `Chromium not found at ${executablePath}: run scripts/install-chromium.sh or set CHROMIUM_PATH`,
    );
  }
  return chromium.launch({
    executablePath,
    headless: true,
    ...options,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', ...(options.args ?? [])],
  });
}

/**
 * Starts collecting the page's console errors and uncaught exceptions. Returns a live array: inspect it
 * after the page has done its work.
 */
export function collectConsoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      const loc = msg.location();
      errors.push(`console.error: ${msg.text()}${loc.url ? ` (${loc.url}:${loc.lineNumber})` : ''}`);
    }
  });
  page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`));
  return errors;
}

/** Full-page PNG screenshot at data/test-artifacts/<name>.png; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const safe = name.replace(/[^\w.-]+/g, '_');
  const path = join(ARTIFACTS_DIR, safe.endsWith('.png') ? safe : `${safe}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
