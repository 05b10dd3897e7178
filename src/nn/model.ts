// The AlexNet model over any Backend: parameters, forward pass, backward pass.
//
// The forward pass walks the layer list of src/nn/config.ts and keeps, for
// every layer, what its backward op needs (the layer's input, the LRN
// denominators, the pooling argmax, the dropout mask). The backward pass walks
// the same list in reverse, from dL/dlogits to the gradient of every parameter.
//
// Every backend call is awaited: a backend may answer later (a WebGPU device,
// a worker, ONNX Runtime), and awaiting a synchronous one's plain result costs
// a microtask per op (bench/async-overhead.ts: nothing measurable per step).

import type { AwaitableBackend, OpCache } from '../backend.js';
import type { DropoutParams } from '../cpu/dropout.js';
import { dropoutMask } from '../cpu/dropout.js';
import type { Rng } from '../cpu/random.js';
import { fmtShape, sizeOf } from '../cpu/tensor.js';
import { type AlexNetConfig } from './config.js';
import { type LayerSpec, buildLayers, parameterShapes } from './layers.js';

/** The model's parameters on a backend, by name (conv1.weight, ..., fc8.bias). */
export type Params<T> = Map<string, T>;

/** Host-side parameters: what checkpoints and goldens hold. */
export type HostParams = Map<string, { data: Float32Array; shape: number[] }>;

/**
 * The paper's initialisation (section 5): weights ~ N(0, initStd^2) (0.01 in
 * the paper); biases 1 in conv2, conv4, conv5, fc6, fc7, else 0. With
 * initStd 'he', each layer's weights get std sqrt(2 / fan_in) instead (He et
 * al. 2015), which keeps activations at unit scale through a narrow net
 * where 0.01 would shrink them layer after layer. `only` picks some tensors
 * (a new fc8 for fine-tuning) without drawing the others.
 */
export function initParams(c: AlexNetConfig, rng: Rng, only: (name: string) => boolean = () => true): HostParams {
  const out: HostParams = new Map();
  for (const p of parameterShapes(c)) {
    if (!only(p.name)) continue;
    const n = sizeOf(p.shape);
    const fanIn = sizeOf(p.shape.slice(1));
    const std = c.initStd === 'he' ? Math.sqrt(2 / fanIn) : c.initStd;
    const data = p.init === 'normal' ? rng.normalArray(n, 0, std) : new Float32Array(n).fill(p.init);
    out.set(p.name, { data, shape: p.shape });
  }
  return out;
}

/** Downloads tensors by name to host copies (a checkpoint's or an export's parameters). */
export async function toHost<T>(be: AwaitableBackend<T>, m: Map<string, T>): Promise<HostParams> {
  const out: HostParams = new Map();
  for (const [k, t] of m) out.set(k, { data: Float32Array.from(await be.download(t)), shape: [...(await be.shape(t))] });
  return out;
}

/** Uploads host parameters to a backend, checking every name and shape against the configuration. */
export async function uploadParams<T>(be: AwaitableBackend<T>, c: AlexNetConfig, host: HostParams, adopt = false): Promise<Params<T>> {
  const out: Params<T> = new Map();
  for (const p of parameterShapes(c)) {
    const h = host.get(p.name);
    if (!h) throw new RangeError(`uploadParams: parameter ${p.name} ${fmtShape(p.shape)} is missing`);
    if (h.shape.join() !== p.shape.join()) {
      throw new RangeError(`uploadParams: ${p.name} has shape ${fmtShape(h.shape)}, expected ${fmtShape(p.shape)} for configuration ${c.name}`);
    }
    out.set(p.name, await (adopt && be.adopt ? be.adopt(h.data, h.shape) : be.upload(h.data, h.shape)));
  }
  return out;
}

/** What one layer's forward kept for its backward. */
export interface Saved<T> {
  layer: LayerSpec;
  x: T;
  cache?: OpCache;
  mask?: Uint8Array | null;
  dropout?: DropoutParams;
}

