// gemm-threads.ts, gemm32's products over worker threads, against gemm32 on
// one thread: the same bits (no tolerance). Each element of C is summed by the
// loops one thread would run for it, whichever thread holds its column; a
// block of columns computed at a wrong offset, missed, written twice or added
// to a stale copy of C changes some bits.

import * as fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { backendNamed } from '../../src/api/backends.js';
import { runGoldenDirs } from '../../src/cli/verify.js';
import { cpuBackend } from '../../src/cpu/backend.js';
import { DOTS_M, FLOAT32_PRODUCTS } from '../../src/cpu/gemm32.js';
import { RESEND_MS, gemmThreadPool, sharedZeros, split, testHooks } from '../../src/cpu/gemm-threads.js';
import { isShared } from '../../src/cpu/tensor.js';
import { Rng } from '../../src/cpu/random.js';
import { PAPER_SGD } from '../../src/cpu/sgd.js';
import { CONFIGS } from '../../src/nn/config.js';
import { initParams, toHost } from '../../src/nn/model.js';
import { createTrainState, trainStep } from '../../src/nn/step.js';
import { FC, GOLDENS, rejectsWith } from '../helpers.js';

const pool = await gemmThreadPool(3);

/** The first flat index where a and b differ bit for bit, or -1. */
function firstDifference(a: Float32Array | Float64Array, b: Float32Array | Float64Array): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

test('split: rows where A is the larger operand, columns otherwise, multiples of the tile, none narrower than 16', () => {
  assert.equal(split(384, 169, 2), [{ i0: 0, i1: 192, j0: 0, j1: 169 }, { i0: 192, i1: 384, j0: 0, j1: 169 }]);
  assert.equal(split(96, 3025, 2), [{ i0: 0, i1: 96, j0: 0, j1: 1516 }, { i0: 0, i1: 96, j0: 1516, j1: 3025 }]);
  assert.equal(split(100, 30, 4).map((b) => [b.i0, b.i1]), [[0, 32], [32, 64], [64, 100]]);
  assert.equal(split(8, 31, 2), [{ i0: 0, i1: 8, j0: 0, j1: 31 }]);
  // Cut by columns when asked (gemm32's dots path, chosen by M, must see every block with the whole product's M).
  assert.equal(split(64, 40, 2, true), [{ i0: 0, i1: 64, j0: 0, j1: 20 }, { i0: 0, i1: 64, j0: 20, j1: 40 }]);
  assert.equal(split(384, 24, 2, true), [{ i0: 0, i1: 384, j0: 0, j1: 24 }]);
});

test('a pool of 3 starts its 2 workers here (Node has worker_threads and SharedArrayBuffer)', () => {
  assert.is(pool.threads, 3);
  assert.is(pool.notice, undefined);
});

// Shapes above the hand-off threshold (2^20 multiply-adds), with few rows (the M < 16 paths), edge tiles, N not a
// multiple of 4 or of the blocks (and N of 30 to 50, where a last block narrower than 16 would take another path
// through gemm32 than the whole product), several K slices; the operands in shared memory or not, at offsets.
const dims = fc.record({
  M: fc.oneof(fc.integer({ min: 1, max: 15 }), fc.integer({ min: 16, max: 70 })), N: fc.oneof(fc.integer({ min: 9, max: 700 }), fc.integer({ min: 30, max: 50 })),
  K: fc.oneof(fc.integer({ min: 4, max: 600 }), fc.integer({ min: 2000, max: 2600 })), form: fc.constantFrom('AB', 'AtB', 'ABt' as const), shared: fc.boolean(), seed: fc.integer(),
});

test('ABt (both operands along k) keeps the one-thread path on both sides of DOTS_M: cut by columns, never into blocks of fewer rows', () => {
  const rng = Rng.seeded(7);
  for (const M of [DOTS_M, DOTS_M + 8, 3 * DOTS_M]) {
    // N below M: cut by rows, blocks of M / 3 rows would take the dots path where the whole product runs packed.
    const N = 40, K = 2100, A = sharedZeros(M * K), B = sharedZeros(K * N), want = sharedZeros(M * N), got = sharedZeros(M * N);
    A.set(rng.normalArray(M * K));
    B.set(rng.normalArray(K * N));
    const before = pool.handedOff;
    FLOAT32_PRODUCTS.ABt(M, N, K, A, 0, B, 0, want, 0);
    pool.products.ABt(M, N, K, A, 0, B, 0, got, 0);
    assert.is(pool.handedOff - before, 1, `M ${M}: handed off`);
    const at = firstDifference(got, want);
    if (at >= 0) assert.unreachable(`ABt M ${M} N ${N} K ${K}: element ${at} is ${got[at]}, one thread gives ${want[at]}`);
  }
});

