// The library's model: AlexNet on a backend, behind an asynchronous
// interface (so that a worker or WebGPU backend can sit behind it later).
//
//   const model = await alexnet({ config: 'paper', backend: 'cpu', seed: 1 });
//   const logits = await model.forward(x, [8, 3, 227, 227]);
//   const { loss } = await model.trainOnBatch(x, [8, 3, 227, 227], labels, { lr: 0.01 });
//   const top5 = await model.classify(imageData, { top: 5 });
//
// It wraps a Net (src/nn/net.ts): one backend, or two partitions as the
// paper's two GPUs (section 3.2). Inference is the test-time network (no
// dropout; the paper's "multiply outputs by 0.5" where its convention asks).

import { Rng } from '../cpu/random.js';
import { PAPER_SGD, type SgdParams } from '../cpu/sgd.js';
import { checkLabels } from '../cpu/softmax-cross-entropy.js';
import { NonFiniteError, expectNumber, fmtShape } from '../cpu/tensor.js';
import { type Checkpoint, encodeCheckpoint } from '../nn/checkpoint.js';
import { type AlexNetConfig, CONFIGS } from '../nn/config.js';
import { buildLayers, parameterCount } from '../nn/layers.js';
import { averageViews } from '../nn/data/augment.js';
import { FASHION_MNIST_CLASSES } from '../nn/data/dataset.js';
import { IMAGENET_CLASSES } from '../nn/data/imagenet-classes.js';
import { type Preprocessing, type RgbaImage, imageInput, neutralPreprocessing, rgbaToImage } from '../nn/data/preprocess.js';
import { initParams } from '../nn/model.js';
import type { Net } from '../nn/net.js';
import { DEFAULT_TRAIN, type TrainOptions, type TrainerState, initialTrainerState } from '../nn/trainer.js';
import { summaryText } from '../report/summary.js';
import { makeNet } from './nets.js';
import { type LoadedWeights, decodeWeights, readFileBytes, readWeightsFile } from './weights.js';
import type { MeanImage, Preset } from '../nn/data/presets.js';
import { readCaffeMean } from '../io/caffe.js';
import { FormatError } from '../io/tensors.js';
import type { AlexNetOptions, Classification, ClassifyOptions, ConfigName, TrainOnBatchOptions } from './options.js';

/** A built-in configuration by name (a RangeError lists the known ones), or the caller's own. */
function configOf(c: ConfigName | AlexNetConfig): AlexNetConfig {
  if (typeof c !== 'string') return c;
  const make = CONFIGS[c];
  if (!make) throw new RangeError(`alexnet: config '${c}' is unknown; known: ${Object.keys(CONFIGS).join(', ')}`);
  return make();
}

/** Checks that x and shape describe [N, C, H, W] inputs of the configuration; returns N, or throws naming the call. */
function checkShape(c: AlexNetConfig, x: Float32Array, shape: readonly number[], what: string): number {
  if (!(x instanceof Float32Array)) throw new TypeError(`${what}: x must be a Float32Array`);
  if (!Array.isArray(shape) || shape.length !== 4 || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new RangeError(`${what}: shape must be [N, C, H, W] of positive integers, got ${JSON.stringify(shape)}`);
  }
  const [N, C, H, W] = shape;
  if (C !== c.inputChannels || H !== c.inputSize || W !== c.inputSize) {
    throw new RangeError(`${what}: shape ${fmtShape(shape)} does not fit configuration ${c.name}, which takes [N, ${c.inputChannels}, ${c.inputSize}, ${c.inputSize}]`);
  }
  if (x.length !== N * C * H * W) throw new RangeError(`${what}: x has ${x.length} values, shape ${fmtShape(shape)} needs ${N * C * H * W}`);
  return N;
}

/** AlexNet with weights on a backend: forward, train, classify, save. Build one with alexnet(). */
export class AlexNetModel {
  private disposed = false;
  private rng: Rng;
  private readonly trainOptions: TrainOptions;
  private trainer: TrainerState;

  /** @internal Use alexnet(). */
  constructor(
    private readonly net: Net,
    /** The configuration: layer widths, kernels, LRN, pooling, dropout, classes. */
    readonly config: AlexNetConfig,
    /** Class names in label order. */
    readonly classNames: readonly string[],
    private readonly preprocessing: Preprocessing,
    private readonly from: Checkpoint | undefined,
    seed: number,
    /** What the weights file held: its format, a description, and the input convention of its source; undefined for new weights. */
    readonly source?: { readonly format: LoadedWeights['format']; readonly found: string; readonly preset: Preset | null },
  ) {
    this.rng = Rng.seeded(seed);
    this.trainOptions = from?.options ?? { ...DEFAULT_TRAIN, augment: preprocessing.augment };
    this.trainer = from?.trainer ?? initialTrainerState(this.trainOptions, seed + 1);
  }

  /** How the model runs: "cpu", "gpu", "gpu x 2 partitions". */
  get description(): string {
    return this.net.description;
  }

