// The matrix product under convolution (through im2col) and the fully
// connected layers: AlexNet spends nearly all its time here, so this is the
// one file of src/cpu/ written for speed rather than for reading.
//
// It computes exactly
//   C[i][j] += sum_k A(i, k) * B(k, j)        (0 <= i < M, 0 <= j < N, 0 <= k < K)
// with A(i, k) = A[aOff + i * aRow + k * aCol] and B(k, j) = B[bOff + k * bRow + j * bCol],
// so one routine serves A B, A^T B and A B^T by choosing the strides, and C is
// row-major with its rows cRow apart (N unless a caller computes a block of
// columns of a wider C, as gemm-threads.ts's threads do). The plain triple loop above is the specification;
// spec/cpu/gemm.spec.ts checks this against it.
//
// How it is made fast in JavaScript (the GotoBLAS scheme, scaled down):
//   - K is cut into slices of KC and N into blocks of NC; each slice of B is
//     copied ("packed") into a contiguous buffer, four columns at a time, and
//     each 4 x KC strip of A likewise, so the inner loop reads memory in order
//     whatever the strides of A and B;
//   - the inner loop computes a 4 x 4 tile of C in 16 local variables: each
//     k loads 4 values of A and 4 of B and does 16 multiply-adds, instead of
//     the 2 loads per multiply-add of the naive loop;
//   - packs are float64, so float32 inputs are widened once and float64
//     inputs (gradient checks) lose nothing; each tile is added to C once per
//     K slice.
// On the 2-core machine of this project this runs at about 4 GFLOP/s on one
// core, against about 2.3 for the best unpacked loop.
//
// Where WebAssembly's 128-bit SIMD is available (Node 16.4+, every current
// browser), the 4 x 4 micro-kernel runs as gemm-kernel.wat instead: the same
// float64 multiply-adds in the same order, so the same bits, two at a time
// (10-14 GFLOP/s on one core here).
// The packs and the tiles then live in the WebAssembly module's memory. The
// JavaScript micro-kernel (tilesJs below, same interface) stays as the
// readable form and the fallback; useGemmKernel('js') selects it (for tests
// and benchmarks).
//
// Packing copies all of B, which does not pay when A has few rows (the fully
// connected layers at batch 1 to 8): below SMALL_M rows (or depth 4) the
// product runs unpacked, in gemm-rows.ts.

import { GEMM_KERNEL_WASM } from './gemm-kernel.wasm.js';
import { gemmRowsAxpy, gemmRowsDot } from './gemm-rows.js';
import { instantiateKernel } from './wasm-kernel.js';
import type { FloatArray } from './tensor.js';

/** Depth of a K slice: a 4 x KC strip of A and a KC x 4 panel of B are 8 KiB each in float64. */
const KC = 256;
/** Width of an N block: a packed KC x NC slice of B is 512 KiB in float64, within L2 (as fast as 512 in an A/B here, half the cache). */
const NC = 256;
/** Below this many rows of A, packing costs more than it saves (and below depth 4: outer products such as dW of fc6 at batch 1). */
const SMALL_M = 16;

/** The WebAssembly micro-kernel and its memory (layout in gemm-kernel.wat), or null where SIMD is unavailable. */
const simd = instantiateKernel<{ memory: WebAssembly.Memory; tiles: (kc: number, panels: number) => void }>(GEMM_KERNEL_WASM);
let useSimd = simd !== null;
// Byte offsets of packB and of the output tiles in the module's memory, as gemm-kernel.wat lays them out (packA at 0).
const B_AT = 8 * 4 * KC, TILES_AT = B_AT + 8 * KC * NC;
const packA = simd ? new Float64Array(simd.memory.buffer, 0, 4 * KC) : new Float64Array(4 * KC);
const packB = simd ? new Float64Array(simd.memory.buffer, B_AT, KC * NC) : new Float64Array(KC * NC);
const tilesOut = simd ? new Float64Array(simd.memory.buffer, TILES_AT, 4 * NC) : new Float64Array(4 * NC);

/** Which 4 x 4 micro-kernel gemm() runs: WebAssembly SIMD ('wasm', the default where available) or JavaScript. */
export function gemmKernel(): 'wasm' | 'js' {
  return useSimd ? 'wasm' : 'js';
}

/** Selects the micro-kernel (both give the same bits); 'wasm' throws where WebAssembly SIMD is unavailable. */
export function useGemmKernel(kernel: 'wasm' | 'js'): void {
  if (kernel === 'wasm' && !simd) throw new Error('useGemmKernel: this engine has no WebAssembly SIMD');
  useSimd = kernel === 'wasm';
}

