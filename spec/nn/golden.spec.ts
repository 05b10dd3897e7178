import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpuBackend } from '../../src/cpu/backend.js';
import { type GoldenFile, compareTensor, runGoldenCase, runGoldenFile } from '../../src/nn/golden.js';
import { readGoldenDir, verifyGoldens } from '../../src/cli/verify.js';
import { GOLDENS } from '../helpers.js';


test('every case of ../shared/goldens passes on the CPU backend, the whole-model case included', () => {
  const lines: string[] = [];
  const failed = verifyGoldens(cpuBackend(), GOLDENS, (s) => lines.push(s));
  const out = lines.join('\n');
  assert.is(failed, 0, out);
  assert.match(out, /tiny_paper_alexnet_00\s+dfc6\.weight/);
  const total = readGoldenDir(GOLDENS).reduce((s, f) => s + f.golden.cases.length, 0);
  assert.ok(total >= 40);
  assert.match(out, new RegExp(`\\n${total} passed, 0 failed$`));
});

test('a golden nudged by 1e-3 of its scale fails, and so does an unknown op', () => {
  const file = JSON.parse(readFileSync(resolve(GOLDENS, 'conv2d.json'), 'utf8')) as GoldenFile;
  const c = structuredClone(file.cases[3]);
  const g = c.grads!.weight;
  const scale = Math.max(...g.data.map(Math.abs));
  g.data[g.data.length - 1] += 1e-3 * scale;
  const r = runGoldenCase(cpuBackend(), c);
  assert.not.ok(r.pass);
  assert.equal(r.checks.filter((k) => !k.pass).map((k) => k.tensor), ['dweight']);
  const u = runGoldenFile(cpuBackend(), { ...file, cases: [{ ...file.cases[0], op: 'conv3d' }] });
  assert.not.ok(u[0].pass);
  assert.match(u[0].error!, /unknown op 'conv3d'/);
});

test('compareTensor: the documented tolerance, NaN and size mismatch fail', () => {
  const exp = { shape: [3], data: [100, 0, -1] };
  assert.ok(compareTensor('t', [100 + 0.011, 0.0009, -1.0001], exp).pass); // within 1e-5 * 100 + 1e-4 |x|
  assert.not.ok(compareTensor('t', [100, 0.0011, -1], exp).pass);
  assert.not.ok(compareTensor('t', [100, NaN, -1], exp).pass);
  assert.not.ok(compareTensor('t', [100, 0], exp).pass);
});

test.run();
