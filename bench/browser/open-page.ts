// A bundled page in Debian's Chromium on Mesa's llvmpipe, for the browser
// benches and the kit in the browser: esbuild bundles `entry` into a
// temporary folder with an index.html, `alexnet serve`'s server serves it, and
// `body(page, browser)` runs once the page sets document.body.dataset.ready.
// Everything is closed and removed afterwards.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { startServer } from '../../src/cli/server.js';
import { launchChromium } from '../../spec/browser/chromium.js';

/** Opens the bundle of `entry` (a page script) in Chromium and runs body on it. */
export async function withBundledPage<R>(entry: string, title: string, body: (page: Page, browser: Browser) => Promise<R>): Promise<R> {
  const dir = mkdtempSync(join(tmpdir(), 'alexnet-page-'));
  try {
    await esbuild.build({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', outfile: join(dir, 'page.js'), logLevel: 'warning' });
    writeFileSync(join(dir, 'index.html'), `<!doctype html><meta charset="utf-8"><title>${title}</title><link rel="icon" href="data:,"><body><script type="module" src="page.js"></script>`);
    const { url, server } = await startServer(dir, 0);
    const browser = await launchChromium({ llvmpipe: true });
    try {
      const page = await browser.newPage();
      page.on('console', (m) => process.stderr.write(`${m.text()}\n`));
      page.on('crash', () => process.stderr.write('the page crashed\n'));
      await page.goto(url);
      await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 60_000 });
      page.setDefaultTimeout(0);
      return await body(page, browser);
    } finally {
      await browser.close();
      server.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
