// The ops outside the matrix products over a thread pool (parallel.ts's range
// kernels, run by gemm-threads.ts's workers) against the same ops on one
// thread: the same bits (no tolerance). Each item (an element, an LRN block,
// a pooling plane, a row or channel of the columns) is computed by the one
// loop whichever thread runs it, so a range cut at a wrong place, an item
// missed or run twice, or two ranges writing the same place changes bits.
// The shapes are large enough to be handed to the workers, and each case
// checks that it was.

import * as fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { conv2dBackward, conv2dForward } from '../../src/cpu/conv2d.js';
import { FLOAT32_PRODUCTS } from '../../src/cpu/gemm32.js';
import { gemmThreadPool, sharedZeros } from '../../src/cpu/gemm-threads.js';
import { lrnBackward, lrnForward } from '../../src/cpu/lrn.js';
import { maxpoolBackward, maxpoolForward } from '../../src/cpu/maxpool.js';
import { Rng } from '../../src/cpu/random.js';
import { reluBackward, reluForward } from '../../src/cpu/relu.js';
import { PAPER_SGD, sgdStep } from '../../src/cpu/sgd.js';
import { type Tensor, sizeOf } from '../../src/cpu/tensor.js';
import { FC } from '../helpers.js';

const pool = await gemmThreadPool(3);
const par = pool.parallel;

/** A tensor of normal values in shared memory (as a threaded backend holds them). */
function shared(rng: Rng, shape: readonly number[]): Tensor<Float32Array> {
  const data = sharedZeros(sizeOf(shape)) as Float32Array;
  data.set(rng.normalArray(data.length));
  return { data, shape };
}

/** Fails naming the first flat index where a and b differ bit for bit. */
function sameBits(what: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  assert.is(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) assert.unreachable(`${what}[${i}]: ${got[i]} over the threads, ${want[i]} on one`);
  }
}

/** Runs f and says how many range kernels it handed to the workers. */
function handedOff(f: () => void): number {
  const before = pool.rangesHandedOff;
  f();
  return pool.rangesHandedOff - before;
}

const image = fc.record({
  N: fc.integer({ min: 1, max: 5 }), C: fc.integer({ min: 3, max: 60 }), H: fc.integer({ min: 9, max: 40 }), W: fc.integer({ min: 9, max: 40 }), seed: fc.integer(),
});

test('ReLU forward and backward over 3 threads have the bits of one thread', () => {
  let reached = 0;
  const big = fc.record({ N: fc.integer({ min: 3, max: 5 }), C: fc.integer({ min: 30, max: 60 }), H: fc.integer({ min: 20, max: 40 }), W: fc.integer({ min: 20, max: 40 }), seed: fc.integer() });
  fc.assert(fc.property(big, ({ N, C, H, W, seed }) => {
    const rng = Rng.seeded(seed), x = shared(rng, [N, C, H, W]), dy = shared(rng, x.shape);
    const one = reluForward(x), dx1 = reluBackward(dy, x);
    let y = one, dx = dx1;
    const sent = handedOff(() => { y = reluForward(x, par); dx = reluBackward(dy, x, par); });
    sameBits('y', y.data, one.data);
    sameBits('dx', dx.data, dx1.data);
    if (x.data.length >= 2 << 16) assert.is(sent, 2, 'both were handed off');
    reached += sent;
  }), FC);
  assert.ok(reached >= 10, `the cases reached the workers (${reached} hand-offs)`);
});

test('LRN forward and backward (one group and two) over 3 threads have the bits of one thread', () => {
  fc.assert(fc.property(image, fc.constantFrom(1, 2), ({ N, C, H, W, seed }, groups) => {
    const rng = Rng.seeded(seed), Ce = 2 * C, x = shared(rng, [N, Ce, H, W]), dy = shared(rng, x.shape);
    const p = { size: 5, alpha: 1e-2, beta: 0.75, k: 2, convention: 'paper' as const, groups };
    const one = lrnForward(x, p), dx1 = lrnBackward(dy, x, one, p);
    let out = one, dx = dx1;
    const sent = handedOff(() => { out = lrnForward(x, p, par); dx = lrnBackward(dy, x, out, p, par); });
    sameBits('y', out.y.data, one.y.data);
    sameBits('denom', out.denom.data, one.denom.data);
    sameBits('dx', dx.data, dx1.data);
    if (N * groups >= 2 && 3 * x.data.length >= 2 << 16) assert.ok(sent >= 1, 'handed off');
  }), FC);
});

test('overlapping max pooling forward and backward over 3 threads have the bits of one thread', () => {
  fc.assert(fc.property(image, fc.constantFrom({ kernel: 3, stride: 2, pad: 0, ceil: false }, { kernel: 3, stride: 2, pad: 1, ceil: true }, { kernel: 2, stride: 2, pad: 0, ceil: false }), ({ N, C, H, W, seed }, p) => {
    const rng = Rng.seeded(seed), x = shared(rng, [N, C, H, W]);
    const one = maxpoolForward(x, p), dy = shared(rng, [...one.y.shape]), dx1 = maxpoolBackward(dy, one, x.shape);
    let out = one, dx = dx1;
    const sent = handedOff(() => { out = maxpoolForward(x, p, par); dx = maxpoolBackward(dy, out, x.shape, par); });
    sameBits('y', out.y.data, one.y.data);
    sameBits('argmax', out.argmax, one.argmax);
    sameBits('dx', dx.data, dx1.data);
    if (x.data.length >= 2 << 16) assert.ok(sent >= 1, 'handed off');
  }), FC);
});

