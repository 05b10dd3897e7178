// conv2d.ts's im2col as a WebAssembly kernel (im2col-kernel.wat), for float32
// tensors: the same items, the same columns bit for bit, about 3x faster
// (tmp measurements in docs/benchmarks.md, "Fourth step"). The JavaScript
// kernel IM2COL stays the definition a student reads; conv2d.ts picks this
// form where it applies (im2colFor) and spec/cpu/im2col-wasm.spec.ts checks
// one against the other over random geometries and item ranges.
//
// A call copies the chunk's planes of the group into the kernel's memory,
// fills the rows of its items there and copies them out: two memory copies
// instead of a JavaScript load and store per element.

import { IM2COL_KERNEL_WASM } from './im2col-kernel.wasm.js';
import type { RangeKernel } from './parallel.js';
import type { FloatArray } from './tensor.js';

interface Im2colKernel {
  memory: WebAssembly.Memory;
  im2col: (xAt: number, colAt: number, H: number, W: number, kH: number, kW: number, Ho: number, Wo: number,
    stride: number, pad: number, m: number, Cg: number, from: number, to: number) => void;
}

const kernel = instantiate();

function instantiate(): Im2colKernel | null {
  if (typeof WebAssembly === 'undefined') return null;
  const bytes = Uint8Array.from(atob(IM2COL_KERNEL_WASM), (c) => c.charCodeAt(0));
  if (!WebAssembly.validate(bytes)) return null;
  try {
    return new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as Im2colKernel;
  } catch {
    return null; // a Content-Security-Policy that forbids compiling WebAssembly
  }
}

/** Grows the kernel's memory to at least `bytes` and returns a float32 view of all of it. */
function memoryOf(k: Im2colKernel, bytes: number): Float32Array {
  const have = k.memory.buffer.byteLength;
  if (have < bytes) k.memory.grow(Math.ceil((bytes - have) / 65536));
  return new Float32Array(k.memory.buffer);
}

/**
 * IM2COL's contract (arrays [x, col], nums geometryNums then [n0, g, ld],
 * item t = r m + i) in WebAssembly; x and col must be Float32Arrays.
 */
export const IM2COL_WASM: RangeKernel = {
  name: 'conv2d.im2col.wasm',
  run([x, col], [C, H, W, Cg, kH, kW, Ho, Wo, stride, pad, n0, g, ld], from, to) {
    if (!kernel || !(x instanceof Float32Array) || !(col instanceof Float32Array)) {
      throw new TypeError('conv2d.im2col.wasm: needs WebAssembly and float32 arrays (conv2d.ts picks IM2COL otherwise)');
    }
    if (to <= from) return;
    const P = Ho * Wo, m = ld / P, plane = H * W, group = Cg * plane;
    // x's planes at 0 as [m][Cg][H][W]; the items' rows after them, 64-byte aligned.
    const colAt = (4 * m * group + 63) & ~63, count = (to - from) * P;
    const mem = memoryOf(kernel, colAt + 4 * count);
    for (let i = 0; i < m; i++) {
      const src = ((n0 + i) * C + g * Cg) * plane;
      mem.set(x.subarray(src, src + group), i * group);
    }
    kernel.im2col(0, colAt, H, W, kH, kW, Ho, Wo, stride, pad, m, Cg, from, to);
    col.set(mem.subarray(colAt / 4, colAt / 4 + count), from * P);
  },
};

/** Whether IM2COL_WASM can run here on these tensors' data. */
export function im2colWasmFor(data: FloatArray): boolean {
  return kernel !== null && data instanceof Float32Array;
}
