// The WebAssembly LRN kernels (src/cpu/lrn-wasm.ts) against the JavaScript
// kernels they stand beside (lrn.ts's LRN_FORWARD and LRN_BACKWARD, the
// definitions): y, D and dx bit for bit (the same float64 arithmetic in the
// same order, no tolerance), over random channel counts, plane sizes, window
// sizes (odd and even), coefficients and block ranges; blocks outside the
// range untouched.

import * as fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assembleKernel } from '../../scripts/build-wasm.js';
import { LRN_BACKWARD, LRN_FORWARD, PAPER_LRN, lrnBackward, lrnForward } from '../../src/cpu/lrn.js';
import { LRN_KERNEL_WASM } from '../../src/cpu/lrn-kernel.wasm.js';
import { LRN_BACKWARD_WASM, LRN_FORWARD_WASM, lrnWasmFor } from '../../src/cpu/lrn-wasm.js';
import { type ParallelFor, serial } from '../../src/cpu/parallel.js';
import { Rng } from '../../src/cpu/random.js';
import { FC } from '../helpers.js';

test('src/cpu/lrn-kernel.wasm.ts holds the assembly of lrn-kernel.wat (run npm run build:wasm after editing it)', async () => {
  assert.is(LRN_KERNEL_WASM, Buffer.from(await assembleKernel('lrn')).toString('base64'));
});

/** Fails naming the first index where got and want differ (Object.is). */
function same(what: string, got: Float32Array, want: Float32Array): void {
  for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) assert.unreachable(`${what}[${i}]: wasm ${got[i]}, JavaScript ${want[i]}`);
}

test('the WebAssembly LRN forward and backward give the JavaScript kernels\' bits, for any block range', () => {
  assert.ok(lrnWasmFor(new Float32Array(1), 0.75), 'WebAssembly runs here');
  assert.not.ok(lrnWasmFor(new Float32Array(1), 0.5), 'another beta: the JavaScript kernels (pow)');
  assert.not.ok(lrnWasmFor(new Float64Array(1), 0.75), 'float64 data: the JavaScript kernels');
  const cases = fc.record({
    blocks: fc.integer({ min: 1, max: 6 }), C: fc.integer({ min: 1, max: 12 }), HW: fc.integer({ min: 1, max: 40 }), size: fc.integer({ min: 1, max: 9 }),
    k: fc.double({ min: 0.5, max: 3, noNaN: true }), a: fc.double({ min: 1e-5, max: 0.5, noNaN: true }),
    u: fc.double({ min: 0, max: 1, noNaN: true }), v: fc.double({ min: 0, max: 1, noNaN: true }), seed: fc.integer(),
  });
  fc.assert(fc.property(cases, ({ blocks, C, HW, size, k, a, u, v, seed }) => {
    const rng = Rng.seeded(seed), n = blocks * C * HW, lo = Math.floor(size / 2), hi = size - 1 - lo;
    const from = Math.floor(Math.min(u, v) * blocks), to = Math.ceil(Math.max(u, v) * blocks);
    const x = rng.normalArray(n), dy = rng.normalArray(n);
    const fill = () => new Float32Array(n).fill(7);
    const [y, d, y2, d2] = [fill(), fill(), fill(), fill()];
    LRN_FORWARD.run([x, y, d], [C, HW, lo, hi, k, a, 0.75], from, to);
    LRN_FORWARD_WASM.run([x, y2, d2], [C, HW, lo, hi, k, a, 0.75], from, to);
    same('y', y2, y);
    same('D', d2, d);
    // Backward on a full forward's outputs.
    LRN_FORWARD.run([x, y, d], [C, HW, lo, hi, k, a, 0.75], 0, blocks);
    const [dx, dx2] = [fill(), fill()];
    LRN_BACKWARD.run([dy, x, y, d, dx], [C, HW, lo, hi, a, 0.75], from, to);
    LRN_BACKWARD_WASM.run([dy, x, y, d, dx2], [C, HW, lo, hi, a, 0.75], from, to);
    same('dx', dx2, dx);
  }), { ...FC, numRuns: 300 });
});

test('lrnForward and lrnBackward run the WebAssembly kernels on float32 tensors with beta 0.75, the JavaScript ones otherwise', () => {
  const rng = Rng.seeded(2), shape = [2, 8, 5, 3];
  const ran: string[] = [];
  const par: ParallelFor = (k, count, arrays, nums) => { ran.push(k.name); serial(k, count, arrays, nums); };
  const run = (x: { data: Float32Array | Float64Array; shape: number[] }, beta: number) => {
    ran.length = 0;
    const p = { ...PAPER_LRN, beta, groups: 2 };
    lrnBackward(x, x, lrnForward(x, p, par), p, par);
    return ran.join(' ');
  };
  const x32 = { data: rng.normalArray(240), shape };
  assert.is(run(x32, 0.75), 'lrn.forward.wasm lrn.backward.wasm');
  assert.is(run(x32, 0.5), 'lrn.forward lrn.backward');
  assert.is(run({ data: Float64Array.from(x32.data), shape }, 0.75), 'lrn.forward lrn.backward');
});

test.run();
