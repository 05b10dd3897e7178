// conv2d-chunks.ts, the float32 backends' convolutions (whole chunks of images
// to a thread), against conv2d.ts's reference passes (double-precision sums)
// over random shapes, and over a thread pool against one thread bit for bit.

import * as fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chunkOf, conv2dBackward, conv2dForward } from '../../src/cpu/conv2d.js';
import { SLOTS, chunking, conv2dForwardChunks, conv2dGradsChunks, slotChunks } from '../../src/cpu/conv2d-chunks.js';
import { gemmThreadPool, sharedZeros } from '../../src/cpu/gemm-threads.js';
import { Rng } from '../../src/cpu/random.js';
import { type Tensor, sizeOf } from '../../src/cpu/tensor.js';
import { FC } from '../helpers.js';

const pool = await gemmThreadPool(3);

/** A float32 tensor of normal values, in shared memory (as the threaded backend holds them). */
function shared(rng: Rng, shape: readonly number[]): Tensor<Float32Array> {
  const data = sharedZeros(sizeOf(shape)) as Float32Array;
  data.set(rng.normalArray(data.length));
  return { data, shape };
}

/** The same values in float64, or their absolute values. */
function f64(t: Tensor, abs = false): Tensor<Float64Array> {
  return { data: Float64Array.from(t.data, (v) => (abs ? Math.abs(v) : v)), shape: t.shape };
}

/**
 * Fails where |got - want| passes (n + 1) u sum|terms| (u = 2^-24): the bound
 * on a float32 sum of n float32 products, each rounded, whatever their order
 * (Higham, Accuracy and Stability, 3.1), taken 1 % wide for the reference's
 * own rounding to float32 (`terms` is the sum of the terms' magnitudes, per element).
 */
function withinSumBound(what: string, got: ArrayLike<number>, want: ArrayLike<number>, terms: ArrayLike<number>, n: number): void {
  assert.is(got.length, want.length, `${what}: length`);
  const u = 2 ** -24;
  for (let i = 0; i < want.length; i++) {
    const bound = 1.01 * ((n + 1) * u * terms[i] + u * Math.abs(want[i]));
    if (!(Math.abs(got[i] - want[i]) <= bound)) assert.unreachable(`${what}[${i}]: ${got[i]}, the reference ${want[i]}, beyond the float32 bound ${bound}`);
  }
}

/** Fails naming the first flat index where a and b differ bit for bit. */
function sameBits(what: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  assert.is(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) assert.unreachable(`${what}[${i}]: ${got[i]} over the threads, ${want[i]} on one`);
}

test('chunking: every image in exactly one chunk, at most chunkOf and a quarter of the batch (rounded up) a chunk', () => {
  assert.equal(chunking(128, 200, 169), { nb: 16, count: 8 }); // the small net's conv2: 30 would fit, eight chunks of 16 share evenly
  assert.equal(chunking(8, 363, 3025), { nb: 1, count: 8 }); // the paper's conv1 at batch 8: one image a chunk
  assert.equal(chunking(1, 363, 3025), { nb: 1, count: 1 });
  fc.assert(fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 3000 }), (N, K, P) => {
    const { nb, count } = chunking(N, K, P);
    assert.ok(nb >= 1 && nb <= chunkOf(N, K, P), `nb ${nb}`);
    assert.ok(nb * count >= N && nb * (count - 1) < N, `${count} chunks of ${nb} for ${N} images`);
    assert.ok(nb <= Math.ceil(N / 4), `chunks of ${nb} for ${N} images`);
  }), FC);
  // Slots: consecutive runs of chunks that cover every chunk once.
  fc.assert(fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: SLOTS }), (count, want) => {
    const slots = Math.min(count, want);
    let next = 0;
    for (let s = 0; s < slots; s++) {
      const [a, b] = slotChunks(s, slots, count);
      assert.is(a, next);
      assert.ok(b > a, `slot ${s} of ${slots} over ${count} chunks is empty`);
      next = b;
    }
    assert.is(next, count);
  }), FC);
});

const conv = fc.record({
  N: fc.integer({ min: 1, max: 11 }), Cg: fc.integer({ min: 1, max: 4 }), Coutg: fc.integer({ min: 1, max: 20 }), groups: fc.constantFrom(1, 2),
  H: fc.integer({ min: 1, max: 30 }), k: fc.constantFrom(1, 2, 3, 5), stride: fc.constantFrom(1, 2, 3), pad: fc.integer({ min: 0, max: 2 }), seed: fc.integer(),
}).filter((c) => c.H + 2 * c.pad >= c.k && c.pad < c.k);

