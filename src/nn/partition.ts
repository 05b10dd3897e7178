// The paper's two GPUs (section 3.2): the net split into two partitions, each
// a Backend instance of its own (for the GPU, its own WebGL context), each
// holding half of the kernels of every layer.
//
//   conv1        each partition: half of the 96 kernels, on the whole image
//   conv2        each: its group (groups = 2), on its own half of pool1
//   conv3     <- the halves of pool2 are exchanged: each sees all 256 maps
//   conv4, conv5 each: its group, on its own half
//   fc6       <- the halves of pool5 are exchanged; each computes half of the outputs
//   fc7, fc8  <- likewise, on the halves of fc6 and fc7
// LRN normalises within each partition's own maps (the config's
// `partitions: 2` layout), and dropout masks are drawn for the whole layer
// and split, so the split net computes exactly what the one-partition net
// of the same configuration computes. The halves of the logits meet on the
// host for the loss.
//
// Backward, gradients cross back at the same four places: a layer that saw
// both halves returns dL/dinput for both, and each partition adds the other's
// contribution for its own half. Crossing means download() on one side and
// upload() on the other (textures cannot move between contexts); the bytes
// that cross per step are reported.

import type { AwaitableBackend } from '../backend.js';
import { dropoutMask } from '../cpu/dropout.js';
import type { Rng } from '../cpu/random.js';
import type { SgdParams } from '../cpu/sgd.js';
import { softmaxCrossEntropy } from '../cpu/softmax-cross-entropy.js';
import { fmtShape, sizeOf } from '../cpu/tensor.js';
import { type AlexNetConfig } from './config.js';
import { featureLayer, parameterShapes } from './layers.js';
import { type PartLayer, concatPerExample, doubled, halfPerExample, joinParams, partitionLayers, splitParams } from './partition-layout.js';
import { type HostParams, type Params, type Saved, layerBackward, layerForward, toHost } from './model.js';
import { type Net, softmaxRows, zeroHost } from './net.js';
import { zerosLike } from './step.js';

/** A backend of any tensor handle type: the partitions may run on different ones, and inside this file they are handled alike. */
export type AnyBackend = AwaitableBackend<any>;
type H = any;

/** AlexNet split over two backends, as on the paper's two GPUs. */
export class PartitionedNet implements Net {
  private readonly layers: PartLayer[];
  /** Bytes that crossed between the partitions in the last step (forward and backward). */
  lastCrossedBytes = 0;

  private constructor(
    readonly bes: readonly [AnyBackend, AnyBackend], readonly config: AlexNetConfig, private params: [Params<H>, Params<H>],
    /** Made at the first step (see TrainState in step.ts), unless given. */
    private velocity: [Params<H>, Params<H>] | null,
    private readonly onDispose?: () => Promise<void>,
  ) {
    this.layers = partitionLayers(config);
  }

  /** Splits the whole net's parameters (and velocities, if given) and uploads each half to its partition. */
  static async create(
    bes: readonly [AnyBackend, AnyBackend], config: AlexNetConfig, params: HostParams, velocity?: HostParams, onDispose?: () => Promise<void>,
  ): Promise<PartitionedNet> {
    partitionLayers(config);
    // Names and shapes are checked against the whole configuration before splitting.
    for (const host of velocity ? [params, velocity] : [params]) {
      for (const p of parameterShapes(config)) {
        const h = host.get(p.name);
        if (!h || h.shape.join() !== p.shape.join()) {
          throw new RangeError(`PartitionedNet: ${p.name} has shape ${h ? fmtShape(h.shape) : '(missing)'}, expected ${fmtShape(p.shape)}`);
        }
      }
    }
    const upload = async (host: HostParams, p: number) => {
      const m: Params<H> = new Map();
      for (const [k, v] of splitParams(host, p)) m.set(k, await bes[p].upload(v.data, v.shape));
      return m;
    };
    return new PartitionedNet(bes, config, [await upload(params, 0), await upload(params, 1)], velocity ? [await upload(velocity, 0), await upload(velocity, 1)] : null, onDispose);
  }

  get description(): string {
    return `${this.bes[0].name} x 2 partitions`;
  }

