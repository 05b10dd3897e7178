// A fast form of gemm.ts's matrix product that sums in float32, as PyTorch's
// and onnxruntime's CPU matrix products do, beside the reference's
// double-precision one. The contract is gemm()'s:
//   C[i][j] += sum_k A(i, k) * B(k, j)
// with the same element strides. What differs is the rounding: products and
// partial sums of each K slice (at most KC = 256 terms; on the `dots` path
// below, four lanes of at most 960) are float32, so a result differs from the
// double-precision sum by about sqrt(K) 2^-24 of its terms' scale
// (spec/cpu/gemm32.spec.ts: within 1e-5 of max |C| for K up to 3,847), where
// gemm() rounds once.
//
// The packs are float32 (half the memory traffic of gemm.ts's float64 packs)
// and the micro-kernel (gemm32-kernel.wat) computes 8 x 4 tiles with f32x4
// multiply-adds: 32 per k against 16 for the float64 kernel's 4 x 4 tiles of
// f64x2. Unlike gemm.ts's panels of four columns, B's pack is a row-major
// block (kc rows of its N block): where B's rows are contiguous, as in most of
// the layers' products, packing it is a memory copy per row, not a loop over
// elements (packing was about 40 % of gemm32's time in the paper net's
// forward pass).
//
// With few rows of A (the fully connected layers at batch 1 to 15) packing B
// does not pay: a weight matrix of up to 151 MB would be rewritten for a
// handful of rows. Where both operands run along k (A's rows, B's columns: a
// layer's forward product, x W^T, and a convolution's weight gradient,
// dY col^T, whose depth is images x positions) and A has at most DOTS_M rows,
// the kernel's `dots` reads them as they lie,
// copied a block at a time into its memory (a memory copy, not a repacking),
// and sums each dot product in four float32 lanes. Where B's rows run along j
// (the input gradient dy W), the transposed product C^T = B^T A^T has N rows
// and runs packed. Depth below 4, and everything where WebAssembly SIMD is
// unavailable, go to gemm().

import { type MatrixProducts, gemm } from './gemm.js';
import { GEMM32_KERNEL_WASM } from './gemm32-kernel.wasm.js';
import { instantiateKernel } from './wasm-kernel.js';
import type { FloatArray } from './tensor.js';

/** Depth of a K slice: an 8 x KC strip of A is 8 KiB in float32. */
const KC = 256;
/** Width of an N block: a packed KC x NC slice of B is about 500 KiB in float32, as gemm.ts's KC x 256 in float64. */
const NC = 504;
/** Below this many rows of A (or depth 4), gemm()'s unpacked paths serve. */
const SMALL_M = 16;
/**
 * Up to this many rows of A, a product whose operands both run along k goes to
 * the `dots` kernel (B's rows copied once per 16 rows of A) rather than packed
 * (B gathered into panels by a JavaScript loop over its elements). Measured
 * (tmp probe, one thread): a small-net conv dW, M 16, N 200, K 5,239, 1.5 ->
 * 0.8 ms; M 48, N 288, K 3,636, 3.0 -> 2.3 ms; even at M 128, N 256; slower
 * past that where B is large (M 128, N 4,096, K 9,216: 246 -> 284 ms).
 * gemm-threads.ts splits such products by columns, so every block keeps M and
 * takes the whole product's path.
 */
export const DOTS_M = 64;

const kernel = instantiateKernel<Kernel32>(GEMM32_KERNEL_WASM);
// Byte offsets in the module's memory, as gemm32-kernel.wat lays them out (packA at 0).
const B_AT = 4 * 8 * KC, TILES_AT = B_AT + 4 * KC * 512;
/** The dots kernel's blocks: up to 16 rows of A and 8 rows of B, KD values of k each, and their 16 x 8 results. */
const KD = 3840, DOTS_A_AT = 548864, DOTS_B_AT = DOTS_A_AT + 4 * 16 * KD, DOTS_OUT_AT = DOTS_B_AT + 4 * 8 * KD;
/** The 8 x 4 kernel's packs and tiles in its memory (gemm32-kernel.wat's layout). */
const packA = kernel && new Float32Array(kernel.memory.buffer, 0, 8 * KC);
const packB = kernel && new Float32Array(kernel.memory.buffer, B_AT, KC * 512);
const tilesOut = kernel && new Float32Array(kernel.memory.buffer, TILES_AT, 8 * NC);
/** The block of C the kernel adds its tiles into: 8 rows of up to 512 values (gemm32-kernel.wat's cBlock). */
const cBlock = kernel && new Float32Array(kernel.memory.buffer, 918528, 8 * 512);

