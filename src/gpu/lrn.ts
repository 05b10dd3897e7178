// Local response normalisation across channels on the GPU, the twin of src/cpu/lrn.ts:
//
//   y[c] = x[c] / D[c]^beta,   D[c] = k + a * sum_{j in win(c)} x[j]^2,   win(c) = [c - floor(n/2), c - floor(n/2) + n - 1]
//   dx[j] = dy[j] D[j]^-beta - 2 a beta x[j] sum_{c in [j - (n - 1 - floor(n/2)), j + floor(n/2)]} dy[c] y[c] / D[c]
//
// with a = alpha (paper) or alpha / n (Caffe, PyTorch). One thread per
// element; each sums its window directly (n <= 7 terms, no sliding window
// needed). Backward first writes dy y / D per element, then sums it.

import { type LrnParams, lrnCoefficient } from '../cpu/lrn.js';
import { fmtShape } from '../cpu/tensor.js';
import { type GpuTensor, idiv, sameContext } from './context.js';

/** Forward result: y and the denominators D, kept for backward. */
export interface LrnOutput {
  y: GpuTensor;
  denom: GpuTensor;
}

function geometry(fn: string, x: GpuTensor, p: LrnParams) {
  if (x.shape.length !== 4) throw new RangeError(`${fn}: x has shape ${fmtShape(x.shape)}, expected rank 4 [N, C, H, W]`);
  const a = lrnCoefficient(fn, p, x.shape[1]);
  const lo = Math.floor(p.size / 2);
  // Windows are clipped to the channel block (group) of their centre: [j0, j1).
  return { a, C: x.shape[1], Cg: x.shape[1] / (p.groups ?? 1), lo, hi: p.size - 1 - lo };
}

/** x^-beta in kernel source; GLSL's pow needs a positive base, which D always is (k > 0). */
const powNeg = (v: string, beta: number) => `Math.pow(${v}, ${-beta})`;

/** y = x / (k + a sum_{win} x^2)^beta across channels. */
export function lrnForward(x: GpuTensor, p: LrnParams): LrnOutput {
  const { a, C, Cg, lo, hi } = geometry('lrnForward', x, p);
  const denomSrc = `function (x) {
    const n = ${idiv('this.thread.z', C)};
    const c = this.thread.z - n * ${C};
    const j0 = ${idiv('c', Cg)} * ${Cg};
    let s = 0;
    for (let d = ${-lo}; d <= ${hi}; d++) {
      const j = c + d;
      if (j >= j0 && j < j0 + ${Cg}) {
        const v = x[n * ${C} + j][this.thread.y][this.thread.x];
        s += v * v;
      }
    }
    return ${p.k} + ${a} * s;
  }`;
  const denom = x.ctx.run(denomSrc, x.shape, x.tex);
  const ySrc = `function (x, D) {
    return x[this.thread.z][this.thread.y][this.thread.x] * ${powNeg('D[this.thread.z][this.thread.y][this.thread.x]', p.beta)};
  }`;
  return { y: x.ctx.run(ySrc, x.shape, x.tex, denom.tex), denom };
}

/** dL/dx of LRN from dy and the forward's x, y and D. */
export function lrnBackward(dy: GpuTensor, x: GpuTensor, out: LrnOutput, p: LrnParams): GpuTensor {
  const ctx = sameContext('lrnBackward', dy, x, out.y, out.denom);
  const { a, C, Cg, lo, hi } = geometry('lrnBackward', x, p);
  for (const [name, t] of [['dy', dy], ['y', out.y], ['denom', out.denom]] as const) {
    if (t.shape.join() !== x.shape.join()) throw new RangeError(`lrnBackward: ${name} has shape ${fmtShape(t.shape)}, expected ${fmtShape(x.shape)}`);
  }
  // T[c] = dy[c] y[c] / D[c] once per element, then each thread sums T over its window: 3 + n reads a thread
  // instead of 3 n (n = 5: 8 against 15 and llvmpipe pays per read), with the same float32 values in the same order.
  const T = ctx.run(`function (dy, y, D) {
    return dy[this.thread.z][this.thread.y][this.thread.x] * y[this.thread.z][this.thread.y][this.thread.x] / D[this.thread.z][this.thread.y][this.thread.x];
  }`, x.shape, dy.tex, out.y.tex, out.denom.tex);
  const src = `function (dy, x, T, D) {
    const n = ${idiv('this.thread.z', C)};
    const j = this.thread.z - n * ${C};
    const c0 = ${idiv('j', Cg)} * ${Cg};
    let s = 0;
    for (let d = ${-hi}; d <= ${lo}; d++) {
      const c = j + d;
      if (c >= c0 && c < c0 + ${Cg}) {
        s += T[n * ${C} + c][this.thread.y][this.thread.x];
      }
    }
    const at = this.thread.z;
    return dy[at][this.thread.y][this.thread.x] * ${powNeg('D[at][this.thread.y][this.thread.x]', p.beta)}
      - ${2 * a * p.beta} * x[at][this.thread.y][this.thread.x] * s;
  }`;
  const dx = ctx.run(src, x.shape, dy.tex, x.tex, T.tex, out.denom.tex);
  ctx.dispose(T);
  return dx;
}