test('the three products over 3 threads have the bits of FLOAT32_PRODUCTS on one thread (shared operands or copied, at offsets)', () => {
  const before = pool.handedOff;
  let big = 0;
  fc.assert(fc.property(dims, ({ M, N, K, form, shared, seed }) => {
    const rng = Rng.seeded(seed);
    const make = (n: number) => { const a = shared ? sharedZeros(n) : new Float32Array(n); a.set(rng.normalArray(n)); return a; };
    const A = make(3 + M * K), B = make(5 + K * N), want = make(2 + M * N + 1);
    const got = shared ? sharedZeros(want.length) : new Float32Array(want.length);
    got.set(want);
    FLOAT32_PRODUCTS[form](M, N, K, A, 3, B, 5, want, 2);
    pool.products[form](M, N, K, A, 3, B, 5, got, 2);
    // What the pool hands off: enough work, and C cut into two blocks or more (of columns only where both operands run
    // along k, ABt: gemm32 picks their path by M).
    if (M * N * K >= 1 << 20 && split(M, N, 3, form === 'ABt').length > 1) big++;
    const at = firstDifference(got, want);
    if (at >= 0) assert.unreachable(`${form} M ${M} N ${N} K ${K} (${shared ? 'shared' : 'copied'}): element ${at} is ${got[at]}, one thread gives ${want[at]}`);
  }), { ...FC, numRuns: 80 });
  assert.is(pool.handedOff - before, big, 'every product above the threshold went to the workers');
  assert.ok(big > 10, `the cases reached the workers (${big} of 80)`);
});

test('a job message lost on its way to a worker is sent again after RESEND_MS, and a copy of a job done is dropped: the bits of one thread', () => {
  const rng = Rng.seeded(21);
  const M = 64, N = 96, K = 512; // 3.1 M multiply-adds: handed off to both workers
  const A = sharedZeros(M * K), B = sharedZeros(K * N);
  A.set(rng.normalArray(M * K));
  B.set(rng.normalArray(K * N));
  const want = sharedZeros(M * N);
  want.set(rng.normalArray(M * N)); // C is added to: a job run twice would show
  const start = want.slice();
  FLOAT32_PRODUCTS.AB(M, N, K, A, 0, B, 0, want, 0);
  for (const hook of ['drop', 'twice'] as const) {
    const got = sharedZeros(M * N);
    got.set(start);
    const before = { handed: pool.handedOff, resent: pool.resent };
    testHooks[hook] = 1;
    const t0 = performance.now();
    pool.products.AB(M, N, K, A, 0, B, 0, got, 0);
    const ms = performance.now() - t0;
    testHooks[hook] = 0;
    assert.is(pool.handedOff - before.handed, 1, 'the product went to the workers');
    assert.is(pool.resent - before.resent, hook === 'drop' ? 1 : 0, `${hook}: jobs sent again`);
    if (hook === 'drop') assert.ok(ms >= RESEND_MS, `the lost job was sent again after ${RESEND_MS} ms (${ms.toFixed(0)} ms)`);
    const at = firstDifference(got, want);
    if (at >= 0) assert.unreachable(`${hook}: element ${at} is ${got[at]}, one thread gives ${want[at]}`);
    // The next product finds the worker in step (a dropped copy left on its port is skipped, not run).
    const again = sharedZeros(M * N);
    again.set(start);
    pool.products.AB(M, N, K, A, 0, B, 0, again, 0);
    assert.is(firstDifference(again, want), -1, `${hook}: the product after it`);
    assert.is(firstDifference(got, want), -1, `${hook}: no copy of the job ran on its C again`);
  }
});

test('a job that is only slow is not sent again: the worker has said it took it', () => {
  const rng = Rng.seeded(22);
  // About 100 M multiply-adds, a few milliseconds a share, far longer than the 0.01 ms allowed here. takenFirst
  // makes the caller wait, untimed, until the worker has said it took the job (on a busy machine the worker may
  // not have been scheduled yet: then a resend is right, and this spec failed 2 runs in 4 before the hook); the
  // timed wait that follows must then run out, be counted, and send nothing again.
  const M = 128, N = 192, K = 4096;
  const A = sharedZeros(M * K), B = sharedZeros(K * N);
  A.set(rng.normalArray(M * K));
  B.set(rng.normalArray(K * N));
  const want = sharedZeros(M * N), got = sharedZeros(M * N);
  FLOAT32_PRODUCTS.AB(M, N, K, A, 0, B, 0, want, 0);
  const before = { handed: pool.handedOff, resent: pool.resent, timeouts: testHooks.timeouts };
  testHooks.resendMs = 0.01;
  testHooks.takenFirst = true;
  let products = 0;
  try {
    // At least 5 products, and on until a timed wait has run out (under load the caller may be descheduled until
    // the worker is done, and then there is nothing to time out: seen with two busy processes beside the spec).
    for (products = 0; products < 5 || (testHooks.timeouts === before.timeouts && products < 100); products++) { got.fill(0); pool.products.AB(M, N, K, A, 0, B, 0, got, 0); }
  } finally {
    testHooks.resendMs = undefined;
    testHooks.takenFirst = false;
  }
  assert.is(pool.handedOff - before.handed, products, 'the products went to the workers');
  assert.ok(testHooks.timeouts > before.timeouts, 'a timed wait ran out while a worker was still busy (else this spec tested nothing)');
  assert.is(pool.resent - before.resent, 0, 'no job sent again');
  assert.is(firstDifference(got, want), -1);
});

