// Runs an experiment of the catalog: every arm with the same seeds, the same
// images and the same budget, through the project's trainer; then the
// metric per run, the effect of each ablation with its seed spread and the
// verdict (src/experiments/verdict.ts). No Node API: the command line writes
// the files (src/cli/experiment.ts).

import { Rng } from '../cpu/random.js';
import type { AwaitableBackend } from '../backend.js';
import { makeNet } from '../api/nets.js';
import type { AlexNetConfig } from '../nn/config.js';
import { type AugmentOptions, type DataStats, computeStats, defaultAugment } from '../nn/data/augment.js';
import { type ImageDataset, sliceDataset } from '../nn/data/dataset.js';
import { initParams } from '../nn/model.js';
import { DEFAULT_TRAIN, TRAIN_RECIPES, type EpochRecord, type TrainOptions, evaluate, initialTrainerState, train } from '../nn/trainer.js';
import { type Budget, type Experiment, type Variant, experimentBase } from './catalog.js';
import { type Effect, independentEffect, meanSd, pairedEffect } from './verdict.js';

/** What one training of one arm with one seed measured. */
export interface RunResult {
  variant: string;
  seed: number;
  /** What trained: the configuration's name and layer widths, and the recipe's rate, weight decay and augmentation. */
  training: { config: string; conv: number[]; fc: number[]; activation: string; lr: number; weightDecay: number; augment: AugmentOptions };
  history: EpochRecord[];
  /** Error on a fixed slice of the training images (centre view, no dropout), at points in epochs. */
  trainCurve: { epoch: number; error: number }[];
  test: { top1Error: number; top5Error: number };
  /** The ten-view test error of the same net (ten-crop experiment). */
  testTenCrop?: { top1Error: number; top5Error: number };
  /** Final top-1 error on the training slice: test minus this is the overfitting gap. */
  trainError: number;
  secondsPerStep: number;
  crossedBytesPerStep: number;
}

/** The effect of one ablation against the baseline. */
export interface AblationResult {
  variant: string;
  /** Per-seed values of the metric (lower is better) for the baseline and this ablation. */
  baseline: number[];
  ablated: number[];
  /** Top-5 error per seed where the metric is top-1 (else empty). */
  baselineTop5: number[];
  ablatedTop5: number[];
  effect: Effect;
  /** The same for top-5, where measured. */
  effectTop5?: Effect;
}

/** An experiment's whole result. */
export interface ExperimentResult {
  experiment: string;
  section: string;
  claim: string;
  paper: string;
  metric: Experiment['metric'];
  /** The name of the paper's arm. */
  baseline: string;
  budget: Budget;
  seeds: number[];
  backend: string;
  runs: RunResult[];
  ablations: AblationResult[];
  /** Wall time of the whole experiment, every run and evaluation. */
  seconds: number;
}

/** How an experiment is run. */
export interface ExperimentOptions {
  /** 'cpu', 'cpu-float32-sums', 'gpu', or a Backend. */
  backend: string | AwaitableBackend<unknown>;
  seeds: number[];
  budget: Budget;
  /** Mini-batch size (default 128, the recipe's). */
  batchSize?: number;
  /** Progress lines (one per run and per epoch). */
  log?: (s: string) => void;
}

/** Images of the training set whose error is tracked (the curve of Figure 1 and the overfitting gap): 500 give a 25 % error to about 2 points. */
const TRAIN_SLICE = 500;
/**
 * Points per epoch of the training-error curve (Figure 1 plots it against
 * epochs): 16, as a quick run's epoch is 31 steps of 128 and the target can
 * be crossed within it; each point costs a forward pass over the slice.
 */
const CURVE_POINTS = 16;

/** The net an experiment's arms start from, for a dataset's image size and channels (and at least 10 classes). */
export function armsBase(e: Experiment, d: ImageDataset): AlexNetConfig {
  return (e.base ?? experimentBase)(d.height, d.channels, Math.max(10, d.classes));
}

/** The first epoch (interpolated between curve points) at which the training error reaches `target`, or Infinity. */
export function epochsTo(curve: readonly { epoch: number; error: number }[], target: number): number {
  for (let i = 0; i < curve.length; i++) {
    if (curve[i].error > target) continue;
    if (i === 0) return curve[0].epoch;
    const a = curve[i - 1], b = curve[i];
    return a.epoch + ((a.error - target) / (a.error - b.error)) * (b.epoch - a.epoch);
  }
  return Infinity;
}

