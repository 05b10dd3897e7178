// The WebAssembly max pooling (src/cpu/maxpool-wasm.ts) against the
// JavaScript kernel it stands beside (maxpool.ts's MAXPOOL_FORWARD, the
// definition): the same outputs and the same winners (first maximum in
// row-major window order), bit for bit, over random geometries, both
// roundings, ties, NaNs and plane ranges; planes outside the range untouched.

import * as fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assembleKernel } from '../../scripts/build-wasm.js';
import { MAXPOOL_FORWARD, poolGeometry } from '../../src/cpu/maxpool.js';
import { MAXPOOL_KERNEL_WASM } from '../../src/cpu/maxpool-kernel.wasm.js';
import { MAXPOOL_FORWARD_WASM, maxpoolWasmFor } from '../../src/cpu/maxpool-wasm.js';
import { Rng } from '../../src/cpu/random.js';
import { FC } from '../helpers.js';

test('src/cpu/maxpool-kernel.wasm.ts holds the assembly of maxpool-kernel.wat (run npm run build:wasm after editing it)', async () => {
  assert.is(MAXPOOL_KERNEL_WASM, Buffer.from(await assembleKernel('maxpool')).toString('base64'));
});

/** Random pooling cases: planes of up to maxW columns, strides from `strides`. */
function poolCases(maxW: number, strides: fc.Arbitrary<number>) {
  return fc.record({
    planes: fc.integer({ min: 1, max: 6 }), H: fc.integer({ min: 1, max: 14 }), W: fc.integer({ min: 1, max: maxW }),
    kernel: fc.integer({ min: 1, max: 4 }), stride: strides, pad: fc.integer({ min: 0, max: 2 }), ceil: fc.boolean(),
    values: fc.constantFrom('normal', 'ties', 'nan'), u: fc.double({ min: 0, max: 1, noNaN: true }), v: fc.double({ min: 0, max: 1, noNaN: true }), seed: fc.integer(),
  }).filter((c) => c.pad <= Math.floor(c.kernel / 2) && c.H + 2 * c.pad >= c.kernel && c.W + 2 * c.pad >= c.kernel);
}

test('the WebAssembly max pooling gives the JavaScript kernel\'s outputs and winners, for any plane range', () => {
  assert.ok(maxpoolWasmFor(new Float32Array(1)), 'WebAssembly runs here');
  assert.not.ok(maxpoolWasmFor(new Float64Array(1)), 'float64 data: the JavaScript kernel');
  sameAsJavaScript(poolCases(14, fc.integer({ min: 1, max: 3 })), 400);
});

test('with stride 2, rows wide enough for the four-lane path (several groups of four, clipped edges, a remainder)', () => {
  // Up to 45 columns: up to 22 outputs a row, so rows hold interior groups of four beside windows clipped by
  // padding or the plane's edge and a remainder of one to three outputs (maxpool-kernel.wat's f32x4 path).
  sameAsJavaScript(poolCases(45, fc.constant(2)), 300);
});

/** Runs MAXPOOL_FORWARD and MAXPOOL_FORWARD_WASM on each case and asserts the same outputs and winners, bit for bit. */
function sameAsJavaScript(cases: ReturnType<typeof poolCases>, numRuns: number): void {
  fc.assert(fc.property(cases, ({ planes, H, W, kernel, stride, pad, ceil, values, u, v, seed }) => {
    const rng = Rng.seeded(seed);
    const [Ho, Wo] = poolGeometry('spec', [1, planes, H, W], { kernel, stride, pad, ceil });
    const x = rng.normalArray(planes * H * W);
    // Ties: a few distinct values, so that windows hold equal maxima; NaNs: some inputs not a number.
    if (values === 'ties') for (let i = 0; i < x.length; i++) x[i] = rng.int(3);
    if (values === 'nan') for (let i = 0; i < x.length; i++) if (rng.int(4) === 0) x[i] = NaN;
    const from = Math.floor(Math.min(u, v) * planes), to = Math.ceil(Math.max(u, v) * planes), m = planes * Ho * Wo;
    const y = new Float32Array(m).fill(7), y2 = y.slice(), arg = new Int32Array(m).fill(-7), arg2 = arg.slice();
    const nums = [H, W, Ho, Wo, kernel, stride, pad];
    MAXPOOL_FORWARD.run([x, y, arg], nums, from, to);
    MAXPOOL_FORWARD_WASM.run([x, y2, arg2], nums, from, to);
    for (let o = 0; o < m; o++) {
      if (!Object.is(y2[o], y[o]) || arg2[o] !== arg[o]) assert.unreachable(`output ${o}: wasm ${y2[o]} from ${arg2[o]}, JavaScript ${y[o]} from ${arg[o]} (planes ${from}..${to - 1})`);
    }
  }), { ...FC, numRuns });
}

test.run();
