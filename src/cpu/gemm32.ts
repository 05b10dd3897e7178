// A fast form of gemm.ts's matrix product that sums in float32, as PyTorch's
// and onnxruntime's CPU matrix products do, beside the reference's
// double-precision one. The contract is gemm()'s:
//   C[i][j] += sum_k A(i, k) * B(k, j)
// with the same element strides. What differs is the rounding: products and
// partial sums of each K slice (at most KC = 256 terms; for few rows, four
// lanes of at most 960) are float32, so a result differs from the
// double-precision sum by about sqrt(K) 2^-24 of its terms' scale
// (spec/cpu/gemm32.spec.ts: within 1e-5 of max |C| for K up to 3,847), where
// gemm() rounds once.
//
// The packs are float32 (half the memory traffic of gemm.ts's float64 packs)
// and the micro-kernel (gemm32-kernel.wat) computes 8 x 4 tiles with f32x4
// multiply-adds: 32 per k against 16 for the float64 kernel's 4 x 4 tiles of
// f64x2.
//
// With few rows of A (the fully connected layers at batch 1 to 15) packing B
// does not pay: a weight matrix of up to 151 MB would be rewritten for a
// handful of rows. Where both operands run along k (A's rows, B's columns: a
// layer's forward product, x W^T), the kernel's `dots` reads them as they lie,
// copied a block at a time into its memory (a memory copy, not a repacking),
// and sums each dot product in four float32 lanes. Where B's rows run along j
// (the input gradient dy W), the transposed product C^T = B^T A^T has N rows
// and runs packed. Depth below 4, and everything where WebAssembly SIMD is
// unavailable, go to gemm().

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
/** The dots kernel's blocks: up to 16 rows of A and 8 rows of B, KD values of k each, and their 16 x 8 results. */
const KD = 3840, DOTS_A_AT = 548864, DOTS_B_AT = DOTS_A_AT + 4 * 16 * KD, DOTS_OUT_AT = DOTS_B_AT + 4 * 8 * KD;
/** The 8 x 4 float32 kernel with its packs and tiles in its memory (gemm32-kernel.wat's layout), for packedProduct(). */
const F32_KERNEL: PackedKernel | null = kernel && {
  mr: 8, kc: KC, nc: NC, run: kernel.tiles,
  packA: new Float32Array(kernel.memory.buffer, 0, 8 * KC),
  packB: new Float32Array(kernel.memory.buffer, B_AT, KC * NC),
  tiles: new Float32Array(kernel.memory.buffer, TILES_AT, 8 * NC),
};

interface Kernel32 { memory: WebAssembly.Memory; tiles: (kc: number, panels: number) => void; dots: (m: number, r: number, kd: number) => void }
const dotsA = kernel && new Float32Array(kernel.memory.buffer, DOTS_A_AT, 16 * KD);
const dotsB = kernel && new Float32Array(kernel.memory.buffer, DOTS_B_AT, 8 * KD);
const dotsOut = kernel && new Float32Array(kernel.memory.buffer, DOTS_OUT_AT, 16 * 8);

function instantiateKernel(): Kernel32 | null {
  if (typeof WebAssembly === 'undefined') return null;
  const bytes = Uint8Array.from(atob(GEMM32_KERNEL_WASM), (c) => c.charCodeAt(0));
  if (!WebAssembly.validate(bytes)) return null;
  try {
    return new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as Kernel32;
  } catch {
    return null; // a Content-Security-Policy that forbids compiling WebAssembly
  }
}

/** Whether gemm32() runs its float32 WebAssembly kernel here (else it is gemm()). */
export function gemm32Available(): boolean {
  return kernel !== null;
}

/** C[M, N] += A(M, K) B(K, N) with gemm()'s strides (C's rows cRow apart), summed in float32 (see the header). */
export function gemm32(
  M: number, N: number, K: number,
  A: FloatArray, aOff: number, aRow: number, aCol: number,
  B: FloatArray, bOff: number, bRow: number, bCol: number,
  C: FloatArray, cOff: number, cRow = N,
): void {
  if (M <= 0 || N <= 0 || K <= 0) return;
  if (kernel && M < SMALL_M && K >= 4 && aCol === 1 && bRow === 1) {
    rowDots(M, N, K, A, aOff, aRow, B, bOff, bCol, C, cOff, cRow);
    return;
  }
  if (kernel && M < SMALL_M && K >= 4 && bCol === 1 && N >= SMALL_M) {
    // Few rows against B's rows (a layer's input gradient, dy W): the transposed product C^T = B^T A^T has N rows,
    // enough for the packed kernel, and packing B^T reads B's rows in order.
    packedProduct(F32_KERNEL!, N, M, K, B, bOff, bCol, bRow, A, aOff, aCol, aRow, C, cOff, 1, cRow);
    return;
  }
  if (!kernel || M < SMALL_M || K < 4) {
    gemm(M, N, K, A, aOff, aRow, aCol, B, bOff, bRow, bCol, C, cOff, cRow);
    return;
  }
  packedProduct(F32_KERNEL!, M, N, K, A, aOff, aRow, aCol, B, bOff, bRow, bCol, C, cOff, cRow);
}

/**
 * C[i][j] += sum_k A(i, k) B(k, j) for M < 16 rows, A's rows and B's columns
 * contiguous in k, by the kernel's `dots`: for each K slice of up to KD, A's
 * rows are copied once (zeros to a multiple of 4 rows and 4 values), then B's
 * columns 8 at a time; each slice's dot products are added to C.
 */
function rowDots(
  M: number, N: number, K: number, A: FloatArray, aOff: number, aRow: number,
  B: FloatArray, bOff: number, bCol: number, C: FloatArray, cOff: number, cRow: number,
): void {
  const a = dotsA!, b = dotsB!, out = dotsOut!, run = kernel!.dots;
  const m = (M + 3) & ~3;
  for (let k0 = 0; k0 < K; k0 += KD) {
    const kc = Math.min(KD, K - k0), kd = (kc + 3) & ~3;
    for (let i = 0; i < m; i++) {
      if (i < M) {
        const src = aOff + i * aRow + k0;
        a.set(A.subarray(src, src + kc), i * KD);
        a.fill(0, i * KD + kc, i * KD + kd);
      } else a.fill(0, i * KD, i * KD + kd);
    }
    for (let j0 = 0; j0 < N; j0 += 8) {
      const r = Math.min(8, N - j0), rp = (r + 1) & ~1;
      for (let jj = 0; jj < rp; jj++) {
        if (jj < r) {
          const src = bOff + (j0 + jj) * bCol + k0;
          b.set(B.subarray(src, src + kc), jj * KD);
          b.fill(0, jj * KD + kc, jj * KD + kd);
        } else b.fill(0, jj * KD, jj * KD + kd);
      }
      run(m, rp, kd);
      for (let i = 0; i < M; i++) {
        const c = cOff + i * cRow + j0, o = 8 * i;
        for (let jj = 0; jj < r; jj++) C[c + jj] += out[o + jj];
      }
    }
  }
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
