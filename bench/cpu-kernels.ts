// Each CPU kernel's fast form against its plain definition (issue 13's fourth
// step): the JavaScript RangeKernel a student reads and the WebAssembly or
// branch-free form the layers pick for float32 tensors, run on the same
// arrays over the same items on one thread, the best of --reps runs each,
// in nanoseconds per element of the kernel's output (a copied or added
// column entry for col2im). The specs check that both give the same values
// (LRN in float32 arithmetic, the float32-sums backends' form: within the
// float32 bound of spec/cpu/lrn32-wasm.spec.ts).
//
//   npm run bench:cpu-kernels -- [--reps 7]

import { conv2dGeometry } from '../src/cpu/conv2d.js';
import { COL2IM, IM2COL } from '../src/cpu/im2col.js';
import { COL2IM_WASM, IM2COL_WASM } from '../src/cpu/im2col-wasm.js';
import { LRN_BACKWARD, LRN_FORWARD } from '../src/cpu/lrn.js';
import { LRN_BACKWARD_WASM, LRN_FORWARD_WASM } from '../src/cpu/lrn-wasm.js';
import { LRN_BACKWARD_F32, LRN_FORWARD_F32 } from '../src/cpu/lrn32-wasm.js';
import { MAXPOOL_FORWARD, poolGeometry } from '../src/cpu/maxpool.js';
import { MAXPOOL_FORWARD_WASM } from '../src/cpu/maxpool-wasm.js';
import type { RangeArray, RangeKernel } from '../src/cpu/parallel.js';
import { Rng } from '../src/cpu/random.js';
import { RELU_BACKWARD, RELU_BACKWARD_F32, RELU_FORWARD, RELU_FORWARD_F32 } from '../src/cpu/relu.js';
import { commandLine, report } from './report.js';

const argv = process.argv.slice(2);
const at = argv.indexOf('--reps');
const reps = at >= 0 ? Number(argv[at + 1]) : 7;
if (!Number.isInteger(reps) || reps < 1) throw new RangeError(`--reps must be a positive integer, got ${argv[at + 1]}`);
const rng = Rng.seeded(1);

/** The best time of `reps` runs of k over items 0..count - 1, in ms. */
function best(k: RangeKernel, arrays: RangeArray[], nums: number[], count: number): number {
  k.run(arrays, nums, 0, count);
  let t = Infinity;
  for (let r = 0; r < reps; r++) {
    const s = performance.now();
    k.run(arrays, nums, 0, count);
    t = Math.min(t, performance.now() - s);
  }
  return t;
}

interface Case { op: string; shape: string; plain: RangeKernel; fast: RangeKernel; arrays: () => RangeArray[]; nums: number[]; count: number; elements: number }
const cases: Case[] = [];

