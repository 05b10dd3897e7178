// verifyBackend on backends that are right and on backends that are wrong in
// one known way each: the CPU reference (also behind Promises, as an
// asynchronous backend would be) passes every op; each broken backend fails
// on its op and only that op, with a shrunk counterexample naming the output.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AsyncBackend, Backend, BackendOp } from '../../src/backend.js';
import { type CpuTensor, cpuBackend } from '../../src/cpu/backend.js';
import { type MaxPoolParams, poolOutputSize } from '../../src/cpu/maxpool.js';
import { UnsupportedCaseError, verifyBackend } from '../../src/verify/index.js';
import { FC_SEED_OPTION } from '../helpers.js';

const cpu = cpuBackend();
// Enough cases that each break is met with near certainty under any seed (dropout's needs test time, the paper mode and a rate above 0: 3 cases in 16; missed by 40 runs with probability 2e-4).
const RUNS = 40;
const seed = (FC_SEED_OPTION as { seed?: number }).seed;

/** The same backend with every method answering through a Promise. */
function asyncOf(be: Backend<CpuTensor>): AsyncBackend<CpuTensor> {
  const out: Record<string, unknown> = { name: `${be.name} (async)` };
  for (const [k, v] of Object.entries(be)) if (typeof v === 'function') out[k] = (...a: unknown[]) => Promise.resolve().then(() => (v as (...x: unknown[]) => unknown)(...a));
  return out as unknown as AsyncBackend<CpuTensor>;
}

/** Max pooling whose gradient goes to the last of tied maxima (the reference: the first). */
function lastTiePool(x: CpuTensor, p: MaxPoolParams): { y: CpuTensor; cache: { kind: string } } {
  const r = cpu.maxpoolForward(x, p) as { y: CpuTensor; cache: { kind: string; out: { y: CpuTensor; argmax: Int32Array } } };
  const [N, C, H, W] = x.shape, Ho = poolOutputSize(H, p), Wo = poolOutputSize(W, p);
  for (let nc = 0; nc < N * C; nc++) for (let i = 0; i < Ho; i++) for (let j = 0; j < Wo; j++) {
    const o = (nc * Ho + i) * Wo + j;
    for (let yy = Math.max(0, i * p.stride - p.pad); yy < Math.min(H, i * p.stride - p.pad + p.kernel); yy++)
      for (let xx = Math.max(0, j * p.stride - p.pad); xx < Math.min(W, j * p.stride - p.pad + p.kernel); xx++)
        if (x.data[nc * H * W + yy * W + xx] === r.y.data[o]) r.cache.out.argmax[o] = nc * H * W + yy * W + xx;
  }
  return r;
}

/** dW with its two kernel axes swapped (a transposed kernel layout). */
function swapKernelAxes(dw: CpuTensor): CpuTensor {
  const [O, C, kh, kw] = dw.shape, copy = dw.data.slice();
  for (let a = 0; a < O * C; a++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) dw.data[a * kh * kw + i * kw + j] = copy[a * kh * kw + j * kw + i];
  return dw;
}

