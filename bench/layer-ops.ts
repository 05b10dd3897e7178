// Every layer of the paper net at its real shapes, forward and backward, as
// closures over inputs uploaded once (as in training, where they stay on the
// device): the cases of bench/gpu-layers.ts (Node) and bench/browser/ (a page).

import type { Backend } from '../src/backend.js';
import { PAPER_LRN } from '../src/cpu/lrn.js';
import { PAPER_POOL } from '../src/cpu/maxpool.js';
import type { Rng } from '../src/cpu/random.js';
import { sizeOf } from '../src/cpu/tensor.js';

/** The input shape and settings of each paper layer (one image): the cases of both benchmarks. */
export type PaperLayer =
  | { kind: 'conv'; C: number; H: number; Cout: number; k: number; stride: number; pad: number; groups: number }
  | { kind: 'relu' | 'lrn' | 'pool'; C: number; H: number }
  | { kind: 'linear'; I: number; O: number }
  | { kind: 'dropout'; F: number }
  | { kind: 'loss' };

/** The paper net's layers (section 3.5, 227 x 227 input) by name. */
export const PAPER_SHAPES: Record<string, PaperLayer> = {
  conv1: { kind: 'conv', C: 3, H: 227, Cout: 96, k: 11, stride: 4, pad: 0, groups: 1 },
  relu1: { kind: 'relu', C: 96, H: 55 },
  norm1: { kind: 'lrn', C: 96, H: 55 },
  pool1: { kind: 'pool', C: 96, H: 55 },
  conv2: { kind: 'conv', C: 96, H: 27, Cout: 256, k: 5, stride: 1, pad: 2, groups: 2 },
  norm2: { kind: 'lrn', C: 256, H: 27 },
  pool2: { kind: 'pool', C: 256, H: 27 },
  conv3: { kind: 'conv', C: 256, H: 13, Cout: 384, k: 3, stride: 1, pad: 1, groups: 1 },
  conv4: { kind: 'conv', C: 384, H: 13, Cout: 384, k: 3, stride: 1, pad: 1, groups: 2 },
  conv5: { kind: 'conv', C: 384, H: 13, Cout: 256, k: 3, stride: 1, pad: 1, groups: 2 },
  pool5: { kind: 'pool', C: 256, H: 13 },
  fc6: { kind: 'linear', I: 9216, O: 4096 },
  drop6: { kind: 'dropout', F: 4096 },
  fc7: { kind: 'linear', I: 4096, O: 4096 },
  fc8: { kind: 'linear', I: 4096, O: 1000 },
  loss: { kind: 'loss' },
};

/** The paper net's layers in order, by the names layerOps() takes. */
export const LAYERS = ['conv1', 'relu1', 'norm1', 'pool1', 'conv2', 'norm2', 'pool2', 'conv3', 'conv4', 'conv5', 'pool5', 'fc6', 'drop6', 'fc7', 'fc8', 'loss'];

/** One layer's forward and backward on one backend, as closures over uploaded inputs. */
export interface Ops { fwd: () => void; bwd: () => void }

/**
 * The paper layer `layer` at batch B on `be`. `after` runs after each call
 * with the call's last output (what makes the work done, not merely queued:
 * a GPU finish in Node, a read-back in a page, where gl.finish() was seen
 * not to wait).
 */
export function layerOps<T>(be: Backend<T>, layer: string, B: number, after: (last: T) => void, rng: Rng): { ops: Ops; flops?: number } {
  const up = (shape: number[], scale = 1) => be.upload(rng.normalArray(sizeOf(shape), 0, scale), shape);
  const done = (...ts: (T | undefined)[]) => {
    const made = ts.filter((t): t is T => t !== undefined);
    after(made[made.length - 1]);
    for (const t of made) be.dispose(t);
  };
  const conv = (C: number, H: number, Cout: number, k: number, stride: number, pad: number, groups: number) => {
    const x = up([B, C, H, H]), w = up([Cout, C / groups, k, k], 0.01), b = up([Cout]);
    const p = { stride, pad, groups };
    const y = be.conv2dForward(x, w, b, p);
    const dy = up([...be.shape(y)]);
    const Ho = be.shape(y)[2];
    be.dispose(y);
    return {
      flops: 2 * B * Cout * Ho * Ho * (C / groups) * k * k,
      ops: {
        fwd: () => done(be.conv2dForward(x, w, b, p)),
        bwd: () => { const g = be.conv2dBackward(dy, x, w, p); done(g.dx, g.dw, g.db); },
      },
    };
  };
  const lin = (I: number, O: number) => {
    const x = up([B, I]), w = up([O, I], 0.01), b = up([O]), dy = up([B, O]);
    return {
      flops: 2 * B * I * O,
      ops: {
        fwd: () => done(be.linearForward(x, w, b)),
        bwd: () => { const g = be.linearBackward(dy, x, w); done(g.dx, g.dw, g.db); },
      },
    };
  };
  const lrn = (C: number, H: number) => {
    const x = up([B, C, H, H]), dy = up([B, C, H, H]);
    const r = be.lrnForward(x, PAPER_LRN);
    return { ops: { fwd: () => { const o = be.lrnForward(x, PAPER_LRN); done(o.y); be.disposeCache(o.cache); }, bwd: () => done(be.lrnBackward(dy, x, r.cache, PAPER_LRN)) } };
  };
  const pool = (C: number, H: number) => {
    const x = up([B, C, H, H]);
    const r = be.maxpoolForward(x, PAPER_POOL);
    const dy = up([...be.shape(r.y)]);
    return { ops: { fwd: () => { const o = be.maxpoolForward(x, PAPER_POOL); done(o.y); be.disposeCache(o.cache); }, bwd: () => done(be.maxpoolBackward(dy, r.cache, [B, C, H, H])) } };
  };
  const relu = (shape: number[]) => {
    const x = up(shape), dy = up(shape);
    return { ops: { fwd: () => done(be.reluForward(x)), bwd: () => done(be.reluBackward(dy, x)) } };
  };
  const drop = (F: number) => {
    const x = up([B, F]);
    const p = { rate: 0.5, mode: 'paper' as const, train: true };
    const mask = new Uint8Array(B * F).map(() => (rng.uniform() < 0.5 ? 1 : 0));
    return { ops: { fwd: () => done(be.dropoutForward(x, mask, p)), bwd: () => done(be.dropoutBackward(x, mask, p)) } };
  };
  const xent = () => {
    const z = up([B, 1000]);
    const labels = Int32Array.from({ length: B }, () => rng.int(1000));
    return { ops: { fwd: () => { const r = be.softmaxCrossEntropy(z, labels); done(r.probs, r.dlogits); }, bwd: () => {} } };
  };
  const L = PAPER_SHAPES[layer];
  switch (L?.kind) {
    case 'conv': return conv(L.C, L.H, L.Cout, L.k, L.stride, L.pad, L.groups);
    case 'relu': return relu([B, L.C, L.H, L.H]);
    case 'lrn': return lrn(L.C, L.H);
    case 'pool': return pool(L.C, L.H);
    case 'linear': return lin(L.I, L.O);
    case 'dropout': return drop(L.F);
    case 'loss': return xent();
    default: throw new Error(`unknown layer ${layer}`);
  }
}

