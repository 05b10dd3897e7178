// The browser page's model of the world, free of the DOM: the small AlexNet
// split over two WebGL contexts (two gpu.js GPU instances, the paper's two
// GPUs, section 3.2), a Fashion-MNIST slice served with the page, the same
// trainer, checkpoints and agreement check as `alexnet train` and
// `alexnet verify --compare` in Node. web/main.ts draws it.

// The page uses the library's public entries, as a user's page would.
import {
  type AlexNetConfig, type BatchProgress, CONFIGS, type Checkpoint, DEFAULT_TRAIN, type DataStats, type EpochRecord, FASHION_MNIST_CLASSES,
  type ImageBytes, type ImageDataset, type Neighbour, PartitionedNet, type TrainOptions, type TrainerState, computeStats, cpuBackend, datasetFeatures,
  decodeCheckpoint, defaultAugment, encodeCheckpoint, idxDataset, imageInput, initParams, initialTrainerState, nearest, parseIdx, sliceDataset, train,
} from '../src/index.js';
import { Rng, gemmKernel } from '../src/cpu/index.js';
import { GpuContext, type GpuMode, gpuBackend } from '../src/gpu/index.js';
import { type CompareRow, compareBackends } from '../src/verify/index.js';

/** The files the build step writes next to the page (src/cli/web.ts): an IDX slice of Fashion-MNIST's training set. */
export const DATA_FILES = { images: 'data/train-images-idx3-ubyte', labels: 'data/train-labels-idx1-ubyte' } as const;
/** Images of the slice held out for validation (the rest train). */
export const VAL_IMAGES = 1000;
/** Training images searched for Figure 4's neighbours: their features take a few seconds on llvmpipe, and are kept until the weights change. */
export const NEIGHBOUR_POOL = 1000;

/** Thrown from the batch hook to end a run between two steps. */
class StopRequested extends Error {}

/** One training step as the page plots it. */
export interface StepRecord {
  step: number;
  loss: number;
  imagesPerSecond: number;
}

/** The page's training session: data, net, trainer state. */
export class Lab {
  config: AlexNetConfig;
  options: TrainOptions;
  state: TrainerState;
  /** Mean loss of every batch since the page opened (or the checkpoint loaded). */
  readonly steps: StepRecord[] = [];
  /** Set by open(), once its tensors are uploaded. */
  private net!: PartitionedNet;
  private stopAsked = false;
  private running = false;
  /** The search set's features for the current weights (cleared by every step and load). */
  private poolFeatures?: { data: Float32Array; n: number; size: number };

  private constructor(
    readonly mode: GpuMode, readonly contexts: readonly [GpuContext, GpuContext],
    readonly data: { train: ImageDataset; val: ImageDataset; stats: DataStats }, seed: number,
  ) {
    this.config = CONFIGS.small();
    this.options = { ...DEFAULT_TRAIN, epochs: 5, batchSize: 32, lr: 0.03, augment: defaultAugment(this.config) };
    this.state = initialTrainerState(this.options, seed);
  }

  /** Fetches the data slice and opens two WebGL contexts of the given version. */
  static async open(o: { webgl: 1 | 2; base: string; seed?: number }): Promise<Lab> {
    const get = async (file: string) => {
      const r = await fetch(new URL(file, o.base));
      if (!r.ok) throw new Error(`${file}: HTTP ${r.status} (the page's data is written by \`alexnet serve\`)`);
      return new Uint8Array(await r.arrayBuffer());
    };
    const [images, labels] = await Promise.all([get(DATA_FILES.images), get(DATA_FILES.labels)]);
    const all = idxDataset('fashion-mnist slice', parseIdx(images, DATA_FILES.images), parseIdx(labels, DATA_FILES.labels), [DATA_FILES.images, DATA_FILES.labels], FASHION_MNIST_CLASSES);
    if (all.n <= VAL_IMAGES) throw new Error(`${DATA_FILES.images}: ${all.n} images, the page needs more than ${VAL_IMAGES}`);
    const trainSet = sliceDataset(all, 0, all.n - VAL_IMAGES, `fashion-mnist[0:${all.n - VAL_IMAGES}]`);
    const val = sliceDataset(all, all.n - VAL_IMAGES, all.n, `fashion-mnist[${all.n - VAL_IMAGES}:${all.n}]`);
    const mode: GpuMode = o.webgl === 1 ? 'webgl' : 'webgl2';
    const contexts = [GpuContext.create({ mode, label: 'gpu0' }), GpuContext.create({ mode, label: 'gpu1' })] as const;
    const lab = new Lab(mode, contexts, { train: trainSet, val, stats: computeStats(trainSet) }, o.seed ?? 1);
    lab.net = await lab.makeNet(lab.config, initParams(lab.config, Rng.seeded(o.seed ?? 1)));
    return lab;
  }

