// The float32 LRN kernels (src/cpu/lrn32-wasm.ts, for the backends that sum
// in float32) against the definitions they stand beside, lrn.ts's
// LRN_FORWARD and LRN_BACKWARD run on float64 copies of the same inputs.
//
// The bounds, u = 2^-24, n the window size (first-order error analysis of the
// kernel's float32 operations, plus room for second-order terms and for the
// float64 definitions' own error, about 1e-16 relative):
// - D = k + a S: S sums n squares of one sign (n roundings of the squares and
//   the adds, relative to S), k and a are rounded to float32 (one each), the
//   product and the add one each: |D32 - D| <= (n + 3) u D; checked at (n + 4) u D.
// - y = x D^-0.75 computed as x (1 / sqrt(D sqrt(D))): D's error scaled by 0.75,
//   then the two square roots (1/2 each, through the second), the product,
//   the division and the last product: 0.75 (n + 3) u + 4 u <= (n + 8) u
//   relative to |y| for every n >= 1; checked at (n + 8) u |y|.
// - dx = dy D^-0.75 - (c2 x) U, U = sum of T = dy y / D over the channels whose
//   window holds the element (signs mixed, so relative to magnitudes): T two
//   roundings, U n - 1 adds, c2 = 2 a beta rounded, two products, 4 u on dy D^-0.75,
//   one on the difference: at most (n + 5) u (|dy D^-0.75| + |c2 x| sum |T|);
//   checked at (n + 8) u times that magnitude.

import * as fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assembleKernel } from '../../scripts/build-wasm.js';
import { LRN_BACKWARD, LRN_FORWARD, PAPER_LRN, lrnBackward, lrnForward } from '../../src/cpu/lrn.js';
import { LRN32_KERNEL_WASM } from '../../src/cpu/lrn32-kernel.wasm.js';
import { LRN_BACKWARD_F32, LRN_FORWARD_F32, lrn32For } from '../../src/cpu/lrn32-wasm.js';
import { type ParallelFor, serial } from '../../src/cpu/parallel.js';
import { Rng } from '../../src/cpu/random.js';
import { FC } from '../helpers.js';

const u = 2 ** -24;

test('src/cpu/lrn32-kernel.wasm.ts holds the assembly of lrn32-kernel.wat (run npm run build:wasm after editing it)', async () => {
  assert.is(LRN32_KERNEL_WASM, Buffer.from(await assembleKernel('lrn32')).toString('base64'));
});