interface Kernel32 { memory: WebAssembly.Memory; tiles: (kc: number, panels: number, ldb: number, step: number, ldc: number) => void; dots: (m: number, r: number, kd: number) => void; dots1: (i: number, kd: number) => void }
const dotsA = kernel && new Float32Array(kernel.memory.buffer, DOTS_A_AT, 16 * KD);
const dotsB = kernel && new Float32Array(kernel.memory.buffer, DOTS_B_AT, 8 * KD);
const dotsOut = kernel && new Float32Array(kernel.memory.buffer, DOTS_OUT_AT, 16 * 8);

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
  if (kernel && M <= DOTS_M && K >= 4 && aCol === 1 && bRow === 1) {
    // Both operands run along k (a layer's x W^T, a convolution's dW = dY col^T): read as they lie, 16 rows of A at a time.
    for (let i0 = 0; i0 < M; i0 += 16) rowDots(Math.min(16, M - i0), N, K, A, aOff + i0 * aRow, aRow, B, bOff, bCol, C, cOff + i0 * cRow, cRow);
    return;
  }
  if (kernel && M < SMALL_M && K >= 4 && bCol === 1 && N >= SMALL_M) {
    // Few rows against B's rows (a layer's input gradient, dy W): the transposed product C^T = B^T A^T has N rows,
    // enough for the packed kernel, and packing B^T reads B's rows in order.
    packed(N, M, K, B, bOff, bCol, bRow, A, aOff, aCol, aRow, C, cOff, 1, cRow);
    return;
  }
  if (!kernel || M < SMALL_M || K < 4) {
    gemm(M, N, K, A, aOff, aRow, aCol, B, bOff, bRow, bCol, C, cOff, cRow);
    return;
  }
  packed(M, N, K, A, aOff, aRow, aCol, B, bOff, bRow, bCol, C, cOff, cRow, 1);
}

/**
 * C(i, j) += A(i, k) B(k, j), C(i, j) at C[cOff + i cRow + j cCol], through the
 * kernel's `tiles` (the GotoBLAS scheme of gemm.ts): for each K slice and N
 * block, B's block copied row by row into packB, then each strip of 8 rows of
 * A packed k-major into packA, and the strip's tiles added to C.
 */
