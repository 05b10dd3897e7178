// The measured tables of README.md and docs/ are the bench results in
// bench/results/, put there by scripts/bench-tables.ts: never pasted by hand.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RESULTS_DIR, report, type BenchResult } from '../../bench/report.js';
import { experimentResults, renderDocument, updateDocs } from '../../scripts/bench-tables.js';
import { independentEffect } from '../../src/experiments/verdict.js';
import { runTable } from '../../scripts/run-table.js';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const result: BenchResult = { name: 'demo', command: 'npm run bench:demo', date: '2026-12-02', machine: '2 x CPU', header: ['a', 'b'], rows: [['1', '2']], notes: ['a note'] };

test('renderDocument replaces a block by its result (table, notes, command, date, machine) and keeps the text around it', () => {
  const doc = 'before\n<!-- bench:demo -->\n| old | table |\n<!-- /bench:demo -->\nafter\n';
  const out = renderDocument(doc, new Map([['demo', result]]));
  assert.is(out, 'before\n<!-- bench:demo -->\n| a | b |\n|---|---|\n| 1 | 2 |\n\na note\n\nMeasured 2026-12-02 with `npm run bench:demo` on 2 x CPU.\n<!-- /bench:demo -->\nafter\n');
  assert.is(renderDocument(out, new Map([['demo', result]])), out, 'rendering twice changes nothing');
  const missing: string[] = [];
  assert.is(renderDocument(doc, new Map(), missing), doc);
  assert.equal(missing, ['demo']);
});

test('every bench block of README.md and docs/ matches bench/results (npm run bench:tables regenerates them)', () => {
  assert.equal(updateDocs(true), []);
});

test('report writes bench/results/NAME.json for a whole run and leaves it alone for a partial one (an --only filter must not replace the docs\' table)', () => {
  const name = `spec-probe-${process.pid}`, file = join(RESULTS_DIR, `${name}.json`);
  const log = console.log, err = process.stderr.write;
  console.log = () => {};
  (process.stderr as { write: unknown }).write = () => true;
  try {
    report(name, 'npm run bench:probe -- --only x', ['a'], [['1']], [], undefined, 'a partial run (--only x)');
    const partialWrote = existsSync(file);
    report(name, 'npm run bench:probe', ['a'], [['1']]);
    const wholeWrote = existsSync(file);
    assert.equal([partialWrote, wholeWrote], [false, true]);
  } finally {
    console.log = log;
    process.stderr.write = err;
    rmSync(file, { force: true });
  }
});

test('runTable: a run folder\'s log.jsonl and result.json as the epoch table, lr cuts marked, the test result and total time as notes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'alexnet-run-table-'));
  const epoch = (e: number, lr: number) => ({ epoch: e, lr, trainLoss: 0.5 / e, valLoss: 0.6 / e, valTop1: 0.8 + e / 100, valTop5: 0.99, seconds: 100 + e, imagesPerSecond: 500, crossedBytesPerStep: 0 });
  writeFileSync(join(dir, 'log.jsonl'), [epoch(1, 0.03), epoch(2, 0.03), epoch(3, 0.03 / 10)].map((r) => JSON.stringify(r)).join('\n') + '\n');
  writeFileSync(join(dir, 'result.json'), JSON.stringify({ test: { top1: 0.8986, top5: 0.9986, loss: 0.3 } }));
  const t = runTable(dir);
  assert.equal(t.rows.map((r) => [r[0], r[1], r[4]]), [['1', '0.03', '81.00 %'], ['2', '0.03', '82.00 % (lr / 10)'], ['3', '0.003', '83.00 %']]);
  assert.equal(t.notes, ['Test: top-1 89.86 %, top-5 99.86 %.', '3 epochs, 306 s of training (5 min).']);
  assert.throws(() => runTable(join(dir, 'none')), /no log\.jsonl/);
});

