// ReLU on the GPU, the twin of src/cpu/relu.ts: y = max(0, x); dx = dy where x > 0, else 0.

import { fmtShape } from '../cpu/tensor.js';
import { type GpuTensor, sameContext, texDims, threadIndex } from './context.js';

/** y = max(0, x), elementwise. */
export function reluForward(x: GpuTensor): GpuTensor {
  const at = threadIndex(texDims(x.shape).length);
  return x.ctx.run(`function (x) { const v = x${at}; return v > 0 ? v : 0; }`, x.shape, x.tex);
}

/** dx = dy * [x > 0], elementwise; x is the forward input. */
export function reluBackward(dy: GpuTensor, x: GpuTensor): GpuTensor {
  const ctx = sameContext('reluBackward', dy, x);
  if (dy.shape.join() !== x.shape.join()) {
    throw new RangeError(`reluBackward: dy has shape ${fmtShape(dy.shape)}, expected the shape of x ${fmtShape(x.shape)}`);
  }
  const at = threadIndex(texDims(x.shape).length);
  return ctx.run(`function (dy, x) { return x${at} > 0 ? dy${at} : 0; }`, x.shape, dy.tex, x.tex);
}
