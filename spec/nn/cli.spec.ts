import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GOLDENS } from '../helpers.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const alexnet = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin/alexnet.js'), ...args], { encoding: 'utf8', cwd: root });

test('alexnet summary --config paper prints every layer and the total 60,965,224', () => {
  const r = alexnet('summary', '--config', 'paper');
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /conv2\s+conv\s+27 x 27 x 256\s+307,456/);
  assert.match(r.stdout, /fc6\s+linear\s+4096\s+37,752,832/);
  assert.match(r.stdout, /total parameters: 60,965,224/);
  assert.match(alexnet('summary', '--no-groups').stdout, /total parameters: 62,378,344/);
});

test('alexnet verify exits 0 on the goldens and ends with "N passed, 0 failed"', () => {
  const r = alexnet('verify', '--goldens', GOLDENS, '--backend', 'cpu');
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout.trimEnd().split('\n').at(-1)!, /^\d+ passed, 0 failed$/);
});

test('without a display the GPU backend fails at once and says what to run; it never falls back to the CPU', () => {
  const env = { ...process.env };
  delete env.DISPLAY;
  const r = spawnSync(process.execPath, [join(root, 'bin/alexnet.js'), 'verify', '--goldens', GOLDENS, '--backend', 'gpu'], { encoding: 'utf8', cwd: root, env });
  assert.is(r.status, 1);
  assert.match(r.stderr, /no (working )?headlessgl context/);
  assert.match(r.stderr, /xvfb-run -a/);
  assert.not.match(r.stdout, /passed/);
});

test('alexnet verify --backend gpu passes every golden case (under xvfb-run)', () => {
  const r = alexnet('verify', '--goldens', GOLDENS, '--backend', 'gpu');
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^backend gpu/);
  assert.match(r.stdout.trimEnd().split('\n').at(-1)!, /^\d+ passed, 0 failed$/);
});

test('alexnet verify --compare cpu,gpu prints both tables and passes on the tiny net', () => {
  const r = alexnet('verify', '--compare', 'cpu,gpu', '--config', 'tiny', '--batch', '2');
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /End to end/);
  assert.match(r.stdout, /conv2\.weight\s+gradient\s+\[16, 4, 5, 5\]/);
  assert.match(r.stdout, /Layer by layer/);
  assert.match(r.stdout, /fc6\s+dw\s+\[32, 16\]/);
  assert.match(r.stdout, /\n\d+ passed, 0 failed\n$/);
});

test('alexnet verify exits non-zero on a failing case, an unknown op, or a missing folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'goldens-'));
  const tensor = (shape: number[], data: number[]) => ({ shape, data });
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({
    schema: 'alexnet-golden/1', family: 'relu', cases: [
      { id: 'relu_wrong', op: 'relu', inputs: { x: tensor([2], [1, -1]) }, grad_output: { y: tensor([2], [1, 1]) }, expected: { y: tensor([2], [1, 1]) }, grads: { x: tensor([2], [1, 0]) } },
      { id: 'mystery', op: 'softplus', inputs: { x: tensor([1], [1]) } },
    ],
  }));
  writeFileSync(join(dir, 'manifest.json'), '{"files": []}');
  const r = alexnet('verify', '--goldens', dir);
  assert.is(r.status, 1);
  assert.match(r.stdout, /relu_wrong\s+y\s+.*FAIL/);
  assert.match(r.stdout, /mystery.*unknown op 'softplus'/);
  assert.match(r.stdout, /\n0 passed, 2 failed\n/);
  const missing = alexnet('verify', '--goldens', join(dir, 'nope'));
  assert.is(missing.status, 1);
  assert.match(missing.stderr, /--goldens .*nope is not a readable folder/);
  assert.is(alexnet('frobnicate').status, 2);
});

test('alexnet verify with no --goldens runs the goldens shipped with the package; --json prints one object', () => {
  const r = alexnet('verify', '--json');
  assert.is(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.ok(j.ok);
  assert.ok(j.passed >= 36 && j.failed === 0, r.stdout.slice(0, 200));
  assert.match(j.folders[0], /goldens$/);
});

test('every command answers --help with its options and defaults, exit 0; --version prints the package version', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const v = alexnet('--version');
  assert.is(v.status, 0);
  assert.is(v.stdout.trim(), pkg.version);
  for (const cmd of ['train', 'eval', 'predict', 'verify', 'summary', 'serve']) {
    const h = alexnet(cmd, '--help');
    assert.is(h.status, 0, `${cmd}: ${h.stderr}`);
    assert.match(h.stdout, new RegExp(`^usage: alexnet ${cmd}`), cmd);
    assert.match(h.stdout, /--help\s+this text/, cmd);
  }
  assert.match(alexnet('train', '--help').stdout, /--lr N\s+initial learning rate/);
  assert.match(alexnet('predict', '--help').stdout, /--top N\s+.*\(default 5\)/);
  assert.match(alexnet('help').stdout, /commands:[\s\S]*train[\s\S]*exit codes: 0 success, 1 a failure while working, 2 a usage error/);
});

test('usage errors exit 2 with the one-line reason and the usage, before any work starts', () => {
  const cases: [string[], RegExp][] = [
    [['predict', 'x.png', '--top', '0'], /--top must be an integer >= 1, got '0'/],
    [['eval', '--test-limit', 'abc'], /--test-limit must be an integer >= 1, got 'abc'/],
    [['train', '--bias-one', 'abc'], /--bias-one must be a number, got 'abc'/],
    [['train', '--test-limit', '0'], /--test-limit must be an integer >= 1, got '0'/],
    [['train', '--lr', '-1'], /--lr must be a number > 0, got '-1'/],
    [['train', '--backend', 'tpu'], /--backend must be one of gpu, cpu, cpu-float32-sums, cpu-threads, got 'tpu'/],
    [['summary', '--config', 'vgg'], /--config must be one of paper, torchvision, caffe, small, small-32, four-layer, tiny, got 'vgg'/],
    [['summary', '--frobnicate'], /unknown option '--frobnicate'/],
    [['verify', '--batch'], /option '--batch' needs a value/],
    [['predict'], /needs IMAGE\.\.\./],
  ];
  for (const [args, want] of cases) {
    const r = alexnet(...args);
    assert.is(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, want, args.join(' '));
    assert.match(r.stderr, new RegExp(`usage: alexnet ${args[0]}`), args.join(' '));
    assert.is(r.stderr.trim().split('\n').length, 2, `${args.join(' ')}: one line and the usage`);
    assert.not.match(r.stderr, /at .*\.js:\d+/, 'no stack trace');
  }
  // A failure while working is exit 1: a missing checkpoint.
  const r = alexnet('eval', '--checkpoint', '/nonexistent/ck.bin');
  assert.is(r.status, 1);
  assert.match(r.stderr, /no checkpoint at \/nonexistent\/ck\.bin/);
});

test('alexnet summary --json gives the parameter count and every layer', () => {
  const r = alexnet('summary', '--config', 'paper', '--json');
  assert.is(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.is(j.parameters, 60965224);
  assert.is(j.layers.find((l: { name: string }) => l.name === 'fc6').params, 37752832);
});

test.run();
