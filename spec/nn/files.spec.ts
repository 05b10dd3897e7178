// The files a run writes (src/cli/files.ts): atomic whole files that leave no
// temporary file behind when they fail, stale temporary files of killed writes
// removed (and only those), and JSON-lines logs whose last line, cut short by
// a crash, is ignored with a notice while a broken line elsewhere is an error.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendJsonLine, readJsonLines, removeStaleTemps, writeAtomic } from '../../src/cli/files.js';
import { throwsWith } from '../helpers.js';

test('writeAtomic replaces the file whole; a write that fails leaves the old file and no temporary file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'atomic-'));
  const f = join(dir, 'result.json');
  writeAtomic(f, '{"a":1}');
  writeAtomic(f, new Uint8Array([123, 125]));
  assert.is(readFileSync(f, 'utf8'), '{}');
  mkdirSync(join(dir, 'taken'));
  mkdirSync(join(dir, 'taken/x'));
  throwsWith(() => writeAtomic(join(dir, 'taken'), 'x'), /cannot write .*taken: (EISDIR|ENOTEMPTY|EEXIST)/);
  assert.equal(readdirSync(dir).sort(), ['result.json', 'taken'], 'no temporary file is left');
});

test('removeStaleTemps removes NAME.tmp-PID of processes that are gone, and keeps this process\'s and a live one\'s', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'temps-'));
  const dead = spawnSync('true').pid!;
  const live = spawn('sleep', ['30']);
  try {
    for (const f of [`checkpoint.bin.tmp-${dead}`, `result.json.tmp-${dead}`, `checkpoint.bin.tmp-${process.pid}`, `log.tmp-${live.pid}`, 'checkpoint.bin', 'notes.tmp-x']) writeFileSync(join(dir, f), 'x');
    const notes: string[] = [];
    assert.equal(removeStaleTemps(dir, (s) => notes.push(s)).sort(), [`checkpoint.bin.tmp-${dead}`, `result.json.tmp-${dead}`]);
    assert.equal(readdirSync(dir).sort(), ['checkpoint.bin', `checkpoint.bin.tmp-${process.pid}`, `log.tmp-${live.pid}`, 'notes.tmp-x'].sort());
    assert.match(notes[0], /^removed 2 temporary files of an interrupted write in /);
    assert.equal(removeStaleTemps(join(dir, 'missing'), () => {}), []);
  } finally {
    live.kill();
  }
});

test('readJsonLines: whole lines read; a last line cut short ignored with a notice; a broken line before it is an error naming it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lines-'));
  const f = join(dir, 'log.jsonl');
  appendJsonLine(f, { epoch: 1 });
  appendJsonLine(f, { epoch: 2 });
  const notes: string[] = [];
  assert.equal(readJsonLines(f, (s) => notes.push(s)), [{ epoch: 1 }, { epoch: 2 }]);
  assert.equal(notes, []);
  writeFileSync(f, '{"epoch":1}\n{"epoch":2}\n{"epo', { flag: 'w' });
  assert.equal(readJsonLines(f, (s) => notes.push(s)), [{ epoch: 1 }, { epoch: 2 }]);
  assert.match(notes[0], /log\.jsonl: line 3 is incomplete \(a write cut short by a crash\?\); ignored/);
  writeFileSync(f, '{"epoch":1}\n{"epo\n{"epoch":3}\n');
  throwsWith(() => readJsonLines(f, () => {}), /log\.jsonl: line 2 is not JSON: "\{\\"epo"/);
  writeFileSync(f, '');
  assert.equal(readJsonLines(f, () => {}), []);
  assert.ok(existsSync(f));
});

test.run();