/** A forward pass's result: logits [N, classes] and the saved state for backward. */
export interface ForwardResult<T> {
  logits: T;
  saved: Saved<T>[];
  /** Every layer's output, by layer name, when asked for (for comparisons and checksums). */
  activations?: Map<string, T>;
}

/** Options of a forward pass: training (dropout masks drawn from rng) or test time. */
export interface ForwardOptions {
  train: boolean;
  rng?: Rng;
  keepActivations?: boolean;
  /**
   * Inference only: dispose each activation (and LRN's and pooling's caches)
   * once the next layer has read it, so that a backend reuses its memory
   * within the pass; `saved` is then empty and nothing can be
   * back-propagated. Not with train or keepActivations.
   */
  release?: boolean;
}

function param<T>(params: Params<T>, name: string): T {
  const p = params.get(name);
  if (p === undefined) throw new RangeError(`model: parameter ${name} is missing`);
  return p;
}

/** One layer's forward pass on input h: its output, and what its backward needs. */
export async function layerForward<T>(be: AwaitableBackend<T>, layer: LayerSpec, params: Params<T>, h: T, o: ForwardOptions): Promise<{ y: T; saved: Saved<T> }> {
  const s: Saved<T> = { layer, x: h };
  switch (layer.kind) {
    case 'conv':
      return { y: await be.conv2dForward(h, param(params, `${layer.name}.weight`), param(params, `${layer.name}.bias`), layer.spec), saved: s };
    case 'relu':
      return { y: await be.reluForward(h), saved: s };
    case 'tanh':
      return { y: await be.tanhForward(h), saved: s };
    case 'lrn': {
      const r = await be.lrnForward(h, layer.params);
      s.cache = r.cache;
      return { y: r.y, saved: s };
    }
    case 'maxpool': {
      const r = await be.maxpoolForward(h, layer.params);
      s.cache = r.cache;
      return { y: r.y, saved: s };
    }
    case 'flatten': {
      const sh = await be.shape(h);
      return { y: await be.reshape(h, [sh[0], sh[1] * sh[2] * sh[3]]), saved: s };
    }
    case 'dropout': {
      const p: DropoutParams = { rate: layer.rate, mode: layer.mode, train: o.train };
      if (o.train && layer.rate > 0 && !o.rng) throw new RangeError(`forward: training with dropout (${layer.name}) needs an rng for the masks`);
      const mask = o.train ? dropoutMask(sizeOf(await be.shape(h)), layer.rate, o.rng!) : null;
      s.mask = mask; s.dropout = p;
      return { y: await be.dropoutForward(h, mask, p), saved: s };
    }
    case 'linear':
      return { y: await be.linearForward(h, param(params, `${layer.name}.weight`), param(params, `${layer.name}.bias`)), saved: s };
  }
}

/** Runs the network on x [N, C, H, W]; returns logits [N, classes] and what backward needs. */
export async function forward<T>(be: AwaitableBackend<T>, c: AlexNetConfig, params: Params<T>, x: T, o: ForwardOptions): Promise<ForwardResult<T>> {
  const xs = await be.shape(x);
  if (xs.length !== 4 || xs[1] !== c.inputChannels || xs[2] !== c.inputSize || xs[3] !== c.inputSize) {
    throw new RangeError(`forward: x has shape ${fmtShape(xs)}, expected [N, ${c.inputChannels}, ${c.inputSize}, ${c.inputSize}] for configuration ${c.name}`);
  }
  if (o.release && (o.train || o.keepActivations)) throw new RangeError('forward: release is for inference: not with train or keepActivations');
  const saved: Saved<T>[] = [];
  const activations = o.keepActivations ? new Map<string, T>() : undefined;
  let h = x;
  for (const layer of buildLayers(c)) {
    const r = await layerForward(be, layer, params, h, o);
    if (o.release) {
      // The input x is the caller's; every later activation is read by this layer only.
      if (h !== x) await be.dispose(h);
      if (r.saved.cache) await be.disposeCache(r.saved.cache);
    } else saved.push(r.saved);
    h = r.y;
    activations?.set(layer.name, h);
  }
  return { logits: h, saved, activations };
}