  private live(what: string): void {
    if (this.disposed) throw new Error(`${what}: the model has been disposed`);
  }

  /** Logits [N, classes] of a batch x with shape [N, C, H, W], in inference mode (no dropout). */
  async forward(x: Float32Array, shape: readonly [number, number, number, number] | readonly number[]): Promise<Float32Array> {
    this.live('forward');
    const n = checkShape(this.config, x, shape, 'forward');
    return this.net.logits(x, n);
  }

  /** Softmax probabilities [N, classes] of a batch, in inference mode. */
  async predict(x: Float32Array, shape: readonly number[]): Promise<Float32Array> {
    this.live('predict');
    const n = checkShape(this.config, x, shape, 'predict');
    return this.net.predict(x, n);
  }

  /**
   * One step of the paper's SGD (section 5) on a batch: forward with dropout,
   * mean softmax cross-entropy against the integer labels, backward, and the
   * momentum update v <- m v - wd lr w - lr g, w <- w + v. Returns the
   * batch's mean loss before the update.
   */
  async trainOnBatch(x: Float32Array, shape: readonly number[], labels: ArrayLike<number>, o: TrainOnBatchOptions = {}): Promise<{ loss: number }> {
    this.live('trainOnBatch');
    const n = checkShape(this.config, x, shape, 'trainOnBatch');
    // Checked before the forward pass, with the reference's own checks (the step would reject them only after it).
    checkLabels([n, this.config.classes], labels, 'trainOnBatch');
    const lab = Int32Array.from(labels);
    const sgd: SgdParams = { lr: o.lr ?? PAPER_SGD.lr, momentum: o.momentum ?? PAPER_SGD.momentum, weightDecay: o.weightDecay ?? PAPER_SGD.weightDecay };
    expectNumber('trainOnBatch', 'lr', sgd.lr, 0);
    expectNumber('trainOnBatch', 'momentum', sgd.momentum, 0, 1);
    expectNumber('trainOnBatch', 'weightDecay', sgd.weightDecay, 0);
    let r: { loss: number };
    try {
      r = await this.net.step(x, lab, this.rng, sgd);
    } catch (e) {
      if (e instanceof NonFiniteError) throw new NonFiniteError(`trainOnBatch: ${e.message} (lr ${sgd.lr}: try a smaller one)`);
      throw e;
    }
    this.trainer = { ...this.trainer, lr: sgd.lr };
    return { loss: r.loss };
  }

  /**
   * The most probable classes of an image given as RGBA bytes of any size
   * (ImageData's shape): shorter side to 256 (or the small nets' input
   * size), the central square, the training mean subtracted, then the centre
   * crop or the ten crops of section 4.1, softmax averaged.
   */
  async classify(image: RgbaImage, o: ClassifyOptions = {}): Promise<Classification[]> {
    this.live('classify');
    const top = o.top ?? 5;
    if (!Number.isInteger(top) || top < 1) throw new RangeError(`classify: top must be an integer >= 1, got ${top}`);
    const views = o.tenCrop ? 10 : 1;
    const img = rgbaToImage(image, this.config.inputChannels, 'classify');
    const x = imageInput(img, this.config, this.preprocessing, views);
    const K = this.config.classes;
    const p = averageViews(await this.net.predict(x, views), 1, views, K);
    return Array.from(p, (q, k) => ({ index: k, label: this.classNames[k] ?? `class ${k}`, probability: q }))
      .sort((a, b) => b.probability - a.probability || a.index - b.index)
      .slice(0, Math.min(top, K));
  }

  /** The layer table: output shapes, parameters, multiply-adds (what `alexnet summary` prints). */
  summary(): string {
    return summaryText(this.config);
  }

  /** The number of learnable parameters. */
  get parameterCount(): number {
    return parameterCount(this.config);
  }

  /** The layer list in forward order. */
  get layers(): ReturnType<typeof buildLayers> {
    return buildLayers(this.config);
  }

  /** The weights by parameter name (conv1.weight, ..., fc8.bias), copied to the host. */
  async weights(): Promise<Map<string, { data: Float32Array; shape: number[] }>> {
    this.live('weights');
    return (await this.net.exportState()).params;
  }

  /** The whole model (weights, momentum, statistics, trainer state) as checkpoint bytes, readable by alexnet({ weights }). */
  async save(): Promise<Uint8Array> {
    this.live('save');
    const { params, velocity } = await this.net.exportState();
    return encodeCheckpoint({
      config: this.config, trainer: this.trainer, options: this.trainOptions, stats: this.preprocessing.stats, params, velocity,
      meta: { ...(this.from?.meta ?? {}), classNames: [...this.classNames], source: this.from?.meta.source ?? 'alexnet-ts library' },
    });
  }