const BROKEN: [BackendOp, string, AsyncBackend<CpuTensor>][] = [
  ['lrn', 'LRN with the other alpha convention', {
    ...cpu, name: 'lrn-alpha',
    lrnForward: (x, p) => cpu.lrnForward(x, { ...p, convention: p.convention === 'paper' ? 'alpha/n' : 'paper' }),
    lrnBackward: (dy, x, c, p) => cpu.lrnBackward(dy, x, c, { ...p, convention: p.convention === 'paper' ? 'alpha/n' : 'paper' }),
  }],
  ['maxpool', 'the max-pool gradient sent to the last of tied maxima', { ...cpu, name: 'pool-last-tie', maxpoolForward: lastTiePool }],
  ['conv2d', 'dW with its kernel axes transposed', {
    ...cpu, name: 'conv-dw-transposed',
    conv2dBackward: (...a) => { const g = cpu.conv2dBackward(...a); swapKernelAxes(g.dw); return g; },
    conv2dBackwardWeights: (...a) => { const g = cpu.conv2dBackwardWeights(...a); swapKernelAxes(g.dw); return g; },
  }],
  ['softmax-xent', 'the loss summed over the batch instead of averaged', {
    ...cpu, name: 'loss-summed',
    softmaxCrossEntropy: (logits, labels) => {
      const r = cpu.softmaxCrossEntropy(logits, labels);
      r.dlogits.data.forEach((v, i, d) => { d[i] = v * labels.length; });
      return { ...r, loss: r.loss * labels.length };
    },
  }],
  ['dropout', 'test-time dropout without the paper\'s scaling', {
    ...cpu, name: 'dropout-unscaled',
    dropoutForward: (x, mask, p) => (!p.train && p.mode === 'paper' ? { ...x, data: x.data.slice() } : cpu.dropoutForward(x, mask, p)),
  }],
];

test('the CPU reference passes every op, also as an asynchronous backend; a missing op is reported as not implemented', async () => {
  const sync = await verifyBackend(cpu, { runs: 10, seed });
  assert.ok(sync.ok);
  assert.equal(sync.ops.map((r) => r.status), sync.ops.map(() => 'pass'));
  assert.ok(sync.ops.every((r) => r.worst === 0 && r.cases === 10), 'the reference against itself: identical');
  assert.equal(sync.models.map((m) => `${m.config} ${m.status}`), ['tiny pass', 'small pass'], 'whole models, forward and backward');
  const asyncRep = await verifyBackend(asyncOf(cpu), { runs: 3, seed });
  assert.ok(asyncRep.ok && asyncRep.ops.every((o) => o.status === 'pass'), 'the same ops behind Promises');
  assert.equal(asyncRep.models.map((m) => `${m.config} ${m.status} ${m.judged}`), sync.models.map((m) => `${m.config} pass ${m.judged}`), 'the whole models behind Promises too');
  const { tanhForward: _f, tanhBackward: _b, ...noTanh } = asyncOf(cpu) as Record<string, unknown>;
  const r = await verifyBackend(noTanh as unknown as AsyncBackend<CpuTensor>, { runs: 10, seed });
  assert.ok(r.ok, 'a missing op is not a failure');
  const tanh = r.ops.find((o) => o.op === 'tanh')!;
  assert.is(tanh.status, 'not implemented');
  assert.equal(tanh.missing, ['tanhForward', 'tanhBackward']);
  assert.ok(r.ops.filter((o) => o.op !== 'tanh').every((o) => o.status === 'pass'));
});

test('a forward-only backend (no backward methods, as an inference engine) is checked on the forward outputs, and caught there', async () => {
  const backwardMethods = ['conv2dBackward', 'conv2dBackwardWeights', 'reluBackward', 'tanhBackward', 'lrnBackward', 'maxpoolBackward', 'dropoutBackward', 'linearBackward'];
  const forwardOnly = Object.fromEntries(Object.entries(asyncOf(cpu)).filter(([k]) => !backwardMethods.includes(k))) as unknown as AsyncBackend<CpuTensor>;
  const r = await verifyBackend(forwardOnly, { runs: 10, seed });
  assert.ok(r.ok);
  const conv = r.ops.find((o) => o.op === 'conv2d')!;
  assert.equal([conv.status, conv.forwardOnly, conv.missing], ['pass', true, ['conv2dBackward', 'conv2dBackwardWeights']]);
  assert.ok(r.ops.filter((o) => o.op === 'softmax-xent' || o.op === 'sgd').every((o) => o.status === 'pass' && !o.forwardOnly));
  assert.equal(r.models.map((m) => `${m.config} ${m.status} ${m.forwardOnly}`), ['tiny pass true', 'small pass true'], 'whole models, forward only');
  assert.ok(r.models.every((m) => m.judged > 0 && !/^d|gradient/.test(m.worst!.kind)), 'forward tensors alone are judged');
  // Wrong in the forward pass: LRN in the other convention, without any backward method.
  const bad = { ...(forwardOnly as object), name: 'fwd-lrn', lrnForward: (x: CpuTensor, p: Parameters<typeof cpu.lrnForward>[1]) => cpu.lrnForward(x, { ...p, convention: p.convention === 'paper' ? 'alpha/n' : 'paper' }) } as unknown as AsyncBackend<CpuTensor>;
  const rb = await verifyBackend(bad, { runs: 20, seed, models: ['small'] });
  assert.equal(rb.ops.filter((o) => o.status === 'fail').map((o) => `${o.op} ${o.counterexample!.mismatch!.output}`), ['lrn y']);
  assert.equal(rb.models.map((m) => `${m.config} ${m.status}`), ['small fail'], 'the forward model check fails too');
});

