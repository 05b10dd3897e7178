// im2col.ts's im2col and col2im as WebAssembly kernels (im2col-kernel.wat),
// for float32 tensors: the same items, the same values bit for bit, about 3x faster
// (tmp measurements in docs/benchmarks.md, "Fourth step"). The JavaScript
// kernels IM2COL and COL2IM stay the definitions a student reads (im2col.ts); conv2d.ts
// picks these forms where they apply (im2colFor, col2imFor) and spec/cpu/im2col-wasm.spec.ts checks
// one against the other over random geometries and item ranges.
//
// A call copies the chunk's planes of the group into the kernel's memory,
// fills the rows of its items there and copies them out: two memory copies
// instead of a JavaScript load and store per element. Each block is placed in
// the kernel's memory at the parity (in floats) of where it lies in the
// tensor: the threaded backend's tensors are SharedArrayBuffers, which V8
// copies word by word only between addresses equally aligned to 8 bytes, and
// byte by byte otherwise (planes and rows of odd length, 13 x 13 in the small
// net's conv2, would put every other copy out of step).

/** `at` (a float index) moved up by one where its parity differs from `like`'s, so that copies between them go by words. */
function inStep(at: number, like: number): number {
  return at + ((at ^ like) & 1);
}

import { IM2COL_KERNEL_WASM } from './im2col-kernel.wasm.js';
import { instantiateKernel, kernelMemory } from './wasm-kernel.js';
import type { RangeKernel } from './parallel.js';
import type { FloatArray } from './tensor.js';

interface Im2colKernel {
  memory: WebAssembly.Memory;
  im2col: (xAt: number, colAt: number, H: number, W: number, kH: number, kW: number, Ho: number, Wo: number,
    stride: number, pad: number, m: number, Cg: number, from: number, to: number) => void;
  col2im: (colAt: number, dxAt: number, H: number, W: number, kH: number, kW: number, Ho: number, Wo: number,
    stride: number, pad: number, Cg: number, ld: number, iA: number, from: number, to: number) => void;
}

const kernel = instantiateKernel<Im2colKernel>(IM2COL_KERNEL_WASM);

/**
 * IM2COL's contract (arrays [x, col], nums geometryNums then [n0, g, ld],
 * item t = r m + i) in WebAssembly; x and col must be Float32Arrays.
 */
export const IM2COL_WASM: RangeKernel = {
  name: 'conv2d.im2col.wasm',
  run([x, col], [C, H, W, Cg, kH, kW, Ho, Wo, stride, pad, n0, g, ld], from, to) {
    if (!kernel || !(x instanceof Float32Array) || !(col instanceof Float32Array)) {
      throw new TypeError('conv2d.im2col.wasm: needs WebAssembly and float32 arrays (im2col.ts, im2colFor, picks IM2COL otherwise)');
    }
    if (to <= from) return;
    const P = Ho * Wo, m = ld / P, plane = H * W, group = Cg * plane;
    // x's planes at xAt (in floats) as [m][Cg][H][W]; the items' rows after them, in step with their place in col.
    const xAt = inStep(0, (n0 * C + g * Cg) * plane), count = (to - from) * P;
    const colAt = inStep(((xAt + m * group + 15) & ~15), from * P);
    const mem = kernelMemory(kernel.memory, 4 * (colAt + count));
    for (let i = 0; i < m; i++) {
      const src = ((n0 + i) * C + g * Cg) * plane;
      mem.set(x.subarray(src, src + group), xAt + i * group);
    }
    kernel.im2col(4 * xAt, 4 * colAt, H, W, kH, kW, Ho, Wo, stride, pad, m, Cg, from, to);
    col.set(mem.subarray(colAt, colAt + count), from * P);
  },
};

/**
 * COL2IM's contract (arrays [dcol, dx], nums as IM2COL's, item t = i Cg + c)
 * in WebAssembly, the same float32 sums in the same order. The items' images
 * iA..iB bring their rows of the columns (K segments of (iB - iA + 1) P) and
 * their planes into the kernel's memory; only the items' own planes go back,
 * so that threads adding other channels of the same image are not overwritten.
 */
export const COL2IM_WASM: RangeKernel = {
  name: 'conv2d.col2im.wasm',
  run([col, dx], [C, H, W, Cg, kH, kW, Ho, Wo, stride, pad, n0, g, ld], from, to) {
    if (!kernel || !(col instanceof Float32Array) || !(dx instanceof Float32Array)) {
      throw new TypeError('conv2d.col2im.wasm: needs WebAssembly and float32 arrays (im2col.ts, col2imFor, picks COL2IM otherwise)');
    }
    if (to <= from) return;
    const P = Ho * Wo, K = Cg * kH * kW, plane = H * W;
    const iA = Math.floor(from / Cg), iB = Math.floor((to - 1) / Cg), images = iB - iA + 1, seg = images * P;
    // The rows at colAt as [K][images P], rowLd apart, each in step with its place in col (rowLd of ld's parity);
    // the planes after them as [images][Cg][H][W], the first in step with its place in dx. (All floats.)
    const rowLd = inStep(seg, ld), colAt = inStep(0, iA * P);
    const planeAt = (t: number) => ((n0 + Math.floor(t / Cg)) * C + g * Cg + (t % Cg)) * plane;
    const dxAt = inStep((colAt + K * rowLd + 15) & ~15, planeAt(from) - (from - iA * Cg) * plane);
    const mem = kernelMemory(kernel.memory, 4 * (dxAt + images * Cg * plane));
    for (let r = 0; r < K; r++) mem.set(col.subarray(r * ld + iA * P, r * ld + iA * P + seg), colAt + r * rowLd);
    const localAt = (t: number) => dxAt + (t - iA * Cg) * plane;
    // The items' planes run in order within an image: one copy per image and direction.
    for (let i = iA; i <= iB; i++) {
      const a = Math.max(from, i * Cg), b = Math.min(to, (i + 1) * Cg);
      mem.set(dx.subarray(planeAt(a), planeAt(a) + (b - a) * plane), localAt(a));
    }
    kernel.col2im(4 * colAt, 4 * dxAt, H, W, kH, kW, Ho, Wo, stride, pad, Cg, rowLd, iA, from, to);
    for (let i = iA; i <= iB; i++) {
      const a = Math.max(from, i * Cg), b = Math.min(to, (i + 1) * Cg);
      dx.set(mem.subarray(localAt(a), localAt(a) + (b - a) * plane), planeAt(a));
    }
  },
};

/** Whether IM2COL_WASM and COL2IM_WASM can run here on these tensors' data. */
export function im2colWasmFor(data: FloatArray): boolean {
  return kernel !== null && data instanceof Float32Array;
}
