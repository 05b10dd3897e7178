// A bounded long run on the CPU: 2,000 training steps through the trainer
// (data preparation, augmentation, validation every epoch, the learning-rate
// rule) on the tiny configuration. The JavaScript heap and typed arrays,
// measured after a forced garbage collection, stay flat once warm: a leaked
// batch of this run (8 images of 3 x 35 x 35 floats and their activations)
// would add about 0.5 MB a step, 1.4 GB over the measured steps; the bound is
// 16 MB. The GPU's counterpart (live textures, compiled kernels) is
// spec/gpu/memory.spec.ts.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpuBackend } from '../../src/cpu/backend.js';
import { Rng } from '../../src/cpu/random.js';
import { tinyConfig } from '../../src/nn/config.js';
import { computeStats } from '../../src/nn/data/augment.js';
import type { ImageDataset } from '../../src/nn/data/dataset.js';
import { initParams } from '../../src/nn/model.js';
import { SingleNet } from '../../src/nn/net.js';
import { DEFAULT_TRAIN, type TrainOptions, initialTrainerState, train } from '../../src/nn/trainer.js';

const STEPS = Number(process.env.SOAK_STEPS ?? 2000);

test(`${STEPS} trainer steps on the CPU keep the heap flat`, async () => {
  const c = tinyConfig();
  const S = c.inputSize, C = c.inputChannels, batch = 8, perEpoch = 50;
  const rng = Rng.seeded(2);
  const n = batch * perEpoch;
  const d = (k: number): ImageDataset => ({
    name: 'soak', n: k, channels: C, height: S, width: S, classes: c.classes,
    images: Uint8Array.from({ length: k * C * S * S }, () => rng.int(256)), labels: Uint16Array.from({ length: k }, () => rng.int(c.classes)),
  });
  const trainSet = d(n), val = d(16);
  const o: TrainOptions = { ...DEFAULT_TRAIN, epochs: Math.ceil(STEPS / perEpoch), batchSize: batch, lr: 0.001, patience: 1, augment: { crop: S, pad: 2, flip: true, pcaSigma: 0.1, scale: 1 / 255 } };
  const net = await SingleNet.create(cpuBackend(), c, initParams(c, Rng.seeded(1)));
  const gc = (globalThis as { gc?: () => void }).gc;
  assert.ok(gc, 'the spec runner must run with --expose-gc');
  const heap = () => { gc!(); const m = process.memoryUsage(); return (m.heapUsed + m.arrayBuffers) / 2 ** 20; };
  let steps = 0, warm = 0;
  const samples: number[] = [];
  const end = await train(net, { train: trainSet, val, stats: computeStats(trainSet) }, o, initialTrainerState(o, 3), {
    onBatch: () => {
      steps++;
      if (steps === Math.min(500, STEPS / 5)) warm = heap();
      if (steps > 500 && steps % 500 === 0) samples.push(heap());
    },
  });
  assert.is(steps, o.epochs * perEpoch);
  assert.ok(end.history.every((h) => Number.isFinite(h.trainLoss)), 'losses stay finite');
  assert.ok(new Set(end.history.map((h) => h.lr)).size > 1, 'the learning rate changed during the run');
  const grew = Math.max(...samples) - warm;
  assert.ok(grew < 16, `heap and typed arrays grew by ${grew.toFixed(1)} MB from step 500 to step ${steps} (samples ${samples.map((s) => s.toFixed(0)).join(', ')} MB)`);
  await net.dispose();
});

test.run();
