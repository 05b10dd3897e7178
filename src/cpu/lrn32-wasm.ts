// LRN in float32 arithmetic (lrn32-kernel.wat), for the backends that sum in
// float32 as PyTorch does (`sums: 'float32'`): four lanes, float32 square
// roots and divisions, each window summed afresh from its n terms. Not the
// bits of lrn.ts's LRN_FORWARD and LRN_BACKWARD (the definitions, float64):
// spec/cpu/lrn32-wasm.spec.ts holds them to within the float32 error bound of
// these operations. The paper's beta = 0.75 only (WebAssembly has no pow).
// A call copies its blocks into the kernel's memory and the results out.

import { LRN32_KERNEL_WASM } from './lrn32-kernel.wasm.js';
import { instantiateKernel, kernelMemory } from './wasm-kernel.js';
import type { RangeKernel } from './parallel.js';
import type { FloatArray } from './tensor.js';

interface Lrn32Kernel {
  memory: WebAssembly.Memory;
  forward: (x: number, y: number, d: number, blocks: number, C: number, HW: number, lo: number, hi: number, k: number, a: number) => void;
  backward: (dy: number, x: number, y: number, d: number, dx: number, T: number, blocks: number, C: number, HW: number, lo: number, hi: number, c2: number) => void;
}

const kernel = instantiateKernel<Lrn32Kernel>(LRN32_KERNEL_WASM);

function check(name: string, arrays: readonly unknown[], beta: number): void {
  if (!kernel || !arrays.every((a) => a instanceof Float32Array)) {
    throw new TypeError(`${name}: needs WebAssembly and float32 arrays (lrn.ts picks the float64 kernels otherwise)`);
  }
  if (beta !== 0.75) throw new RangeError(`${name}: beta must be 0.75, got ${beta}`);
}

/** LRN_FORWARD's contract (arrays [x, y, denom], nums [C, HW, lo, hi, k, a, beta = 0.75]) in float32 arithmetic. */
export const LRN_FORWARD_F32: RangeKernel = {
  name: 'lrn.forward.f32',
  run(arrays, [C, HW, lo, hi, k, a, beta], from, to) {
    check('lrn.forward.f32', arrays, beta);
    if (to <= from) return;
    const [x, y, denom] = arrays, len = C * HW, first = from * len, n = (to - from) * len;
    // x, y, D as float32 [n] one after another.
    const mem = kernelMemory(kernel!.memory, 12 * n);
    mem.set(x.subarray(first, first + n), 0);
    kernel!.forward(0, 4 * n, 8 * n, to - from, C, HW, lo, hi, k, a);
    y.set(mem.subarray(n, 2 * n), first);
    denom.set(mem.subarray(2 * n, 3 * n), first);
  },
};

/** LRN_BACKWARD's contract (arrays [dy, x, y, denom, dx], nums [C, HW, lo, hi, a, beta = 0.75]) in float32 arithmetic. */
export const LRN_BACKWARD_F32: RangeKernel = {
  name: 'lrn.backward.f32',
  run(arrays, [C, HW, lo, hi, a, beta], from, to) {
    check('lrn.backward.f32', arrays, beta);
    if (to <= from) return;
    const [dy, x, y, denom, dx] = arrays, len = C * HW, first = from * len, n = (to - from) * len;
    // dy, x, y, D, dx as float32 [n] one after another, then T [C HW] (one block's scratch).
    const mem = kernelMemory(kernel!.memory, 20 * n + 4 * len);
    for (const [i, src] of [dy, x, y, denom].entries()) mem.set(src.subarray(first, first + n), i * n);
    kernel!.backward(0, 4 * n, 8 * n, 12 * n, 16 * n, 20 * n, to - from, C, HW, lo, hi, 2 * a * beta);
    dx.set(mem.subarray(4 * n, 5 * n), first);
  },
};

/** Whether LRN_FORWARD_F32 and LRN_BACKWARD_F32 can run here on this data with this beta. */
export function lrn32For(data: FloatArray, beta: number): boolean {
  return kernel !== null && data instanceof Float32Array && beta === 0.75;
}
