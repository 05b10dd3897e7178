// lrn.ts's LRN_FORWARD and LRN_BACKWARD as WebAssembly kernels
// (lrn-kernel.wat), for float32 tensors and the paper's beta = 0.75: the same
// blocks, the same float64 arithmetic in the same order, so the same bits
// (spec/cpu/lrn-wasm.spec.ts checks them against the JavaScript kernels, the
// definitions a student reads). lrn.ts picks these forms where they apply
// (lrnWasmFor). A call copies its blocks into the kernel's memory and the
// results out: memory copies instead of a bounds-checked, converted
// JavaScript access per element.

import { LRN_KERNEL_WASM } from './lrn-kernel.wasm.js';
import { instantiateKernel, kernelMemory } from './wasm-kernel.js';
import type { RangeKernel } from './parallel.js';
import type { FloatArray } from './tensor.js';

interface LrnKernel {
  memory: WebAssembly.Memory;
  forward: (x: number, y: number, d: number, S: number, blocks: number, C: number, HW: number, lo: number, hi: number, k: number, a: number) => void;
  backward: (dy: number, x: number, y: number, d: number, dx: number, S: number, T: number, blocks: number, C: number, HW: number, lo: number, hi: number, c2: number) => void;
}

const kernel = instantiateKernel<LrnKernel>(LRN_KERNEL_WASM);

function needsFloat32(name: string, arrays: readonly unknown[]): void {
  if (!kernel || !arrays.every((a) => a instanceof Float32Array)) {
    throw new TypeError(`${name}: needs WebAssembly and float32 arrays (lrn.ts picks the JavaScript kernel otherwise)`);
  }
}

/** LRN_FORWARD's contract (arrays [x, y, denom], nums [C, HW, lo, hi, k, a, beta = 0.75], blocks from..to - 1) in WebAssembly. */
export const LRN_FORWARD_WASM: RangeKernel = {
  name: 'lrn.forward.wasm',
  run(arrays, [C, HW, lo, hi, k, a, beta], from, to) {
    needsFloat32('lrn.forward.wasm', arrays);
    if (beta !== 0.75) throw new RangeError(`lrn.forward.wasm: beta must be 0.75, got ${beta}`);
    if (to <= from) return;
    const [x, y, denom] = arrays, len = C * HW, first = from * len, n = (to - from) * len;
    // x, y, D as float32 [n] one after another, then S as float64 [HW].
    const S = (12 * n + 7) & ~7, mem = kernelMemory(kernel!.memory, S + 8 * HW);
    mem.set(x.subarray(first, first + n), 0);
    kernel!.forward(0, 4 * n, 8 * n, S, to - from, C, HW, lo, hi, k, a);
    y.set(mem.subarray(n, 2 * n), first);
    denom.set(mem.subarray(2 * n, 3 * n), first);
  },
};

/** LRN_BACKWARD's contract (arrays [dy, x, y, denom, dx], nums [C, HW, lo, hi, a, beta = 0.75]) in WebAssembly. */
export const LRN_BACKWARD_WASM: RangeKernel = {
  name: 'lrn.backward.wasm',
  run(arrays, [C, HW, lo, hi, a, beta], from, to) {
    needsFloat32('lrn.backward.wasm', arrays);
    if (beta !== 0.75) throw new RangeError(`lrn.backward.wasm: beta must be 0.75, got ${beta}`);
    if (to <= from) return;
    const [dy, x, y, denom, dx] = arrays, len = C * HW, first = from * len, n = (to - from) * len;
    // dy, x, y, D, dx as float32 [n] one after another, then S [HW] and T [C HW] as float64.
    const S = (20 * n + 7) & ~7, T = S + 8 * HW, mem = kernelMemory(kernel!.memory, T + 8 * len);
    for (const [i, src] of [dy, x, y, denom].entries()) mem.set(src.subarray(first, first + n), i * n);
    kernel!.backward(0, 4 * n, 8 * n, 12 * n, 16 * n, S, T, to - from, C, HW, lo, hi, 2 * a * beta);
    dx.set(mem.subarray(4 * n, 5 * n), first);
  },
};

/** Whether LRN_FORWARD_WASM and LRN_BACKWARD_WASM can run here on this data with this beta. */
export function lrnWasmFor(data: FloatArray, beta: number): boolean {
  return kernel !== null && data instanceof Float32Array && beta === 0.75;
}
