import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpuBackend } from '../../src/cpu/backend.js';
import { Rng } from '../../src/cpu/random.js';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/nn/checkpoint.js';
import { smallConfig } from '../../src/nn/config.js';
import { computeStats } from '../../src/nn/data/augment.js';
import { initParams } from '../../src/nn/model.js';
import { type Net, SingleNet } from '../../src/nn/net.js';
import { DEFAULT_TRAIN, DIVERGENCE_FACTOR, DivergedError, NonFiniteLossError, type TrainOptions, initialTrainerState, train } from '../../src/nn/trainer.js';
import { bandsDataset, throwsWith } from '../helpers.js';

const c = { ...smallConfig(), conv: smallConfig().conv.map((s) => ({ ...s, out: s.out / 2 })) as unknown as ReturnType<typeof smallConfig>['conv'], fc: [16, 16] as const };

const data = bandsDataset;

const opts: TrainOptions = { ...DEFAULT_TRAIN, epochs: 2, batchSize: 16, augment: { crop: 28, pad: 2, flip: true, pcaSigma: 0.1, scale: 1 } };
const trainSet = data(96, 1), valSet = data(32, 2);
const stats = computeStats(trainSet);

test('a checkpoint round-trips: configuration, trainer state, options, statistics, weights and momentum', () => {
  const params = initParams(c, Rng.seeded(3));
  const velocity = initParams(c, Rng.seeded(4));
  const ck = { config: c, trainer: { ...initialTrainerState(opts, 5), epoch: 3, lr: 0.001 }, options: opts, stats, params, velocity, meta: { data: 'x' } };
  const back = decodeCheckpoint(encodeCheckpoint(ck), 'mem');
  assert.equal(back.config, JSON.parse(JSON.stringify(c)));
  assert.equal(back.trainer, ck.trainer);
  assert.equal(back.options, opts);
  assert.equal(back.stats.mean, stats.mean);
  assert.equal(back.stats.eigenvalues, stats.eigenvalues);
  for (const [k, v] of params) assert.equal(back.params.get(k)!.data, v.data, k);
  for (const [k, v] of velocity) assert.equal(back.velocity.get(k)!.data, v.data, k);
  const bytes = encodeCheckpoint(ck);
  throwsWith(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 10), 'ck.bin'), /ck\.bin: corrupt checkpoint: its CRC32/);
  throwsWith(() => decodeCheckpoint(new Uint8Array(20), 'zero.bin'), /zero\.bin: not an alexnet-ts checkpoint/);
});

test('a run resumed from its epoch-1 checkpoint continues exactly as if uninterrupted', async () => {
  const host = initParams(c, Rng.seeded(6));
  const straight = await SingleNet.create(cpuBackend(), c, host);
  const s2 = await train(straight, { train: trainSet, val: valSet, stats }, opts, initialTrainerState(opts, 7));
  let saved: Uint8Array | undefined;
  const first = await SingleNet.create(cpuBackend(), c, host);
  await train(first, { train: trainSet, val: valSet, stats }, { ...opts, epochs: 1 }, initialTrainerState(opts, 7), {
    onEpoch: async (_r, s) => { saved = encodeCheckpoint({ config: c, trainer: s, options: opts, stats, ...(await first.exportState()), meta: {} }); },
  });
  const ck = decodeCheckpoint(saved!, 'epoch-1');
  const resumed = await SingleNet.create(cpuBackend(), c, ck.params, ck.velocity);
  const r2 = await train(resumed, { train: trainSet, val: valSet, stats: ck.stats }, ck.options, ck.trainer);
  const strip = (h: typeof s2.history) => h.map(({ seconds, imagesPerSecond, valSeconds, ...rest }) => rest);
  assert.equal(strip(r2.history), strip(s2.history));
  assert.equal(r2.rng, s2.rng);
  const back = (await resumed.exportState()).params;
  for (const [k, v] of (await straight.exportState()).params) assert.equal(back.get(k)!.data, v.data, k);
  assert.ok(s2.history[1].trainLoss < s2.history[0].trainLoss, 'the loss falls');
});

test('the learning rate is divided by 10 after `patience` epochs without a better validation error', async () => {
  // A net that never improves: predictions fixed, steps do nothing.
  const frozen: Net = {
    config: c, description: 'frozen',
    step: async () => ({ loss: 1, crossedBytes: 0 }),
    logits: async (_x, n) => new Float32Array(n * 10), features: async (_x, n) => new Float32Array(n * 16),
    predict: async (_x, n) => new Float32Array(n * 10).fill(0.1),
    exportState: async () => ({ params: new Map(), velocity: new Map() }),
    dispose: async () => {},
  };
  const s = await train(frozen, { train: trainSet, val: valSet, stats }, { ...opts, epochs: 5, patience: 2 }, initialTrainerState(opts, 1));
  assert.equal(s.history.map((r) => r.lr), [0.01, 0.01, 0.01, 0.001, 0.001]);
  assert.is(s.lr, 0.0001);
});

