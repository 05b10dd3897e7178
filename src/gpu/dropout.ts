// Dropout on the GPU, the twin of src/cpu/dropout.ts: y = x * mask * scale in
// training, x * scale at test time. The mask is drawn on the host from the
// seeded generator (so CPU and GPU runs see the same masks) and uploaded.

import { type DropoutParams, dropoutScale } from '../cpu/dropout.js';
import { fmtShape, sizeOf } from '../cpu/tensor.js';
import { type GpuTensor, hostArray, texDims, threadIndex } from './context.js';

/** y = x * mask * scale in training, x * scale at test time (mask ignored, may be null). */
export function dropoutForward(x: GpuTensor, mask: Uint8Array | null, p: DropoutParams): GpuTensor {
  const s = dropoutScale(p);
  const n = sizeOf(x.shape);
  const at = threadIndex(texDims(x.shape).length);
  if (!p.train) return x.ctx.run(`function (x) { return x${at} * ${s}; }`, x.shape, x.tex);
  if (mask == null || mask.length !== n) {
    throw new RangeError(`dropoutForward: training needs a mask of ${n} entries for x ${fmtShape(x.shape)}, got ${mask == null ? 'none' : mask.length}`);
  }
  // The mask travels as a kernel argument (uploaded with the call), never kept.
  return x.ctx.run(`function (x, m) { return x${at} * m${at} * ${s}; }`, x.shape, x.tex, hostArray(Float32Array.from(mask), x.shape));
}

/** dx = dy * mask * scale (the same linear map as the forward pass). */
export function dropoutBackward(dy: GpuTensor, mask: Uint8Array | null, p: DropoutParams): GpuTensor {
  return dropoutForward(dy, mask, p);
}
