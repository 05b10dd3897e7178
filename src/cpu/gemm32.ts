// A fast form of gemm.ts's matrix product that sums in float32, as PyTorch's
// and onnxruntime's CPU matrix products do, beside the reference's
// double-precision one. The contract is gemm()'s:
//   C[i][j] += sum_k A(i, k) * B(k, j)
// with the same element strides. What differs is the rounding: products and
// partial sums of each K slice (at most KC = 256 terms) are float32, so a
// result differs from the double-precision sum by about sqrt(K) 2^-24 of its
// terms' scale (spec/cpu/gemm32.spec.ts: within 1e-5 of max |C| for K up to
// 1,000), where gemm() rounds once.
//
// The packs are float32 (half the memory traffic of gemm.ts's float64 packs)
// and the micro-kernel (gemm32-kernel.wat) computes 8 x 4 tiles with f32x4
// multiply-adds: 32 per k against 16 for the float64 kernel's 4 x 4 tiles of
// f64x2. Where WebAssembly SIMD is unavailable, or A has few rows (the fully
// connected layers at small batches, which gemm() runs unpacked), it hands
// the product to gemm().

import { type MatrixProducts, type PackedKernel, gemm, packedProduct } from './gemm.js';
import { GEMM32_KERNEL_WASM } from './gemm32-kernel.wasm.js';
import type { FloatArray } from './tensor.js';

/** Depth of a K slice: an 8 x KC strip of A is 8 KiB in float32. */
const KC = 256;
/** Width of an N block: a packed KC x NC slice of B is 512 KiB in float32, as gemm.ts's KC x 256 in float64. */
const NC = 512;
/** Below this many rows of A (or depth 4), gemm()'s unpacked paths serve. */
const SMALL_M = 16;

const kernel = instantiateKernel();
// Byte offsets in the module's memory, as gemm32-kernel.wat lays them out (packA at 0).
const B_AT = 4 * 8 * KC, TILES_AT = B_AT + 4 * KC * NC;
/** The 8 x 4 float32 kernel with its packs and tiles in its memory (gemm32-kernel.wat's layout), for packedProduct(). */
const F32_KERNEL: PackedKernel | null = kernel && {
  mr: 8, kc: KC, nc: NC, run: kernel.tiles,
  packA: new Float32Array(kernel.memory.buffer, 0, 8 * KC),
  packB: new Float32Array(kernel.memory.buffer, B_AT, KC * NC),
  tiles: new Float32Array(kernel.memory.buffer, TILES_AT, 8 * NC),
};

function instantiateKernel(): { memory: WebAssembly.Memory; tiles: (kc: number, panels: number) => void } | null {
  if (typeof WebAssembly === 'undefined') return null;
  const bytes = Uint8Array.from(atob(GEMM32_KERNEL_WASM), (c) => c.charCodeAt(0));
  if (!WebAssembly.validate(bytes)) return null;
  try {
    return new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as { memory: WebAssembly.Memory; tiles: (kc: number, panels: number) => void };
  } catch {
    return null; // a Content-Security-Policy that forbids compiling WebAssembly
  }
}

/** Whether gemm32() runs its float32 WebAssembly kernel here (else it is gemm()). */
export function gemm32Available(): boolean {
  return kernel !== null;
}

/** C[M, N] += A(M, K) B(K, N) with gemm()'s strides, summed in float32 (see the header). */
export function gemm32(
  M: number, N: number, K: number,
  A: FloatArray, aOff: number, aRow: number, aCol: number,
  B: FloatArray, bOff: number, bRow: number, bCol: number,
  C: FloatArray, cOff: number,
): void {
  if (M <= 0 || N <= 0 || K <= 0) return;
  if (!kernel || M < SMALL_M || K < 4) {
    gemm(M, N, K, A, aOff, aRow, aCol, B, bOff, bRow, bCol, C, cOff);
    return;
  }
  packedProduct(F32_KERNEL!, M, N, K, A, aOff, aRow, aCol, B, bOff, bRow, bCol, C, cOff);
}

/**
 * gemm32's products in the layers' set (conv2d.ts, linear.ts): float32 sums,
 * for float32 tensors only (its packs are float32: a float64 tensor would lose
 * its precision in them).
 */
export const FLOAT32_PRODUCTS: MatrixProducts = {
  AB: (M, N, K, A, aOff, B, bOff, C, cOff) => gemm32(M, N, K, A, aOff, K, 1, B, bOff, N, 1, C, cOff),
  AtB: (M, N, K, A, aOff, B, bOff, C, cOff) => gemm32(M, N, K, A, aOff, 1, M, B, bOff, N, 1, C, cOff),
  ABt: (M, N, K, A, aOff, B, bOff, C, cOff) => gemm32(M, N, K, A, aOff, K, 1, B, bOff, 1, K, C, cOff),
};
