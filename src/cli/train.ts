// `alexnet train`: the project's main job. Loads the data, builds the net on
// the chosen backend (two GPU contexts by default, as the paper's two GPUs),
// trains with progress bars, validates every epoch, writes a JSON-lines log
// and an atomic checkpoint per epoch, and at the end draws the curves and
// the conv1 kernels and reports test accuracy.

import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { Rng } from '../cpu/random.js';
import { type Checkpoint, encodeCheckpoint } from '../nn/checkpoint.js';
import { type AlexNetConfig, CONFIGS } from '../nn/config.js';
import { parameterCount } from '../nn/layers.js';
import { type DataStats, computeStats, defaultAugment } from '../nn/data/augment.js';
import { sliceDataset } from '../nn/data/dataset.js';
import { initParams } from '../nn/model.js';
import type { Net } from '../nn/net.js';
import { DEFAULT_TRAIN, TRAIN_RECIPES, type CheckRecord, type EpochRecord, type TrainOptions, type TrainerState, evaluate, initialTrainerState, train } from '../nn/trainer.js';
import { makeNet } from '../api/nets.js';
import { type LoadedWeights, readWeightsFile } from '../api/weights.js';
import type { HostParams } from '../nn/model.js';
import { folderOptions, loadDataset } from './datasets.js';
import { type CommandSpec, type Parsed, UsageError } from './options.js';
import { WEIGHTS_OPTIONS, peakRssMB } from './weights.js';
import { writeCurvesPng, writeKernelsPng } from './plots.js';
import { kernelBlocks } from '../viz/kernels.js';
import { appendJsonLine, removeStaleTemps, writeAtomic } from './files.js';
import { FINE_TUNE_RECIPE, fineTuned, importedInput } from './fine-tune.js';
import { SETTINGS, type Settings, legacySettings, readCheckpoint, repairLog, sameValue, takeLock } from './run-folder.js';

/** The options of `alexnet train`. */
export const TRAIN_COMMAND = {
  name: 'train',
  summary: 'Trains AlexNet (default: the small configuration on Fashion-MNIST from Debian, two WebGL contexts as the paper\'s two GPUs) with\n' +
    'its recipe (printed at the start), validates every epoch, writes checkpoint.bin, log.jsonl, curves.png, conv1.png and result.json.',
  options: {
    config: { type: 'enum', values: Object.keys(CONFIGS), default: 'small', help: 'network configuration' },
    data: { type: 'string', arg: 'DIR', help: 'IDX files, CIFAR-10 batches, or train/ and test/ image folders (default Fashion-MNIST from Debian)' },
    backend: { type: 'enum', values: ['gpu', 'cpu', 'cpu-float32-sums', 'cpu-threads'], default: 'gpu', help: 'WebGL (gpu.js), the CPU reference, the CPU with float32 sums (faster; docs/benchmarks.md), or those sums over every core (cpu-threads, ALEXNET_THREADS)' },
    partitions: { type: 'int', min: 1, max: 2, help: 'backend instances the net is split over (default 2 on gpu, 1 on cpu)' },
    epochs: { type: 'int', min: 1, help: 'epochs to train (default: the recipe\'s)' },
    batch: { type: 'int', min: 1, help: 'mini-batch size (default: the recipe\'s, 128)' },
    lr: { type: 'number', above: 0, help: 'initial learning rate (default: the recipe\'s)' },
    patience: { type: 'int', min: 1, help: 'validations (one an epoch unless --checks) without a better validation error before lr / 10 (default: the recipe\'s)' },
    'min-delta': { type: 'number', min: 0, below: 1, help: 'validation-error gain that counts as better (default: the recipe\'s)' },
    checks: { type: 'int', min: 1, help: 'validations an epoch, each followed by the lr rule; --patience counts them (default 1)' },
    seed: { type: 'int', min: 0, default: 1, help: 'seeds the weights, shuffling, augmentation and dropout' },
    val: { type: 'int', min: 1, default: 5000, help: 'training images held out for validation' },
    limit: { type: 'int', min: 1, help: 'train on at most N images' },
    'test-limit': { type: 'int', min: 1, help: 'test on the first N test images' },
    'ten-crop': { type: 'boolean', help: 'validate and test on the paper\'s ten crops' },
    'input-scale': { type: 'number', above: 0, help: 'multiplies (pixel - mean) (default 1/255 with He initialisation, else 1)' },
    'init-from': { type: 'string', arg: 'FILE', help: 'fine-tune the weights of a file (.pth, .safetensors, .onnx, .caffemodel, a checkpoint): its network and input convention' },
    classes: { type: 'int', min: 2, help: 'classes of the fine-tuned net (default: the dataset\'s); a new fc8 when the file has another count' },
    prototxt: WEIGHTS_OPTIONS.prototxt,
    'init-std': { type: 'string', arg: 'STD|he', help: 'initial weight standard deviation, or he for sqrt(2 / fan_in)' },
    'bias-one': { type: 'number', help: 'initial bias of conv2, conv4, conv5, fc6, fc7' },
    widths: { type: 'list', help: 'kernels of each conv layer (conv1..conv5 in the paper)' },
    fc: { type: 'list', help: 'widths of the hidden FC layers (fc6 and fc7 in the paper)' },
    dropout: { type: 'number', min: 0, below: 1, help: 'dropout rate of fc6 and fc7' },
    pad: { type: 'int', min: 0, help: 'zero padding before random crops (default: the recipe\'s)' },
    out: { type: 'string', arg: 'DIR', default: 'runs/latest', help: 'folder for the checkpoint, log and pictures' },
    resume: { type: 'boolean', help: 'continue the run in --out from its checkpoint, with the settings it was started with' },
    overwrite: { type: 'boolean', help: 'start a new run in a folder that holds an earlier one' },
    quiet: { type: 'boolean', help: 'print only the epoch lines and the test result' },
    'no-progress': { type: 'boolean', help: 'no progress bar' },
  },
} as const satisfies CommandSpec<Record<string, import('./options.js').OptionSpec>>;

