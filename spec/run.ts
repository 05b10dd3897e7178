// Test runner: loads every spec/**/*.spec.ts (or those whose path contains an
// argument) into uvu, runs them, and ends with the line `N passed, M failed`.
// uvu's own summary counts tests; this line restates its counts in the plain
// form CI reads.

import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);

function specFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return specFiles(p);
    return e.name.endsWith('.spec.ts') ? [p] : [];
  }).sort();
}

const files = specFiles(here).filter((f) => filters.length === 0 || filters.some((s) => relative(here, f).includes(s)));
if (files.length === 0) {
  console.error(`spec/run: no spec file matches ${filters.join(' ')}`);
  process.exit(1);
}

// uvu's CLI does the same: defer execution, queue one group per file, then exec.
(globalThis as any).UVU_DEFER = 1;
const uvu = await import('uvu');
let idx = 0;
for (const f of files) {
  (globalThis as any).UVU_INDEX = idx++;
  (globalThis as any).UVU_QUEUE.push([relative(here, f)]);
  await import(pathToFileURL(f).href);
}

let printed = '';
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = ((chunk: string | Uint8Array, ...rest: any[]) => {
  printed += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
  if (printed.length > 4096) printed = printed.slice(-4096);
  return (write as any)(chunk, ...rest);
}) as typeof process.stdout.write;
await (uvu as any).exec(false);
process.stdout.write = write;

const plain = printed.replace(/\x1b\[[0-9;]*m/g, '');
const total = Number(/Total:\s+(\d+)/.exec(plain)?.[1] ?? NaN);
const passed = Number(/Passed:\s+(\d+)/.exec(plain)?.[1] ?? NaN);
if (!Number.isFinite(total) || !Number.isFinite(passed) || total === 0) {
  console.log('spec/run: could not read uvu\'s summary, or no test ran');
  process.exitCode = 1;
} else {
  console.log(`${passed} passed, ${total - passed} failed`);
}