  /** Both halves, joined on the host and uploaded to both partitions; counts the bytes each partition sent the other. */
  private async gather(h: [H, H], N: number, cross: { bytes: number }): Promise<[H, H]> {
    const a = await this.bes[0].download(h[0]), b = await this.bes[1].download(h[1]);
    cross.bytes += (a.length + b.length) * 4;
    const full = concatPerExample(a, b, N);
    const shape = doubled(await this.bes[0].shape(h[0]));
    return [await this.bes[0].upload(full, shape), await this.bes[1].upload(full, shape)];
  }

  /** Each partition's dL/d(whole input) summed into dL/d(own half); counts the halves that crossed. */
  private async scatterSum(d: [H, H], N: number, cross: { bytes: number }): Promise<[H, H]> {
    const a = await this.bes[0].download(d[0]), b = await this.bes[1].download(d[1]);
    const shape = [...(await this.bes[0].shape(d[0]))];
    const halfShape = [shape[0], shape[1] / 2, ...shape.slice(2)];
    const out: H[] = [];
    for (const p of [0, 1]) {
      const mine = halfPerExample(p === 0 ? a : b, N, p), theirs = halfPerExample(p === 0 ? b : a, N, p);
      cross.bytes += theirs.length * 4;
      for (let i = 0; i < mine.length; i++) mine[i] += theirs[i];
      out.push(await this.bes[p].upload(mine, halfShape));
    }
    return [out[0], out[1]];
  }

  /** The forward pass on both partitions: per-partition saved state, logits on the host, and the bytes crossed. */
  private async forward(x: Float32Array, N: number, train: boolean, rng?: Rng) {
    const c = this.config, bes = this.bes;
    const xShape = [N, c.inputChannels, c.inputSize, c.inputSize];
    if (x.length !== sizeOf(xShape)) throw new RangeError(`PartitionedNet: x has ${x.length} values, expected ${fmtShape(xShape)}`);
    if (train && c.dropout.rate > 0 && !rng) throw new RangeError('PartitionedNet: training with dropout needs an rng for the masks');
    let h: [H, H] = [await bes[0].upload(x, xShape), await bes[1].upload(x, xShape)];
    let halves = false;
    const saved: { s: [Saved<H>, Saved<H>]; gathered: boolean }[] = [];
    const cross = { bytes: 0 };
    for (const { layer, full } of this.layers) {
      let gathered = false;
      if (full && halves) {
        const g = await this.gather(h, N, cross);
        for (let p = 0; p < 2; p++) await bes[p].dispose(h[p]);
        h = g;
        gathered = true;
      }
      const out: { y: H; saved: Saved<H> }[] = [];
      if (layer.kind === 'dropout') {
        // One mask for the whole layer, drawn as the one-partition net draws it, then split by feature.
        const dp = { rate: layer.rate, mode: layer.mode, train };
        const whole = train ? dropoutMask(N * (await bes[0].shape(h[0]))[1] * 2, layer.rate, rng!) : null;
        for (const p of [0, 1]) {
          const mask = whole ? Uint8Array.from(halfPerExample(Float32Array.from(whole), N, p)) : null;
          out.push({ y: await bes[p].dropoutForward(h[p], mask, dp), saved: { layer, x: h[p], mask, dropout: dp } });
        }
      } else {
        for (const p of [0, 1]) out.push(await layerForward(bes[p], layer, this.params[p], h[p], { train, rng }));
      }
      saved.push({ s: [out[0].saved, out[1].saved], gathered });
      h = [out[0].y, out[1].y];
      if (layer.kind === 'conv' || layer.kind === 'linear') halves = true;
    }
    const logits = concatPerExample(await bes[0].download(h[0]), await bes[1].download(h[1]), N);
    return { saved, logits, last: h, cross };
  }

  /** Releases what a forward pass kept on both partitions. */
  private async release(f: Awaited<ReturnType<PartitionedNet['forward']>>): Promise<void> {
    for (let p = 0; p < 2; p++) {
      const be = this.bes[p];
      for (const { s } of f.saved) {
        await be.dispose(s[p].x);
        if (s[p].cache) await be.disposeCache(s[p].cache!);
      }
      await be.dispose(f.last[p]);
    }
  }

