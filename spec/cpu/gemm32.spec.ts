// gemm32 (src/cpu/gemm32.ts), the float32-summing fast form of gemm(), against
// the plain triple loop in double precision.
//
// Tolerance: max |got - want| <= 1e-5 max |want|. Inputs are float32 (the
// packs hold float32); each K slice of at most 256 products is summed in
// float32, drifting by about sqrt(256) 2^-24 = 1e-6 of the terms' scale, the
// slices and C's old value then added in float64 and rounded once to C's
// float32. On the dots kernel's path (A's rows and B's columns along k, at
// most DOTS_M = 64 rows, 16 at a time) a slice of up to 3,840 products is
// summed in four float32 lanes of up to 960 terms: about sqrt(960) 2^-24 =
// 2e-6 of the terms' scale, and each slice is added to C in float32. A wrong index, a missing edge row or column, or a tile written to
// the wrong place errs by the size of a whole term, 1e-2 of the scale and more.

import * as fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assembleKernel } from '../../scripts/build-wasm.js';
import { gemm32, gemm32Available } from '../../src/cpu/gemm32.js';
import { GEMM32_KERNEL_WASM } from '../../src/cpu/gemm32-kernel.wasm.js';
import { Rng } from '../../src/cpu/random.js';
import { FC, GOLDENS, maxAbs, maxAbsDiff, throwsWith } from '../helpers.js';
import { cpuBackend } from '../../src/cpu/backend.js';
import { verifyBackend } from '../../src/verify/index.js';
import { backendNamed } from '../../src/api/backends.js';
import { runGoldenDirs } from '../../src/cli/verify.js';

// Sizes reach every path: few rows (M < 16: gemm() unless A's rows and B's columns run along k), the kernel's dots
// where they do and M <= DOTS_M (several blocks of 16 rows, a last one of fewer than 4), depth < 4, and the packed
// kernel with edge tiles (M not a multiple of 8, N not of 4; M past DOTS_M), two N blocks (NC = 512) and several K
// slices (KC = 256; the dots' KD = 3840 with a tail not a multiple of 4).
const dims = fc.record({
  M: fc.oneof(fc.integer({ min: 1, max: 15 }), fc.integer({ min: 16, max: 41 }), fc.integer({ min: 62, max: 70 })), N: fc.oneof(fc.integer({ min: 1, max: 13 }), fc.integer({ min: 505, max: 530 })),
  K: fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 250, max: 270 }), fc.constant(1000), fc.constant(3847)),
  transposeA: fc.boolean(), transposeB: fc.boolean(), seed: fc.integer(),
});

test('Node has WebAssembly SIMD, so gemm32 runs its float32 kernel', () => {
  assert.ok(gemm32Available());
});

test('gemm32 equals the triple loop within 1e-5 of max |C| (A and B row- or column-major, at offsets, float32 storage)', () => {
  fc.assert(fc.property(dims, ({ M, N, K, transposeA, transposeB, seed }) => {
    // Depth 3847 only on the dots' path with few rows or columns (its slices): the triple loop would take long on the
    // packed sizes.
    fc.pre(K < 3847 || M < 16 || (!transposeA && transposeB && N < 16));
    const rng = Rng.seeded(seed);
    const A = rng.normalArray(3 + M * K), B = rng.normalArray(5 + K * N), C = rng.normalArray(2 + M * N);
    const [aRow, aCol] = transposeA ? [1, M] : [K, 1];
    const [bRow, bCol] = transposeB ? [1, K] : [N, 1];
    const want = Float64Array.from(C);
    for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += A[3 + i * aRow + k * aCol] * B[5 + k * bRow + j * bCol];
      want[2 + i * N + j] += s;
    }
    gemm32(M, N, K, A, 3, aRow, aCol, B, 5, bRow, bCol, C, 2);
    const err = maxAbsDiff(C, want), scale = maxAbs(want);
    if (!(err <= 1e-5 * scale)) assert.unreachable(`M ${M} N ${N} K ${K}: max error ${err.toExponential(2)} against ${(1e-5 * scale).toExponential(2)}`);
    // Outside C's M x N block (the offset's two values), nothing is written.
    assert.is(C[0], Math.fround(want[0]));
    assert.is(C[1], Math.fround(want[1]));
  }), { ...FC, numRuns: 60 });
});

test('cpuBackend(\'float32\', { sums: \'float32\' }) passes the whole kit against the reference (every op, both whole nets) at the default tolerances', async () => {
  const r = await verifyBackend(cpuBackend('float32', { sums: 'float32' }), { runs: 10, seed: 3 });
  assert.equal(r.ops.filter((o) => o.status !== 'pass').map((o) => o.op), []);
  assert.ok(r.ops.find((o) => o.op === 'conv2d')!.worst > 0, 'the float32 sums do differ from the reference (they are in use)');
  assert.equal(r.models.map((m) => `${m.config} ${m.status}`), ['tiny pass', 'small pass']);
  throwsWith(() => cpuBackend('float64', { sums: 'float32' }), /float32 sums need float32 tensors/);
  throwsWith(() => cpuBackend('float32', { sums: 'half' as 'float32' }), /sums must be 'float64' or 'float32', got "half"/);
});

test('the command-line name cpu-float32-sums is that backend, and it passes every golden case', async () => {
  const be = await backendNamed('cpu-float32-sums');
  assert.is(be.name, 'cpu-float32-sums');
  const rep = await runGoldenDirs(be, [GOLDENS]);
  assert.equal([rep.failed, rep.passed >= 36], [0, true], JSON.stringify(rep.cases.filter((c) => !c.pass).map((c) => c.id)));
});

test('src/cpu/gemm32-kernel.wasm.ts holds the assembly of gemm32-kernel.wat (run npm run build:wasm after editing it)', async () => {
  assert.is(GEMM32_KERNEL_WASM, Buffer.from(await assembleKernel('gemm32')).toString('base64'));
});

test.run();