test('a last block narrower than 16 columns joins the one before it (it would take another path through gemm32)', () => {
  // 3 threads: N = 50 cuts into 20 + 20 + 10, N = 49 and 51 likewise; few rows against B's rows run transposed and
  // packed in gemm32 only from 16 columns, so a last block of 9 to 11 would be summed in double precision instead.
  const rng = Rng.seeded(9);
  for (const [M, N, K] of [[8, 50, 4096], [3, 49, 8000], [12, 51, 3000]]) {
    const A = rng.normalArray(M * K), B = rng.normalArray(K * N), want = rng.normalArray(M * N), got = Float32Array.from(want);
    FLOAT32_PRODUCTS.AB(M, N, K, A, 0, B, 0, want, 0);
    const before = pool.handedOff;
    pool.products.AB(M, N, K, A, 0, B, 0, got, 0);
    assert.is(pool.handedOff, before + 1, `M ${M} N ${N} K ${K} was handed off`);
    const at = firstDifference(got, want);
    if (at >= 0) assert.unreachable(`M ${M} N ${N} K ${K}: element ${at} is ${got[at]}, one thread gives ${want[at]}`);
  }
});

test('cpu-threads: its tensors are shared, and a training step of the small net has the bits of cpu-float32-sums', async () => {
  const c = CONFIGS.small(), host = initParams(c, Rng.seeded(1));
  const rng = Rng.seeded(2), batch = 16;
  const x = rng.normalArray(batch * c.inputChannels * c.inputSize * c.inputSize), labels = Int32Array.from({ length: batch }, () => rng.int(c.classes));
  const after = async (be: ReturnType<typeof cpuBackend>) => {
    const s = await createTrainState(be, c, host);
    const xt = be.upload(x, [batch, c.inputChannels, c.inputSize, c.inputSize]);
    for (let i = 0; i < 2; i++) await trainStep(be, c, s, xt, labels, Rng.seeded(3 + i), PAPER_SGD);
    return { params: await toHost(be, s.params), shared: isShared(xt.data) };
  };
  const before = pool.handedOff;
  const one = await after(cpuBackend('float32', { sums: 'float32' }));
  const many = await after(cpuBackend('float32', { sums: 'float32', threads: pool }));
  assert.ok(pool.handedOff - before > 0, 'the step handed products to the workers');
  assert.equal([one.shared, many.shared], [false, true]);
  for (const [name, p] of one.params) {
    const at = firstDifference(many.params.get(name)!.data, p.data);
    if (at >= 0) assert.unreachable(`${name}[${at}]: ${many.params.get(name)!.data[at]} against ${p.data[at]}`);
  }
  assert.is(cpuBackend('float32', { sums: 'float32', threads: pool }).name, 'cpu-threads');
  assert.throws(() => cpuBackend('float32', { threads: pool }), /threads run the float32 products: give sums: 'float32'/);
});

test('the command-line name cpu-threads passes every golden case; a pool of 0 threads is refused', async () => {
  const be = await backendNamed('cpu-threads');
  assert.is(be.name, 'cpu-threads');
  const rep = await runGoldenDirs(be, [GOLDENS]);
  assert.equal([rep.failed, rep.passed >= 36], [0, true], JSON.stringify(rep.cases.filter((c) => !c.pass).map((c) => c.id)));
  await be.destroy();
  await rejectsWith(() => gemmThreadPool(0), /threads must be an integer from 1 to 64, got 0/);
});

test('without SharedArrayBuffer (a page that is not cross-origin isolated) a pool has one thread and says why', async () => {
  const g = globalThis as { SharedArrayBuffer?: unknown };
  const saved = g.SharedArrayBuffer;
  delete g.SharedArrayBuffer;
  try {
    const one = await gemmThreadPool(2);
    assert.is(one.threads, 1);
    assert.match(one.notice ?? '', /SharedArrayBuffer is unavailable here \(a page must be cross-origin isolated\): one thread/);
    const rng = Rng.seeded(4), A = rng.normalArray(64 * 300), B = rng.normalArray(300 * 200), want = new Float32Array(64 * 200), got = new Float32Array(64 * 200);
    FLOAT32_PRODUCTS.AB(64, 200, 300, A, 0, B, 0, want, 0);
    one.products.AB(64, 200, 300, A, 0, B, 0, got, 0);
    assert.is(firstDifference(got, want), -1);
    assert.is(one.handedOff, 0);
  } finally {
    g.SharedArrayBuffer = saved;
  }
});

test.after(() => pool.close());
test.run();
