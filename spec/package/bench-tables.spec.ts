// The measured tables of README.md and docs/ are the bench results in
// bench/results/, put there by scripts/bench-tables.ts: never pasted by hand.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { BenchResult } from '../../bench/report.js';
import { renderDocument, updateDocs } from '../../scripts/bench-tables.js';

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

test.run();
