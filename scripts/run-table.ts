// A training run's record as a docs table: reads RUN_DIR/log.jsonl (one line
// per epoch, written by `alexnet train`) and RUN_DIR/result.json (the test
// result), and writes bench/results/NAME.json, which scripts/bench-tables.ts
// puts into the docs (docs/training.md's block `bench:training`), so that the
// epoch table of a run is never typed by hand.
//
//   node --import tsx scripts/run-table.ts RUN_DIR [--name training] [--command "xvfb-run -a npx alexnet train"]

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from '../bench/report.js';
import { listOption } from '../bench/harness.js';
import { report } from '../bench/report.js';
import { readJsonLines } from '../src/cli/files.js';
import type { EpochRecord } from '../src/nn/trainer.js';

/** The lr as people write it (0.0003, not 0.00030000000000000003). */
const lr = (x: number) => String(Number(x.toPrecision(12)));

/** The epoch table and test line of a run folder. */
export function runTable(dir: string): Pick<BenchResult, 'header' | 'rows' | 'notes'> {
  const logFile = join(dir, 'log.jsonl'), resultFile = join(dir, 'result.json');
  if (!existsSync(logFile)) throw new Error(`${dir}: no log.jsonl (is it a folder alexnet train wrote?)`);
  const epochs = readJsonLines<EpochRecord>(logFile, (s) => console.error(s));
  if (epochs.length === 0) throw new Error(`${logFile}: no epoch was logged`);
  // An epoch's row, after a row for each validation within it (`alexnet train --checks`); a row whose
  // validation lowered the rate says so: the next validation ran at another lr.
  const points = epochs.flatMap((r) => [...(r.checks ?? []).map((c) => ({ r, c })), { r, c: undefined }]);
  const lrAt = (p: (typeof points)[number]) => (p.c ? p.c.lr : p.r.lastLr ?? p.r.lr);
  const rows = points.map((p, i) => {
    const next = points[i + 1];
    const cut = next && lrAt(next) !== lrAt(p) ? ' (lr / 10)' : '';
    const { r, c } = p;
    if (c) return [`${r.epoch} (batch ${c.batch})`, lr(c.lr), '', c.valLoss.toFixed(4), `${(100 * c.valTop1).toFixed(2)} %${cut}`, '', '', ''];
    return [String(r.epoch), lr(lrAt(p)), r.trainLoss.toFixed(4), r.valLoss.toFixed(4), `${(100 * r.valTop1).toFixed(2)} %${cut}`, `${(100 * r.valTop5).toFixed(2)} %`,
      r.seconds.toFixed(0), r.imagesPerSecond.toFixed(0)];
  });
  const notes: string[] = [];
  if (existsSync(resultFile)) {
    const res = JSON.parse(readFileSync(resultFile, 'utf8')) as { test?: { top1: number; top5: number }; meta?: { test?: string } };
    if (res.test) notes.push(`Test: top-1 ${(100 * res.test.top1).toFixed(2)} %, top-5 ${(100 * res.test.top5).toFixed(2)} %.`);
  }
  const total = epochs.reduce((s, r) => s + r.seconds, 0);
  const val = epochs.reduce((s, r) => s + (r.valSeconds ?? 0), 0);
  notes.push(`${epochs.length} epochs, ${total.toFixed(0)} s of training (${(total / 60).toFixed(0)} min)` +
    (val > 0 ? `, ${val.toFixed(0)} s of validation: ${((total + val) / 60).toFixed(1)} min in all.` : '.'));
  return { header: ['epoch', 'lr', 'train loss', 'val loss', 'val top-1', 'val top-5', 'seconds', 'images / s'], rows, notes };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const argv = process.argv.slice(2);
  const dir = argv[0];
  if (!dir || dir.startsWith('--')) {
    console.error('usage: node --import tsx scripts/run-table.ts RUN_DIR [--name training] [--command "..."]');
    process.exit(2);
  }
  const name = listOption(argv, 'name', ['training'])[0];
  const ci = argv.indexOf('--command');
  const command = ci >= 0 ? argv[ci + 1] : `alexnet train (the run in ${dir})`;
  const t = runTable(dir);
  report(name, command, t.header, t.rows, t.notes);
}
