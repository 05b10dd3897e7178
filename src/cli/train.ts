// `alexnet train`: the project's main job. Loads the data, builds the net on
// the chosen backend (two GPU contexts by default, as the paper's two GPUs),
// trains with progress bars, validates every epoch, writes a JSON-lines log
// and an atomic checkpoint per epoch, and at the end draws the curves and
// the conv1 kernels and reports test accuracy.

import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { Rng } from '../cpu/random.js';
import { type Checkpoint, decodeCheckpoint, encodeCheckpoint } from '../nn/checkpoint.js';
import { type AlexNetConfig, CONFIGS, parameterCount } from '../nn/config.js';
import { type DataStats, computeStats, defaultAugment } from '../nn/data/augment.js';
import { sliceDataset } from '../nn/data/dataset.js';
import { initParams } from '../nn/model.js';
import type { Net } from '../nn/net.js';
import { DEFAULT_TRAIN, type EpochRecord, type TrainOptions, type TrainerState, evaluate, initialTrainerState, train } from '../nn/trainer.js';
import { loadDataset } from './datasets.js';
import { makeNet } from './nets.js';
import { writeCurvesPng, writeKernelsPng } from './plots.js';

/** Writes bytes to path atomically: a temporary file in the same folder, flushed, then renamed over path. */
export function writeAtomic(path: string, bytes: Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Reads a checkpoint file. */
export function readCheckpoint(path: string): Checkpoint {
  if (!existsSync(path)) throw new Error(`no checkpoint at ${path}`);
  const b = readFileSync(path);
  return decodeCheckpoint(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), path);
}

const OPTIONS = {
  config: { type: 'string', default: 'small' },
  data: { type: 'string' },
  backend: { type: 'string', default: 'gpu' },
  partitions: { type: 'string' },
  epochs: { type: 'string' },
  batch: { type: 'string' },
  lr: { type: 'string' },
  patience: { type: 'string' },
  seed: { type: 'string', default: '1' },
  val: { type: 'string', default: '5000' },
  limit: { type: 'string' },
  'test-limit': { type: 'string' },
  out: { type: 'string', default: 'runs/latest' },
  resume: { type: 'boolean', default: false },
  'ten-crop': { type: 'boolean', default: false },
  'input-scale': { type: 'string' },
  'init-std': { type: 'string' },
  'bias-one': { type: 'string' },
  widths: { type: 'string' },
  fc: { type: 'string' },
  dropout: { type: 'string' },
  pad: { type: 'string' },
  'min-delta': { type: 'string' },
  'no-progress': { type: 'boolean', default: false },
} as const;

function int(name: string, v: string | undefined, fallback: number, min = 1): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got '${v}'`);
  return n;
}

function num(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got '${v}'`);
  return n;
}