  async step(x: Float32Array, labels: Int32Array, rng: Rng, sgd: SgdParams): Promise<{ loss: number; crossedBytes: number }> {
    const N = labels.length, K = this.config.classes, bes = this.bes;
    const f = await this.forward(x, N, true, rng);
    // Loss on the host from the joined logits: the CPU reference's mean softmax cross-entropy and its
    // gradient (p - onehot) / N (src/cpu/softmax-cross-entropy.ts); non-finite logits throw NonFiniteError there.
    let sce: ReturnType<typeof softmaxCrossEntropy<Float32Array>>;
    try {
      sce = softmaxCrossEntropy({ data: f.logits, shape: [N, K] }, labels);
    } catch (e) {
      await this.release(f);
      throw e;
    }
    const { loss } = sce, dlogits = sce.dlogits.data;
    let d: [H, H] = [await bes[0].upload(halfPerExample(dlogits, N, 0), [N, K / 2]), await bes[1].upload(halfPerExample(dlogits, N, 1), [N, K / 2])];
    const grads: [Params<H>, Params<H>] = [new Map(), new Map()];
    for (let i = f.saved.length - 1; i >= 0; i--) {
      const { s, gathered } = f.saved[i];
      const g = [await layerBackward(bes[0], this.params[0], s[0], d[0], undefined, i > 0), await layerBackward(bes[1], this.params[1], s[1], d[1], undefined, i > 0)];
      for (let p = 0; p < 2; p++) {
        await bes[p].dispose(d[p]);
        if (g[p].dw !== undefined) {
          grads[p].set(`${s[p].layer.name}.weight`, g[p].dw);
          grads[p].set(`${s[p].layer.name}.bias`, g[p].db);
        }
      }
      if (g[0].dx === undefined) return this.finishStep(f, grads, sgd, loss);
      let dx: [H, H] = [g[0].dx, g[1].dx];
      if (gathered) {
        const back = await this.scatterSum(dx, N, f.cross);
        for (let p = 0; p < 2; p++) await bes[p].dispose(dx[p]);
        dx = back;
      }
      d = dx;
    }
    for (let p = 0; p < 2; p++) await bes[p].dispose(d[p]);
    return this.finishStep(f, grads, sgd, loss);
  }

  /** Releases the forward state and applies the SGD step on each partition. */
  private async finishStep(f: Awaited<ReturnType<PartitionedNet['forward']>>, grads: [Params<H>, Params<H>], sgd: SgdParams, loss: number) {
    const bes = this.bes;
    await this.release(f);
    const velocity = (this.velocity ??= [await zerosLike(bes[0], this.params[0]), await zerosLike(bes[1], this.params[1])]);
    for (let p = 0; p < 2; p++) {
      const names = [...this.params[p].keys()];
      const upd = await bes[p].sgdStep(names.map((name) => ({ name, w: this.params[p].get(name), v: velocity[p].get(name), g: grads[p].get(name) })), sgd);
      for (const [i, name] of names.entries()) {
        this.params[p].set(name, upd[i].w);
        velocity[p].set(name, upd[i].v);
        await bes[p].dispose(grads[p].get(name));
      }
    }
    this.lastCrossedBytes = f.cross.bytes;
    return { loss, crossedBytes: f.cross.bytes };
  }

  async logits(x: Float32Array, n: number): Promise<Float32Array> {
    const f = await this.forward(x, n, false);
    await this.release(f);
    return f.logits;
  }

  async predict(x: Float32Array, n: number): Promise<Float32Array> {
    return softmaxRows(await this.logits(x, n), n, this.config.classes);
  }

  async features(x: Float32Array, n: number): Promise<Float32Array> {
    const f = await this.forward(x, n, false);
    try {
      // The feature layer's output is the next layer's saved input: in halves (joined here), or already gathered whole.
      const next = f.saved[this.layers.findIndex((l) => l.layer.name === featureLayer(this.config).name) + 1];
      if (next.gathered) return Float32Array.from(await this.bes[0].download(next.s[0].x));
      return concatPerExample(await this.bes[0].download(next.s[0].x), await this.bes[1].download(next.s[1].x), n);
    } finally {
      await this.release(f);
    }
  }

  async exportState(): Promise<{ params: HostParams; velocity: HostParams }> {
    const half = (p: number, m: Params<H>) => toHost(this.bes[p], m);
    const params = joinParams(await half(0, this.params[0]), await half(1, this.params[1]));
    const v = this.velocity;
    return { params, velocity: v ? joinParams(await half(0, v[0]), await half(1, v[1])) : zeroHost(params) };
  }

  async dispose(): Promise<void> {
    for (let p = 0; p < 2; p++) for (const m of [this.params[p], this.velocity?.[p]]) if (m) for (const t of m.values()) await this.bes[p].dispose(t);
    await this.onDispose?.();
  }
}
