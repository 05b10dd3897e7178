// The soak of spec/nn/soak.spec.ts, run in a process of its own: it measures
// the process's JavaScript heap and array buffers, which other specs' late
// garbage (their SharedArrayBuffers, worker pools, GL buffers) would move by
// tens of MB in the spec runner's shared process. Prints one JSON line.
//
//   node --expose-gc --import tsx spec/nn/soak-run.ts   (SOAK_STEPS, default 2000)

import { cpuBackend } from '../../src/cpu/backend.js';
import { Rng } from '../../src/cpu/random.js';
import { tinyConfig } from '../../src/nn/config.js';
import { computeStats } from '../../src/nn/data/augment.js';
import type { ImageDataset } from '../../src/nn/data/dataset.js';
import { initParams } from '../../src/nn/model.js';
import { SingleNet } from '../../src/nn/net.js';
import { DEFAULT_TRAIN, type TrainOptions, initialTrainerState, train } from '../../src/nn/trainer.js';

const STEPS = Number(process.env.SOAK_STEPS ?? 2000);
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
if (!gc) throw new Error('soak-run: run with node --expose-gc');
// One gc() leaves array buffers of the collected young generation still counted (their memory is swept
// afterwards, concurrently): measured here, the arrayBuffers figure after one gc() wandered between 10 and 41 MB
// over a flat run, and after three it read 10.0 MB at every sample. So the reading follows three collections.
const heap = () => { gc(); gc(); gc(); const m = process.memoryUsage(); return (m.heapUsed + m.arrayBuffers) / 2 ** 20; };
let steps = 0, warm = 0;
const samples: number[] = [];
const end = await train(net, { train: trainSet, val, stats: computeStats(trainSet) }, o, initialTrainerState(o, 3), {
  onBatch: () => {
    steps++;
    if (steps === Math.min(500, STEPS / 5)) warm = heap();
    if (steps > 500 && steps % 500 === 0) samples.push(heap());
  },
});
await net.dispose();
console.log(JSON.stringify({
  steps, expected: o.epochs * perEpoch, warm, samples,
  finite: end.history.every((h) => Number.isFinite(h.trainLoss)), lrs: [...new Set(end.history.map((h) => h.lr))],
}));
