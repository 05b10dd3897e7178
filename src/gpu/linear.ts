// Fully connected layer on the GPU, the twin of src/cpu/linear.ts:
//
//   x [N, in]   w [out, in]   b [out]   ->   y [N, out]
//   y = x w^T + b;   dx = dy w;   dw = dy^T x;   db = sum_n dy
//
// Weights are read as w[o][k] (two indices): fc6's 4096 x 9216 weights have
// flat indices past 2^24, where float arithmetic is inexact.

import { linearGeometry } from '../cpu/linear.js';
import { fmtShape } from '../cpu/tensor.js';
import { type GpuTensor, sameContext } from './context.js';

/** Gradients of the layer's input, weights and bias. */
export interface LinearGrads {
  dx: GpuTensor;
  dw: GpuTensor;
  db: GpuTensor;
}

/** y = x w^T + b. */
export function linearForward(x: GpuTensor, w: GpuTensor, b: GpuTensor): GpuTensor {
  const ctx = sameContext('linearForward', x, w, b);
  const [N, I, O] = linearGeometry('linearForward', x.shape, w.shape);
  if (b.shape.join() !== String(O)) throw new RangeError(`linearForward: b has shape ${fmtShape(b.shape)}, expected [${O}]`);
  const src = `function (x, w, b) {
    let s = b[this.thread.x];
    for (let k = 0; k < ${I}; k++) {
      s += x[this.thread.y][k] * w[this.thread.x][k];
    }
    return s;
  }`;
  return ctx.run(src, [N, O], x.tex, w.tex, b.tex);
}

/** dx, dw and db of y = x w^T + b; with acc, dw and db are acc + gradient and acc's textures are released. */
export function linearBackward(dy: GpuTensor, x: GpuTensor, w: GpuTensor, acc?: { dw: GpuTensor; db: GpuTensor }): LinearGrads {
  const ctx = sameContext('linearBackward', dy, x, w);
  const [N, I, O] = linearGeometry('linearBackward', x.shape, w.shape);
  if (dy.shape.join() !== [N, O].join()) throw new RangeError(`linearBackward: dy has shape ${fmtShape(dy.shape)}, expected [${N}, ${O}]`);
  if (acc) {
    sameContext('linearBackward', dy, acc.dw, acc.db);
    if (acc.dw.shape.join() !== [O, I].join()) throw new RangeError(`linearBackward: acc.dw has shape ${fmtShape(acc.dw.shape)}, expected [${O}, ${I}]`);
    if (acc.db.shape.join() !== String(O)) throw new RangeError(`linearBackward: acc.db has shape ${fmtShape(acc.db.shape)}, expected [${O}]`);
  }
  const dxSrc = `function (dy, w) {
    let s = 0;
    for (let o = 0; o < ${O}; o++) {
      s += dy[this.thread.y][o] * w[o][this.thread.x];
    }
    return s;
  }`;
  const dwSrc = `function (dy, x${acc ? ', acc' : ''}) {
    let s = ${acc ? 'acc[this.thread.y][this.thread.x]' : '0'};
    for (let n = 0; n < ${N}; n++) {
      s += dy[n][this.thread.y] * x[n][this.thread.x];
    }
    return s;
  }`;
  const dbSrc = `function (dy${acc ? ', acc' : ''}) {
    let s = ${acc ? 'acc[this.thread.x]' : '0'};
    for (let n = 0; n < ${N}; n++) {
      s += dy[n][this.thread.x];
    }
    return s;
  }`;
  const dx = ctx.run(dxSrc, [N, I], dy.tex, w.tex);
  const dw = ctx.run(dwSrc, [O, I], dy.tex, x.tex, ...(acc ? [acc.dw.tex] : []));
  const db = ctx.run(dbSrc, [O], dy.tex, ...(acc ? [acc.db.tex] : []));
  if (acc) {
    ctx.dispose(acc.dw);
    ctx.dispose(acc.db);
  }
  return { dx, dw, db };
}
