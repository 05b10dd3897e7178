// Bundles the browser page (web/main.ts and the src/ it imports) with
// esbuild into dist/page: app.js, its source map, index.html and style.css. Run by
// `npm run build`; `alexnet serve` copies the result next to its data.

import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist/page');
mkdirSync(out, { recursive: true });
const r = await esbuild.build({
  entryPoints: [join(root, 'web/main.ts')], bundle: true, format: 'esm', platform: 'browser', target: 'es2022',
  // A weights path loads node:fs on demand in Node only; a page passes bytes.
  external: ['node:*'],
  outfile: join(out, 'app.js'), sourcemap: true, logLevel: 'warning', metafile: true,
});
for (const f of ['index.html', 'style.css']) copyFileSync(join(root, 'web', f), join(out, f));
const bytes = Object.values(r.metafile!.outputs).reduce((s, f) => s + f.bytes, 0);
console.log(`build-page: ${out} (${(bytes / 1e6).toFixed(1)} MB with the source map)`);
