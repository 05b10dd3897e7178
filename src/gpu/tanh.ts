// tanh on the GPU, the twin of src/cpu/tanh.ts: y = tanh(x); dx = dy * (1 - tanh(x)^2).
// GLSL ES 1.0 has no tanh: it is computed as 1 - 2 / (exp(2x) + 1), which
// saturates cleanly to +-1 (exp overflowing to infinity gives exactly 1).

import { fmtShape } from '../cpu/tensor.js';
import { type GpuTensor, sameContext, texDims, threadIndex } from './context.js';

const tanh = (v: string) => `(1 - 2 / (Math.exp(2 * ${v}) + 1))`;

/** y = tanh(x), elementwise. */
export function tanhForward(x: GpuTensor): GpuTensor {
  const at = threadIndex(texDims(x.shape).length);
  return x.ctx.run(`function (x) { const v = x${at}; return ${tanh('v')}; }`, x.shape, x.tex);
}

/** dx = dy * (1 - tanh(x)^2), elementwise; x is the forward input. */
export function tanhBackward(dy: GpuTensor, x: GpuTensor): GpuTensor {
  const ctx = sameContext('tanhBackward', dy, x);
  if (dy.shape.join() !== x.shape.join()) {
    throw new RangeError(`tanhBackward: dy has shape ${fmtShape(dy.shape)}, expected the shape of x ${fmtShape(x.shape)}`);
  }
  const at = threadIndex(texDims(x.shape).length);
  return ctx.run(`function (dy, x) { const v = x${at}; const t = ${tanh('v')}; return dy${at} * (1 - t * t); }`, x.shape, dy.tex, x.tex);
}