type TrainParsed = Parsed<typeof TRAIN_COMMAND.options>;

/** Runs `alexnet train`; returns the exit code. */
export async function trainCommand({ values: v, given }: TrainParsed): Promise<number> {
  const say = v.quiet ? () => {} : (s: string) => console.log(s);
  const out = v.out;
  const ckptPath = join(out, 'checkpoint.bin'), logPath = join(out, 'log.jsonl');
  if (v.resume && v.overwrite) throw new UsageError('--resume and --overwrite exclude each other');
  const earlier = ['checkpoint.bin', 'log.jsonl', 'result.json'].filter((f) => existsSync(join(out, f)));
  if (!v.resume && !v.overwrite && earlier.length > 0) {
    throw new UsageError(`${out} holds an earlier run (${earlier.join(', ')}): --resume continues it, --overwrite replaces it, or choose another --out`);
  }
  const resumed = v.resume ? readCheckpoint(ckptPath) : undefined;
  mkdirSync(out, { recursive: true });
  const release = takeLock(out, (s) => console.error(s));
  try {
    // The lock is ours: a temporary file left here is a write that was killed (its process is gone).
    removeStaleTemps(out, (s) => console.error(s));
    return await runTraining(v, given, resumed, out, ckptPath, logPath, say);
  } finally {
    release();
  }
}

