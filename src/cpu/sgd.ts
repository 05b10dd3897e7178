// Stochastic gradient descent with momentum and weight decay, in the paper's
// exact form (section 5):
//
//   v <- momentum * v - weightDecay * lr * w - lr * g
//   w <- w + v
//
// with momentum 0.9, weight decay 0.0005, g the gradient of the batch-mean
// loss, and v computed from the old w. torch.optim.SGD keeps lr outside the
// velocity (v <- m v + g + wd w; w <- w - lr v): the two agree while lr is
// constant and differ after every change of lr (spec/cpu/sgd.spec.ts shows both).

import { type Tensor, expectFinite, expectNumber, fmtShape } from './tensor.js';

/** Hyper-parameters of one SGD step. */
export interface SgdParams {
  readonly lr: number;
  readonly momentum: number;
  readonly weightDecay: number;
}

/** The paper's values at the start of training: lr 0.01, momentum 0.9, weight decay 0.0005. */
export const PAPER_SGD: SgdParams = { lr: 0.01, momentum: 0.9, weightDecay: 0.0005 };

/** One parameter tensor with its velocity and gradient, all the same shape. */
export interface SgdSlot {
  readonly name: string;
  readonly w: Tensor;
  readonly v: Tensor;
  readonly g: Tensor;
}

/**
 * Applies one momentum step, in place, to every parameter tensor, and returns
 * the (same) w and v of each slot: the GPU twin returns new ones, so callers
 * written for either use what is returned.
 */
export function sgdStep(slots: readonly SgdSlot[], p: SgdParams): { w: Tensor; v: Tensor }[] {
  expectNumber('sgdStep', 'lr', p.lr, 0);
  expectNumber('sgdStep', 'momentum', p.momentum, 0, 1);
  expectNumber('sgdStep', 'weightDecay', p.weightDecay, 0);
  for (const s of slots) {
    if (s.v.shape.join() !== s.w.shape.join() || s.g.shape.join() !== s.w.shape.join() || s.v.data.length !== s.w.data.length || s.g.data.length !== s.w.data.length) {
      throw new RangeError(`sgdStep: ${s.name}: w ${fmtShape(s.w.shape)}, v ${fmtShape(s.v.shape)} and g ${fmtShape(s.g.shape)} must have the same shape`);
    }
    expectFinite('sgdStep', `gradient of ${s.name}`, s.g);
  }
  const { lr, momentum, weightDecay } = p;
  for (const { w, v, g } of slots) {
    const wd = w.data, vd = v.data, gd = g.data;
    for (let i = 0; i < wd.length; i++) {
      const vi = momentum * vd[i] - weightDecay * lr * wd[i] - lr * gd[i];
      vd[i] = vi;
      wd[i] += vi;
    }
  }
  return slots.map(({ w, v }) => ({ w, v }));
}