/** Runs `alexnet train`; returns the exit code. */
export async function trainCommand(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({ args: argv, options: OPTIONS });
  const out = v.out!;
  mkdirSync(out, { recursive: true });
  const ckptPath = join(out, 'checkpoint.bin'), logPath = join(out, 'log.jsonl');
  const resumed = v.resume ? readCheckpoint(ckptPath) : undefined;

  // Image folders are brought to 256 x 256 (the paper) for the big nets, to 32 x 32 for the small one.
  const folder = (v.config ?? resumed?.config.name) === 'small' ? { size: 32, channels: 3 as const } : { size: 256, channels: 3 as const };
  const split = loadDataset(v.data ?? (resumed?.meta.data as string | undefined), folder);
  let config: AlexNetConfig;
  if (resumed) config = resumed.config;
  else {
    const make = CONFIGS[v.config!];
    if (!make) throw new Error(`--config ${v.config} is unknown; known: ${Object.keys(CONFIGS).join(', ')}`);
    config = make();
    if (config.name === 'small') {
      config = { ...config, inputSize: split.train.height, inputChannels: split.train.channels, classes: Math.max(10, split.train.classes) };
    }
    config = { ...config, initStd: v['init-std'] === 'he' ? 'he' : v['init-std'] === undefined ? config.initStd : num('init-std', v['init-std'], 0.01), biasOne: v['bias-one'] === undefined ? config.biasOne : Number(v['bias-one']) };
    const list = (name: string, s: string | undefined, n: number) => {
      if (s === undefined) return undefined;
      const a = s.split(',').map(Number);
      if (a.length !== n || !a.every((x) => Number.isInteger(x) && x >= 1)) throw new Error(`--${name} takes ${n} positive integers separated by commas, got '${s}'`);
      return a;
    };
    const widths = list('widths', v.widths, 5), fc = list('fc', v.fc, 2);
    if (widths) config = { ...config, conv: config.conv.map((c, i) => ({ ...c, out: widths[i] })) as unknown as AlexNetConfig['conv'] };
    if (fc) config = { ...config, fc: [fc[0], fc[1]] };
    if (v.dropout !== undefined) {
      const p = Number(v.dropout);
      if (!(p >= 0 && p < 1)) throw new Error(`--dropout must be in [0, 1), got '${v.dropout}'`);
      config = { ...config, dropout: { ...config.dropout, rate: p } };
    }
  }
  const nVal = int('val', v.val, 5000, 1);
  const limit = int('limit', v.limit, split.train.n - nVal, 1);
  if (nVal + 1 > split.train.n) throw new Error(`--val ${nVal} leaves no training examples of the ${split.train.n}`);
  const trainSet = sliceDataset(split.train, 0, Math.min(limit, split.train.n - nVal), `${split.train.name}[0:${Math.min(limit, split.train.n - nVal)}]`);
  const valSet = sliceDataset(split.train, split.train.n - nVal, split.train.n, `${split.train.name}[-${nVal}:]`);

  const minDelta = v['min-delta'] === undefined ? undefined : Number(v['min-delta']);
  if (minDelta !== undefined && !(minDelta >= 0 && minDelta < 1)) throw new Error(`--min-delta must be in [0, 1), got '${v['min-delta']}'`);
  // A resumed run keeps its options, but may be given more (or fewer) epochs and a plateau threshold.
  const options: TrainOptions = resumed ? {
    ...resumed.options, epochs: int('epochs', v.epochs, resumed.options.epochs), ...(minDelta === undefined ? {} : { minDelta }),
  } : {
    ...DEFAULT_TRAIN,
    epochs: int('epochs', v.epochs, DEFAULT_TRAIN.epochs),
    batchSize: int('batch', v.batch, DEFAULT_TRAIN.batchSize),
    lr: num('lr', v.lr, DEFAULT_TRAIN.lr),
    patience: int('patience', v.patience, DEFAULT_TRAIN.patience),
    minDelta: minDelta ?? 0,
    testViews: v['ten-crop'] ? 10 : 1,
    augment: {
      ...defaultAugment(config, v['input-scale'] === undefined ? undefined : num('input-scale', v['input-scale'], 1)),
      ...(v.pad === undefined ? {} : { pad: int('pad', v.pad, 0, 0) }),
    },
  };
  const seed = int('seed', v.seed, 1, 0);
  const stats: DataStats = resumed?.stats ?? computeStats(trainSet);
  const backend = (resumed?.meta.backend as string | undefined) ?? v.backend!;
  const partitions = int('partitions', v.partitions ?? (resumed?.meta.partitions as string | undefined)?.toString(), backend === 'gpu' ? 2 : 1);
  const initRng = Rng.seeded(seed);
  const net: Net = await makeNet(backend, partitions, config, resumed?.params ?? initParams(config, initRng), resumed?.velocity);
  let state: TrainerState = resumed?.trainer ?? initialTrainerState(options, seed + 1);
  const meta = { data: split.source, backend, partitions, seed, train: trainSet.name, val: valSet.name };

  console.log(`alexnet train: ${config.name} (${parameterCount(config).toLocaleString('en-US')} parameters) on ${net.description}; ` +
    `${trainSet.n} training and ${valSet.n} validation images of ${split.source}; batch ${options.batchSize}, lr ${state.lr}, ` +
    `${options.epochs} epochs${resumed ? `, resuming after epoch ${state.epoch}` : ''}; writing to ${out}`);
  if (!resumed) writeFileSync(logPath, '');
  const bar = v['no-progress'] ? undefined : new cliProgress.SingleBar({
    format: 'epoch {epoch}/{epochs} [{bar}] {value}/{total} batches | loss {loss} | {ips} img/s | ETA {eta_formatted}',
    noTTYOutput: true, notTTYSchedule: 15000, hideCursor: true,
  }, cliProgress.Presets.shades_classic);
  let barEpoch = -1;
  try {
    state = await train(net, { train: trainSet, val: valSet, stats }, options, state, {
      async onBatch(p) {
        if (!bar) return;
        // Training is synchronous: give the event loop a turn, or the bar's timer (logs, no TTY) never fires.
        await new Promise((r) => setImmediate(r));
        if (p.epoch !== barEpoch) {
          if (barEpoch >= 0) bar.stop();
          bar.start(p.batches, 0, { epoch: p.epoch, epochs: options.epochs, loss: '-', ips: '-' });
          barEpoch = p.epoch;
        }
        bar.update(p.batch, { loss: p.loss.toFixed(4), ips: p.imagesPerSecond.toFixed(0) });
      },
      async onEpoch(r: EpochRecord, s: TrainerState) {
        bar?.stop();
        barEpoch = -1;
        const { params, velocity } = net.exportState();
        writeAtomic(ckptPath, encodeCheckpoint({ config, trainer: s, options, stats, params, velocity, meta }));
        writeFileSync(logPath, `${JSON.stringify({ ...r, time: new Date().toISOString() })}\n`, { flag: 'a' });
        console.log(`epoch ${r.epoch}: train loss ${r.trainLoss.toFixed(4)}, val loss ${r.valLoss.toFixed(4)}, val top-1 ${(100 * r.valTop1).toFixed(2)} %, ` +
          `top-5 ${(100 * r.valTop5).toFixed(2)} %, lr ${fmtLr(r.lr)}${s.lr !== r.lr ? ` -> ${fmtLr(s.lr)}` : ''}, ${r.seconds.toFixed(0)} s, ${r.imagesPerSecond.toFixed(0)} img/s` +
          (partitions > 1 ? `, ${(r.crossedBytesPerStep / 1024).toFixed(0)} KiB crossed per step` : ''));
      },
    });
  } catch (e) {
    bar?.stop();
    await net.dispose();
    if (existsSync(ckptPath)) console.error(`the last good checkpoint is kept at ${ckptPath}`);
    throw e;
  }
  const nTest = Math.min(split.test.n, int('test-limit', v['test-limit'], split.test.n));
  const testSet = nTest < split.test.n ? sliceDataset(split.test, 0, nTest, `${split.test.name}[0:${nTest}]`) : split.test;
  const test = evaluate(net, testSet, stats, options.augment, options.testViews);
  console.log(`test (${testSet.name}, ${testSet.n} images${options.testViews === 10 ? ', ten crops' : ''}): top-1 ${(100 * test.top1).toFixed(2)} %, top-5 ${(100 * test.top5).toFixed(2)} %`);
  writeFileSync(join(out, 'result.json'), JSON.stringify({ test, epochs: state.epoch, history: state.history, meta }, null, 2));
  const { params } = net.exportState();
  await writeCurvesPng(state.history, join(out, 'curves.png'), `${config.name} on ${trainSet.name}, ${net.description}`);
  await writeKernelsPng(params.get('conv1.weight')!, config.partitions, join(out, 'conv1.png'));
  console.log(`wrote ${join(out, 'curves.png')}, ${join(out, 'conv1.png')}, ${logPath}, ${ckptPath}`);
  await net.dispose();
  return 0;
}

/** A learning rate as people write it: 0.03 / 10 / 10 prints 0.0003, not 0.00030000000000000003. */
function fmtLr(lr: number): string {
  return String(Number(lr.toPrecision(12)));
}