/** C[M, N] += A(M, K) B(K, N), with the element strides described above; C's rows are cRow apart (N: C is M x N). */
export function gemm(
  M: number, N: number, K: number,
  A: FloatArray, aOff: number, aRow: number, aCol: number,
  B: FloatArray, bOff: number, bRow: number, bCol: number,
  C: FloatArray, cOff: number, cRow = N,
): void {
  if (M <= 0 || N <= 0 || K <= 0) return;
  if (bCol === 1 && (M < SMALL_M || K < 4)) {
    gemmRowsAxpy(M, N, K, A, aOff, aRow, aCol, B, bOff, bRow, C, cOff, cRow);
    return;
  }
  if (bRow === 1 && aCol === 1 && M < SMALL_M) {
    gemmRowsDot(M, N, K, A, aOff, aRow, B, bOff, bCol, C, cOff, cRow);
    return;
  }
  packedProduct(F64_KERNEL, M, N, K, A, aOff, aRow, aCol, B, bOff, bRow, bCol, C, cOff, cRow);
}

/**
 * A packed micro-kernel as packedProduct() drives it: tiles of `mr` rows by 4
 * columns, K slices of at most `kc`, N blocks of at most `nc`, its packs and
 * tile buffer (in its WebAssembly memory, or plain arrays), and the call that
 * fills the tiles of `panels` panels from the packs.
 */
interface PackedKernel {
  readonly mr: number;
  readonly kc: number;
  readonly nc: number;
  readonly packA: FloatArray;
  readonly packB: FloatArray;
  readonly tiles: FloatArray;
  run(kc: number, panels: number): void;
}

/** gemm()'s kernel: 4 x 4 float64 tiles, WebAssembly SIMD or JavaScript as useGemmKernel() chose. */
const F64_KERNEL: PackedKernel = { mr: 4, kc: KC, nc: NC, packA, packB, tiles: tilesOut, run: (kc, panels) => (useSimd ? simd!.tiles(kc, panels) : tilesJs(kc, panels)) };

/**
 * C[M, N] += A(M, K) B(K, N) through a packed kernel (the GotoBLAS scheme of
 * the header): for each K slice and N block, B packed as panels of 4
 * columns, then each strip of mr rows of A packed and its tiles added to C
 * (its rows cRow apart).
 */
function packedProduct(
  kern: PackedKernel, M: number, N: number, K: number,
  A: FloatArray, aOff: number, aRow: number, aCol: number,
  B: FloatArray, bOff: number, bRow: number, bCol: number,
  C: FloatArray, cOff: number, cRow = N,
): void {
  const { mr, packA: pa, packB: pb, tiles } = kern;
  // K slices of equal depth (conv1's K = 363 as 182 + 181, not 256 + 107): a short last slice costs tile overhead.
  const kStep = Math.ceil(K / Math.ceil(K / kern.kc));
  for (let k0 = 0; k0 < K; k0 += kStep) {
    const kc = Math.min(kStep, K - k0);
    for (let j0 = 0; j0 < N; j0 += kern.nc) {
      const nc = Math.min(kern.nc, N - j0);
      const panels = (nc + 3) >> 2;
      // Pack B(k0 .. k0 + kc, j0 .. j0 + nc) as panels of 4 columns: packB[(p * kc + k) * 4 + jj], zeros past N.
      for (let p = 0; p < panels; p++) {
        const jBase = j0 + 4 * p, base = p * kc * 4;
        const jn = Math.min(4, N - jBase);
        if (jn === 4) {
          // A full panel: four values per k, no test per element (the common case, unrolled: the per-element
          // test made packing most of the float32 product's time at conv1's shape, bench/gemm.ts).
          for (let k = 0, src = bOff + k0 * bRow + jBase * bCol, dst = base; k < kc; k++, src += bRow, dst += 4) {
            pb[dst] = B[src]; pb[dst + 1] = B[src + bCol]; pb[dst + 2] = B[src + 2 * bCol]; pb[dst + 3] = B[src + 3 * bCol];
          }
        } else {
          for (let k = 0; k < kc; k++) {
            const src = bOff + (k0 + k) * bRow + jBase * bCol, dst = base + k * 4;
            for (let jj = 0; jj < 4; jj++) pb[dst + jj] = jj < jn ? B[src + jj * bCol] : 0;
          }
        }
      }
      for (let i0 = 0; i0 < M; i0 += mr) {
        const im = Math.min(mr, M - i0);
        // Pack A(i0 .. i0 + mr, k0 .. k0 + kc) as packA[k * mr + ii], zeros past M.
        for (let ii = 0; ii < mr; ii++) {
          if (ii < im) {
            const src = aOff + (i0 + ii) * aRow + k0 * aCol;
            for (let k = 0; k < kc; k++) pa[k * mr + ii] = A[src + k * aCol];
          } else {
            for (let k = 0; k < kc; k++) pa[k * mr + ii] = 0;
          }
        }
        // The kernel writes each panel's mr x 4 tile, column-major: T[ii][jj] at 4 mr p + mr jj + ii.
        kern.run(kc, panels);
        for (let p = 0; p < panels; p++) {
          const j = j0 + 4 * p, jn = Math.min(4, N - j), t = 4 * mr * p;
          if (jn === 4) {
            for (let ii = 0, c = cOff + i0 * cRow + j; ii < im; ii++, c += cRow) {
              C[c] += tiles[t + ii]; C[c + 1] += tiles[t + mr + ii]; C[c + 2] += tiles[t + 2 * mr + ii]; C[c + 3] += tiles[t + 3 * mr + ii];
            }
          } else {
            for (let ii = 0; ii < im; ii++) {
              const c = cOff + (i0 + ii) * cRow + j;
              for (let jj = 0; jj < jn; jj++) C[c + jj] += tiles[t + mr * jj + ii];
            }
          }
        }
      }
    }
  }
}

