// Momentum SGD in the paper's form on the GPU, the twin of src/cpu/sgd.ts:
//   v <- momentum * v - weightDecay * lr * w - lr * g;   w <- w + v
// Textures are immutable, so each step makes new w and v and releases the old ones.

import { type SgdParams } from '../cpu/sgd.js';
import { expectNumber, fmtShape } from '../cpu/tensor.js';
import { type GpuTensor, sameContext, texDims, threadIndex } from './context.js';

/** One parameter tensor with its velocity and gradient, all the same shape. */
export interface SgdSlot {
  readonly name: string;
  readonly w: GpuTensor;
  readonly v: GpuTensor;
  readonly g: GpuTensor;
}

/** Applies one momentum step to every parameter; returns the new weights and velocities (the old ones are released). */
export function sgdStep(slots: readonly SgdSlot[], p: SgdParams): { w: GpuTensor; v: GpuTensor }[] {
  expectNumber('sgdStep', 'lr', p.lr, 0);
  expectNumber('sgdStep', 'momentum', p.momentum, 0, 1);
  expectNumber('sgdStep', 'weightDecay', p.weightDecay, 0);
  for (const s of slots) {
    sameContext('sgdStep', s.w, s.v, s.g);
    if (s.v.shape.join() !== s.w.shape.join() || s.g.shape.join() !== s.w.shape.join()) {
      throw new RangeError(`sgdStep: ${s.name}: w ${fmtShape(s.w.shape)}, v ${fmtShape(s.v.shape)} and g ${fmtShape(s.g.shape)} must have the same shape`);
    }
  }
  return slots.map(({ w, v, g }) => {
    const at = threadIndex(texDims(w.shape).length);
    const ctx = w.ctx;
    const v2 = ctx.run(`function (v, w, g) { return ${p.momentum} * v${at} - ${p.weightDecay * p.lr} * w${at} - ${p.lr} * g${at}; }`, w.shape, v.tex, w.tex, g.tex);
    const w2 = ctx.run(`function (w, v) { return w${at} + v${at}; }`, w.shape, w.tex, v2.tex);
    ctx.dispose(v);
    ctx.dispose(w);
    return { w: w2, v: v2 };
  });
}