async function runOne(
  e: Experiment, v: Variant, seed: number, data: { train: ImageDataset; val: ImageDataset; test: ImageDataset; stats: DataStats }, o: ExperimentOptions,
): Promise<RunResult> {
  const base = armsBase(e, data.train);
  const config: AlexNetConfig = v.config ? v.config(base) : base;
  // The small net's recipe of `alexnet train` (lr, and its rule), for the budget's epochs, with the
  // patience of one epoch that the recorded experiments (docs/experiments/) ran with: `alexnet train`'s
  // moved to two epochs after them (docs/benchmarks.md, "Tenth step"), and their results stay reproducible.
  const recipe = { ...TRAIN_RECIPES.small, patience: 1 };
  const regularised = e.regularised ?? true;
  let augment = { ...defaultAugment(config), pad: 0, ...(regularised ? {} : { flip: false, pcaSigma: 0 }) };
  if (e.augment) augment = e.augment(augment);
  if (v.augment) augment = v.augment(augment);
  const options: TrainOptions = {
    ...DEFAULT_TRAIN, weightDecay: regularised ? DEFAULT_TRAIN.weightDecay : 0, epochs: o.budget.epochs, lr: recipe.lr, patience: recipe.patience, minDelta: recipe.minDelta, batchSize: o.batchSize ?? recipe.batch, augment, testViews: 1,
  };
  const stats = data.stats;
  const partitions = v.partitions ?? 1;
  const net = await makeNet(o.backend, partitions, config, initParams(config, Rng.seeded(seed)), undefined, { adopt: true });
  const trainSlice = sliceDataset(data.train, 0, Math.min(TRAIN_SLICE, data.train.n), `${data.train.name}[0:${TRAIN_SLICE}]`);
  const trainCurve: RunResult['trainCurve'] = [];
  const trackCurve = e.metric === 'epochs-to-25';
  try {
    if (trackCurve) trainCurve.push({ epoch: 0, error: 1 - (await evaluate(net, trainSlice, stats, augment, 1)).top1 });
    const batches = Math.floor(data.train.n / options.batchSize);
    const every = Math.max(1, Math.floor(batches / CURVE_POINTS));
    const state = await train(net, { train: data.train, val: data.val, stats }, options, initialTrainerState(options, seed + 1), {
      async onBatch(p) {
        if (trackCurve && (p.batch % every === 0 || p.batch === p.batches)) {
          trainCurve.push({ epoch: p.epoch - 1 + p.batch / p.batches, error: 1 - (await evaluate(net, trainSlice, stats, augment, 1)).top1 });
        }
      },
      onEpoch(r) {
        o.log?.(`  ${e.name} / ${v.name} / seed ${seed}: epoch ${r.epoch}, val top-1 ${(100 * r.valTop1).toFixed(2)} %, ${r.seconds.toFixed(0)} s`);
      },
    });
    const t1 = await evaluate(net, data.test, stats, augment, 1);
    const t10 = e.metric === 'ten-crop' ? await evaluate(net, data.test, stats, augment, 10) : undefined;
    const tr = await evaluate(net, trainSlice, stats, augment, 1);
    const steps = state.history.length * batches;
    return {
      variant: v.name, seed, history: state.history, trainCurve,
      training: { config: config.name, conv: config.conv.map((x) => x.out), fc: [...config.fc], activation: config.activation, lr: options.lr, weightDecay: options.weightDecay, augment },
      test: { top1Error: 1 - t1.top1, top5Error: 1 - t1.top5 },
      ...(t10 ? { testTenCrop: { top1Error: 1 - t10.top1, top5Error: 1 - t10.top5 } } : {}),
      trainError: 1 - tr.top1,
      secondsPerStep: state.history.reduce((s, h) => s + h.seconds, 0) / Math.max(1, steps),
      crossedBytesPerStep: state.history.at(-1)?.crossedBytesPerStep ?? 0,
    };
  } finally {
    await net.dispose();
  }
}

/** The metric of a run (lower is better): test top-1 error, or epochs to 25 % training error (the budget's end when never reached: censored). */
function metricOf(e: Experiment, r: RunResult, budget: Budget): { top1: number; top5?: number } {
  if (e.metric === 'epochs-to-25') return { top1: Math.min(epochsTo(r.trainCurve, 0.25), budget.epochs) };
  return { top1: r.test.top1Error, top5: r.test.top5Error };
}

/**
 * Runs every arm of `e` with every seed on `split` (its training images
 * sliced to the budget, the last `val` held out) and returns the runs and
 * the effects.
 */
