// Our WebGL kernels against @tensorflow/tfjs-backend-webgl 4.22.0, layer by
// layer at the paper net's shapes, in Debian's Chromium on Mesa's llvmpipe
// (ANGLE on EGL: the renderer headless-gl uses in Node), in one page.
//
//   xvfb-run -a npm run bench:browser -- [--batch 2] [--layers conv1,conv2] [--passes forward,backward] [--webgl 2] [--max-time 1]
//
// Prints a markdown table: milliseconds per call for each side and tfjs / ours
// (above 1: ours is faster).

import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withBundledPage } from './browser/open-page.js';
import type { BrowserRow } from './browser/page.js';
import { listOption } from './harness.js';
import { commandLine, report } from './report.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const batch = Number(listOption(argv, 'batch', ['2'])[0]);
const webgl = Number(listOption(argv, 'webgl', ['2'])[0]) === 1 ? 1 : 2;
const maxTime = Number(listOption(argv, 'max-time', ['1'])[0]);
const passes = listOption(argv, 'passes', ['forward', 'backward']);
const layers = listOption(argv, 'layers', ['conv1', 'norm1', 'pool1', 'conv2', 'norm2', 'pool2', 'conv3', 'conv4', 'conv5', 'pool5', 'fc6', 'fc7', 'fc8']);

await withBundledPage(join(root, 'bench/browser/page.ts'), 'alexnet-ts bench', async (page, browser) => {
  browser.on('disconnected', () => process.stderr.write('the browser disconnected\n'));
  page.on('close', () => process.stderr.write('the page closed\n'));
  const r = await page.evaluate((o) => (window as any).runBench(o), { batch, layers, passes, maxTime, webgl }) as { renderer: string; rows: BrowserRow[] };
  report('browser', commandLine('bench:browser'), ['layer', 'pass', 'ours ms', 'tfjs-webgl ms', 'tfjs / ours'], r.rows.map((x) => [
    x.layer, x.pass, x.oursMs.toFixed(1), x.tfjsMs.toFixed(1), `${(x.tfjsMs / x.oursMs).toFixed(2)}x`,
  ]), [`Chromium ${browser.version()}, WebGL${webgl} on ${r.renderer}, batch ${batch}.`], r.rows);
});