test('with minDelta, a validation gain below the threshold counts as a plateau', async () => {
  // Top-1 of 16, 20, 21 and 28 of the 32 validation images: gains of 12.5, 3.1 and 21.9 points.
  const acc = [16 / 32, 20 / 32, 21 / 32, 28 / 32];
  let epoch = 0;
  const scripted: Net = {
    config: c, description: 'scripted',
    step: async () => ({ loss: 1, crossedBytes: 0 }),
    logits: async (_x, n) => new Float32Array(n * 10), features: async (_x, n) => new Float32Array(n * 16),
    predict: async (_x, n) => {
      // Class 0 for the first acc[epoch] of the validation images, class 1 for the rest.
      const out = new Float32Array(n * 10);
      for (let i = 0; i < n; i++) out[i * 10 + (i < Math.round(acc[epoch] * n) ? 0 : 1)] = 1;
      return out;
    },
    exportState: async () => ({ params: new Map(), velocity: new Map() }),
    dispose: async () => {},
  };
  const labels0 = { ...valSet, labels: new Uint16Array(valSet.n) };
  const run = async (minDelta: number) => {
    epoch = 0;
    return train(scripted, { train: trainSet, val: labels0, stats }, { ...opts, epochs: 4, patience: 1, minDelta }, initialTrainerState(opts, 1), { onEpoch: () => { epoch++; } });
  };
  assert.equal((await run(0)).history.map((r) => r.lr), [0.01, 0.01, 0.01, 0.01]);
  // 3.1 points is less than a threshold of 5: the third epoch is a plateau, and the fourth runs at lr / 10.
  const s = await run(0.05);
  assert.equal(s.history.map((r) => r.valTop1), acc);
  assert.equal(s.history.map((r) => r.lr), [0.01, 0.01, 0.01, 0.001]);
});

test('with checksPerEpoch, the rule runs within epochs too: patience counts validations, and the next batches train at the new rate', async () => {
  // 96 images in batches of 16: 6 a epoch, validated after batches 2, 4 and 6. Validation top-1 by call:
  // gains, a plateau (the 3rd, the end of epoch 1: lr / 10), a gain, then plateaus (the 5th and 6th: lr / 10 each).
  const acc = [8 / 32, 16 / 32, 16 / 32, 24 / 32, 24 / 32, 24 / 32];
  let calls = 0;
  const lrs: number[] = [];
  const scripted: Net = {
    config: c, description: 'scripted',
    step: async (_x, _l, _r, h) => { lrs.push(h.lr); return { loss: 1, crossedBytes: 0 }; },
    logits: async (_x, n) => new Float32Array(n * 10), features: async (_x, n) => new Float32Array(n * 16),
    predict: async (_x, n) => {
      const out = new Float32Array(n * 10);
      for (let i = 0; i < n; i++) out[i * 10 + (i < Math.round(acc[calls] * n) ? 0 : 1)] = 1;
      calls++;
      return out;
    },
    exportState: async () => ({ params: new Map(), velocity: new Map() }),
    dispose: async () => {},
  };
  const labels0 = { ...valSet, labels: new Uint16Array(valSet.n) };
  const o = { ...opts, epochs: 2, patience: 1, minDelta: 0, checksPerEpoch: 3 };
  const seen: [number, number][] = [];
  const s = await train(scripted, { train: trainSet, val: labels0, stats }, o, initialTrainerState(o, 1), { onCheck: (e, ch) => { seen.push([e, ch.batch]); } });
  assert.is(calls, 6);
  assert.equal(seen, [[1, 2], [1, 4], [2, 2], [2, 4]]);
  assert.equal(s.history.map((r) => r.checks?.map((ch) => ch.valTop1)), [[acc[0], acc[1]], [acc[3], acc[4]]]);
  assert.equal(s.history.map((r) => r.valTop1), [acc[2], acc[5]]);
  // Epoch 2 starts at 0.001 and ends at 0.0001, lowered by its second check.
  assert.equal(s.history.map((r) => [r.lr, r.lastLr].map((x) => x && Number(x.toPrecision(6)))), [[0.01, undefined], [0.001, 0.0001]]);
  assert.equal(lrs.map((x) => Number(x.toPrecision(6))), [0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.001, 0.001, 0.001, 0.001, 0.0001, 0.0001]);
  assert.is(Number(s.lr.toPrecision(6)), 0.00001);
  // The checks travel in a checkpoint's history.
  const back = decodeCheckpoint(encodeCheckpoint({ config: c, trainer: s, options: o, stats, params: initParams(c, Rng.seeded(3)), velocity: initParams(c, Rng.seeded(4)), meta: {} }), 'mem');
  assert.equal(back.trainer.history, JSON.parse(JSON.stringify(s.history)));
  assert.is(back.options.checksPerEpoch, 3);
});