function packed(
  M: number, N: number, K: number,
  A: FloatArray, aOff: number, aRow: number, aCol: number,
  B: FloatArray, bOff: number, bRow: number, bCol: number,
  C: FloatArray, cOff: number, cRow: number, cCol: number,
): void {
  const pa = packA!, pb = packB!, tiles = tilesOut!, run = kernel!.tiles;
  // K slices of equal depth (conv1's K = 363 as 182 + 181, not 256 + 107): a short last slice costs tile overhead.
  const kStep = Math.ceil(K / Math.ceil(K / KC));
  for (let k0 = 0; k0 < K; k0 += kStep) {
    const kc = Math.min(kStep, K - k0);
    for (let j0 = 0; j0 < N; j0 += NC) {
      const nc = Math.min(NC, N - j0), panels = (nc + 3) >> 2, padded = 4 * panels;
      // packB's row stride: a multiple of 64 bytes would put a panel's kc rows into a few of L1's 64 sets
      // (measured: conv3's block, 172 wide, ran 30 % slower at 512); 16 bytes more spreads them.
      const ld = padded % 16 === 0 ? padded + 4 : padded;
      // packB[k][jj] = B(k0 + k, j0 + jj), zeros past N.
      if (bCol === 1) {
        for (let k = 0; k < kc; k++) {
          const src = bOff + (k0 + k) * bRow + j0;
          pb.set(B.subarray(src, src + nc), k * ld);
        }
        if (padded > nc) for (let k = 0; k < kc; k++) pb.fill(0, k * ld + nc, k * ld + padded);
      } else {
        // B's columns are contiguous (B^T stored row-major): packed as panels of four columns, kc x 4 each, one after
        // another (gemm.ts's layout), so that the gather writes in order (a row-major block measured 20 % slower here).
        for (let jj = 0; jj < padded; jj += 4) {
          const src = bOff + (j0 + jj) * bCol + k0 * bRow, base = jj * kc;
          if (jj + 4 <= nc) {
            for (let k = 0, s = src, dst = base; k < kc; k++, s += bRow, dst += 4) {
              pb[dst] = B[s]; pb[dst + 1] = B[s + bCol]; pb[dst + 2] = B[s + 2 * bCol]; pb[dst + 3] = B[s + 3 * bCol];
            }
          } else {
            for (let k = 0; k < kc; k++) for (let t = 0; t < 4; t++) pb[base + 4 * k + t] = jj + t < nc ? B[src + t * bCol + k * bRow] : 0;
          }
        }
      }
      const rowMajor = bCol === 1;
      for (let i0 = 0; i0 < M; i0 += 8) {
        const im = Math.min(8, M - i0);
        // packA[k * 8 + ii] = A(i0 + ii, k0 + k), zeros past M.
        if (aCol === 1) {
          for (let ii = 0; ii < 8; ii++) {
            if (ii < im) {
              const src = aOff + (i0 + ii) * aRow + k0;
              for (let k = 0; k < kc; k++) pa[k * 8 + ii] = A[src + k];
            } else for (let k = 0; k < kc; k++) pa[k * 8 + ii] = 0;
          }
        } else {
          // A's columns are contiguous (A^T stored row-major): eight values of a column at a time.
          for (let k = 0, src = aOff + i0 * aRow + k0 * aCol; k < kc; k++, src += aCol) {
            for (let ii = 0; ii < 8; ii++) pa[k * 8 + ii] = ii < im ? A[src + ii * aRow] : 0;
          }
        }
        const ldb = rowMajor ? 4 * ld : 16, step = rowMajor ? 16 : 16 * kc;
        if (cCol === 1) {
          // C's rows are contiguous: the strip's block of C is copied into the kernel's memory (padded rows and
          // columns zeroed), the kernel adds its tiles there in float32, and the block is copied back: two memory
          // copies instead of a JavaScript addition per element. f32(C + T) has the bits JavaScript's
          // f32(double(C) + double(T)) gives (double rounding from 53 bits to 24 is harmless for one addition).
          const c0 = cOff + i0 * cRow + j0;
          for (let ii = 0; ii < 8; ii++) {
            if (ii < im) {
              cBlock!.set(C.subarray(c0 + ii * cRow, c0 + ii * cRow + nc), ii * padded);
              for (let jj = nc; jj < padded; jj++) cBlock![ii * padded + jj] = 0;
            } else cBlock!.fill(0, ii * padded, (ii + 1) * padded);
          }
          run(kc, panels, ldb, step, 4 * padded);
          for (let ii = 0; ii < im; ii++) C.set(cBlock!.subarray(ii * padded, ii * padded + nc), c0 + ii * cRow);
          continue;
        }
        run(kc, panels, ldb, step, 0);
        // Tile p, column-major: T[ii][jj] at 32 p + 8 jj + ii.
        for (let p = 0; p < panels; p++) {
          const j = j0 + 4 * p, jn = Math.min(4, N - j), t = 32 * p;
          if (jn === 4) {
            for (let ii = 0, c = cOff + i0 * cRow + j * cCol; ii < im; ii++, c += cRow) {
              C[c] += tiles[t + ii]; C[c + cCol] += tiles[t + 8 + ii]; C[c + 2 * cCol] += tiles[t + 16 + ii]; C[c + 3 * cCol] += tiles[t + 24 + ii];
            }
          } else {
            for (let ii = 0; ii < im; ii++) {
              const c = cOff + (i0 + ii) * cRow + j * cCol;
              for (let jj = 0; jj < jn; jj++) C[c + jj * cCol] += tiles[t + 8 * jj + ii];
            }
          }
        }
      }
    }
  }
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
  const a = dotsA!, b = dotsB!, out = dotsOut!, run = kernel!.dots, one = kernel!.dots1;
  // Fewer than four rows: one at a time against eight rows of B (dots1), not padded with rows of zeros.
  const single = M < 4, m = single ? M : (M + 3) & ~3;
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
      const r = Math.min(8, N - j0), rp = single ? 8 : (r + 1) & ~1;
      for (let jj = 0; jj < rp; jj++) {
        if (jj < r) {
          const src = bOff + (j0 + jj) * bCol + k0;
          b.set(B.subarray(src, src + kc), jj * KD);
          b.fill(0, jj * KD + kc, jj * KD + kd);
        } else b.fill(0, jj * KD, jj * KD + kd);
      }
      if (single) for (let i = 0; i < M; i++) one(i, kd);
      else run(m, rp, kd);
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