test('a case the backend declines with an UnsupportedCaseError is skipped and counted, not failed; declining every case is not implemented', async () => {
  const oddOnly = { ...cpu, name: 'odd-lrn', lrnForward: (x: CpuTensor, p: Parameters<typeof cpu.lrnForward>[1]) => {
    if (p.size % 2 === 0) throw new UnsupportedCaseError(`size ${p.size} is even`);
    return cpu.lrnForward(x, p);
  } };
  const r = await verifyBackend(oddOnly, { runs: 20, seed, ops: ['lrn'] });
  const lrn = r.ops[0];
  assert.equal([lrn.status, lrn.cases], ['pass', 20], 'twenty supported cases run');
  assert.ok(lrn.unsupported!.cases > 0 && /"size":[246],.*: size [246] is even$/.test(lrn.unsupported!.first), JSON.stringify(lrn.unsupported));
  // By name: a backend that cannot import the class throws any Error named so.
  const none = { ...cpu, name: 'no-lrn', lrnForward: () => { throw Object.assign(new Error('no LRN here'), { name: 'UnsupportedCaseError' }); } };
  const n = await verifyBackend(none, { runs: 5, seed, ops: ['lrn'] });
  assert.is(n.ops[0].status, 'not implemented');
  assert.ok(n.ok);
});

for (const [op, what, be] of BROKEN) {
  test(`a backend with ${what} fails on ${op} and only there, with a shrunk counterexample`, async () => {
    const r = await verifyBackend(be, { runs: RUNS, seed });
    assert.not.ok(r.ok);
    assert.equal(r.ops.filter((o) => o.status === 'fail').map((o) => o.op), [op]);
    const f = r.ops.find((o) => o.op === op)!;
    const m = f.counterexample!.mismatch!;
    assert.ok(m.relError > f.tolerance, `${m.output}: ${m.relError}`);
    assert.ok(Number.isFinite(m.got) && Number.isFinite(m.want) && m.got !== m.want, `${m.got} against ${m.want}`);
    assert.type(f.counterexample!.path, 'string');
    // Replaying the reported seed and path reproduces the failure.
    const again = await verifyBackend(be, { ops: [op], seed: f.counterexample!.seed, path: f.counterexample!.path, runs: RUNS });
    assert.is(again.ops[0].status, 'fail');
  });
}

