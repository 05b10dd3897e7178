// The paper's training recipe (section 5) over any Net: epochs of shuffled
// mini-batches with augmentation, SGD with momentum 0.9 and weight decay
// 0.0005, validation top-1 and top-5 after every epoch, and the learning rate
// divided by 10 when the validation error stops improving ("patience"
// epochs without a new best). Everything random (shuffling, crops, flips,
// colour shifts, dropout masks) comes from one seeded Rng, whose state is
// part of the trainer state: a run resumed from a checkpoint continues
// exactly as if it had not stopped. No Node API: the browser page uses it too.

import { Rng } from '../cpu/random.js';
import { topKCorrect } from '../cpu/metrics.js';
import { NonFiniteError } from '../cpu/tensor.js';
import type { AlexNetConfig } from './config.js';
import type { AugmentOptions, DataStats } from './data/augment.js';
import { averageViews, testBatch, trainingBatch } from './data/augment.js';
import type { ImageDataset } from './data/dataset.js';
import type { Net } from './net.js';

/** Hyper-parameters of a training run. */
export interface TrainOptions {
  epochs: number;
  batchSize: number;
  /** Initial learning rate (paper: 0.01). */
  lr: number;
  momentum: number;
  weightDecay: number;
  /** Validations (one an epoch unless checksPerEpoch says more) without a new best validation error before lr is divided by 10. */
  patience: number;
  /**
   * How much lower (absolute, as a fraction) the validation error must be than
   * the best so far to count as a new best; 0 (the default) counts any drop.
   * The paper's "stopped improving" (section 5) with a threshold: 0.005 treats
   * a gain under half a point as a plateau.
   */
  minDelta?: number;
  /**
   * Validations an epoch (default 1): the learning-rate rule is applied after
   * each, and patience counts them. Section 5's "when the validation error
   * rate stopped improving" is judged at the end of an epoch in the paper,
   * 90 times a run; a run of a few epochs needs the judgement more often to
   * lower the rate where the error levels off, not an epoch later.
   */
  checksPerEpoch?: number;
  augment: AugmentOptions;
  /** Views per test image: 1 (centre crop) or 10 (the paper's ten crops). */
  testViews: 1 | 10;
}

/** The paper's optimiser settings and our small-image augmentation defaults. */
export const DEFAULT_TRAIN: Omit<TrainOptions, 'augment'> = {
  epochs: 10, batchSize: 128, lr: 0.01, momentum: 0.9, weightDecay: 0.0005, patience: 2, testViews: 1,
};

/**
 * The recipe `alexnet train` runs for each configuration when no flag says
 * otherwise. small: the measured Fashion-MNIST recipe of the README: lr 0.03
 * for He's initialisation, lr / 10 after two epochs without a gain of half a
 * point (section 5's rule with a threshold; with one epoch, a single noisy
 * validation lowered the rate as early as epoch 3 and four seeds ended at
 * 88.09-89.38 % test top-1 against 89.55-90.37 % with two: docs/benchmarks.md,
 * "Tenth step"), crops without shifts (pad 0). small-32 and four-layer keep
 * one epoch (not re-measured). paper and torchvision: section 5 as written:
 * lr 0.01, 90 epochs, batch 128. Flags override.
 */
export const TRAIN_RECIPES: Record<string, { epochs: number; lr: number; patience: number; minDelta: number; pad?: number; batch: number }> = {
  small: { epochs: 10, lr: 0.03, patience: 2, minDelta: 0.005, pad: 0, batch: 128 },
  'small-32': { epochs: 10, lr: 0.03, patience: 1, minDelta: 0.005, pad: 0, batch: 128 },
  'four-layer': { epochs: 10, lr: 0.03, patience: 1, minDelta: 0.005, pad: 0, batch: 128 },
  paper: { epochs: 90, lr: 0.01, patience: 2, minDelta: 0, batch: 128 },
  torchvision: { epochs: 90, lr: 0.01, patience: 2, minDelta: 0, batch: 128 },
  tiny: { epochs: DEFAULT_TRAIN.epochs, lr: DEFAULT_TRAIN.lr, patience: DEFAULT_TRAIN.patience, minDelta: 0, batch: DEFAULT_TRAIN.batchSize },
};

/** What one epoch measured. */
export interface EpochRecord {
  epoch: number;
  lr: number;
  trainLoss: number;
  valLoss: number;
  valTop1: number;
  valTop5: number;
  seconds: number;
  imagesPerSecond: number;
  crossedBytesPerStep: number;
  /** The lr of the epoch's batches after its last check, where a check lowered it (else `lr`). */
  lastLr?: number;
  /** Seconds spent validating within and after the epoch (not in `seconds`). */
  valSeconds?: number;
  /** The validations within the epoch before its last (checksPerEpoch > 1): after how many batches, the result, the lr trained with. */
  checks?: CheckRecord[];
}

/** One validation within an epoch. */
export interface CheckRecord {
  batch: number;
  lr: number;
  valLoss: number;
  valTop1: number;
}