/**
 * The micro-kernel in JavaScript, the twin of gemm-kernel.wat's `tiles`: for
 * each of `panels` panels p, T_p = packA^T (4 x kc) times panel p of packB
 * (kc x 4), sixteen sums held in local variables, each k loading 4 values of
 * A and 4 of B for 16 multiply-adds; written to tilesOut column-major.
 */
function tilesJs(kc: number, panels: number): void {
  for (let p = 0; p < panels; p++) {
    const base = p * kc * 4;
    let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
    let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
    for (let k = 0; k < kc; k++) {
      const a = k * 4, b = base + k * 4;
      const a0 = packA[a], a1 = packA[a + 1], a2 = packA[a + 2], a3 = packA[a + 3];
      // One value of B at a time keeps fewer values live than loading all four (measured ~8 % faster).
      let bv = packB[b];
      c00 += a0 * bv; c10 += a1 * bv; c20 += a2 * bv; c30 += a3 * bv;
      bv = packB[b + 1];
      c01 += a0 * bv; c11 += a1 * bv; c21 += a2 * bv; c31 += a3 * bv;
      bv = packB[b + 2];
      c02 += a0 * bv; c12 += a1 * bv; c22 += a2 * bv; c32 += a3 * bv;
      bv = packB[b + 3];
      c03 += a0 * bv; c13 += a1 * bv; c23 += a2 * bv; c33 += a3 * bv;
    }
    const t = 16 * p;
    tilesOut[t] = c00; tilesOut[t + 1] = c10; tilesOut[t + 2] = c20; tilesOut[t + 3] = c30;
    tilesOut[t + 4] = c01; tilesOut[t + 5] = c11; tilesOut[t + 6] = c21; tilesOut[t + 7] = c31;
    tilesOut[t + 8] = c02; tilesOut[t + 9] = c12; tilesOut[t + 10] = c22; tilesOut[t + 11] = c32;
    tilesOut[t + 12] = c03; tilesOut[t + 13] = c13; tilesOut[t + 14] = c23; tilesOut[t + 15] = c33;
  }
}

/** C[M, N] += A[M, K] B[K, N], all row-major. */
export function gemmAB(M: number, N: number, K: number, A: FloatArray, aOff: number, B: FloatArray, bOff: number, C: FloatArray, cOff: number): void {
  gemm(M, N, K, A, aOff, K, 1, B, bOff, N, 1, C, cOff);
}

/** C[M, N] += A[K, M]^T B[K, N]: A stored row-major as K rows of M. */
export function gemmAtB(M: number, N: number, K: number, A: FloatArray, aOff: number, B: FloatArray, bOff: number, C: FloatArray, cOff: number): void {
  gemm(M, N, K, A, aOff, 1, M, B, bOff, N, 1, C, cOff);
}

/** C[M, N] += A[M, K] B[N, K]^T: B stored row-major as N rows of K. */
export function gemmABt(M: number, N: number, K: number, A: FloatArray, aOff: number, B: FloatArray, bOff: number, C: FloatArray, cOff: number): void {
  gemm(M, N, K, A, aOff, K, 1, B, bOff, 1, K, C, cOff);
}

/** The three products the layers call (conv2d.ts, linear.ts), as one set, so a backend can choose how they sum. */
export interface MatrixProducts {
  AB: typeof gemmAB;
  AtB: typeof gemmAtB;
  ABt: typeof gemmABt;
}

/** The reference's products: gemm(), double-precision sums rounded once. */
export const REFERENCE_PRODUCTS: MatrixProducts = { AB: gemmAB, AtB: gemmAtB, ABt: gemmABt };