test('runTable: the validations within an epoch (--checks) as rows of their own, a cut after one marked, validation time in the notes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'alexnet-run-table-'));
  const check = (batch: number, lr: number, top1: number) => ({ batch, lr, valLoss: 0.4, valTop1: top1 });
  const rec = (e: number, lr: number, checks: ReturnType<typeof check>[], lastLr?: number) => ({ epoch: e, lr, lastLr, trainLoss: 0.5, valLoss: 0.3, valTop1: 0.9, valTop5: 0.99, seconds: 60, imagesPerSecond: 500, crossedBytesPerStep: 0, valSeconds: 15, checks });
  // Epoch 2 starts at 0.03; its check after batch 200 lowers the rate, so the epoch ends at 0.003.
  writeFileSync(join(dir, 'log.jsonl'), [rec(1, 0.03, [check(200, 0.03, 0.8)]), rec(2, 0.03, [check(200, 0.03, 0.85)], 0.003), rec(3, 0.003, [check(200, 0.003, 0.9)])].map((r) => JSON.stringify(r)).join('\n') + '\n');
  const t = runTable(dir);
  assert.equal(t.rows.map((r) => [r[0], r[1], r[4]]), [
    ['1 (batch 200)', '0.03', '80.00 %'], ['1', '0.03', '90.00 %'], ['2 (batch 200)', '0.03', '85.00 % (lr / 10)'], ['2', '0.003', '90.00 %'],
    ['3 (batch 200)', '0.003', '90.00 %'], ['3', '0.003', '90.00 %'],
  ]);
  assert.equal(t.notes, ['3 epochs, 180 s of training (3 min), 45 s of validation: 3.8 min in all.']);
});

test('the experiments\' tables come from docs/experiments/{quick,full}/NAME/result.json: quick and full apart, each row with its command, budget and date', () => {
  const dir = mkdtempSync(join(tmpdir(), 'alexnet-experiments-'));
  const base = [0.30, 0.32, 0.31], abl = [0.29, 0.30, 0.28];
  const saved = (quick: boolean) => ({
    experiment: 'lrn', section: '3.3', claim: 'LRN lowers the error', paper: '-1.4 % top-1', metric: 'test-error', baseline: 'with LRN',
    budget: { images: 4000, epochs: 2, val: 500, testImages: 2000 }, seeds: [1, 2, 3], backend: 'cpu-float32-sums', runs: [], seconds: 390,
    ablations: [{ variant: 'without LRN', baseline: base, ablated: abl, baselineTop5: [], ablatedTop5: [], effect: independentEffect(base, abl) }],
    quick, data: 'fashion-mnist', command: `alexnet experiment lrn${quick ? ' --quick' : ''}`, date: '2026-12-03', machine: '2 x CPU',
  });
  for (const q of [true, false]) {
    mkdirSync(join(dir, q ? 'quick' : 'full', 'lrn'), { recursive: true });
    writeFileSync(join(dir, q ? 'quick' : 'full', 'lrn', 'result.json'), JSON.stringify(saved(q)));
  }
  const [quick, full] = experimentResults(dir);
  assert.is(quick.name, 'experiments-quick');
  assert.is(full.name, 'experiments-full');
  assert.is(quick.rows.length, 1);
  const row = quick.rows[0];
  assert.is(row[0], 'LRN lowers the error (3.3)');
  assert.match(row[2], /with LRN 31\.00 ± 1\.00 %, without LRN 29\.00 ± 1\.00 %; with LRN minus without LRN: top-1 \+2\.00 points \(s\.e\. 0\.82\)/);
  assert.is(row[3], independentEffect(base, abl).verdict);
  assert.is(row[4], '`alexnet experiment lrn --quick` (4,000 images x 2, 3 seeds, 6.5 min, 2026-12-03)');
  assert.is(full.rows[0][4], '`alexnet experiment lrn` (4,000 images x 2, 3 seeds, 6.5 min, 2026-12-03)');
  assert.match(quick.generatedFrom!, /on 2 x CPU/);
  // With its curves beside it, the row links them.
  writeFileSync(join(dir, 'quick', 'lrn', 'curves.png'), 'png');
  assert.match(experimentResults(dir)[0].rows[0][4], /, \[curves\]\(.*quick\/lrn\/curves\.png\)\)$/);
});

test.run();
