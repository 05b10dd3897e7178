import * as fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gemm, gemmAB, gemmABt, gemmAtB, gemmKernel, useGemmKernel } from '../../src/cpu/gemm.js';
import { GEMM_KERNEL_WASM } from '../../src/cpu/gemm-kernel.wasm.js';
import { assembleGemmKernel } from '../../scripts/build-wasm.js';
import { Rng } from '../../src/cpu/random.js';
import { FC, assertClose, rand64 } from '../helpers.js';

// The specification: C[i][j] += sum_k A(i, k) B(k, j), as a plain triple loop.
function naive(M: number, N: number, K: number, a: (i: number, k: number) => number, b: (k: number, j: number) => number, C: Float64Array) {
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += a(i, k) * b(k, j);
    C[i * N + j] += s;
  }
}

// Sizes reach every path: few rows (M < 16, unpacked), depth < 4 (unpacked outer products), and the
// packed kernel with edge tiles (M, N not multiples of 4), several N blocks (NC = 256) and K slices (KC = 256).
const dims = fc.record({
  M: fc.oneof(fc.integer({ min: 1, max: 11 }), fc.integer({ min: 16, max: 23 })), N: fc.oneof(fc.integer({ min: 1, max: 13 }), fc.integer({ min: 500, max: 530 })),
  K: fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 250, max: 270 })), seed: fc.integer(),
});

// Float64 in, float64 out: the blocked loops only reorder a K-term sum, so 1e-13 of the scale bounds the rounding.
test('gemmAB, gemmAtB and gemmABt equal the triple loop, at offsets', () => {
  fc.assert(fc.property(dims, ({ M, N, K, seed }) => {
    const rng = Rng.seeded(seed);
    const A = rand64(rng, [3 + M * K]).data, B = rand64(rng, [5 + K * N]).data, C0 = rand64(rng, [2 + M * N]).data;
    const cases: [string, (C: Float64Array) => void, (i: number, k: number) => number, (k: number, j: number) => number][] = [
      ['gemmAB', (C) => gemmAB(M, N, K, A, 3, B, 5, C, 2), (i, k) => A[3 + i * K + k], (k, j) => B[5 + k * N + j]],
      ['gemmAtB', (C) => gemmAtB(M, N, K, A, 3, B, 5, C, 2), (i, k) => A[3 + k * M + i], (k, j) => B[5 + k * N + j]],
      ['gemmABt', (C) => gemmABt(M, N, K, A, 3, B, 5, C, 2), (i, k) => A[3 + i * K + k], (k, j) => B[5 + j * K + k]],
    ];
    for (const [name, run, a, b] of cases) {
      const want = Float64Array.from(C0), got = Float64Array.from(C0);
      naive(M, N, K, a, b, want.subarray(2));
      run(got);
      assertClose(got, want, 1e-13, name);
    }
  }), { ...FC, numRuns: 25 });
});

test('gemm with general strides (a column-major A) and float32 storage', () => {
  const rng = Rng.seeded(3);
  const [M, N, K] = [7, 9, 300];
  const A = rand64(rng, [M * K]).data, B = rand64(rng, [K * N]).data;
  const want = new Float64Array(M * N);
  naive(M, N, K, (i, k) => A[i + k * M], (k, j) => B[k * N + j], want);
  const got = new Float32Array(M * N);
  gemm(M, N, K, Float32Array.from(A), 0, 1, M, Float32Array.from(B), 0, N, 1, got, 0);
  // Inputs rounded to float32 (2^-24 relative each) over a 300-term sum of products of magnitude <= 1: within 300 * 2^-23 of the scale.
  assertClose(got, want, 300 * 2 ** -23 / 4, 'float32');
});

test('Node has WebAssembly SIMD, so gemm runs the WebAssembly micro-kernel by default', () => {
  assert.is(gemmKernel(), 'wasm');
});

// Same multiply-adds in the same order, no fused multiply-add in WebAssembly's SIMD: equality is exact, not within a tolerance.
test('the WebAssembly and JavaScript micro-kernels give the same bits (float64 and float32 storage)', () => {
  const packed = fc.record({
    M: fc.integer({ min: 16, max: 23 }), N: fc.oneof(fc.integer({ min: 1, max: 13 }), fc.integer({ min: 250, max: 530 })),
    K: fc.oneof(fc.integer({ min: 4, max: 9 }), fc.integer({ min: 250, max: 520 })), f32: fc.boolean(), seed: fc.integer(),
  });
  try {
    fc.assert(fc.property(packed, ({ M, N, K, f32, seed }) => {
      const rng = Rng.seeded(seed);
      const cast = (a: Float64Array) => (f32 ? Float32Array.from(a) : a);
      const A = cast(rand64(rng, [M * K]).data), B = cast(rand64(rng, [K * N]).data), C0 = cast(rand64(rng, [M * N]).data);
      const run = (kernel: 'wasm' | 'js') => {
        useGemmKernel(kernel);
        const C = C0.slice();
        gemmAB(M, N, K, A, 0, B, 0, C, 0);
        return C;
      };
      const js = run('js'), wasm = run('wasm');
      for (let i = 0; i < js.length; i++) if (!Object.is(js[i], wasm[i])) assert.unreachable(`element ${i}: js ${js[i]}, wasm ${wasm[i]}`);
    }), { ...FC, numRuns: 25 });
  } finally {
    useGemmKernel('wasm');
  }
});

test('src/cpu/gemm-kernel.wasm.ts holds the assembly of gemm-kernel.wat (run npm run build:wasm after editing it)', async () => {
  const bytes = await assembleGemmKernel();
  assert.is(GEMM_KERNEL_WASM, Buffer.from(bytes).toString('base64'));
});

test.run();
