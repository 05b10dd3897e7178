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
  const rows = epochs.map((r, i) => {
    const next = epochs[i + 1];
    const cut = next && next.lr !== r.lr ? ' (lr / 10)' : '';
    return [String(r.epoch), lr(r.lr), r.trainLoss.toFixed(4), r.valLoss.toFixed(4), `${(100 * r.valTop1).toFixed(2)} %${cut}`, `${(100 * r.valTop5).toFixed(2)} %`,
      r.seconds.toFixed(0), r.imagesPerSecond.toFixed(0)];
  });
  const notes: string[] = [];
  if (existsSync(resultFile)) {
    const res = JSON.parse(readFileSync(resultFile, 'utf8')) as { test?: { top1: number; top5: number }; meta?: { test?: string } };
    if (res.test) notes.push(`Test: top-1 ${(100 * res.test.top1).toFixed(2)} %, top-5 ${(100 * res.test.top5).toFixed(2)} %.`);
  }
  const total = epochs.reduce((s, r) => s + r.seconds, 0);
  notes.push(`${epochs.length} epochs, ${total.toFixed(0)} s of training (${(total / 60).toFixed(0)} min).`);
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
