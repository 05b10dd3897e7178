// Node's side of the kit in Chromium: bundles bench/browser/kit-page.ts,
// serves it, opens it in Debian's Chromium on Mesa's llvmpipe and runs the
// kit there on tfjs-backend-webgl. Used by bench/conformance.ts --browser and
// spec/browser/kit.spec.ts.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { startServer } from '../../src/cli/server.js';
import type { GoldenFile, KitReport } from '../../src/verify/index.js';
import { launchChromium } from '../../spec/browser/chromium.js';
import type { poolRouting } from '../pool-routing.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** What the page sends back, with the browser's version. */
export interface BrowserKitResult {
  browser: string;
  renderer: string;
  report: KitReport;
  routing: Awaited<ReturnType<typeof poolRouting>>;
}

/** Runs verifyBackend on tfjs-backend-webgl in a Chromium page; options as verifyBackend's (goldens handed over). */
export async function runKitInChromium(o: { runs: number; seed: number; models?: string[]; goldens?: { file: string; golden: GoldenFile }[] }): Promise<BrowserKitResult> {
  const dir = mkdtempSync(join(tmpdir(), 'alexnet-kit-'));
  await esbuild.build({
    entryPoints: [join(root, 'bench/browser/kit-page.ts')], bundle: true, format: 'esm', platform: 'browser', target: 'es2022',
    outfile: join(dir, 'kit.js'), logLevel: 'warning',
  });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><title>alexnet-ts kit</title><link rel="icon" href="data:,"><body><script type="module" src="kit.js"></script>');
  const { url, server } = await startServer(dir, 0);
  const chromium = await launchChromium({ llvmpipe: true });
  try {
    const page = await chromium.newPage();
    page.on('console', (m) => process.stderr.write(`${m.text()}\n`));
    await page.goto(url);
    await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 60_000 });
    page.setDefaultTimeout(0);
    const got = await page.evaluate((a) => (window as any).runKit(a), { runs: o.runs, seed: o.seed, models: o.models, goldens: o.goldens ?? [] }) as Omit<BrowserKitResult, 'browser'>;
    return { ...got, browser: `Chromium ${chromium.version()}` };
  } finally {
    await chromium.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