/** Everything besides the weights that a resumed run needs. */
export interface TrainerState {
  /** Epochs completed. */
  epoch: number;
  lr: number;
  bestValError: number;
  epochsSinceBest: number;
  rng: number[];
  history: EpochRecord[];
}

/** Raised when a batch's loss is NaN or infinite: training stops, the last checkpoint stays. */
export class NonFiniteLossError extends Error {
  override name = 'NonFiniteLossError';
}

/**
 * How far above the run's first loss a batch's loss may rise before training
 * stops as diverged: 100 times. A net that learns never comes near it (the
 * first loss is the untrained ln(classes), or an imported net's), while a run
 * whose lr is too large overshoots it within a few steps, where a finite but
 * huge loss (1e32) would otherwise train on to the end and exit 0.
 */
export const DIVERGENCE_FACTOR = 100;

/** Raised when a batch's loss rises past DIVERGENCE_FACTOR times the run's first: a NonFiniteLossError in all but name, with the same stop. */
export class DivergedError extends NonFiniteLossError {
  override name = 'DivergedError';
}

/** Progress within an epoch, for progress bars. */
export interface BatchProgress {
  epoch: number;
  batch: number;
  batches: number;
  /** Mean loss over the epoch's batches so far. */
  loss: number;
  /** This batch's mean loss. */
  batchLoss: number;
  imagesPerSecond: number;
}

/** The state of a run that has not started. */
export function initialTrainerState(o: TrainOptions, seed: number): TrainerState {
  return { epoch: 0, lr: o.lr, bestValError: Infinity, epochsSinceBest: 0, rng: Rng.seeded(seed).state(), history: [] };
}

/** Top-1, top-5 and mean loss of a net on a dataset (centre crop or ten crops, softmax averaged). */
export async function evaluate(net: Net, d: ImageDataset, stats: DataStats, o: AugmentOptions, views: 1 | 10, batch = 250): Promise<{ top1: number; top5: number; loss: number }> {
  const K = net.config.classes;
  let c1 = 0, c5 = 0, loss = 0;
  for (let from = 0; from < d.n; from += batch) {
    const idx = Array.from({ length: Math.min(batch, d.n - from) }, (_, i) => from + i);
    const { x, labels } = testBatch(d, idx, stats, o, views);
    const avg = averageViews(await net.predict(x, idx.length * views), idx.length, views, K);
    for (let i = 0; i < idx.length; i++) loss -= Math.log(Math.max(avg[i * K + labels[i]], 1e-30));
    const scores = { data: avg, shape: [idx.length, K] };
    c1 += topKCorrect(scores, labels, 1);
    c5 += topKCorrect(scores, labels, Math.min(5, K));
  }
  return { top1: c1 / d.n, top5: c5 / d.n, loss: loss / d.n };
}

/**
 * Validates during training. A net whose validation loss is not finite is
 * never written as a checkpoint, nor counted as a best: the run stops here,
 * and the checkpoint of the last finite epoch stays the one on disk.
 */
async function validate(net: Net, data: { val: ImageDataset; stats: DataStats }, o: TrainOptions, where: string, lr: number): Promise<{ top1: number; top5: number; loss: number }> {
  const v = await evaluate(net, data.val, data.stats, o.augment, o.testViews);
  if (!Number.isFinite(v.loss)) {
    throw new NonFiniteLossError(`${where}: the validation loss is ${v.loss}; training stopped before writing this epoch's checkpoint (lr ${lr}: try a smaller --lr)`);
  }
  return v;
}

/**
 * Section 5's rule after a validation with error `err`: divide the learning
 * rate by 10 when the error has not improved (by more than minDelta) on the
 * best for `patience` validations.
 */
function ruled(s: TrainerState, err: number, o: TrainOptions): Pick<TrainerState, 'lr' | 'bestValError' | 'epochsSinceBest'> {
  const improved = err < s.bestValError - (o.minDelta ?? 0);
  const since = improved ? 0 : s.epochsSinceBest + 1;
  const drop = since >= o.patience;
  return { lr: drop ? s.lr / 10 : s.lr, bestValError: Math.min(err, s.bestValError), epochsSinceBest: drop ? 0 : since };
}

/**
 * Trains from `state` until `o.epochs` epochs are done. After each epoch:
 * validation, the learning-rate rule, then onEpoch (which writes the
 * checkpoint); with checksPerEpoch > 1, validation and the rule also at
 * evenly spaced batches within it, then onCheck. Returns the final state.
 */
