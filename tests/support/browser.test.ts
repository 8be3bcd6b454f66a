import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectConsoleErrors, hasChromium, launchBrowser, screenshot } from './browser';

const PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>wx browser check</title>
<style>body { font: 24px sans-serif; margin: 40px; } #temp { color: #b00; font-weight: bold; }</style>
</head>
<body>
  <h1>wx browser check</h1>
  <p>Chicago daily high: <span id="temp">pending</span></p>
  <script>document.getElementById('temp').textContent = (70 + 4) + ' °F';</script>
</body>
</html>`;

describe.skipIf(!hasChromium())('browser support (system Chromium via playwright-core)', () => {
  let server: Server;
  let url: string;
  let browser: Browser;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(PAGE);
      } else {
        res.writeHead(204); // e.g. /favicon.ico: no 404 console error
        res.end();
      }
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((res) => (server ? server.close(() => res()) : res()));
  });

  it('renders a page served over HTTP, without console errors, and screenshots it', async () => {
    const page = await browser.newPage({ viewport: { width: 800, height: 400 } });
    const errors = collectConsoleErrors(page);
    await page.goto(url, { waitUntil: 'load' });

    expect(await page.title()).toBe('wx browser check');
    expect(await page.locator('h1').textContent()).toBe('wx browser check');
    expect(await page.locator('#temp').textContent()).toBe('74 °F'); // set by the page's script

    const path = await screenshot(page, 'browser-support');
    expect(existsSync(path)).toBe(true);
    const png = readFileSync(path);
    expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
    expect(png.length).toBeGreaterThan(1000);

    expect(errors).toEqual([]);
    await page.close();
  });

  it('collectConsoleErrors sees console.error and uncaught exceptions', async () => {
    const page = await browser.newPage();
    const errors = collectConsoleErrors(page);
    await page.setContent('<script>console.error("boom"); setTimeout(() => { throw new Error("kaput"); });</script>');
    await page.waitForTimeout(200);
    expect(errors.some((e) => e.includes('boom'))).toBe(true);
    expect(errors.some((e) => e.includes('kaput'))).toBe(true);
    await page.close();
  });
});