// Columns of a chunk of m images, group 0: the small net's conv2 (8 of 16 channels a group, 5 x 5, pad 2, 31 images a chunk) and the paper net's conv1 (one image).
for (const [label, N, C, H, Cg, k, stride, pad, m] of [['small conv2', 128, 16, 13, 8, 5, 1, 2, 31], ['paper conv1', 1, 3, 227, 3, 11, 4, 0, 1]] as const) {
  const { Ho, Wo } = conv2dGeometry('bench', [N, C, H, H], [C / Cg, Cg, k, k], { stride, pad, groups: C / Cg });
  const P = Ho * Wo, K = Cg * k * k, ld = m * P, nums = [C, H, H, Cg, k, k, Ho, Wo, stride, pad, 0, 0, ld];
  const x = rng.normalArray(N * C * H * H), col = rng.normalArray(K * ld);
  cases.push({ op: 'im2col', shape: label, plain: IM2COL, fast: IM2COL_WASM, arrays: () => [x, new Float32Array(K * ld)], nums, count: m * K, elements: K * ld });
  cases.push({ op: 'col2im', shape: label, plain: COL2IM, fast: COL2IM_WASM, arrays: () => [col, new Float32Array(N * C * H * H)], nums, count: m * Cg, elements: K * ld });
}
// LRN over blocks of one image's channels of one group: the small net's norm1 and the paper's norm1 (two groups of 48).
for (const [label, N, C, HW, groups] of [['small norm1 [128, 16, 28, 28]', 128, 16, 784, 1], ['paper norm1 [8, 96, 55, 55], 2 groups', 8, 96, 3025, 2]] as const) {
  const n = N * C * HW, Cb = C / groups, x = rng.normalArray(n), dy = rng.normalArray(n), y = new Float32Array(n), d = new Float32Array(n);
  const fwd = [Cb, HW, 2, 2, 2, 1e-4, 0.75];
  LRN_FORWARD.run([x, y, d], fwd, 0, N * groups);
  cases.push({ op: 'LRN forward', shape: label, plain: LRN_FORWARD, fast: LRN_FORWARD_WASM, arrays: () => [x, new Float32Array(n), new Float32Array(n)], nums: fwd, count: N * groups, elements: n });
  cases.push({ op: 'LRN backward', shape: label, plain: LRN_BACKWARD, fast: LRN_BACKWARD_WASM, arrays: () => [dy, x, y, d, new Float32Array(n)], nums: [Cb, HW, 2, 2, 1e-4, 0.75], count: N * groups, elements: n });
  cases.push({ op: 'LRN forward, float32 arithmetic', shape: label, plain: LRN_FORWARD, fast: LRN_FORWARD_F32, arrays: () => [x, new Float32Array(n), new Float32Array(n)], nums: fwd, count: N * groups, elements: n });
  cases.push({ op: 'LRN backward, float32 arithmetic', shape: label, plain: LRN_BACKWARD, fast: LRN_BACKWARD_F32, arrays: () => [dy, x, y, d, new Float32Array(n)], nums: [Cb, HW, 2, 2, 1e-4, 0.75], count: N * groups, elements: n });
}
// 3 x 3 stride-2 pooling planes.
for (const [label, N, C, H] of [['small pool1 [128, 16, 28, 28]', 128, 16, 28], ['paper pool1 [8, 96, 55, 55]', 8, 96, 55]] as const) {
  const p = { kernel: 3, stride: 2, pad: 0, ceil: false }, [Ho, Wo] = poolGeometry('bench', [N, C, H, H], p), m = N * C * Ho * Wo;
  const x = rng.normalArray(N * C * H * H);
  cases.push({ op: 'max pooling forward', shape: label, plain: MAXPOOL_FORWARD, fast: MAXPOOL_FORWARD_WASM, arrays: () => [x, new Float32Array(m), new Int32Array(m)], nums: [H, H, Ho, Wo, 3, 2, 0], count: N * C, elements: m });
}
{
  const n = 128 * 16 * 28 * 28, x = rng.normalArray(n), dy = rng.normalArray(n);
  cases.push({ op: 'ReLU forward', shape: '[128, 16, 28, 28]', plain: RELU_FORWARD, fast: RELU_FORWARD_F32, arrays: () => [x, new Float32Array(n)], nums: [], count: n, elements: n });
  cases.push({ op: 'ReLU backward', shape: '[128, 16, 28, 28]', plain: RELU_BACKWARD, fast: RELU_BACKWARD_F32, arrays: () => [dy, x, new Float32Array(n)], nums: [], count: n, elements: n });
}

const rows: string[][] = [];
for (const c of cases) {
  const plain = best(c.plain, c.arrays(), c.nums, c.count), fast = best(c.fast, c.arrays(), c.nums, c.count);
  const ns = (ms: number) => (ms * 1e6 / c.elements).toFixed(2);
  rows.push([c.op, c.shape, `${c.plain.name}: ${ns(plain)}`, `${c.fast.name}: ${ns(fast)}`, `${(plain / fast).toFixed(2)}x`]);
  console.log(`${c.op} ${c.shape}: ${ns(plain)} -> ${ns(fast)} ns an element`);
}
report('cpu-kernels', commandLine('bench:cpu-kernels'), ['op', 'shape', 'plain kernel: ns / element', 'fast form: ns / element', 'speed-up'], rows,
  [`One thread, the best of ${reps} runs each over all items (after one untimed run); an element is one value of the kernel's output (for col2im, one column entry added).`]);