test('the float32 LRN forward and backward agree with the float64 definitions within the float32 bound, for any block range, and leave other blocks alone', () => {
  assert.ok(lrn32For(new Float32Array(1), 0.75), 'WebAssembly runs here');
  assert.not.ok(lrn32For(new Float32Array(1), 0.5), 'another beta: the float64 kernels (pow)');
  assert.not.ok(lrn32For(new Float64Array(1), 0.75), 'float64 data: the float64 kernels');
  const cases = fc.record({
    blocks: fc.integer({ min: 1, max: 5 }), C: fc.integer({ min: 1, max: 12 }), HW: fc.integer({ min: 1, max: 37 }), size: fc.integer({ min: 1, max: 9 }),
    k: fc.double({ min: 0.5, max: 3, noNaN: true }), a: fc.double({ min: 1e-5, max: 0.5, noNaN: true }), scale: fc.constantFrom(1, 30),
    r: fc.double({ min: 0, max: 1, noNaN: true }), s: fc.double({ min: 0, max: 1, noNaN: true }), seed: fc.integer(),
  });
  fc.assert(fc.property(cases, ({ blocks, C, HW, size, k, a, scale, r, s, seed }) => {
    const rng = Rng.seeded(seed), n = blocks * C * HW, len = C * HW, lo = Math.floor(size / 2), hi = size - 1 - lo;
    const from = Math.floor(Math.min(r, s) * blocks), to = Math.ceil(Math.max(r, s) * blocks);
    const x = rng.normalArray(n).map((v) => v * scale), dy = rng.normalArray(n);
    const x64 = Float64Array.from(x);
    const [y, d] = [new Float64Array(n), new Float64Array(n)];
    LRN_FORWARD.run([x64, y, d], [C, HW, lo, hi, k, a, 0.75], 0, blocks);
    const [y32, d32] = [new Float32Array(n).fill(7), new Float32Array(n).fill(7)];
    LRN_FORWARD_F32.run([x, y32, d32], [C, HW, lo, hi, k, a, 0.75], from, to);
    for (let i = 0; i < n; i++) {
      const blk = Math.floor(i / len);
      if (blk < from || blk >= to) {
        if (y32[i] !== 7 || d32[i] !== 7) assert.unreachable(`element ${i} of block ${blk}, outside ${from}..${to - 1}, was written`);
        continue;
      }
      if (!(Math.abs(d32[i] - d[i]) <= (size + 4) * u * d[i])) assert.unreachable(`D[${i}]: float32 ${d32[i]}, float64 ${d[i]}, bound ${(size + 4) * u * d[i]}`);
      if (!(Math.abs(y32[i] - y[i]) <= (size + 8) * u * Math.abs(y[i]))) assert.unreachable(`y[${i}]: float32 ${y32[i]}, float64 ${y[i]}, bound ${(size + 8) * u * Math.abs(y[i])}`);
    }
    // Backward: both kernels from the same float32 inputs (a full float32 forward's y and D).
    LRN_FORWARD_F32.run([x, y32, d32], [C, HW, lo, hi, k, a, 0.75], 0, blocks);
    const dx = new Float64Array(n);
    LRN_BACKWARD.run([Float64Array.from(dy), x64, Float64Array.from(y32), Float64Array.from(d32), dx], [C, HW, lo, hi, a, 0.75], 0, blocks);
    const dx32 = new Float32Array(n).fill(7);
    LRN_BACKWARD_F32.run([dy, x, y32, d32, dx32], [C, HW, lo, hi, a, 0.75], from, to);
    for (let i = 0; i < n; i++) {
      const blk = Math.floor(i / len), j = Math.floor((i % len) / HW), q = i % HW, img = blk * len;
      if (blk < from || blk >= to) {
        if (dx32[i] !== 7) assert.unreachable(`dx[${i}] of block ${blk}, outside ${from}..${to - 1}, was written`);
        continue;
      }
      // The magnitudes the float32 operations round: |dy D^-0.75| and |2 a beta x| sum |dy y / D| over c in [j - hi, j + lo].
      let sumT = 0;
      for (let c = Math.max(0, j - hi); c <= Math.min(C - 1, j + lo); c++) {
        const e = img + c * HW + q;
        sumT += Math.abs((dy[e] * y32[e]) / d32[e]);
      }
      const mag = Math.abs(dy[i] * d32[i] ** -0.75) + Math.abs(2 * a * 0.75 * x[i]) * sumT;
      if (!(Math.abs(dx32[i] - dx[i]) <= (size + 8) * u * mag)) assert.unreachable(`dx[${i}]: float32 ${dx32[i]}, float64 ${dx[i]}, bound ${(size + 8) * u * mag}`);
    }
  }), { ...FC, numRuns: 300 });
});

test('the float32 LRN kernels give the same bits however the blocks are shared out (the threads\' invariant)', () => {
  fc.assert(fc.property(fc.integer({ min: 2, max: 6 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 30 }), fc.integer(), (blocks, C, HW, seed) => {
    const rng = Rng.seeded(seed), n = blocks * C * HW, split = 1 + (Math.abs(seed) % (blocks - 1));
    const x = rng.normalArray(n), dy = rng.normalArray(n), nums = [C, HW, 2, 2, 2, 1e-4, 0.75];
    const run = (parts: [number, number][]) => {
      const [y, d, dx] = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
      for (const [f, t] of parts) LRN_FORWARD_F32.run([x, y, d], nums, f, t);
      for (const [f, t] of parts) LRN_BACKWARD_F32.run([dy, x, y, d, dx], [C, HW, 2, 2, 1e-4, 0.75], f, t);
      return [...y, ...d, ...dx];
    };
    assert.equal(run([[0, split], [split, blocks]]), run([[0, blocks]]));
  }), { ...FC, numRuns: 100 });
});

test('lrnForward and lrnBackward run the float32 kernels when asked for float32 arithmetic on float32 tensors with beta 0.75, the float64 ones otherwise', () => {
  const rng = Rng.seeded(2), shape = [2, 8, 5, 3];
  const ran: string[] = [];
  const par: ParallelFor = (k, count, arrays, nums) => { ran.push(k.name); serial(k, count, arrays, nums); };
  const run = (x: { data: Float32Array | Float64Array; shape: number[] }, beta: number, arithmetic: 'float32' | 'float64') => {
    ran.length = 0;
    const p = { ...PAPER_LRN, beta, groups: 2 };
    lrnBackward(x, x, lrnForward(x, p, par, arithmetic), p, par, arithmetic);
    return ran.join(' ');
  };
  const x32 = { data: rng.normalArray(240), shape };
  assert.is(run(x32, 0.75, 'float32'), 'lrn.forward.f32 lrn.backward.f32');
  assert.is(run(x32, 0.75, 'float64'), 'lrn.forward.wasm lrn.backward.wasm');
  assert.is(run(x32, 0.5, 'float32'), 'lrn.forward lrn.backward');
  assert.is(run({ data: Float64Array.from(x32.data), shape }, 0.75, 'float32'), 'lrn.forward lrn.backward');
});

test.run();
