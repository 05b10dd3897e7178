// Momentum SGD in the paper's form on the GPU, the twin of src/cpu/sgd.ts:
//   v <- momentum * v - weightDecay * lr * w - lr * g;   w <- w + v
// Textures are immutable, so each step makes new w and v and releases the old ones.

import { type SgdParams } from '../cpu/sgd.js';
import { NonFiniteError, expectNumber, fmtShape } from '../cpu/tensor.js';
import { type GpuTensor, sameContext, texDims, threadIndex } from './context.js';

/** One parameter tensor with its velocity and gradient, all the same shape. */
export interface SgdSlot {
  readonly name: string;
  readonly w: GpuTensor;
  readonly v: GpuTensor;
  readonly g: GpuTensor;
}

/**
 * The first row (index over all axes but the last) of a tensor that holds a
 * NaN or an infinity, or -1 when every element is finite: each thread sums |g| along
 * the last axis (a NaN or an infinity makes its sum non-finite, as IEEE
 * arithmetic propagates them; llvmpipe and GPUs compute these sums in IEEE
 * single precision), and the host checks the few sums it reads back: one
 * value per row, not the whole gradient. A sum of finite values that
 * overflows float32 (|g| near 1e38 over a row) is flagged too: such a step
 * would overflow the weights anyway.
 */
export function firstNonFiniteRow(t: GpuTensor): number {
  const s = t.shape;
  let sums: GpuTensor;
  if (s.length === 1) {
    sums = t.ctx.run(`function (g) { let a = 0; for (let k = 0; k < ${s[0]}; k++) { a += Math.abs(g[k]); } return a; }`, [1], t.tex);
  } else if (s.length === 2) {
    sums = t.ctx.run(`function (g) { let a = 0; for (let k = 0; k < ${s[1]}; k++) { a += Math.abs(g[this.thread.x][k]); } return a; }`, [s[0]], t.tex);
  } else {
    // Output [s0, s1, s2, 1], a 3-D grid like every rank-4 tensor here: gpu.js packs it into a square-ish
    // texture, where a 2-D [s0 * s1, s2] grid would need a texture s0 * s1 texels high (conv3: 98,304 > 16,384).
    sums = t.ctx.run(`function (g) { let a = 0; for (let k = 0; k < ${s[3]}; k++) { a += Math.abs(g[this.thread.z][this.thread.y][k]); } return a; }`, [s[0], s[1], s[2], 1], t.tex);
  }
  const host = t.ctx.download(sums);
  t.ctx.dispose(sums);
  return host.findIndex((v) => !Number.isFinite(v));
}

/**
 * Applies one momentum step to every parameter; returns the new weights and
 * velocities (the old ones are released). A non-finite gradient is refused,
 * as on the CPU, before anything is updated. The learning rate, momentum and
 * decay are kernel arguments, so a new learning rate (section 5 divides it by
 * 10 on a plateau) reuses the compiled kernels instead of compiling new ones.
 */
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
  for (const s of slots) {
    // The CPU twin names the flat index; here the row is what the sums read back can tell.
    const row = firstNonFiniteRow(s.g);
    if (row >= 0) throw new NonFiniteError(`sgdStep: gradient of ${s.name} holds a non-finite value in row ${row} of shape ${fmtShape(s.g.shape)}`);
  }
  return slots.map(({ w, v, g }) => {
    const at = threadIndex(texDims(w.shape).length);
    const ctx = w.ctx;
    // weightDecay * lr is formed on the host in double precision, as the CPU step forms it.
    const v2 = ctx.run(`function (v, w, g, m, wdlr, lr) { return m * v${at} - wdlr * w${at} - lr * g${at}; }`, w.shape, v.tex, w.tex, g.tex, p.momentum, p.weightDecay * p.lr, p.lr);
    const w2 = ctx.run(`function (w, v) { return w${at} + v${at}; }`, w.shape, w.tex, v2.tex);
    ctx.dispose(v);
    ctx.dispose(w);
    return { w: w2, v: v2 };
  });
}