  private makeNet(c: AlexNetConfig, params: Checkpoint['params'], velocity?: Checkpoint['velocity']): Promise<PartitionedNet> {
    return PartitionedNet.create([gpuBackend(this.contexts[0]), gpuBackend(this.contexts[1])], c, params, velocity);
  }

  /** The WebGL version and renderer the contexts really got, and the CPU reference's matrix-product tile (for the agreement check). */
  describe(): { webgl: string; renderer: string; cpuTile: 'wasm' | 'js' } {
    const gl = this.contexts[0].gpu.context as WebGLRenderingContext;
    const dbg = gl.getExtension('WEBGL_debug_renderer_info');
    return { webgl: String(gl.getParameter(gl.VERSION)), renderer: String(gl.getParameter(dbg ? dbg.UNMASKED_RENDERER_WEBGL : gl.RENDERER)), cpuTile: gemmKernel() };
  }

  /** Whether a run is in progress. */
  get busy(): boolean {
    return this.running;
  }

  /**
   * Trains with the paper's recipe (src/nn/trainer.ts) until `epochs` more
   * epochs are done, `steps` batches have run, or stop() is called. A run
   * stopped inside an epoch keeps its weights; the trainer state (epoch, RNG,
   * learning rate) stays at the last finished epoch.
   */
  async train(o: { epochs?: number; steps?: number; onStep?: (s: StepRecord, p: BatchProgress) => void | Promise<void>; onEpoch?: (r: EpochRecord) => void } = {}): Promise<{ losses: number[]; stopped: boolean }> {
    if (this.running) throw new Error('Lab.train: a run is already in progress');
    this.running = true;
    this.stopAsked = false;
    const losses: number[] = [];
    try {
      const target = { ...this.options, epochs: this.state.epoch + (o.epochs ?? 1) };
      this.state = await train(this.net, this.data, target, this.state, {
        onBatch: async (p) => {
          this.poolFeatures = undefined;
          const rec = { step: this.steps.length + 1, loss: p.batchLoss, imagesPerSecond: p.imagesPerSecond };
          this.steps.push(rec);
          losses.push(p.batchLoss);
          await o.onStep?.(rec, p);
          // Give the page a frame to draw, then honour a stop.
          await new Promise((r) => setTimeout(r, 0));
          if (this.stopAsked || (o.steps !== undefined && losses.length >= o.steps)) throw new StopRequested();
        },
        onEpoch: (r) => o.onEpoch?.(r),
      });
      return { losses, stopped: false };
    } catch (e) {
      if (e instanceof StopRequested) return { losses, stopped: true };
      throw e;
    } finally {
      this.running = false;
    }
  }

  /** Asks a run to end after its current step. */
  stop(): void {
    this.stopAsked = true;
  }

  /** conv1's weights [Cout, Cin, k, k], both partitions' kernels in order. */
  async conv1(): Promise<{ data: Float32Array; shape: number[] }> {
    return (await this.net.exportState()).params.get('conv1.weight')!;
  }