async function runTraining(
  v: TrainParsed['values'], given: TrainParsed['given'], resumed: Checkpoint | undefined, out: string, ckptPath: string, logPath: string, say: (s: string) => void,
): Promise<number> {
  // A resumed run takes every setting from its checkpoint; a flag that says otherwise is an error naming both.
  const stored: Settings | undefined = resumed ? (resumed.meta.settings as Settings | undefined) ?? legacySettings(resumed) : undefined;
  if (resumed && stored) {
    for (const k of SETTINGS) {
      if (given.has(k) && !sameValue(v[k], stored[k])) {
        throw new UsageError(`--${k} ${JSON.stringify(v[k])} contradicts the run in ${out}, which was started with ${k === 'config' ? 'configuration' : `--${k}`} ${JSON.stringify(stored[k] ?? '(not given)')}; drop the flag to resume it as it was started`);
      }
    }
  }
  const s: Settings = resumed ? { ...stored } : Object.fromEntries(SETTINGS.map((k) => [k, v[k]]));
  const initFrom = s['init-from'] as string | undefined;
  if (!initFrom) for (const k of ['classes', 'prototxt'] as const) if (given.has(k)) throw new UsageError(`--${k} goes with --init-from FILE`);
  if (initFrom && !resumed) {
    for (const k of ['config', 'widths', 'fc', 'init-std', 'bias-one', 'input-scale'] as const) {
      if (given.has(k)) throw new UsageError(`--${k} contradicts --init-from ${initFrom}: the network and its input convention come from the file`);
    }
  }
  const imported: LoadedWeights | undefined = initFrom && !resumed ? await readWeightsFile(initFrom, { prototxt: s.prototxt as string | undefined }) : undefined;
  const configName = resumed ? resumed.config.name : imported ? imported.config.name : String(s.config);
  const recipe = imported ? FINE_TUNE_RECIPE : TRAIN_RECIPES[configName] ?? TRAIN_RECIPES.tiny;
  if (!resumed) {
    const set = (Object.entries({ epochs: recipe.epochs, lr: recipe.lr, patience: recipe.patience, 'min-delta': recipe.minDelta, pad: recipe.pad, batch: recipe.batch }) as [string, number | undefined][])
      .filter(([, x]) => x !== undefined);
    say(`recipe for ${imported ? `fine-tuning ${initFrom} (${imported.found}, ${configName})` : configName}: ${set.map(([k, x]) => `--${k} ${x}`).join(' ')}${given.size > (imported ? 1 : 0) ? ' (flags given override it)' : ''}`);
  }

  let config: AlexNetConfig;
  const base = resumed ? resumed.config : imported ? imported.config : CONFIGS[configName]();
  const split = loadDataset((s.data as string | undefined) ?? (resumed?.meta.data as string | undefined), folderOptions(base));
  let importedParams: HostParams | undefined;
  if (resumed) config = resumed.config;
  else if (imported) {
    ({ config, params: importedParams } = fineTuned(imported, initFrom!, split.train, s.classes as number | undefined, s.seed as number));
  } else {
    config = base;
    if (config.name === 'small') {
      config = { ...config, inputSize: split.train.height, inputChannels: split.train.channels, classes: Math.max(10, split.train.classes) };
    }
    const initStd = s['init-std'] as string | undefined;
    let std: number | 'he' = config.initStd;
    if (initStd === 'he') std = 'he';
    else if (initStd !== undefined) {
      std = Number(initStd);
      if (!Number.isFinite(std) || std <= 0) throw new UsageError(`--init-std must be a positive number or 'he', got '${initStd}'`);
    }
    config = { ...config, initStd: std, biasOne: (s['bias-one'] as number | undefined) ?? config.biasOne };
    const widths = s.widths as number[] | undefined, fc = s.fc as number[] | undefined;
    // The configuration fixes the depth; these change only the widths.
    if (widths && widths.length !== config.conv.length) throw new UsageError(`--widths: the ${config.name} configuration has ${config.conv.length} conv layers, got ${widths.length} widths`);
    if (fc && fc.length !== config.fc.length) throw new UsageError(`--fc: the ${config.name} configuration has ${config.fc.length} hidden FC layers, got ${fc.length} widths`);
    if (widths) config = { ...config, conv: config.conv.map((c, i) => ({ ...c, out: widths[i] })) };
    if (fc) config = { ...config, fc };
  }
  if (!resumed && s.dropout !== undefined) config = { ...config, dropout: { ...config.dropout, rate: s.dropout as number } };
  const nVal = s.val as number;
  if (nVal + 1 > split.train.n) throw new UsageError(`--val ${nVal} leaves no training examples of the ${split.train.n}`);
  const nTrain = Math.min((s.limit as number | undefined) ?? Infinity, split.train.n - nVal);
  if (v['test-limit'] !== undefined && v['test-limit'] > split.test.n) say(`--test-limit ${v['test-limit']} is more than the ${split.test.n} test images: testing on all of them`);
  const trainSet = sliceDataset(split.train, 0, nTrain, `${split.train.name}[0:${nTrain}]`);
  const valSet = sliceDataset(split.train, split.train.n - nVal, split.train.n, `${split.train.name}[-${nVal}:]`);

  const importedIn = imported ? importedInput(imported, config, split.train, trainSet) : undefined;
  const pad = (s.pad as number | undefined) ?? recipe.pad;
  const options: TrainOptions = resumed ? {
    ...resumed.options, epochs: v.epochs ?? resumed.options.epochs,
  } : {
    ...DEFAULT_TRAIN,
    epochs: v.epochs ?? recipe.epochs,
    batchSize: (s.batch as number | undefined) ?? recipe.batch,
    lr: (s.lr as number | undefined) ?? recipe.lr,
    patience: (s.patience as number | undefined) ?? recipe.patience,
    minDelta: (s['min-delta'] as number | undefined) ?? recipe.minDelta,
    checksPerEpoch: (s.checks as number | undefined) ?? 1,
    testViews: s['ten-crop'] ? 10 : 1,
    augment: { ...(importedIn ? importedIn.augment : defaultAugment(config, s['input-scale'] as number | undefined)), ...(pad === undefined ? {} : { pad }) },
  };
  if (!resumed) {
    // Record the values in force, not only the flags, so that a resume can be checked against them.
    Object.assign(s, { batch: options.batchSize, lr: options.lr, patience: options.patience, 'min-delta': options.minDelta, checks: options.checksPerEpoch, pad: options.augment.pad });
  }
  if (trainSet.n < options.batchSize) throw new UsageError(`--batch ${options.batchSize} is larger than the ${trainSet.n} training images`);
  const seed = s.seed as number;
  const stats: DataStats = resumed?.stats ?? importedIn?.stats ?? computeStats(trainSet);
  const backend = given.has('backend') || !resumed ? v.backend : (resumed.meta.backend as string | undefined) ?? v.backend;
  const partitions = v.partitions ?? (given.has('backend') || !resumed ? undefined : resumed.meta.partitions as number | undefined) ?? (backend === 'gpu' ? 2 : 1);
  const net: Net = await makeNet(backend, partitions, config, resumed?.params ?? importedParams ?? initParams(config, Rng.seeded(seed)), resumed?.velocity, { adopt: true });
  let state: TrainerState = resumed?.trainer ?? initialTrainerState(options, seed + 1);
  const meta = { data: split.source, ...(initFrom ? { initFrom } : {}), backend, partitions, seed, train: trainSet.name, val: valSet.name, classNames: split.train.classNames, settings: s };

  console.log(`alexnet train: ${config.name} (${parameterCount(config).toLocaleString('en-US')} parameters) on ${net.description}; ` +
    `${trainSet.n} training and ${valSet.n} validation images of ${split.source}; batch ${options.batchSize}, lr ${fmtLr(state.lr)}, ` +
    `${options.epochs} epochs${resumed ? `, resuming after epoch ${state.epoch}` : ''}; writing to ${out}`);
  if (resumed) repairLog(logPath, resumed.trainer, (m) => console.error(m));
  else writeAtomic(logPath, '');
  const bar = v['no-progress'] || v.quiet ? undefined : new cliProgress.SingleBar({
    format: 'epoch {epoch}/{epochs} [{bar}] {value}/{total} batches | loss {loss} | {ips} img/s | ETA {eta_formatted}',
    noTTYOutput: true, notTTYSchedule: 15000, hideCursor: true,
  }, cliProgress.Presets.shades_classic);
  let barEpoch = -1;
  try {
    state = await train(net, { train: trainSet, val: valSet, stats }, options, state, {
      async onBatch(p) {
        // Training is synchronous: give the event loop a turn every batch, or neither the bar's timer (logs, no TTY)
        // nor the SIGINT and SIGTERM handlers (which release the lock) would run until training ends.
        await new Promise((r) => setImmediate(r));
        if (!bar) return;
        if (p.epoch !== barEpoch) {
          if (barEpoch >= 0) bar.stop();
          bar.start(p.batches, 0, { epoch: p.epoch, epochs: options.epochs, loss: '-', ips: '-' });
          barEpoch = p.epoch;
        }
        bar.update(p.batch, { loss: p.loss.toFixed(4), ips: p.imagesPerSecond.toFixed(0) });
      },
      onCheck(epoch: number, c: CheckRecord, st: TrainerState) {
        bar?.stop();
        barEpoch = -1;
        console.log(`epoch ${epoch}, batch ${c.batch}: val loss ${c.valLoss.toFixed(4)}, val top-1 ${(100 * c.valTop1).toFixed(2)} %, lr ${fmtLr(c.lr)}${st.lr !== c.lr ? ` -> ${fmtLr(st.lr)}` : ''}`);
      },
      async onEpoch(r: EpochRecord, st: TrainerState) {
        bar?.stop();
        barEpoch = -1;
        const { params, velocity } = await net.exportState();
        writeAtomic(ckptPath, encodeCheckpoint({ config, trainer: st, options, stats, params, velocity, meta }));
        appendJsonLine(logPath, { ...r, time: new Date().toISOString() });
        console.log(`epoch ${r.epoch}: train loss ${r.trainLoss.toFixed(4)}, val loss ${r.valLoss.toFixed(4)}, val top-1 ${(100 * r.valTop1).toFixed(2)} %, ` +
          `top-5 ${(100 * r.valTop5).toFixed(2)} %, lr ${fmtLr(r.lr)}${st.lr !== r.lr ? ` -> ${fmtLr(st.lr)}` : ''}, ${r.seconds.toFixed(0)} s, ${r.imagesPerSecond.toFixed(0)} img/s` +
          (partitions > 1 ? `, ${(r.crossedBytesPerStep / 1024).toFixed(0)} KiB crossed per step` : ''));
      },
    });
  } catch (e) {
    bar?.stop();
    await net.dispose();
    if (existsSync(ckptPath)) console.error(`the last good checkpoint (finite validation loss) is kept at ${ckptPath}`);
    throw e;
  }
  const nTest = Math.min(split.test.n, v['test-limit'] ?? split.test.n);
  const testSet = nTest < split.test.n ? sliceDataset(split.test, 0, nTest, `${split.test.name}[0:${nTest}]`) : split.test;
  const test = await evaluate(net, testSet, stats, options.augment, options.testViews);
  console.log(`test (${testSet.name}, ${testSet.n} images${options.testViews === 10 ? ', ten crops' : ''}): top-1 ${(100 * test.top1).toFixed(2)} %, top-5 ${(100 * test.top5).toFixed(2)} %`);
  writeAtomic(join(out, 'result.json'), JSON.stringify({ test, epochs: state.epoch, history: state.history, meta }, null, 2));
  const { params } = await net.exportState();
  await writeCurvesPng(state.history, join(out, 'curves.png'), `${config.name} on ${trainSet.name}, ${net.description}`);
  // Caffe's weights take BGR (their input channel 0 is blue): drawn in their true colours.
  await writeKernelsPng(params.get('conv1.weight')!, kernelBlocks(config), join(out, 'conv1.png'), options.augment.channels?.order[0] === 2 ? 'bgr' : 'rgb');
  say(`wrote ${join(out, 'curves.png')}, ${join(out, 'conv1.png')}, ${logPath}, ${ckptPath}; peak memory ${peakRssMB()} MB`);
  await net.dispose();
  return 0;
}

/** A learning rate as people write it: 0.03 / 10 / 10 prints 0.0003, not 0.00030000000000000003. */
function fmtLr(lr: number): string {
  return String(Number(lr.toPrecision(12)));
}