export async function train(
  net: Net, data: { train: ImageDataset; val: ImageDataset; stats: DataStats }, o: TrainOptions, state: TrainerState,
  hooks: {
    onBatch?: (p: BatchProgress) => Promise<void> | void;
    onCheck?: (epoch: number, c: CheckRecord, s: TrainerState) => Promise<void> | void;
    onEpoch?: (r: EpochRecord, s: TrainerState) => Promise<void> | void;
  } = {},
): Promise<TrainerState> {
  const c: AlexNetConfig = net.config;
  if (o.augment.crop !== c.inputSize) throw new RangeError(`train: crop ${o.augment.crop} must equal the network's input size ${c.inputSize}`);
  if (data.train.channels !== c.inputChannels) throw new RangeError(`train: ${data.train.name} has ${data.train.channels} channels, the network takes ${c.inputChannels}`);
  if (data.train.classes > c.classes) throw new RangeError(`train: ${data.train.name} has ${data.train.classes} classes, the network ${c.classes}`);
  let s = { ...state, history: [...state.history] };
  // The run's first loss, the yardstick of divergence: epoch 1's mean (a resumed run), else this run's first batch.
  let firstLoss = s.history[0]?.trainLoss;
  while (s.epoch < o.epochs) {
    const rng = Rng.fromState(s.rng);
    const n = data.train.n;
    // A fresh permutation every epoch (Fisher-Yates).
    const order = rng.shuffle(Int32Array.from({ length: n }, (_, i) => i));
    const batches = Math.floor(n / o.batchSize);
    const t0 = performance.now();
    let lossSum = 0, crossed = 0, checkSeconds = 0;
    const checks = Math.min(o.checksPerEpoch ?? 1, batches);
    const checkAt = new Set(Array.from({ length: checks - 1 }, (_, j) => Math.round((batches * (j + 1)) / checks)));
    const midChecks: CheckRecord[] = [];
    for (let b = 0; b < batches; b++) {
      const { x, labels } = trainingBatch(data.train, order.subarray(b * o.batchSize, (b + 1) * o.batchSize), data.stats, o.augment, rng);
      const where = `epoch ${s.epoch + 1}, batch ${b + 1}`;
      let r: { loss: number; crossedBytes: number };
      try {
        r = await net.step(x, labels, rng, { lr: s.lr, momentum: o.momentum, weightDecay: o.weightDecay });
      } catch (e) {
        // Non-finite logits or gradients are caught where they appear (NonFiniteError): the same stop as a NaN loss.
        if (e instanceof NonFiniteError) throw new NonFiniteLossError(`${where}: the loss is NaN (${e.message}); training stopped (lr ${s.lr}: try a smaller --lr)`);
        throw e;
      }
      if (!Number.isFinite(r.loss)) {
        throw new NonFiniteLossError(`${where}: the loss is ${r.loss}; training stopped (lr ${s.lr}: try a smaller --lr)`);
      }
      firstLoss ??= r.loss;
      if (r.loss > DIVERGENCE_FACTOR * firstLoss) {
        throw new DivergedError(`${where}: the loss is ${r.loss.toPrecision(4)}, more than ${DIVERGENCE_FACTOR} times the run's first (${firstLoss.toPrecision(4)}): ` +
          `the run diverged; training stopped (lr ${s.lr}: try a smaller --lr)`);
      }
      lossSum += r.loss;
      crossed = r.crossedBytes;
      // Awaited: the browser page yields to its event loop here (and stops a run by throwing).
      await hooks.onBatch?.({ epoch: s.epoch + 1, batch: b + 1, batches, loss: lossSum / (b + 1), batchLoss: r.loss, imagesPerSecond: ((b + 1) * o.batchSize) / ((performance.now() - t0 - checkSeconds * 1000) / 1000) });
      if (checkAt.has(b + 1)) {
        const tc = performance.now();
        const v = await validate(net, data, o, `epoch ${s.epoch + 1}, after batch ${b + 1}`, s.lr);
        midChecks.push({ batch: b + 1, lr: s.lr, valLoss: v.loss, valTop1: v.top1 });
        s = { ...s, ...ruled(s, 1 - v.top1, o) };
        await hooks.onCheck?.(s.epoch + 1, midChecks[midChecks.length - 1], s);
        checkSeconds += (performance.now() - tc) / 1000;
      }
    }
    const seconds = (performance.now() - t0) / 1000 - checkSeconds;
    const tv = performance.now();
    const v = await validate(net, data, o, `epoch ${s.epoch + 1}`, s.lr);
    const valSeconds = checkSeconds + (performance.now() - tv) / 1000;
    const record: EpochRecord = {
      epoch: s.epoch + 1, lr: midChecks[0]?.lr ?? s.lr, ...(midChecks.length && s.lr !== midChecks[0].lr ? { lastLr: s.lr } : {}), trainLoss: lossSum / Math.max(1, batches), valLoss: v.loss, valTop1: v.top1, valTop5: v.top5,
      seconds, imagesPerSecond: (batches * o.batchSize) / seconds, crossedBytesPerStep: crossed, valSeconds, ...(midChecks.length ? { checks: midChecks } : {}),
    };
    s = { ...s, ...ruled(s, 1 - v.top1, o), epoch: s.epoch + 1, rng: rng.state(), history: [...s.history, record] };
    await hooks.onEpoch?.(record, s);
  }
  return s;
}