test('forward, backward and the weights-only backward agree with the reference within the float32 sum bound; acc gets dw and db added', () => {
  fc.assert(fc.property(conv, ({ N, Cg, Coutg, groups, H, k, stride, pad, seed }) => {
    const rng = Rng.seeded(seed), p = { stride, pad, groups };
    const x = shared(rng, [N, Cg * groups, H, H + 2]), w = shared(rng, [Coutg * groups, Cg, k, k]), b = shared(rng, [Coutg * groups]);
    const y = conv2dForwardChunks(x, w, b, p);
    const want = conv2dForward(f64(x), f64(w), f64(b), p);
    withinSumBound('y', y.data, want.data, conv2dForward(f64(x, true), f64(w, true), f64(b, true), p).data, Cg * k * k + 1);
    const dy = shared(rng, y.shape), P = y.shape[2] * y.shape[3];
    const acc = { dw: shared(rng, w.shape), db: shared(rng, b.shape) };
    const accBefore = { dw: f64(acc.dw), db: f64(acc.db) };
    const g = conv2dGradsChunks(dy, x, w, p, acc, true), gw = conv2dGradsChunks(dy, x, w, p, undefined, false);
    const ref = conv2dBackward(f64(dy), f64(x), f64(w), p);
    const abs = conv2dBackward(f64(dy, true), f64(x, true), f64(w, true), p);
    // dx: a col2im sum of at most k^2 entries, each a sum over Coutg; dw: over N P positions, then the slots' parts.
    withinSumBound('dx', g.dx!.data, ref.dx.data, abs.dx.data, Coutg * k * k + k * k);
    withinSumBound('dw', gw.dw.data, ref.dw.data, abs.dw.data, N * P + SLOTS);
    withinSumBound('db', gw.db.data, ref.db.data, abs.db.data, N * P);
    assert.is(gw.dx, undefined);
    // With acc: its buffers, holding their old values plus the gradients.
    assert.ok(g.dw === acc.dw && g.db === acc.db, 'the accumulators are returned');
    withinSumBound('acc.dw', acc.dw.data, ref.dw.data.map((v, i) => v + accBefore.dw.data[i]), abs.dw.data.map((v, i) => v + Math.abs(accBefore.dw.data[i])), N * P + SLOTS + 1);
  }), { ...FC, numRuns: 60 });
});

test('over 3 threads, the bits of one thread: forward, backward (with acc), weights only, and one image (its products shared out)', () => {
  let reached = 0;
  fc.assert(fc.property(conv, ({ N, Cg, Coutg, groups, H, k, stride, pad, seed }) => {
    const rng = Rng.seeded(seed), p = { stride, pad, groups };
    const x = shared(rng, [N, Cg * groups, H + 20, H + 22]), w = shared(rng, [Coutg * groups, Cg, k, k]), b = shared(rng, [Coutg * groups]);
    const y1 = conv2dForwardChunks(x, w, b, p);
    const dy = shared(rng, y1.shape);
    const acc1 = { dw: shared(rng, w.shape), db: shared(rng, b.shape) };
    const acc = { dw: { data: sharedZeros(w.data.length) as Float32Array, shape: w.shape }, db: { data: sharedZeros(b.data.length) as Float32Array, shape: b.shape } };
    acc.dw.data.set(acc1.dw.data);
    acc.db.data.set(acc1.db.data);
    const g1 = conv2dGradsChunks(dy, x, w, p, acc1, true), gw1 = conv2dGradsChunks(dy, x, w, p, undefined, false);
    const before = pool.rangesHandedOff;
    const y = conv2dForwardChunks(x, w, b, p, pool.products, pool.parallel);
    const g = conv2dGradsChunks(dy, x, w, p, acc, true, pool.products, pool.parallel);
    const gw = conv2dGradsChunks(dy, x, w, p, undefined, false, pool.products, pool.parallel);
    if (pool.rangesHandedOff > before) reached++;
    sameBits('y', y.data, y1.data);
    sameBits('dx', g.dx!.data, g1.dx!.data);
    sameBits('acc.dw', g.dw.data, g1.dw.data);
    sameBits('acc.db', g.db.data, g1.db.data);
    sameBits('dw (weights only)', gw.dw.data, gw1.dw.data);
  }), { ...FC, numRuns: 40 });
  assert.ok(reached >= 5, `only ${reached} of 40 cases reached the workers`);
  // The small net's conv2 at batch 128: eight chunks of 16, eight slots, two or three threads.
  const rng = Rng.seeded(5), p = { stride: 1, pad: 2, groups: 2 };
  const x = shared(rng, [128, 16, 13, 13]), w = shared(rng, [32, 8, 5, 5]), b = shared(rng, [32]);
  const y1 = conv2dForwardChunks(x, w, b, p), g1 = conv2dGradsChunks(y1, x, w, p, undefined, true);
  const before = pool.rangesHandedOff;
  const y = conv2dForwardChunks(x, w, b, p, pool.products, pool.parallel), g = conv2dGradsChunks(y, x, w, p, undefined, true, pool.products, pool.parallel);
  assert.ok(pool.rangesHandedOff - before >= 3, 'the chunks, the slots and the parts\' sum went to the workers');
  sameBits('small conv2 y', y.data, y1.data);
  sameBits('small conv2 dx', g.dx!.data, g1.dx!.data);
  sameBits('small conv2 dw', g.dw.data, g1.dw.data);
  // One image: one chunk, its products cut among the threads instead.
  const x1 = shared(rng, [1, 16, 27, 27]), w1 = shared(rng, [64, 8, 5, 5]), b1 = shared(rng, [64]);
  const z1 = conv2dForwardChunks(x1, w1, b1, p), h1 = conv2dGradsChunks(z1, x1, w1, p, undefined, true);
  const products = pool.handedOff;
  const z = conv2dForwardChunks(x1, w1, b1, p, pool.products, pool.parallel), h = conv2dGradsChunks(z, x1, w1, p, undefined, true, pool.products, pool.parallel);
  assert.ok(pool.handedOff - products >= 3, 'the one image\'s products went to the workers');
  sameBits('one image y', z.data, z1.data);
  sameBits('one image dx', h.dx!.data, h1.dx!.data);
  sameBits('one image dw', h.dw.data, h1.dw.data);
});

test.after(() => pool.close());
test.run();