export async function runExperiment(e: Experiment, split: { train: ImageDataset; test: ImageDataset }, o: ExperimentOptions): Promise<ExperimentResult> {
  const b = o.budget, t0 = performance.now();
  if (b.val + b.images > split.train.n) throw new RangeError(`${e.name}: ${b.images} training and ${b.val} validation images asked for, the training set holds ${split.train.n}`);
  const train = sliceDataset(split.train, 0, b.images, `${split.train.name}[0:${b.images}]`);
  const data = {
    // Every arm and seed sees the same images and the same statistics (mean image, colour PCA): computed once.
    train, stats: computeStats(train),
    val: sliceDataset(split.train, split.train.n - b.val, split.train.n, `${split.train.name}[-${b.val}:]`),
    test: sliceDataset(split.test, 0, Math.min(b.testImages, split.test.n), `${split.test.name}[0:${Math.min(b.testImages, split.test.n)}]`),
  };
  const runs: RunResult[] = [];
  // The ten-crop arms are two measurements of the same nets: trained once.
  const arms = e.metric === 'ten-crop' ? [e.baseline] : [e.baseline, ...e.ablations];
  let k = 0;
  for (const v of arms) {
    for (const seed of o.seeds) {
      o.log?.(`${e.name}: run ${++k} of ${arms.length * o.seeds.length} (${v.name}, seed ${seed})`);
      runs.push(await runOne(e, v, seed, data, o));
    }
  }
  const of = (name: string) => runs.filter((r) => r.variant === name);
  const ablations: AblationResult[] = e.ablations.map((a) => {
    if (e.metric === 'ten-crop') {
      const nets = of(e.baseline.name);
      const base = nets.map((r) => r.testTenCrop!.top1Error), abl = nets.map((r) => r.test.top1Error);
      const base5 = nets.map((r) => r.testTenCrop!.top5Error), abl5 = nets.map((r) => r.test.top5Error);
      return { variant: a.name, baseline: base, ablated: abl, baselineTop5: base5, ablatedTop5: abl5, effect: pairedEffect(base, abl), effectTop5: pairedEffect(base5, abl5) };
    }
    const mb = of(e.baseline.name).map((r) => metricOf(e, r, b)), ma = of(a.name).map((r) => metricOf(e, r, b));
    const top5 = e.metric === 'test-error';
    return {
      variant: a.name, baseline: mb.map((m) => m.top1), ablated: ma.map((m) => m.top1),
      baselineTop5: top5 ? mb.map((m) => m.top5!) : [], ablatedTop5: top5 ? ma.map((m) => m.top5!) : [],
      effect: independentEffect(mb.map((m) => m.top1), ma.map((m) => m.top1)),
      ...(top5 ? { effectTop5: independentEffect(mb.map((m) => m.top5!), ma.map((m) => m.top5!)) } : {}),
    };
  });
  return {
    experiment: e.name, section: e.section, claim: e.claim, paper: e.paper, metric: e.metric, baseline: e.baseline.name, budget: b, seeds: o.seeds,
    backend: typeof o.backend === 'string' ? o.backend : o.backend.name, runs, ablations, seconds: (performance.now() - t0) / 1000,
  };
}

/** mean ± sd of per-seed values, in percent (errors) or epochs. */
function shown(xs: readonly number[], unit: '%' | 'epochs'): string {
  const { mean, sd } = meanSd(xs);
  const f = unit === '%' ? (x: number) => (100 * x).toFixed(2) : (x: number) => x.toFixed(2);
  return `${f(mean)}${xs.length > 1 ? ` ± ${f(sd)}` : ''}${unit === '%' ? ' %' : ' epochs'}`;
}

/** The table rows of a result: claim, the paper's figure, what was measured here (mean ± sd over seeds), the verdict, the command. */
export function resultRows(r: ExperimentResult, command: string): string[][] {
  return r.ablations.map((a) => {
    const unit = r.metric === 'epochs-to-25' ? 'epochs' : '%';
    const base = r.baseline;
    let measured = `${base} ${shown(a.baseline, unit)}, ${a.variant} ${shown(a.ablated, unit)}`;
    if (r.metric === 'epochs-to-25') {
      const ratio = meanSd(a.ablated).mean / meanSd(a.baseline).mean;
      const censored = a.ablated.some((x) => x >= r.budget.epochs);
      measured += `: ${censored ? 'at least ' : ''}${ratio.toFixed(1)}x`;
      // Where a run never reached the target the ratio is bounded only; the error it did reach shows the direction.
      const final = (name: string) => (100 * meanSd(r.runs.filter((x) => x.variant === name).map((x) => x.trainError)).mean).toFixed(1);
      measured += `; training error at the end ${final(base)} against ${final(a.variant)} %`;
    } else {
      // The paper's arm minus the ablation, in points of error: negative where the paper's choice helps.
      const d = a.effect.difference, d5 = a.effectTop5?.difference;
      const pts = (x: number) => `${-x > 0 ? '+' : ''}${(-100 * x).toFixed(2)}`;
      measured += `; ${base} minus ${a.variant}: top-1 ${pts(d)}${d5 !== undefined ? `, top-5 ${pts(d5)}` : ''} points (s.e. ${(100 * a.effect.standardError).toFixed(2)})`;
    }
    if (r.experiment === 'dropout' || r.experiment === 'overlap') {
      const gap = (name: string) => meanSd(r.runs.filter((x) => x.variant === name).map((x) => x.test.top1Error - x.trainError)).mean;
      measured += `; train/test gap ${(100 * gap(base)).toFixed(2)} against ${(100 * gap(a.variant)).toFixed(2)} points`;
    }
    if (r.experiment === 'partitions') {
      const per = (name: string) => r.runs.filter((x) => x.variant === name);
      const ms = (name: string) => (1000 * meanSd(per(name).map((x) => x.secondsPerStep)).mean).toFixed(0);
      measured += `; ${(per(base)[0].crossedBytesPerStep / 1024).toFixed(0)} KiB crossed per step; ${ms(base)} against ${ms(a.variant)} ms per step`;
    }
    return [`${r.claim} (${r.section})`, r.paper, measured, a.effect.verdict, command];
  });
}
