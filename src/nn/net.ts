// A trainable network, whatever runs it: one backend (CPU, or one GPU
// context) here, or two GPU contexts in src/nn/partition.ts. The trainer,
// checkpoints and the command line see only this interface.

import type { AwaitableBackend } from '../backend.js';
import type { Rng } from '../cpu/random.js';
import type { SgdParams } from '../cpu/sgd.js';
import { type AlexNetConfig } from './config.js';
import { featureLayer } from './layers.js';
import { type HostParams, disposeForward, forward, toHost } from './model.js';
import { type TrainState, createTrainState, disposeTrainState, trainStep } from './step.js';

/** A network that can take SGD steps, predict, and hand its state to a checkpoint. */
export interface Net {
  readonly config: AlexNetConfig;
  /** How it runs, for logs: "cpu", "gpu", "gpu x 2 partitions". */
  readonly description: string;
  /** One step of the paper's SGD on a batch x [N, C, H, W]; the batch's mean loss and the bytes that crossed between partitions. */
  step(x: Float32Array, labels: Int32Array, rng: Rng, sgd: SgdParams): Promise<{ loss: number; crossedBytes: number }>;
  /** Logits [N, classes] at test time (no dropout): the values before the softmax. */
  logits(x: Float32Array, n: number): Promise<Float32Array>;
  /** Softmax probabilities [N, classes] at test time (no dropout). */
  predict(x: Float32Array, n: number): Promise<Float32Array>;
  /** The classifier's input at test time [N, D]: the last hidden layer's activations (relu7 in the paper; featureLayer), Figure 4's features. */
  features(x: Float32Array, n: number): Promise<Float32Array>;
  /** Weights and momentum on the host, by parameter name. */
  exportState(): Promise<{ params: HostParams; velocity: HostParams }>;
  /** Releases every tensor (and GPU context) the net holds. */
  dispose(): Promise<void>;
}

/** Row-wise softmax of logits [N, C], in double precision. */
export function softmaxRows(logits: ArrayLike<number>, n: number, classes: number): Float32Array {
  const out = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) {
    let m = -Infinity;
    for (let c = 0; c < classes; c++) m = Math.max(m, logits[i * classes + c]);
    let s = 0;
    for (let c = 0; c < classes; c++) s += Math.exp(logits[i * classes + c] - m);
    for (let c = 0; c < classes; c++) out[i * classes + c] = Math.exp(logits[i * classes + c] - m) / s;
  }
  return out;
}


/** Zero velocities of a net that has not trained yet, in the shapes of its parameters. */
export function zeroHost(params: HostParams): HostParams {
  return new Map([...params].map(([k, v]) => [k, { data: new Float32Array(v.data.length), shape: [...v.shape] }]));
}

/** The whole network on one backend. */
export class SingleNet<T> implements Net {
  private constructor(
    readonly be: AwaitableBackend<T>, readonly config: AlexNetConfig, private readonly state: TrainState<T>, private readonly onDispose?: () => Promise<void>,
  ) {}

  /** Uploads the parameters (and velocities, if given); `adopt`: the backend may keep params' arrays as its tensors without a copy (the caller gives them up). */
  static async create<T>(
    be: AwaitableBackend<T>, config: AlexNetConfig, params: HostParams, velocity?: HostParams, onDispose?: () => Promise<void>, adopt = false,
  ): Promise<SingleNet<T>> {
    return new SingleNet(be, config, await createTrainState(be, config, params, velocity, adopt), onDispose);
  }

  get description(): string {
    return this.be.name;
  }

  async step(x: Float32Array, labels: Int32Array, rng: Rng, sgd: SgdParams): Promise<{ loss: number; crossedBytes: number }> {
    const c = this.config;
    const xt = await this.be.upload(x, [labels.length, c.inputChannels, c.inputSize, c.inputSize]);
    const loss = await trainStep(this.be, c, this.state, xt, labels, rng, sgd);
    await this.be.dispose(xt);
    return { loss, crossedBytes: 0 };
  }

  async logits(x: Float32Array, n: number): Promise<Float32Array> {
    const c = this.config;
    const xt = await this.be.upload(x, [n, c.inputChannels, c.inputSize, c.inputSize]);
    const f = await forward(this.be, c, this.state.params, xt, { train: false, release: true });
    const z = Float32Array.from(await this.be.download(f.logits));
    await disposeForward(this.be, f);
    await this.be.dispose(xt);
    return z;
  }

  async predict(x: Float32Array, n: number): Promise<Float32Array> {
    return softmaxRows(await this.logits(x, n), n, this.config.classes);
  }

  async features(x: Float32Array, n: number): Promise<Float32Array> {
    const c = this.config;
    const xt = await this.be.upload(x, [n, c.inputChannels, c.inputSize, c.inputSize]);
    const f = await forward(this.be, c, this.state.params, xt, { train: false, keepActivations: true });
    const z = Float32Array.from(await this.be.download(f.activations!.get(featureLayer(c).name)!));
    await disposeForward(this.be, f);
    await this.be.dispose(xt);
    return z;
  }

  async exportState(): Promise<{ params: HostParams; velocity: HostParams }> {
    const params = await toHost(this.be, this.state.params);
    return { params, velocity: this.state.velocity ? await toHost(this.be, this.state.velocity) : zeroHost(params) };
  }

  async dispose(): Promise<void> {
    await disposeTrainState(this.be, this.state);
    await this.onDispose?.();
  }
}