test('convolution forward and backward (im2col, col2im, bias and its gradient) over 3 threads have the bits of one thread', () => {
  // Small images go through the products many to a chunk, large ones one at a time; strides and padding vary, groups 1 and 2.
  const conv = fc.record({
    N: fc.integer({ min: 1, max: 4 }), C: fc.constantFrom(2, 4, 6), Cout: fc.constantFrom(4, 8, 16), H: fc.integer({ min: 5, max: 60 }),
    k: fc.constantFrom(1, 3, 5), stride: fc.constantFrom(1, 2, 4), pad: fc.integer({ min: 0, max: 2 }), groups: fc.constantFrom(1, 2), seed: fc.integer(),
  }).filter((c) => c.H + 2 * c.pad >= c.k);
  fc.assert(fc.property(conv, ({ N, C, Cout, H, k, stride, pad, groups, seed }) => {
    const rng = Rng.seeded(seed), x = shared(rng, [N, C, H, H + 3]), w = shared(rng, [Cout, C / groups, k, k]), b = shared(rng, [Cout]);
    const p = { stride, pad, groups };
    const y1 = conv2dForward(x, w, b, p, FLOAT32_PRODUCTS), g1 = conv2dBackward(y1, x, w, p, undefined, FLOAT32_PRODUCTS);
    let y = y1, g = g1;
    handedOff(() => { y = conv2dForward(x, w, b, p, FLOAT32_PRODUCTS, par); g = conv2dBackward(y, x, w, p, undefined, FLOAT32_PRODUCTS, par); });
    sameBits('y', y.data, y1.data);
    sameBits('dx', g.dx.data, g1.dx.data);
    sameBits('dw', g.dw.data, g1.dw.data);
    sameBits('db', g.db.data, g1.db.data);
  }), { ...FC, numRuns: 60 });
  // One case that surely reaches the workers: conv1 of the paper net on two images.
  const rng = Rng.seeded(7), x = shared(rng, [2, 3, 67, 67]), w = shared(rng, [16, 3, 11, 11]), b = shared(rng, [16]), p = { stride: 4, pad: 2, groups: 1 };
  const y1 = conv2dForward(x, w, b, p, FLOAT32_PRODUCTS), g1 = conv2dBackward(y1, x, w, p, undefined, FLOAT32_PRODUCTS);
  let y = y1, g = g1;
  const sent = handedOff(() => { y = conv2dForward(x, w, b, p, FLOAT32_PRODUCTS, par); g = conv2dBackward(y, x, w, p, undefined, FLOAT32_PRODUCTS, par); });
  assert.ok(sent >= 3, `im2col, col2im and the bias went to the workers (${sent})`);
  sameBits('y', y.data, y1.data);
  sameBits('dx', g.dx.data, g1.dx.data);
  sameBits('dw', g.dw.data, g1.dw.data);
});

test('SGD over 3 threads: the bits of one thread; a non-finite gradient in a worker\'s range is refused before any weight moves', () => {
  const rng = Rng.seeded(3);
  const slot = (name: string, n: number) => ({ name, w: shared(rng, [n]), v: shared(rng, [n]), g: shared(rng, [n]) });
  const slots = [slot('a', 300_001), slot('b', 17), slot('c', 200_000)];
  const copy = slots.map((s) => ({ name: s.name, w: { data: Float32Array.from(s.w.data), shape: s.w.shape }, v: { data: Float32Array.from(s.v.data), shape: s.v.shape }, g: s.g }));
  sgdStep(copy, PAPER_SGD);
  const sent = handedOff(() => sgdStep(slots, PAPER_SGD, par));
  assert.ok(sent >= 4, `the checks and updates of a and c went to the workers (${sent})`);
  for (let i = 0; i < slots.length; i++) {
    sameBits(`${slots[i].name}.w`, slots[i].w.data, copy[i].w.data);
    sameBits(`${slots[i].name}.v`, slots[i].v.data, copy[i].v.data);
  }
  const before = Float32Array.from(slots[0].w.data);
  slots[2].g.data[199_990] = Number.NaN; // the last third of c: a worker's range
  assert.throws(() => sgdStep(slots, PAPER_SGD, par), /sgdStep: gradient of c holds a non-finite value \(NaN\) at flat index 199990/);
  sameBits('a.w after the refusal', slots[0].w.data, before);
});

test('arrays outside shared memory stay on the calling thread (a worker could not see them)', () => {
  const rng = Rng.seeded(5), x: Tensor<Float32Array> = { data: rng.normalArray(1 << 18), shape: [1 << 18] };
  let y = x;
  assert.is(handedOff(() => { y = reluForward(x, par); }), 0);
  sameBits('y', y.data, reluForward(x).data);
});

test.after(() => pool.close());
test.run();
