// The matrix product of gemm.ts (C[M, N] += A(M, K) B(K, N), the same
// strides) when A has few rows or the depth is small, unpacked.
//
// Packing copies all of B, which does not pay when A has few rows: the fully
// connected layers at batch 1 to 8 multiply a handful of rows by a weight
// matrix of up to 151 MB, and their weight gradients are outer products of
// depth K = batch. Below SMALL_M rows (or depth 4) the product therefore runs
// unpacked, four rows of A at a time, reading B in its own memory order.
// The sums are those of the plain triple loop in another grouping (the axpy
// form adds each product into C; the dot form sums a whole row of K first),
// so results differ from the packed path's in the last bits; spec/cpu/gemm.spec.ts
// reaches both forms (M < 16, depth < 4) and checks them against the triple loop.

import type { FloatArray } from './tensor.js';

/** Few rows or little depth, B rows contiguous in j: C row i += A(i, k) * B row k, four rows of C at once. */
export function gemmRowsAxpy(
  M: number, N: number, K: number, A: FloatArray, aOff: number, aRow: number, aCol: number,
  B: FloatArray, bOff: number, bRow: number, C: FloatArray, cOff: number, cRow: number,
): void {
  for (let i0 = 0; i0 < M; i0 += 4) {
    const im = Math.min(4, M - i0);
    const r0 = aOff + i0 * aRow;
    const c0 = cOff + i0 * cRow, c1 = c0 + cRow, c2 = c1 + cRow, c3 = c2 + cRow;
    for (let k = 0; k < K; k++) {
      const bk = bOff + k * bRow;
      const ak = r0 + k * aCol;
      const a0 = A[ak], a1 = im > 1 ? A[ak + aRow] : 0, a2 = im > 2 ? A[ak + 2 * aRow] : 0, a3 = im > 3 ? A[ak + 3 * aRow] : 0;
      if (im === 4) {
        for (let j = 0; j < N; j++) {
          const b = B[bk + j];
          C[c0 + j] += a0 * b; C[c1 + j] += a1 * b; C[c2 + j] += a2 * b; C[c3 + j] += a3 * b;
        }
      } else {
        for (let j = 0; j < N; j++) {
          const b = B[bk + j];
          C[c0 + j] += a0 * b;
          if (im > 1) C[c1 + j] += a1 * b;
          if (im > 2) C[c2 + j] += a2 * b;
        }
      }
    }
  }
}

/** Few rows of A, B columns contiguous in k: each C[i][j] is a dot product; four of them share their loads. */
export function gemmRowsDot(
  M: number, N: number, K: number, A: FloatArray, aOff: number, aRow: number,
  B: FloatArray, bOff: number, bCol: number, C: FloatArray, cOff: number, cRow: number,
): void {
  let i0 = 0;
  // Four rows of A against two columns of B: 6 loads feed 8 multiply-adds.
  for (; i0 + 3 < M; i0 += 4) {
    const a0 = aOff + i0 * aRow, a1 = a0 + aRow, a2 = a1 + aRow, a3 = a2 + aRow;
    let j = 0;
    for (; j + 1 < N; j += 2) {
      const bj = bOff + j * bCol, bk = bj + bCol;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, t0 = 0, t1 = 0, t2 = 0, t3 = 0;
      for (let k = 0; k < K; k++) {
        const x0 = A[a0 + k], x1 = A[a1 + k], x2 = A[a2 + k], x3 = A[a3 + k];
        const b = B[bj + k], e = B[bk + k];
        s0 += x0 * b; s1 += x1 * b; s2 += x2 * b; s3 += x3 * b;
        t0 += x0 * e; t1 += x1 * e; t2 += x2 * e; t3 += x3 * e;
      }
      const c = cOff + i0 * cRow + j;
      C[c] += s0; C[c + cRow] += s1; C[c + 2 * cRow] += s2; C[c + 3 * cRow] += s3;
      C[c + 1] += t0; C[c + cRow + 1] += t1; C[c + 2 * cRow + 1] += t2; C[c + 3 * cRow + 1] += t3;
    }
    for (; j < N; j++) {
      const bj = bOff + j * bCol;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k = 0; k < K; k++) {
        const b = B[bj + k];
        s0 += A[a0 + k] * b; s1 += A[a1 + k] * b; s2 += A[a2 + k] * b; s3 += A[a3 + k] * b;
      }
      const c = cOff + i0 * cRow + j;
      C[c] += s0; C[c + cRow] += s1; C[c + 2 * cRow] += s2; C[c + 3 * cRow] += s3;
    }
  }
  // The remaining rows one at a time, against four columns of B.
  for (; i0 < M; i0++) {
    const a = aOff + i0 * aRow, c = cOff + i0 * cRow;
    let j = 0;
    for (; j + 3 < N; j += 4) {
      const b0 = bOff + j * bCol, b1 = b0 + bCol, b2 = b1 + bCol, b3 = b2 + bCol;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k = 0; k < K; k++) {
        const av = A[a + k];
        s0 += av * B[b0 + k]; s1 += av * B[b1 + k]; s2 += av * B[b2 + k]; s3 += av * B[b3 + k];
      }
      C[c + j] += s0; C[c + j + 1] += s1; C[c + j + 2] += s2; C[c + j + 3] += s3;
    }
    for (; j < N; j++) {
      const b0 = bOff + j * bCol;
      let s = 0;
      for (let k = 0; k < K; k++) s += A[a + k] * B[b0 + k];
      C[c + j] += s;
    }
  }
}
