// `alexnet verify`: runs golden cases through a backend and prints a table.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '../backend.js';
import { type CaseResult, GOLDEN_SCHEMA, type GoldenFile, runGoldenFile } from '../nn/golden.js';
import type { AlexNetConfig } from '../nn/config.js';
import { COMPARE_LIMIT, LAYER_LIMIT, compareBackends } from '../nn/compare.js';
import { formatTable, sci } from './table.js';

/** Reads every alexnet-golden/1 file of a folder (others skipped); throws naming a file that is not JSON. */
export function readGoldenDir(dir: string): { file: string; golden: GoldenFile }[] {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a folder');
    names = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  } catch (e) {
    throw new Error(`verify: --goldens ${dir} is not a readable folder (${(e as Error).message})`);
  }
  const out: { file: string; golden: GoldenFile }[] = [];
  for (const name of names) {
    const path = join(dir, name);
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new Error(`verify: ${path} is not valid JSON (${(e as Error).message})`);
    }
    if ((parsed as GoldenFile)?.schema === GOLDEN_SCHEMA) out.push({ file: name, golden: parsed as GoldenFile });
  }
  return out;
}

/** Runs every case of every golden file in dir; prints the table and `N passed, M failed`; returns M. */
export function verifyGoldens<T>(be: Backend<T>, dir: string, log: (s: string) => void = console.log): number {
  const files = readGoldenDir(dir);
  if (files.length === 0) throw new Error(`verify: ${dir} holds no ${GOLDEN_SCHEMA} files`);
  const results: { file: string; r: CaseResult }[] = [];
  for (const { file, golden } of files) for (const r of runGoldenFile(be, golden)) results.push({ file, r });
  const rows: string[][] = [];
  for (const { r } of results) {
    if (r.error) rows.push([r.id, '(case)', '', '', `FAIL: ${r.error}`]);
    for (const k of r.checks) {
      rows.push([r.id, k.tensor, sci(k.maxAbsErr), sci(k.relErr), k.pass ? 'pass' : `FAIL${k.note ? `: ${k.note}` : ''}`]);
    }
  }
  log(`backend ${be.name}; tolerance: |err| <= 1e-5 max|golden| + 1e-4 |golden| per element\n`);
  log(formatTable(['case', 'tensor', 'max abs err', 'err / max|golden|', 'result'], rows, [2, 3]));
  const failed = results.filter(({ r }) => !r.pass).length;
  log(`\n${results.length - failed} passed, ${failed} failed`);
  return failed;
}

/** `alexnet verify --compare A,B`: prints both tables; returns 1 if any judged tensor is flagged. */
export function compareCommand<A, B>(a: Backend<A>, b: Backend<B>, c: AlexNetConfig, batch: number, seed: number, log: (s: string) => void = console.log): number {
  const t0 = Date.now();
  const rows = compareBackends(a, b, c, batch, seed, (s) => process.stderr.write(`  ${s} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`));
  const table = (rs: typeof rows) => formatTable(['tensor', 'kind', 'shape', 'max abs diff', `diff / max|${a.name}|`, ''],
    rs.map((r) => [r.name, r.kind, `[${r.shape.join(', ')}]`, sci(r.maxAbsDiff), sci(r.relDiff), !r.judged ? '(reported)' : r.ok ? 'ok' : 'FLAG']), [3, 4]);
  log(`configuration ${c.name}, batch ${batch}, seed ${seed}: ${a.name} against ${b.name}\n`);
  log(`End to end (activations and loss flagged above ${COMPARE_LIMIT}; gradients reported: pooling near-ties may route them differently):\n`);
  log(table(rows.filter((r) => r.table === 'end-to-end')));
  log(`\nLayer by layer (same input, same upstream gradient; flagged above ${LAYER_LIMIT}):\n`);
  log(table(rows.filter((r) => r.table === 'layer')));
  const judged = rows.filter((r) => r.judged), bad = judged.filter((r) => !r.ok).length;
  log(`\n${judged.length - bad} passed, ${bad} failed`);
  return bad === 0 ? 0 : 1;
}
