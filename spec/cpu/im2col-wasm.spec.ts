// The WebAssembly im2col and col2im (src/cpu/im2col-wasm.ts) against the
// JavaScript kernels they stand beside (conv2d.ts's IM2COL and COL2IM, the
// definitions): the same values bit for bit (a copy, and float32 sums in the
// same order: no tolerance), over random geometries, chunks, groups and item
// ranges; entries outside the range untouched.

import * as fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assembleKernel } from '../../scripts/build-wasm.js';
import { conv2dGeometry } from '../../src/cpu/conv2d.js';
import { COL2IM, IM2COL } from '../../src/cpu/im2col.js';
import { IM2COL_KERNEL_WASM } from '../../src/cpu/im2col-kernel.wasm.js';
import { COL2IM_WASM, IM2COL_WASM, im2colWasmFor } from '../../src/cpu/im2col-wasm.js';
import { Rng } from '../../src/cpu/random.js';
import { FC } from '../helpers.js';

test('src/cpu/im2col-kernel.wasm.ts holds the assembly of im2col-kernel.wat (run npm run build:wasm after editing it)', async () => {
  assert.is(IM2COL_KERNEL_WASM, Buffer.from(await assembleKernel('im2col')).toString('base64'));
});

test('the WebAssembly im2col writes the JavaScript kernel\'s columns bit for bit, for any item range, and nothing outside it', () => {
  assert.ok(im2colWasmFor(new Float32Array(1)), 'WebAssembly runs here');
  assert.not.ok(im2colWasmFor(new Float64Array(1)), 'float64 data: the JavaScript kernel');
  const geometry = fc.record({
    N: fc.integer({ min: 1, max: 5 }), Cg: fc.integer({ min: 1, max: 5 }), groups: fc.constantFrom(1, 2, 3), H: fc.integer({ min: 1, max: 20 }), W: fc.integer({ min: 1, max: 20 }),
    kH: fc.integer({ min: 1, max: 7 }), kW: fc.integer({ min: 1, max: 7 }), stride: fc.integer({ min: 1, max: 4 }), pad: fc.integer({ min: 0, max: 3 }),
    a: fc.double({ min: 0, max: 1, noNaN: true }), b: fc.double({ min: 0, max: 1, noNaN: true }), seed: fc.integer(),
  }).filter((c) => c.H + 2 * c.pad >= c.kH && c.W + 2 * c.pad >= c.kW);
  fc.assert(fc.property(geometry, ({ N, Cg, groups, H, W, kH, kW, stride, pad, a, b, seed }) => {
    const rng = Rng.seeded(seed), C = Cg * groups;
    const { Ho, Wo } = conv2dGeometry('spec', [N, C, H, W], [groups, Cg, kH, kW], { stride, pad, groups });
    const x = rng.normalArray(N * C * H * W);
    // A chunk of m images from n0, group g, as conv2d.ts cuts them.
    const n0 = rng.int(N), m = 1 + rng.int(N - n0), g = rng.int(groups), P = Ho * Wo, K = Cg * kH * kW, ld = m * P;
    const items = m * K, from = Math.floor(Math.min(a, b) * items), to = Math.ceil(Math.max(a, b) * items);
    const nums = [C, H, W, Cg, kH, kW, Ho, Wo, stride, pad, n0, g, ld];
    const want = new Float32Array(K * ld).fill(NaN), got = new Float32Array(K * ld).fill(NaN);
    IM2COL.run([x, want], nums, from, to);
    IM2COL_WASM.run([x, got], nums, from, to);
    for (let q = 0; q < want.length; q++) {
      if (!Object.is(got[q], want[q])) assert.unreachable(`col[${q}] (item ${Math.floor(q / P)} of ${from}..${to - 1}): wasm ${got[q]}, JavaScript ${want[q]}`);
    }
  }), { ...FC, numRuns: 400 });
});

test('the WebAssembly col2im adds the JavaScript kernel\'s sums bit for bit onto what dx holds, for any item range, and touches no other plane', () => {
  const geometry = fc.record({
    N: fc.integer({ min: 1, max: 5 }), Cg: fc.integer({ min: 1, max: 5 }), groups: fc.constantFrom(1, 2, 3), H: fc.integer({ min: 1, max: 20 }), W: fc.integer({ min: 1, max: 20 }),
    kH: fc.integer({ min: 1, max: 7 }), kW: fc.integer({ min: 1, max: 7 }), stride: fc.integer({ min: 1, max: 4 }), pad: fc.integer({ min: 0, max: 3 }),
    a: fc.double({ min: 0, max: 1, noNaN: true }), b: fc.double({ min: 0, max: 1, noNaN: true }), seed: fc.integer(),
  }).filter((c) => c.H + 2 * c.pad >= c.kH && c.W + 2 * c.pad >= c.kW);
  fc.assert(fc.property(geometry, ({ N, Cg, groups, H, W, kH, kW, stride, pad, a, b, seed }) => {
    const rng = Rng.seeded(seed), C = Cg * groups;
    const { Ho, Wo } = conv2dGeometry('spec', [N, C, H, W], [groups, Cg, kH, kW], { stride, pad, groups });
    const n0 = rng.int(N), m = 1 + rng.int(N - n0), g = rng.int(groups), P = Ho * Wo, K = Cg * kH * kW, ld = m * P;
    const items = m * Cg, from = Math.floor(Math.min(a, b) * items), to = Math.ceil(Math.max(a, b) * items);
    const nums = [C, H, W, Cg, kH, kW, Ho, Wo, stride, pad, n0, g, ld];
    const col = rng.normalArray(K * ld), start = rng.normalArray(N * C * H * W);
    const want = start.slice(), got = start.slice();
    COL2IM.run([col, want], nums, from, to);
    COL2IM_WASM.run([col, got], nums, from, to);
    for (let q = 0; q < want.length; q++) {
      if (!Object.is(got[q], want[q])) assert.unreachable(`dx[${q}] (plane ${Math.floor(q / (H * W))}; items ${from}..${to - 1}): wasm ${got[q]}, JavaScript ${want[q]}`);
    }
  }), { ...FC, numRuns: 400 });
});

test.run();
