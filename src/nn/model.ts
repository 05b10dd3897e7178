// The AlexNet model over any Backend: parameters, forward pass, backward pass.
//
// The forward pass walks the layer list of src/nn/config.ts and keeps, for
// every layer, what its backward op needs (the layer's input, the LRN
// denominators, the pooling argmax, the dropout mask). The backward pass walks
// the same list in reverse, from dL/dlogits to the gradient of every parameter.

import type { Backend, OpCache } from '../backend.js';
import type { DropoutParams } from '../cpu/dropout.js';
import { dropoutMask } from '../cpu/dropout.js';
import type { Rng } from '../cpu/random.js';
import { fmtShape, sizeOf } from '../cpu/tensor.js';
import { type AlexNetConfig, type LayerSpec, buildLayers, parameterShapes } from './config.js';

/** The model's parameters on a backend, by name (conv1.weight, ..., fc8.bias). */
export type Params<T> = Map<string, T>;

/** Host-side parameters: what checkpoints and goldens hold. */
export type HostParams = Map<string, { data: Float32Array; shape: number[] }>;

/** The paper's initialisation (section 5): weights ~ N(0, initStd^2); biases 1 in conv2, conv4, conv5, fc6, fc7, else 0. */
export function initParams(c: AlexNetConfig, rng: Rng): HostParams {
  const out: HostParams = new Map();
  for (const p of parameterShapes(c)) {
    const n = sizeOf(p.shape);
    const data = p.init === 'normal' ? rng.normalArray(n, 0, c.initStd) : new Float32Array(n).fill(p.init);
    out.set(p.name, { data, shape: p.shape });
  }
  return out;
}

/** Uploads host parameters to a backend, checking every name and shape against the configuration. */
export function uploadParams<T>(be: Backend<T>, c: AlexNetConfig, host: HostParams): Params<T> {
  const out: Params<T> = new Map();
  for (const p of parameterShapes(c)) {
    const h = host.get(p.name);
    if (!h) throw new RangeError(`uploadParams: parameter ${p.name} ${fmtShape(p.shape)} is missing`);
    if (h.shape.join() !== p.shape.join()) {
      throw new RangeError(`uploadParams: ${p.name} has shape ${fmtShape(h.shape)}, expected ${fmtShape(p.shape)} for configuration ${c.name}`);
    }
    out.set(p.name, be.upload(h.data, h.shape));
  }
  return out;
}

/** What one layer's forward kept for its backward. */
interface Saved<T> {
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
}

function param<T>(params: Params<T>, name: string): T {
  const p = params.get(name);
  if (p === undefined) throw new RangeError(`model: parameter ${name} is missing`);
  return p;
}

/** Runs the network on x [N, C, H, W]; returns logits [N, classes] and what backward needs. */
export function forward<T>(be: Backend<T>, c: AlexNetConfig, params: Params<T>, x: T, o: ForwardOptions): ForwardResult<T> {
  const xs = be.shape(x);
  if (xs.length !== 4 || xs[1] !== c.inputChannels || xs[2] !== c.inputSize || xs[3] !== c.inputSize) {
    throw new RangeError(`forward: x has shape ${fmtShape(xs)}, expected [N, ${c.inputChannels}, ${c.inputSize}, ${c.inputSize}] for configuration ${c.name}`);
  }
  if (o.train && c.dropout.rate > 0 && !o.rng) throw new RangeError('forward: training with dropout needs an rng for the masks');
  const saved: Saved<T>[] = [];
  const activations = o.keepActivations ? new Map<string, T>() : undefined;
  let h = x;
  for (const layer of buildLayers(c)) {
    const s: Saved<T> = { layer, x: h };
    switch (layer.kind) {
      case 'conv':
        h = be.conv2dForward(h, param(params, `${layer.name}.weight`), param(params, `${layer.name}.bias`), layer.spec);
        break;
      case 'relu':
        h = be.reluForward(h);
        break;
      case 'lrn': {
        const r = be.lrnForward(h, layer.params);
        h = r.y; s.cache = r.cache;
        break;
      }
      case 'maxpool': {
        const r = be.maxpoolForward(h, layer.params);
        h = r.y; s.cache = r.cache;
        break;
      }
      case 'flatten': {
        const sh = be.shape(h);
        h = be.reshape(h, [sh[0], sh[1] * sh[2] * sh[3]]);
        break;
      }
      case 'dropout': {
        const p: DropoutParams = { rate: layer.rate, mode: layer.mode, train: o.train };
        const mask = o.train ? dropoutMask(sizeOf(be.shape(h)), layer.rate, o.rng!) : null;
        s.mask = mask; s.dropout = p;
        h = be.dropoutForward(h, mask, p);
        break;
      }
      case 'linear':
        h = be.linearForward(h, param(params, `${layer.name}.weight`), param(params, `${layer.name}.bias`));
        break;
    }
    saved.push(s);
    activations?.set(layer.name, h);
  }
  return { logits: h, saved, activations };
}

/**
 * Back-propagates dL/dlogits through the saved forward pass; returns dL/dparam
 * for every parameter. With `acc`, gradients are added into those buffers
 * (zero them first for a plain step) and the returned map holds the results.
 */
export function backward<T>(be: Backend<T>, params: Params<T>, fwd: ForwardResult<T>, dlogits: T, acc?: Params<T>): Params<T> {
  const grads: Params<T> = new Map();
  // A backend with immutable tensors returns new accumulator handles: keep acc pointing at the live ones.
  const setGrads = (name: string, dw: T, db: T) => {
    grads.set(`${name}.weight`, dw); grads.set(`${name}.bias`, db);
    acc?.set(`${name}.weight`, dw); acc?.set(`${name}.bias`, db);
  };
  const accFor = (name: string) => {
    if (!acc) return undefined;
    const dw = acc.get(`${name}.weight`), db = acc.get(`${name}.bias`);
    if (dw === undefined || db === undefined) throw new RangeError(`backward: gradient buffers for ${name} are missing`);
    return { dw, db };
  };
  let d = dlogits;
  for (let i = fwd.saved.length - 1; i >= 0; i--) {
    const { layer, x, cache, mask, dropout } = fwd.saved[i];
    let dx: T;
    switch (layer.kind) {
      case 'conv': {
        const g = be.conv2dBackward(d, x, param(params, `${layer.name}.weight`), layer.spec, accFor(layer.name));
        setGrads(layer.name, g.dw, g.db);
        dx = g.dx;
        break;
      }
      case 'relu': dx = be.reluBackward(d, x); break;
      case 'lrn': dx = be.lrnBackward(d, x, cache!, layer.params); break;
      case 'maxpool': dx = be.maxpoolBackward(d, cache!, be.shape(x)); break;
      case 'flatten': dx = be.reshape(d, be.shape(x)); break;
      case 'dropout': dx = be.dropoutBackward(d, mask ?? null, dropout!); break;
      case 'linear': {
        const g = be.linearBackward(d, x, param(params, `${layer.name}.weight`), accFor(layer.name));
        setGrads(layer.name, g.dw, g.db);
        dx = g.dx;
        break;
      }
    }
    if (d !== dlogits) be.dispose(d);
    d = dx;
  }
  be.dispose(d);
  return grads;
}

/** Releases what a forward pass kept (every activation but the network's input, and the caches), logits included. */
export function disposeForward<T>(be: Backend<T>, fwd: ForwardResult<T>): void {
  for (let i = 1; i < fwd.saved.length; i++) be.dispose(fwd.saved[i].x);
  for (const s of fwd.saved) if (s.cache) be.disposeCache(s.cache);
  be.dispose(fwd.logits);
}