/**
 * One layer's backward pass: dL/dx from dL/dy (d) and what its forward saved,
 * and, for conv and linear layers, the weight and bias gradients (added into
 * acc when given; use the returned handles afterwards). With needDx false
 * (the first layer, whose input is the image) a conv layer skips dx.
 */
export async function layerBackward<T>(
  be: AwaitableBackend<T>, params: Params<T>, s: Saved<T>, d: T, acc?: { dw: T; db: T }, needDx = true,
): Promise<{ dx?: T; dw?: T; db?: T }> {
  const { layer, x, cache, mask, dropout } = s;
  switch (layer.kind) {
    case 'conv':
      return needDx
        ? await be.conv2dBackward(d, x, param(params, `${layer.name}.weight`), layer.spec, acc)
        : await be.conv2dBackwardWeights(d, x, param(params, `${layer.name}.weight`), layer.spec, acc);
    case 'relu': return { dx: await be.reluBackward(d, x) };
    case 'tanh': return { dx: await be.tanhBackward(d, x) };
    case 'lrn': return { dx: await be.lrnBackward(d, x, cache!, layer.params) };
    case 'maxpool': return { dx: await be.maxpoolBackward(d, cache!, await be.shape(x)) };
    case 'flatten': return { dx: await be.reshape(d, await be.shape(x)) };
    case 'dropout': return { dx: await be.dropoutBackward(d, mask ?? null, dropout!) };
    case 'linear': return await be.linearBackward(d, x, param(params, `${layer.name}.weight`), acc);
  }
}

/**
 * Back-propagates dL/dlogits through the saved forward pass; returns dL/dparam
 * for every parameter. With `acc`, gradients are added into those buffers
 * (zero them first for a plain step) and the returned map holds the results.
 */
export async function backward<T>(be: AwaitableBackend<T>, params: Params<T>, fwd: ForwardResult<T>, dlogits: T, acc?: Params<T>): Promise<Params<T>> {
  const grads: Params<T> = new Map();
  let d = dlogits;
  for (let i = fwd.saved.length - 1; i >= 0; i--) {
    const name = fwd.saved[i].layer.name;
    let a: { dw: T; db: T } | undefined;
    if (acc && (fwd.saved[i].layer.kind === 'conv' || fwd.saved[i].layer.kind === 'linear')) {
      const dw = acc.get(`${name}.weight`), db = acc.get(`${name}.bias`);
      if (dw === undefined || db === undefined) throw new RangeError(`backward: gradient buffers for ${name} are missing`);
      a = { dw, db };
    }
    const g = await layerBackward(be, params, fwd.saved[i], d, a, i > 0);
    if (g.dw !== undefined && g.db !== undefined) {
      // A backend with immutable tensors returns new accumulator handles: keep acc pointing at the live ones.
      for (const m of acc ? [grads, acc] : [grads]) {
        m.set(`${name}.weight`, g.dw);
        m.set(`${name}.bias`, g.db);
      }
    }
    if (d !== dlogits) await be.dispose(d);
    if (g.dx === undefined) return grads;
    d = g.dx;
  }
  await be.dispose(d);
  return grads;
}

/** Releases what a forward pass kept (every activation but the network's input, and the caches), logits included. */
export async function disposeForward<T>(be: AwaitableBackend<T>, fwd: ForwardResult<T>): Promise<void> {
  for (let i = 1; i < fwd.saved.length; i++) await be.dispose(fwd.saved[i].x);
  for (const s of fwd.saved) if (s.cache) await be.disposeCache(s.cache);
  await be.dispose(fwd.logits);
}
