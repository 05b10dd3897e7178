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

import { type ParallelFor, type RangeKernel, serial } from './parallel.js';
import { type Tensor, expectFinite, expectNumber, fmtShape, int32Like } from './tensor.js';

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

/** Sets flag[0] to 1 if any of g's elements from..to - 1 is NaN or infinite (arrays [g, flag]). */
export const NON_FINITE: RangeKernel = {
  name: 'sgd.nonFinite',
  run([g, flag], _nums, from, to) {
    for (let i = from; i < to; i++) {
      if (!Number.isFinite(g[i])) {
        flag[0] = 1;
        return;
      }
    }
  },
};

/**
 * NON_FINITE on a float32 gradient, on the values' bits, without a branch: a
 * float32 is infinite or NaN exactly when its eight exponent bits e are all
 * ones, and (e + 1) >> 8 is 1 for e = 255 and 0 for every other e. OR-ed
 * over the range, it is nonzero iff some element is not finite. The
 * definition's Number.isFinite and early return took 51-65 ms of a paper-net
 * step's 61 M gradients on two threads, this form 40 (a probe, one host).
 */
export const NON_FINITE_F32: RangeKernel = {
  name: 'sgd.nonFinite.f32',
  run([g, flag], _nums, from, to) {
    const bits = new Int32Array(g.buffer, g.byteOffset, g.length);
    let any = 0;
    for (let i = from; i < to; i++) any |= (((bits[i] >> 23) & 0xff) + 1) >> 8;
    if (any !== 0) flag[0] = 1;
  },
};

/** The momentum step of the header for elements from..to - 1 (arrays [w, v, g], nums [lr, momentum, weightDecay]). */
export const SGD_UPDATE: RangeKernel = {
  name: 'sgd.update',
  run([wd, vd, gd], [lr, momentum, weightDecay], from, to) {
    for (let i = from; i < to; i++) {
      const vi = momentum * vd[i] - weightDecay * lr * wd[i] - lr * gd[i];
      vd[i] = vi;
      wd[i] += vi;
    }
  },
};

/**
 * Applies one momentum step, in place, to every parameter tensor, and returns
 * the (same) w and v of each slot: the GPU twin returns new ones, so callers
 * written for either use what is returned. Every gradient is checked before
 * any weight changes (par: the threads that share the elements).
 */
export function sgdStep(slots: readonly SgdSlot[], p: SgdParams, par: ParallelFor = serial): { w: Tensor; v: Tensor }[] {
  expectNumber('sgdStep', 'lr', p.lr, 0);
  expectNumber('sgdStep', 'momentum', p.momentum, 0, 1);
  expectNumber('sgdStep', 'weightDecay', p.weightDecay, 0);
  for (const s of slots) {
    if (s.v.shape.join() !== s.w.shape.join() || s.g.shape.join() !== s.w.shape.join() || s.v.data.length !== s.w.data.length || s.g.data.length !== s.w.data.length) {
      throw new RangeError(`sgdStep: ${s.name}: w ${fmtShape(s.w.shape)}, v ${fmtShape(s.v.shape)} and g ${fmtShape(s.g.shape)} must have the same shape`);
    }
    const flag = int32Like(s.g.data, 1);
    par(s.g.data instanceof Float32Array ? NON_FINITE_F32 : NON_FINITE, s.g.data.length, [s.g.data, flag]);
    if (flag[0] !== 0) expectFinite('sgdStep', `gradient of ${s.name}`, s.g); // finds the first such element and throws
  }
  for (const { w, v, g } of slots) par(SGD_UPDATE, w.data.length, [w.data, v.data, g.data], [p.lr, p.momentum, p.weightDecay], 5);
  return slots.map(({ w, v }) => ({ w, v }));
}
