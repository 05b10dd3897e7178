// The kit's float64 finite-difference check (src/verify/gradients.ts): the
// CPU reference in double precision passes every op with gradients, and a
// float64 backend whose backward is wrong in one way fails on that op and
// only that op, naming the input and element; a float32 backend is told why
// the check did not run; the command line prints the table.

import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Backend, BackendOp } from '../../src/backend.js';
import { type CpuTensor, cpuBackend } from '../../src/cpu/backend.js';
import { GRADIENT_TOLERANCE, GRAD_CHECKS, checkGradients, verifyBackend } from '../../src/verify/index.js';

const f64 = cpuBackend('float64');
const t = (data: Float64Array, shape: readonly number[]): CpuTensor => ({ data, shape: [...shape] }) as CpuTensor;
const scaled = (x: CpuTensor, k: number): CpuTensor => t(Float64Array.from(x.data, (v) => v * k), x.shape);

/** The float64 reference with one method replaced: a backward that disagrees with its own forward. */
function broken(name: string, patch: Partial<Backend<CpuTensor>>): Backend<CpuTensor> {
  return { ...f64, ...patch, name } as Backend<CpuTensor>;
}

const BROKEN: [BackendOp, Backend<CpuTensor>][] = [
  ['conv2d', broken('dW with its kernel axes transposed', {
    conv2dBackward(dy, x, w, p, acc) {
      const g = f64.conv2dBackward(dy, x, w, p, acc);
      const [O, C, k] = g.dw.shape, dw = new Float64Array(g.dw.data.length);
      for (let o = 0; o < O * C; o++) for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) dw[(o * k + i) * k + j] = g.dw.data[(o * k + j) * k + i];
      return { ...g, dw: t(dw, g.dw.shape) };
    },
  })],
  ['relu', broken('ReLU passing the gradient of negative inputs', { reluBackward: (dy) => dy })],
  ['tanh', broken('tanh\'s derivative as 1 - y', { tanhBackward: (dy, x) => t(Float64Array.from(dy.data, (d, i) => d * (1 - Math.tanh(x.data[i]))), dy.shape) })],
  ['lrn', broken('LRN backward in the other alpha convention', { lrnBackward: (dy, x, c, p) => f64.lrnBackward(dy, x, c, { ...p, convention: p.convention === 'paper' ? 'alpha/n' : 'paper' }) })],
  ['maxpool', broken('max pooling\'s gradient doubled', { maxpoolBackward: (dy, c, s) => scaled(f64.maxpoolBackward(dy, c, s), 2) })],
  ['dropout', broken('dropout\'s backward without the 1 / (1 - rate) scaling', { dropoutBackward: (dy, mask, p) => scaled(f64.dropoutBackward(dy, mask, p), 1 - p.rate) })],
  ['linear', broken('a linear db summed twice', { linearBackward: (dy, x, w, acc) => { const g = f64.linearBackward(dy, x, w, acc); return { ...g, db: scaled(g.db, 2) }; } })],
  ['softmax-xent', broken('the loss gradient summed, not averaged', {
    softmaxCrossEntropy: (l, y) => { const r = f64.softmaxCrossEntropy(l, y); return { ...r, dlogits: scaled(r.dlogits, l.shape[0]) }; },
  })],
];

test('the float64 CPU reference passes the finite-difference check on every op with gradients', async () => {
  const r = await checkGradients(f64 as never);
  assert.equal(r.map((g) => g.op), GRAD_CHECKS.map((g) => g.op));
  for (const g of r) {
    assert.is(g.status, 'pass', `${g.op}: ${g.worst} ${g.error ?? ''}`);
    assert.ok(g.worst < GRADIENT_TOLERANCE / 100, `${g.op}: ${g.worst} is far inside the tolerance (measured under 1e-9)`);
    assert.ok(g.coordinates >= 10, `${g.op}: ${g.coordinates} coordinates`);
  }
});

test('each broken float64 backward fails on its op only, naming the input and element', async () => {
  for (const [op, be] of BROKEN) {
    const r = await checkGradients(be as never);
    for (const g of r) {
      if (g.op === op) {
        assert.is(g.status, 'fail', `${be.name}: ${op} should fail (worst ${g.worst})`);
        assert.ok(g.where && Number.isFinite(g.where.analytic) && Number.isFinite(g.where.numeric), `${be.name}: the element and both values are reported`);
      } else assert.is(g.status, 'pass', `${be.name}: ${g.op} should pass, worst ${g.worst}`);
    }
  }
});

test('the kit runs the check on a float64 backend, says why not on a float32 one, and counts it in ok', async () => {
  const ops: BackendOp[] = ['relu', 'linear'];
  const r64 = await verifyBackend(f64, { ops, runs: 5, seed: 1, models: [] });
  assert.ok(Array.isArray(r64.gradients) && r64.gradients.length === 2 && r64.ok);
  const r32 = await verifyBackend(cpuBackend(), { ops, runs: 5, seed: 1, models: [] });
  assert.match((r32.gradients as { skipped: string }).skipped, /no float64 transfers \(upload64, download64\)/);
  const bad = await verifyBackend(BROKEN.find(([o]) => o === 'linear')![1], { ops, runs: 5, seed: 1, models: [] });
  assert.not.ok(bad.ok, 'a gradient failure fails the report');
  assert.equal((bad.gradients as { op: string; status: string }[]).map((g) => [g.op, g.status]), [['relu', 'pass'], ['linear', 'fail']]);
});

test('alexnet verify --backend cpu-float64 prints the finite-difference table', () => {
  const r = spawnSync(process.execPath, [resolve('bin/alexnet.js'), 'verify', '--backend', 'cpu-float64', '--ops', 'relu,lrn', '--runs', '3', '--seed', '1', '--models', 'none'], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /Finite differences in float64/);
  assert.match(r.stdout, /\nlrn +pass +\d+ +\d\.\d\de-\d+ +1\.00e-6\n/);
});

test.run();
