import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpuBackend } from '../../src/cpu/backend.js';
import { type GoldenFile, compareTensor } from '../../src/nn/golden-format.js';
import { runGoldenCase, runGoldenFile } from '../../src/nn/golden.js';
import { readGoldenDir, runGoldenDirs, verifyGoldens } from '../../src/cli/verify.js';
import { GOLDENS, SHARED_GOLDENS } from '../helpers.js';

const cases = (dir: string) => readGoldenDir(dir).reduce((s, f) => s + (f.golden?.cases.length ?? 0), 0);

test('every case of the project\'s goldens passes on the CPU backend, the whole-model case included', async () => {
  const lines: string[] = [];
  const code = await verifyGoldens(cpuBackend(), GOLDENS, (s) => lines.push(s));
  const out = lines.join('\n');
  assert.is(code, 0, out);
  assert.match(out, /tiny_paper_alexnet_00\s+dfc6\.weight/);
  const total = cases(GOLDENS);
  assert.ok(total >= 36, `${total} cases`);
  assert.match(out, new RegExp(`\\n${total} passed, 0 failed$`));
});

test('../shared/goldens, where present beside the checkout, passes as an extra set', async () => {
  if (!existsSync(SHARED_GOLDENS)) {
    console.log('  (no ../shared/goldens beside this checkout: the extra set is not run)');
    return;
  }
  const rep = await runGoldenDirs(cpuBackend(), [SHARED_GOLDENS]);
  assert.is(rep.failed, 0, JSON.stringify(rep.cases.filter((c) => !c.pass).map((c) => [c.id, c.error])));
  assert.ok(rep.passed >= 40);
});

test('a golden nudged by 1e-3 of its scale fails, and so does an unknown op', async () => {
  const file = JSON.parse(readFileSync(resolve(GOLDENS, 'conv2d.json'), 'utf8')) as GoldenFile;
  const c = structuredClone(file.cases[3]);
  const g = c.grads!.weight;
  const scale = Math.max(...g.data.map(Math.abs));
  g.data[g.data.length - 1] += 1e-3 * scale;
  const r = await runGoldenCase(cpuBackend(), c);
  assert.not.ok(r.pass);
  assert.equal(r.checks.filter((k) => !k.pass).map((k) => k.tensor), ['dweight']);
  const u = await runGoldenFile(cpuBackend(), { ...file, cases: [{ ...file.cases[0], op: 'conv3d' }] });
  assert.not.ok(u[0].pass);
  assert.match(u[0].error!, /unknown op 'conv3d'/);
});

test('a file with the schema but no usable cases is a named failure for that file; the other files still run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'goldens-bad-'));
  writeFileSync(join(dir, 'relu.json'), readFileSync(join(GOLDENS, 'relu.json'), 'utf8'));
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ schema: 'alexnet-golden/1', files: ['relu.json'] }));
  writeFileSync(join(dir, 'null.json'), JSON.stringify({ schema: 'alexnet-golden/1', cases: null }));
  writeFileSync(join(dir, 'object.json'), JSON.stringify({ schema: 'alexnet-golden/1', cases: { a: 1 } }));
  const rep = await runGoldenDirs(cpuBackend(), [dir]);
  assert.is(rep.passed, 3);
  assert.equal(rep.fileErrors.map((f) => f.error.replace(dir, 'DIR')), [
    "DIR/manifest.json: 'cases' must be a list of cases, got no cases field",
    "DIR/null.json: 'cases' must be a list of cases, got null",
    "DIR/object.json: 'cases' must be a list of cases, got an object",
  ]);
  assert.is(rep.failed, 3);
});

test('zero cases run is a failure, not "0 passed, 0 failed" with success', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'goldens-none-'));
  writeFileSync(join(dir, 'other.json'), JSON.stringify({ schema: 'something-else/1' }));
  const lines: string[] = [];
  assert.is(await verifyGoldens(cpuBackend(), dir, (s) => lines.push(s)), 1);
  assert.match(lines.join('\n'), /no golden case ran/);
});

test('a non-numeric value in a tensor is an error naming the case and the element, not a NaN', async () => {
  const file = JSON.parse(readFileSync(resolve(GOLDENS, 'relu.json'), 'utf8')) as GoldenFile;
  const c = structuredClone(file.cases[0]);
  (c.inputs.x.data as unknown[])[2] = 'abc';
  const r = await runGoldenCase(cpuBackend(), c);
  assert.not.ok(r.pass);
  assert.match(r.error!, /case relu_00: inputs\.x: data\[2\] is "abc", not a number/);
  const d = structuredClone(file.cases[0]);
  (d.expected!.y.data as unknown[])[0] = null;
  assert.match((await runGoldenCase(cpuBackend(), d)).error!, /expected\.y: data\[0\] is null, not a number/);
});

test('compareTensor: the documented tolerance, NaN and size mismatch fail', () => {
  const exp = { shape: [3], data: [100, 0, -1] };
  assert.ok(compareTensor('t', [100 + 0.011, 0.0009, -1.0001], exp).pass); // within 1e-5 * 100 + 1e-4 |x|
  assert.not.ok(compareTensor('t', [100, 0.0011, -1], exp).pass);
  assert.not.ok(compareTensor('t', [100, NaN, -1], exp).pass);
  assert.not.ok(compareTensor('t', [100, 0], exp).pass);
});

test.run();