  /**
   * The layer agreement check of `alexnet verify --compare cpu,gpu`: the small
   * net, forward and backward, on the CPU reference (float32) and on a WebGL
   * context of the same version, every activation and gradient compared
   * (tolerances in src/nn/compare.ts).
   */
  async agreement(batch = 4, seed = 7): Promise<CompareRow[]> {
    const ctx = GpuContext.create({ mode: this.mode, label: 'agreement' });
    try {
      return await compareBackends(cpuBackend('float32'), gpuBackend(ctx), this.config, batch, seed);
    } finally {
      await ctx.destroy();
    }
  }

  /** Class probabilities of one image (already brought to the input size), centre view, current weights. */
  async classify(img: ImageBytes): Promise<{ label: number; name: string; p: number }[]> {
    const c = this.config;
    if (img.channels !== c.inputChannels || img.height !== c.inputSize || img.width !== c.inputSize) {
      throw new RangeError(`classify: image is ${img.channels} x ${img.height} x ${img.width}, expected ${c.inputChannels} x ${c.inputSize} x ${c.inputSize}`);
    }
    const x = imageInput(img, c, { stats: this.data.stats, augment: this.options.augment }, 1, 'dropped image');
    const p = await this.net.predict(x, 1);
    return Array.from(p, (q, k) => ({ label: k, name: FASHION_MNIST_CLASSES[k] ?? `class ${k}`, p: q })).sort((a, b) => b.p - a.p);
  }

  /**
   * Figure 4 (right): the training images (the first NEIGHBOUR_POOL of the
   * slice) nearest to an image in the last hidden layer's activations
   * (src/nn/neighbours.ts), nearest first.
   */
  async neighbours(img: ImageBytes, k = 6): Promise<Neighbour[]> {
    const c = this.config;
    const x = imageInput(img, c, { stats: this.data.stats, augment: this.options.augment }, 1, 'image');
    if (!this.poolFeatures) {
      const pool = sliceDataset(this.data.train, 0, Math.min(NEIGHBOUR_POOL, this.data.train.n));
      this.poolFeatures = await datasetFeatures(this.net, pool, this.data.stats, this.options.augment, { batch: 200 });
    }
    return nearest(await this.net.features(x, 1), this.poolFeatures, k);
  }

  /** The whole run as a checkpoint in the format `alexnet train` writes (src/nn/checkpoint.ts). */
  async checkpoint(): Promise<Uint8Array> {
    const { params, velocity } = await this.net.exportState();
    return encodeCheckpoint({
      config: this.config, trainer: this.state, options: this.options, stats: this.data.stats, params, velocity,
      meta: { data: 'fashion-mnist', source: 'browser page', backend: this.mode, partitions: 2, trainImages: this.data.train.n },
    });
  }

  /**
   * Continues from a checkpoint (one saved here or by `alexnet train` on
   * Fashion-MNIST with the small configuration): weights, momentum, trainer
   * state and data statistics.
   */
  async load(bytes: Uint8Array, source: string): Promise<void> {
    if (this.running) throw new Error('Lab.load: stop training first');
    const ck = decodeCheckpoint(bytes, source);
    const c = ck.config, want = this.config;
    if (c.inputSize !== want.inputSize || c.inputChannels !== want.inputChannels || c.classes !== want.classes || c.partitions !== 2) {
      throw new Error(`${source}: a ${c.name} net for ${c.inputChannels} x ${c.inputSize} x ${c.inputSize} input, ${c.classes} classes, ${c.partitions} partition(s); ` +
        `this page runs ${want.inputChannels} x ${want.inputSize} x ${want.inputSize}, ${want.classes} classes, 2 partitions`);
    }
    const next = await this.makeNet(c, ck.params, ck.velocity);
    await this.net.dispose();
    this.net = next;
    this.config = c;
    this.options = ck.options;
    this.state = ck.trainer;
    this.data.stats = ck.stats;
    this.steps.length = 0;
    this.poolFeatures = undefined;
  }

  /** Releases the net and both contexts. */
  async close(): Promise<void> {
    await this.net.dispose();
    for (const ctx of this.contexts) await ctx.destroy();
  }
}
