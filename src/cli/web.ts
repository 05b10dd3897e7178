// The browser page: its build step and `alexnet serve`.
//
// `npm run build` bundles web/main.ts (and the src/ it imports: the same CPU
// reference, WebGL kernels, model and trainer as Node) with esbuild into
// dist/page (scripts/build-page.ts). `alexnet serve` copies that page to a
// folder with the page's data: the first images of Fashion-MNIST's training
// set as IDX files (real data from the Debian package, not random numbers),
// and serves the folder on 127.0.0.1 only (src/cli/server.ts).

import { copyFileSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDataset } from './datasets.js';
import { startServer } from './server.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Where `npm run build` puts the bundled page (scripts/build-page.ts): app.js, its map, index.html, style.css. */
export const PAGE_DIR = join(ROOT, 'dist/page');
/** Training images written for the page by default: 6000 to train and 1000 to validate (web/lab.ts). */
export const DEFAULT_SLICE = 7000;

/** An IDX file of unsigned bytes with the given dimensions (the inverse of parseIdx). */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  const size = dims.reduce((a, b) => a * b, 1);
  if (data.length !== size) throw new RangeError(`encodeIdx: ${data.length} bytes for dims [${dims.join(', ')}] (${size} expected)`);
  const out = new Uint8Array(4 + 4 * dims.length + size);
  const view = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

/** Writes the page into `outDir`: the bundle built with the package (app.js, index.html) and `slice` Fashion-MNIST training images under data/. */
export async function buildWeb(o: { outDir: string; data?: string; slice?: number }): Promise<{ outDir: string; bytes: number; images: number }> {
  const outDir = resolve(o.outDir);
  const files = ['app.js', 'app.js.map', 'index.html', 'style.css'];
  const missing = files.filter((f) => !existsSync(join(PAGE_DIR, f)));
  if (missing.length) throw new Error(`the page is not built (${missing.map((f) => join(PAGE_DIR, f)).join(', ')} missing): run npm run build`);
  mkdirSync(join(outDir, 'data'), { recursive: true });
  let bytes = 0;
  for (const f of files) {
    copyFileSync(join(PAGE_DIR, f), join(outDir, f));
    if (f.endsWith('.js')) bytes += statSync(join(PAGE_DIR, f)).size;
  }
  const split = loadDataset(o.data, { size: 28, channels: 1 });
  const t = split.train;
  if (t.channels !== 1 || t.height !== 28 || t.width !== 28) throw new Error(`${t.name}: the page trains on 28 x 28 grey images (Fashion-MNIST), got ${t.channels} x ${t.height} x ${t.width}`);
  if (!t.images) throw new Error(`${t.name}: the page's data must be IDX files (Fashion-MNIST), not an image folder`);
  const n = Math.min(o.slice ?? DEFAULT_SLICE, t.n);
  writeFileSync(join(outDir, 'data/train-images-idx3-ubyte'), encodeIdx([n, 28, 28], t.images.subarray(0, n * 784)));
  writeFileSync(join(outDir, 'data/train-labels-idx1-ubyte'), encodeIdx([n], Uint8Array.from(t.labels.subarray(0, n))));
  return { outDir, bytes, images: n };
}

/** `alexnet serve`: writes the page and its data to --out and serves it until interrupted. */
export async function serveCommand(v: { port: number; data?: string; slice: number; out: string }): Promise<number> {
  const b = await buildWeb({ outDir: v.out, data: v.data, slice: v.slice });
  console.log(`wrote ${b.outDir}: the page (${(b.bytes / 1e6).toFixed(1)} MB of script) and ${b.images} Fashion-MNIST images`);
  const { url } = await startServer(b.outDir, v.port);
  console.log(`serving on ${url} (WebGL2; ${url}?webgl=1 for WebGL1). Ctrl-C stops.`);
  await new Promise(() => {});
  return 0;
}
