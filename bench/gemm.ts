// The matrix product at the paper net's shapes: gemm() (src/cpu/gemm.ts,
// float64 packs and a 4 x 4 f64x2 WebAssembly tile, the reference's double-
// precision sums) against gemm32() (src/cpu/gemm32.ts, float32 packs and an
// 8 x 4 f32x4 tile, float32 sums), one thread each, in GFLOP/s. The conv rows
// are one image's im2col product of each layer (M output channels of a group,
// K = input channels x kernel area, N = output positions); the fc rows a
// batch of 128. The last columns run gemm32's products over every core
// (src/cpu/gemm-threads.ts, the same bits), the operands in shared memory as a
// threaded backend holds them.
//
//   npm run bench:gemm

import { gemm } from '../src/cpu/gemm.js';
import { gemm32 } from '../src/cpu/gemm32.js';
import { gemmThreadPool, sharedZeros } from '../src/cpu/gemm-threads.js';
import { defaultThreads } from '../src/api/backends.js';
import { Rng } from '../src/cpu/random.js';
import { measure } from './harness.js';
import { commandLine, report } from './report.js';

const SHAPES: [string, number, number, number][] = [
  ['conv1 (96 x 363 x 3025)', 96, 3025, 363],
  ['conv2, one group (128 x 1200 x 729)', 128, 729, 1200],
  ['conv3 (384 x 2304 x 169)', 384, 169, 2304],
  ['conv4, one group (192 x 1728 x 169)', 192, 169, 1728],
  ['fc7, batch 128 (128 x 4096 x 4096)', 128, 4096, 4096],
];

const rng = Rng.seeded(1);
const pool = await gemmThreadPool(await defaultThreads());
const shared = (n: number) => { const a = sharedZeros(n); a.set(rng.normalArray(n)); return a; };
const rows: string[][] = [], data: unknown[] = [];
for (const [name, M, N, K] of SHAPES) {
  const A = shared(M * K), B = shared(K * N), C = sharedZeros(M * N);
  const flop = 2 * M * N * K;
  const t64 = measure(`${name} gemm`, () => gemm(M, N, K, A, 0, K, 1, B, 0, N, 1, C, 0));
  const t32 = measure(`${name} gemm32`, () => gemm32(M, N, K, A, 0, K, 1, B, 0, N, 1, C, 0));
  const tT = measure(`${name} gemm32, ${pool.threads} threads`, () => pool.products.AB(M, N, K, A, 0, B, 0, C, 0));
  const g64 = flop / t64.ms / 1e6, g32 = flop / t32.ms / 1e6, gT = flop / tT.ms / 1e6;
  rows.push([name, t64.ms.toFixed(1), g64.toFixed(1), t32.ms.toFixed(1), g32.toFixed(1), `${(t64.ms / t32.ms).toFixed(2)}x`, tT.ms.toFixed(1), gT.toFixed(1), `${(t32.ms / tT.ms).toFixed(2)}x`]);
  data.push({ name, M, N, K, gemmMs: t64.ms, gemm32Ms: t32.ms, threadedMs: tT.ms, threads: pool.threads });
}
await pool.close();
const T = `${pool.threads} threads`;
report('gemm', commandLine('bench:gemm'), ['product (M x K x N)', 'gemm ms', 'gemm GFLOP/s', 'gemm32 ms', 'gemm32 GFLOP/s', 'gemm / gemm32', `gemm32, ${T}: ms`, 'GFLOP/s', `gemm32 / ${T}`], rows,
  [`gemm and gemm32 on one thread. gemm sums in double precision (the reference); gemm32 in float32 within each K slice of 256, as PyTorch's and onnxruntime's CPU products do; over ${T} (gemm-threads.ts: blocks of columns, the caller and ${pool.threads - 1} workers) with the same bits.`], data);
