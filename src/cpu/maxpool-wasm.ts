// maxpool.ts's MAXPOOL_FORWARD as a WebAssembly kernel (maxpool-kernel.wat),
// for float32 tensors: the same outputs and winners, bit for bit, chosen
// without a branch (spec/cpu/maxpool-wasm.spec.ts checks it against the
// JavaScript kernel, the definition a student reads). maxpool.ts picks it
// where it applies (maxpoolWasmFor). A call copies its planes into the
// kernel's memory and the outputs and winners out.

import { MAXPOOL_KERNEL_WASM } from './maxpool-kernel.wasm.js';
import { growMemory, instantiateKernel } from './wasm-kernel.js';
import type { RangeKernel } from './parallel.js';
import type { FloatArray } from './tensor.js';

interface PoolKernel {
  memory: WebAssembly.Memory;
  forward: (x: number, y: number, arg: number, planes: number, H: number, W: number, Ho: number, Wo: number, kernel: number, stride: number, pad: number, base: number) => void;
}

const kernel = instantiateKernel<PoolKernel>(MAXPOOL_KERNEL_WASM);

/** MAXPOOL_FORWARD's contract (arrays [x, y, argmax], nums [H, W, Ho, Wo, kernel, stride, pad], planes from..to - 1) in WebAssembly. */
export const MAXPOOL_FORWARD_WASM: RangeKernel = {
  name: 'maxpool.forward.wasm',
  run([x, y, argmax], [H, W, Ho, Wo, k, stride, pad], from, to) {
    if (!kernel || !(x instanceof Float32Array) || !(y instanceof Float32Array) || !(argmax instanceof Int32Array)) {
      throw new TypeError('maxpool.forward.wasm: needs WebAssembly, float32 x and y and an int32 argmax (maxpool.ts picks MAXPOOL_FORWARD otherwise)');
    }
    if (to <= from) return;
    const planes = to - from, n = planes * H * W, m = planes * Ho * Wo;
    // x [n], then y [m] and the winners [m].
    growMemory(kernel.memory, 4 * (n + 2 * m));
    const f = new Float32Array(kernel.memory.buffer), i = new Int32Array(kernel.memory.buffer);
    f.set(x.subarray(from * H * W, from * H * W + n), 0);
    kernel.forward(0, 4 * n, 4 * (n + m), planes, H, W, Ho, Wo, k, stride, pad, from * H * W);
    y.set(f.subarray(n, n + m), from * Ho * Wo);
    argmax.set(i.subarray(n + m, n + 2 * m), from * Ho * Wo);
  },
};

/** Whether MAXPOOL_FORWARD_WASM can run here on this data. */
export function maxpoolWasmFor(data: FloatArray): boolean {
  return kernel !== null && data instanceof Float32Array;
}