test('the batch hook gets each batch\'s loss and the running mean of the epoch', async () => {
  let k = 0;
  const counting: Net = {
    config: c, description: 'counting',
    step: async () => ({ loss: ++k, crossedBytes: 0 }),
    logits: async (_x, n) => new Float32Array(n * 10), features: async (_x, n) => new Float32Array(n * 16),
    predict: async (_x, n) => new Float32Array(n * 10).fill(0.1),
    exportState: async () => ({ params: new Map(), velocity: new Map() }),
    dispose: async () => {},
  };
  const seen: [number, number][] = [];
  await train(counting, { train: trainSet, val: valSet, stats }, { ...opts, epochs: 1 }, initialTrainerState(opts, 1), { onBatch: (p) => { seen.push([p.batchLoss, p.loss]); } });
  assert.ok(seen.length >= 3, `${seen.length} batches`);
  seen.forEach(([b, m], i) => { assert.is(b, i + 1); assert.is(m, (i + 2) / 2); });
});

test('a non-finite loss stops training with a clear error', async () => {
  const net = await SingleNet.create(cpuBackend(), c, initParams(c, Rng.seeded(8)));
  let err: unknown;
  try {
    const hot = { ...opts, lr: 1e6 };
    await train(net, { train: trainSet, val: valSet, stats }, hot, initialTrainerState(hot, 1));
  } catch (e) {
    err = e;
  }
  assert.instance(err, NonFiniteLossError, String(err));
  assert.match((err as Error).message, /the loss is (NaN|Infinity).*; training stopped/);
});

test('a validation loss that is not finite stops training before the epoch\'s checkpoint hook runs', async () => {
  const epochs: number[] = [];
  let calls = 0;
  const diverging: Net = {
    config: c, description: 'diverging',
    step: async () => ({ loss: 1, crossedBytes: 0 }),
    logits: async (_x, n) => new Float32Array(n * 10), features: async (_x, n) => new Float32Array(n * 16),
    // Finite probabilities during epoch 1's validation, NaN from epoch 2 on.
    predict: async (_x, n) => new Float32Array(n * 10).fill(epochs.length === 0 ? 0.1 : NaN),
    exportState: async () => ({ params: new Map(), velocity: new Map() }),
    dispose: async () => {},
  };
  let err: unknown;
  try {
    await train(diverging, { train: trainSet, val: valSet, stats }, { ...opts, epochs: 3 }, initialTrainerState(opts, 1), {
      onEpoch: (r) => { epochs.push(r.epoch); calls++; },
    });
  } catch (e) { err = e; }
  assert.ok(err instanceof NonFiniteLossError, String(err));
  assert.match((err as Error).message, /epoch 2: the validation loss is NaN/);
  assert.equal(epochs, [1], 'only the finite epoch reached onEpoch (which writes the checkpoint)');
  assert.is(calls, 1);
});

test('a finite loss that grows past 100 times the first stops training, also with one batch per epoch; a resumed run measures against epoch 1', async () => {
  const oneBatch = { ...opts, batchSize: trainSet.n, epochs: 20 };
  // The loss multiplies by 10 each step: finite all the way (as a too-large lr gives, 1e32 and on).
  const growing = (start: number): { net: Net; steps: () => number } => {
    let loss = start, steps = 0;
    return {
      steps: () => steps,
      net: {
        config: c, description: 'growing', step: async () => { steps++; const l = loss; loss *= 10; return { loss: l, crossedBytes: 0 }; },
        logits: async (_x, n) => new Float32Array(n * 10), features: async (_x, n) => new Float32Array(n * 16), predict: async (_x, n) => new Float32Array(n * 10).fill(0.1),
        exportState: async () => ({ params: new Map(), velocity: new Map() }), dispose: async () => {},
      },
    };
  };
  const g = growing(2);
  const epochs: number[] = [];
  let err: unknown;
  try {
    await train(g.net, { train: trainSet, val: valSet, stats }, oneBatch, initialTrainerState(oneBatch, 1), { onEpoch: (r) => { epochs.push(r.epoch); } });
  } catch (e) { err = e; }
  assert.instance(err, DivergedError, String(err));
  assert.instance(err, NonFiniteLossError, 'the same stop as a NaN loss');
  assert.match((err as Error).message, /^epoch 4, batch 1: the loss is 2000, more than 100 times the run's first \(2\.000\): the run diverged/);
  assert.is(g.steps(), 4, 'stopped at the first step past the bound (2, 20, 200 pass; 2000 does not)');
  assert.equal(epochs, [1, 2, 3], 'the epochs before it were written');
  // Resumed after epoch 1 (mean loss 2): the bound stays 100 times that, not the resumed run's first batch.
  const h = growing(50);
  const resumed = { ...initialTrainerState(oneBatch, 1), epoch: 1, history: [{ epoch: 1, lr: 0.01, trainLoss: 2, valLoss: 2, valTop1: 0.1, valTop5: 0.5, seconds: 1, imagesPerSecond: 1, crossedBytesPerStep: 0 }] };
  err = undefined;
  try { await train(h.net, { train: trainSet, val: valSet, stats }, oneBatch, resumed); } catch (e) { err = e; }
  assert.instance(err, DivergedError);
  assert.match((err as Error).message, /^epoch 3, batch 1: the loss is 500\.0, more than 100 times the run's first \(2\.000\)/);
  assert.is(DIVERGENCE_FACTOR, 100);
});

test.run();
