// The WebGL kernels layer by layer at the paper net's real shapes, forward
// and backward, next to the CPU reference in the same run, and the whole
// net's training step on both.
//
//   xvfb-run -a npm run bench:gpu -- [--batch 1,8] [--layers conv1,fc6] [--no-model]
//
// GPU times include gl.finish() (the work is done, not merely queued) and
// exclude uploads: inputs and weights are made once, as in training, where
// they stay on the GPU. On this project's CI machine WebGL is Mesa's llvmpipe
// (software rendering on the CPU), so the ratios here say nothing about a
// real GPU; bench/README.md says how to read them.

import { cpuBackend } from '../src/cpu/backend.js';
import { Rng } from '../src/cpu/random.js';
import { PAPER_SGD } from '../src/cpu/sgd.js';
import type { Backend } from '../src/backend.js';
import { gpuBackend } from '../src/gpu/backend.js';
import { paperConfig } from '../src/nn/config.js';
import { initParams } from '../src/nn/model.js';
import { createTrainState, disposeTrainState, trainStep } from '../src/nn/step.js';
import { listOption, measure, measureAsync } from './harness.js';
import { commandLine, report } from './report.js';
import { LAYERS, layerOps } from './layer-ops.js';

const argv = process.argv.slice(2);
const batches = listOption(argv, 'batch', ['1', '8']).map(Number);
const wanted = listOption(argv, 'layers', []);
const withModel = !argv.includes('--no-model');

const gpu = gpuBackend();
const cpu = cpuBackend();
const rng = Rng.seeded(2012);

const gflops = (flops: number | undefined, ms: number) => (flops ? (flops / ms / 1e6).toFixed(2) : '');
const rows: string[][] = [];
for (const B of batches) {
  for (const layer of LAYERS.filter((l) => wanted.length === 0 || wanted.includes(l))) {
    const g = layerOps(gpu, layer, B, () => gpu.ctx.finish(), rng);
    const c = layerOps(cpu, layer, B, () => {}, rng);
    for (const [dir, key] of [['forward', 'fwd'], ['backward', 'bwd']] as const) {
      if (layer === 'loss' && dir === 'backward') continue;
      const flops = g.flops === undefined ? undefined : g.flops * (dir === 'backward' ? 2 : 1);
      g.ops[key](); // compiles the shaders: not timed (measure() times its first call alone when it is slow)
      const tg = measure(`${layer} b${B} ${dir} gpu`, g.ops[key]);
      const tc = measure(`${layer} b${B} ${dir} cpu`, c.ops[key]);
      rows.push([layer === 'loss' ? 'softmax xent' : layer, String(B), dir, tg.ms.toFixed(1), gflops(flops, tg.ms), tc.ms.toFixed(1), gflops(flops, tc.ms), `${(tc.ms / tg.ms).toFixed(2)}x`]);
    }
  }
}
const notes: string[] = [];

if (withModel) {
  const c = paperConfig();
  const host = initParams(c, rng);
  const x = rng.normalArray(8 * 3 * 227 * 227);
  const labels = Int32Array.from({ length: 8 }, () => rng.int(1000));
  const step = async <T>(be: Backend<T>, finish: () => void) => {
    const s = await createTrainState(be, c, host);
    const xt = be.upload(x, [8, 3, 227, 227]);
    const r = rng.state();
    await trainStep(be, c, s, xt, labels, Rng.fromState(r), PAPER_SGD); // shader compilation, untimed
    finish();
    const t = await measureAsync(`paper training step b8 ${be.name}`, async () => { await trainStep(be, c, s, xt, labels, Rng.fromState(r), PAPER_SGD); finish(); }, 5);
    await disposeTrainState(be, s);
    be.dispose(xt);
    return t;
  };
  const tg = await step(gpu, () => gpu.ctx.finish()), tc = await step(cpu, () => {});
  notes.push(`paper net training step, batch 8: gpu ${(tg.ms / 1000).toFixed(2)} s (${(8000 / tg.ms).toFixed(2)} images/s), cpu ${(tc.ms / 1000).toFixed(2)} s (${(8000 / tc.ms).toFixed(2)} images/s), cpu / gpu ${(tc.ms / tg.ms).toFixed(2)}x`);
}
await gpu.ctx.destroy();
report('gpu-layers', commandLine('bench:gpu'), ['layer', 'batch', 'pass', 'gpu ms', 'gpu GFLOP/s', 'cpu ms', 'cpu GFLOP/s', 'cpu / gpu'], rows, notes);