test('alexnet verify --backend MODULE: the table, the shrunk case and its replay line, exit 1 on a failure; --json; bad modules and ops', () => {
  const dir = mkdtempSync(join(tmpdir(), 'alexnet-kit-'));
  const dist = JSON.stringify(resolve('dist/index.js'));
  // A module as a user writes one: the CPU backend with LRN in the other alpha convention, as its default export.
  writeFileSync(join(dir, 'lrn.mjs'), `import { cpuBackend } from ${dist};
const cpu = cpuBackend();
const other = (p) => ({ ...p, convention: p.convention === 'paper' ? 'alpha/n' : 'paper' });
export default { ...cpu, name: 'lrn-alpha', lrnForward: (x, p) => cpu.lrnForward(x, other(p)), lrnBackward: (dy, x, c, p) => cpu.lrnBackward(dy, x, c, other(p)) };
`);
  // A function returning a Promise of a backend, with the ops it implements declared.
  writeFileSync(join(dir, 'lazy.mjs'), `import { cpuBackend } from ${dist};
export default async () => ({ ...cpuBackend(), name: 'lazy', ops: ['relu', 'linear'] });
`);
  writeFileSync(join(dir, 'nothing.mjs'), 'export default 42;\n');
  const cli = (...a: string[]) => spawnSync(process.execPath, [resolve('bin/alexnet.js'), 'verify', ...a], { encoding: 'utf8' });
  const r = cli('--backend', join(dir, 'lrn.mjs'), '--runs', '15', '--seed', '7', '--quiet');
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stdout, /^backend lrn-alpha against the CPU reference: 15 generated cases per op, seed 7/);
  assert.match(r.stdout, /\nlrn\s+FAIL/);
  assert.match(r.stdout, /lrn FAILS\. Smallest case found: \{/);
  assert.ok(r.stdout.includes(`replay: alexnet verify --backend ${join(dir, 'lrn.mjs')} --ops lrn --seed 7 --path `), r.stdout);
  // The LRN goldens catch it too, and so do both whole models, which normalise.
  assert.match(r.stdout, /PyTorch goldens: \d+ cases passed, [1-9]\d* failed; first failure \S+\.json: /);
  assert.match(r.stdout, /\ntiny\s+FAIL\s+\d+\s+\S+ norm\d/);
  assert.match(r.stdout, /\nsmall\s+FAIL\s+\d+\s+\S+ norm\d/);
  assert.match(r.stdout, /\n8 passed, 4 failed\n$/);
  const j = JSON.parse(cli('--backend', join(dir, 'lrn.mjs'), '--runs', '15', '--seed', '7', '--ops', 'lrn,relu', '--json').stdout);
  assert.equal([j.ok, j.ops.map((o: { op: string; status: string }) => `${o.op} ${o.status}`)], [false, ['relu pass', 'lrn fail']]);
  // The JSON names every failing golden and every tensor beyond its limit: here the LRN cases, and the nets from their first LRN layer on.
  const full = JSON.parse(cli('--backend', join(dir, 'lrn.mjs'), '--runs', '5', '--seed', '7', '--json').stdout);
  assert.ok(full.goldens.failures.length > 0 && full.goldens.failures.every((f: string) => /^(lrn\.json: lrn_|alexnet_tiny\.json: )/.test(f)), full.goldens.failures.join(', '));
  assert.equal(full.models.map((m: { failures: string[] }) => m.failures.filter((f) => /norm1/.test(f)).length > 0 && !m.failures.some((f) => /conv1|relu1/.test(f))), [true, true], 'the first tensors beyond their limits are norm1\'s');
  const lazy = cli('--backend', join(dir, 'lazy.mjs'), '--runs', '5', '--quiet');
  assert.is(lazy.status, 0, lazy.stdout + lazy.stderr);
  assert.match(lazy.stdout, /conv2d\s+not implemented \(\(not in the backend's ops\)\)/);
  assert.match(lazy.stdout, /PyTorch goldens: skipped \(the golden cases need every op forward and backward; not implemented: conv2d, tanh, lrn, maxpool, dropout, softmax-xent, sgd\)/);
  assert.match(lazy.stdout, /\n2 passed, 0 failed, 10 not implemented or skipped\n$/);
  const none = cli('--backend', join(dir, 'nothing.mjs'));
  assert.is(none.status, 1);
  assert.match(none.stderr, /nothing\.mjs: the module's default export is not a Backend/);
  const bad = cli('--ops', 'frob');
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /--ops takes a list of conv2d, relu, tanh, lrn, maxpool, dropout, linear, softmax-xent, sgd \(or all\); got 'frob'/);
});

test.run();