  /** Releases every tensor (and GPU context) the model holds; the model cannot be used afterwards. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.net.dispose();
  }
}

/** Class names for a configuration and its weights: the checkpoint's, else ImageNet's for 1000 classes, Fashion-MNIST's for its data. */
function defaultClassNames(c: AlexNetConfig, ck?: Checkpoint): readonly string[] {
  const named = ck?.meta.classNames;
  if (Array.isArray(named) && named.length === c.classes && named.every((s) => typeof s === 'string')) return named as string[];
  if (c.classes === 1000) return IMAGENET_CLASSES;
  if (c.classes === 10 && String(ck?.meta.data ?? '').includes('fashion')) return FASHION_MNIST_CLASSES;
  return Array.from({ length: c.classes }, (_, k) => `class ${k}`);
}

/** A Caffe mean image from a path (Node) or bytes. */
async function readMean(m: string | Uint8Array): Promise<MeanImage> {
  if (m instanceof Uint8Array) return readCaffeMean(m, 'mean');
  if (typeof m !== 'string') throw new TypeError('alexnet: mean must be a path (Node) or the file\'s bytes (a Uint8Array)');
  return readCaffeMean(await readFileBytes(m, 'mean file'), m);
}

/** Builds an AlexNet: a configuration, weights (a file or new seeded ones), on a backend. */
export async function alexnet(o: AlexNetOptions = {}): Promise<AlexNetModel> {
  const seed = o.seed ?? 1;
  if (!Number.isInteger(seed)) throw new RangeError(`alexnet: seed must be an integer, got ${seed}`);
  if (o.prototxt !== undefined && typeof o.prototxt !== 'string' && !(o.prototxt instanceof Uint8Array)) {
    throw new TypeError('alexnet: prototxt must be a path (Node) or the file\'s bytes (a Uint8Array)');
  }
  const prototxtText = o.prototxt instanceof Uint8Array ? new TextDecoder().decode(o.prototxt) : undefined;
  const prototxtPath = typeof o.prototxt === 'string' ? o.prototxt : undefined;
  if (prototxtPath !== undefined && typeof o.weights !== 'string') throw new TypeError('alexnet: prototxt is a path only with weights given as a path; pass its bytes with weights\' bytes');
  let w: LoadedWeights | undefined;
  if (o.weights === undefined) w = undefined;
  else if (typeof o.weights === 'string') w = await readWeightsFile(o.weights, { prototxt: prototxtPath, prototxtText });
  else {
    const files = o.externalData ?? {};
    const external = (location: string): Uint8Array => {
      const b = Object.hasOwn(files, location) ? files[location] : undefined;
      if (!(b instanceof Uint8Array)) throw new FormatError(`${o.name ?? 'weights'}: its external data file '${location}' was not given (externalData holds ${Object.keys(files).join(', ') || 'nothing'})`);
      return b;
    };
    w = decodeWeights(o.weights, o.name ?? 'weights', { prototxt: prototxtText, ...(o.externalData ? { external } : {}) });
  }
  const ck = w?.checkpoint;
  let config: AlexNetConfig;
  if (w) {
    config = w.config;
    if (o.config !== undefined) {
      const want = configOf(o.config);
      const a = parameterCount(want), b = parameterCount(config);
      if (want.name !== config.name || a !== b) {
        throw new RangeError(`alexnet: the weights are a ${config.name} net (${b.toLocaleString('en-US')} parameters); config '${want.name}' (${a.toLocaleString('en-US')}) was asked for`);
      }
    }
  } else {
    config = configOf(o.config ?? 'paper');
  }
  buildLayers(config); // checks that every layer fits its input
  const partitions = o.partitions ?? 1;
  const params = w?.params ?? initParams(config, Rng.seeded(seed));
  // The net keeps the decoded arrays without a copy unless they are views into bytes the caller passed (which stay the caller's).
  const theirs = o.weights instanceof Uint8Array ? o.weights.buffer : undefined;
  const adopt = [...params.values(), ...(ck?.velocity.values() ?? [])].every((t) => t.data.buffer !== theirs);
  const net = await makeNet(o.backend ?? 'cpu', partitions, config, params, ck?.velocity, { adopt });
  const names = o.classNames ?? defaultClassNames(config, ck);
  if (names.length !== config.classes) throw new RangeError(`alexnet: ${names.length} class names for ${config.classes} classes`);
  const preset = o.preset ?? w?.preset ?? undefined;
  if (preset !== undefined && preset !== 'torchvision' && preset !== 'caffe') throw new RangeError(`alexnet: preset must be 'torchvision' or 'caffe', got ${String(preset)}`);
  const prep: Preprocessing = ck && !o.preset ? { stats: ck.stats, augment: ck.options.augment } : { ...neutralPreprocessing(config), preset };
  if (o.mean !== undefined) {
    if (prep.preset !== 'caffe') {
      await net.dispose();
      throw new RangeError(`alexnet: a mean image goes with the caffe preset; the preset here is ${prep.preset ?? 'none (a checkpoint\'s own statistics)'}`);
    }
    try {
      prep.meanImage = await readMean(o.mean);
    } catch (e) {
      await net.dispose();
      throw e;
    }
  }
  return new AlexNetModel(net, config, names, prep, ck, seed, w && { format: w.format, found: w.found, preset: w.preset });
}
