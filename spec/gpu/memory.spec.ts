// 1000 training steps on the GPU backend: the number of live textures after
// every step equals the number after the first, and the process's memory
// stays flat once warm. Measured here: resident memory climbs about 30 MB
// over the first few hundred steps (V8's heap and JIT settling) and then
// holds within +-10 MB to step 2000. A leaked activation of this net would
// add about 1 MB a step; the bound below is 48 MB between step 200 and step 1000.

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
  const state = createTrainState(be, c, initParams(c, rng));
  const x = be.upload(rng.normalArray(2 * 3 * 67 * 67), [2, 3, 67, 67]);
  const labels = Int32Array.from([1, 3]);
  const sgd = { ...PAPER_SGD, lr: 0.001 };
  trainStep(be, c, state, x, labels, rng, sgd);
  const live = ctx.liveTextures();
  const warm = Math.min(200, Math.floor(STEPS / 5));
  let rss0 = 0;
  let losses = 0;
  for (let i = 1; i < STEPS; i++) {
    losses += trainStep(be, c, state, x, labels, rng, sgd);
    if (ctx.liveTextures() !== live) assert.unreachable(`step ${i}: ${ctx.liveTextures()} live textures, ${live} after the first step`);
    if (i === warm) rss0 = process.memoryUsage().rss;
  }
  const grown = (process.memoryUsage().rss - rss0) / 2 ** 20;
  assert.ok(Number.isFinite(losses), 'losses stay finite');
  assert.ok(grown < 48, `resident memory grew by ${grown.toFixed(1)} MB from step ${warm} to step ${STEPS}`);
  disposeTrainState(be, state);
  be.dispose(x);
});

test.run();
