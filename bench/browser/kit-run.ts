// Node's side of the kit in Chromium: opens bench/browser/kit-page.ts
// (open-page.ts) and runs the kit there on tfjs-backend-webgl. Used by bench/conformance.ts --browser and
// spec/browser/kit.spec.ts.

import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GoldenFile, KitReport } from '../../src/verify/index.js';
import type { poolRouting } from '../pool-routing.js';
import { withBundledPage } from './open-page.js';

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
  return withBundledPage(join(root, 'bench/browser/kit-page.ts'), 'alexnet-ts kit', async (page, browser) => {
    const got = await page.evaluate((a) => (window as any).runKit(a), { runs: o.runs, seed: o.seed, models: o.models, goldens: o.goldens ?? [] }) as Omit<BrowserKitResult, 'browser'>;
    return { ...got, browser: `Chromium ${browser.version()}` };
  });
}
