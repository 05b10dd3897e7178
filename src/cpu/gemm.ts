// Matrix products for the CPU reference.
//
// Convolution (through im2col) and the fully connected layers spend nearly all
// of AlexNet's time in matrix products, so these two loops are the only code in
// src/cpu/ written for speed rather than for reading. Both compute exactly
//   C[i][j] += sum_k A(i, k) * B(k, j)
// and a plain triple loop is the specification (see spec/cpu/gemm.spec.ts,
// which checks both against it). What makes them fast in JavaScript:
//   - four rows of C are updated together, so each element of B loaded from
//     memory feeds four multiply-adds (register blocking);
//   - the innermost loop walks contiguous memory of B and C;
//   - columns are processed in panels of GEMM_PANEL so that the four C rows
//     being updated stay in the L1 cache while k runs.

import type { FloatArray } from './tensor.js';

/** Width of the column panel; 4 rows x 512 floats x 4 bytes = 8 KiB of C in L1. */
const GEMM_PANEL = 512;

/**
 * C[M, N] += A(M, K) B[K, N]. B and C are row-major and contiguous (leading
 * dimension N); A(i, k) is read at `A[aOff + i * aRow + k * aCol]`, so the
 * same loop serves A (aRow = K, aCol = 1) and A transposed (aRow = 1, aCol = M').
 */
export function gemmAB(
  M: number, N: number, K: number,
  A: FloatArray, aOff: number, aRow: number, aCol: number,
  B: FloatArray, bOff: number,
  C: FloatArray, cOff: number,
): void {
  for (let j0 = 0; j0 < N; j0 += GEMM_PANEL) {
    const j1 = Math.min(N, j0 + GEMM_PANEL);
    let i = 0;
    for (; i + 3 < M; i += 4) {
      const c0 = cOff + i * N, c1 = c0 + N, c2 = c1 + N, c3 = c2 + N;
      for (let k = 0; k < K; k++) {
        const ak = aOff + i * aRow + k * aCol;
        const a0 = A[ak], a1 = A[ak + aRow], a2 = A[ak + 2 * aRow], a3 = A[ak + 3 * aRow];
        const bk = bOff + k * N;
        for (let j = j0; j < j1; j++) {
          const b = B[bk + j];
          C[c0 + j] += a0 * b;
          C[c1 + j] += a1 * b;
          C[c2 + j] += a2 * b;
          C[c3 + j] += a3 * b;
        }
      }
    }
    for (; i < M; i++) {
      const c0 = cOff + i * N;
      for (let k = 0; k < K; k++) {
        const a0 = A[aOff + i * aRow + k * aCol];
        const bk = bOff + k * N;
        for (let j = j0; j < j1; j++) C[c0 + j] += a0 * B[bk + j];
      }
    }
  }
}

/**
 * C[M, N] += A[M, K] B[N, K]^T: every C[i][j] is the dot product of row i of A
 * and row j of B, both contiguous. Sums run in double precision (JavaScript
 * numbers) and are rounded once on store.
 */
export function gemmABt(
  M: number, N: number, K: number,
  A: FloatArray, aOff: number,
  B: FloatArray, bOff: number,
  C: FloatArray, cOff: number,
): void {
  let i = 0;
  for (; i + 3 < M; i += 4) {
    const a0 = aOff + i * K, a1 = a0 + K, a2 = a1 + K, a3 = a2 + K;
    for (let j = 0; j < N; j++) {
      const bj = bOff + j * K;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k = 0; k < K; k++) {
        const b = B[bj + k];
        s0 += A[a0 + k] * b;
        s1 += A[a1 + k] * b;
        s2 += A[a2 + k] * b;
        s3 += A[a3 + k] * b;
      }
      const c = cOff + i * N + j;
      C[c] += s0;
      C[c + N] += s1;
      C[c + 2 * N] += s2;
      C[c + 3 * N] += s3;
    }
  }
  for (; i < M; i++) {
    const a0 = aOff + i * K;
    for (let j = 0; j < N; j++) {
      const bj = bOff + j * K;
      let s = 0;
      for (let k = 0; k < K; k++) s += A[a0 + k] * B[bj + k];
      C[cOff + i * N + j] += s;
    }
  }
}
