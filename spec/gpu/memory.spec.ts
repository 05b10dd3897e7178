// 1000 training steps on the GPU backend: the number of live textures and of
// compiled kernels after every step equals the number after the first (GPU
// memory, which llvmpipe keeps in this process; a learning-rate change must
// not compile a kernel), and the JavaScript heap and typed arrays, measured
// after a forced garbage collection, stay flat once warm. A leaked activation
// of this net would add about 1 MB a step, 800 MB over the measured steps;
// the bound is 16 MB between step 200 and step 1000 (measured: under 2 MB).
// Resident memory as a whole is noisier (V8 and the allocator keep freed
// pages; after other specs ran in this process it moved by up to 70 MB), so
// it gets a looser bound of 256 MB, still far below a leak's.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng } from '../../src/cpu/random.js';
import { PAPER_SGD } from '../../src/cpu/sgd.js';
import { gpuBackend } from '../../src/gpu/backend.js';
import { scaledPaperConfig } from '../../src/nn/config.js';
import { initParams } from '../../src/nn/model.js';
import { createTrainState, disposeTrainState, trainStep } from '../../src/nn/step.js';
import { sharedContext } from './context.js';

const STEPS = Number(process.env.MEMORY_STEPS ?? 1000);

test(`${STEPS} forward-backward-update steps keep GPU textures and process memory flat`, async () => {
  const ctx = await sharedContext();
  const be = gpuBackend(ctx);
  const c = scaledPaperConfig({ name: 'tiny', channels: [4, 8, 8, 8, 8], fc: [16, 16], classes: 4, inputSize: 67 });
  const rng = Rng.seeded(1);
  const state = await createTrainState(be, c, initParams(c, rng));
  const x = be.upload(rng.normalArray(2 * 3 * 67 * 67), [2, 3, 67, 67]);
  const labels = Int32Array.from([1, 3]);
  const sgd = { ...PAPER_SGD, lr: 0.001 };
  await trainStep(be, c, state, x, labels, rng, sgd);
  const live = ctx.liveTextures(), kernels = ctx.compiledKernels;
  const warm = Math.min(200, Math.floor(STEPS / 5));
  const gc = (globalThis as { gc?: () => void }).gc;
  assert.ok(gc, 'the spec runner must run with --expose-gc');
  const heap = () => { gc!(); const m = process.memoryUsage(); return { js: m.heapUsed + m.arrayBuffers, rss: m.rss }; };
  let m0 = { js: 0, rss: 0 };
  let losses = 0;
  for (let i = 1; i < STEPS; i++) {
    // The learning rate changes every 100 steps (as the paper's rule divides it by 10): a kernel argument, never a new kernel.
    losses += await trainStep(be, c, state, x, labels, rng, { ...sgd, lr: sgd.lr / (1 + Math.floor(i / 100)) });
    if (ctx.liveTextures() !== live) assert.unreachable(`step ${i}: ${ctx.liveTextures()} live textures, ${live} after the first step`);
    if (ctx.compiledKernels !== kernels) assert.unreachable(`step ${i}: ${ctx.compiledKernels} compiled kernels, ${kernels} after the first step`);
    if (i === warm) m0 = heap();
  }
  const m1 = heap();
  const js = (m1.js - m0.js) / 2 ** 20, rss = (m1.rss - m0.rss) / 2 ** 20;
  assert.ok(Number.isFinite(losses), 'losses stay finite');
  assert.ok(js < 16, `heap and typed arrays grew by ${js.toFixed(1)} MB from step ${warm} to step ${STEPS}`);
  assert.ok(rss < 256, `resident memory grew by ${rss.toFixed(1)} MB from step ${warm} to step ${STEPS}`);
  await disposeTrainState(be, state);
  be.dispose(x);
});

test.run();
