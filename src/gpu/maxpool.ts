// Overlapping max pooling on the GPU, the twin of src/cpu/maxpool.ts:
//
//   y[n, c, i, j] = max over u, v < kernel of x[n, c, i s - pad + u, j s - pad + v]   (window clipped to the input)
//
// The forward pass also records which window position won (u * kernel + v,
// the first maximum in row-major order on ties, as on the CPU). Backward runs
// one thread per input element, gathering dy from every window whose winner it is.

import { type MaxPoolParams, poolGeometry } from '../cpu/maxpool.js';
import { fmtShape } from '../cpu/tensor.js';
import { type GpuTensor, sameContext } from './context.js';

/** Forward result: y, per output the winning position u * kernel + v within its window, and the pooling parameters. */
export interface MaxPoolOutput {
  y: GpuTensor;
  argmax: GpuTensor;
  params: MaxPoolParams;
}

/** y = max over each window; also returns where each max came from. */
export function maxpoolForward(x: GpuTensor, p: MaxPoolParams): MaxPoolOutput {
  const [Ho, Wo] = poolGeometry('maxpoolForward', x.shape, p);
  const [N, C, H, W] = x.shape;
  const k = p.kernel;
  // Returns the max (which = 0) or the winning position (which = 1): one source, two kernels.
  const src = (which: number) => `function (x) {
    const y0 = this.thread.y * ${p.stride} - ${p.pad};
    const x0 = this.thread.x * ${p.stride} - ${p.pad};
    let best = 0;
    let at = -1;
    for (let u = 0; u < ${k}; u++) {
      const yy = y0 + u;
      if (yy >= 0 && yy < ${H}) {
        for (let v = 0; v < ${k}; v++) {
          const xx = x0 + v;
          if (xx >= 0 && xx < ${W}) {
            const val = x[this.thread.z][yy][xx];
            if (at < 0 || val > best) {
              best = val;
              at = u * ${k} + v;
            }
          }
        }
      }
    }
    return ${which === 0 ? 'best' : 'at'};
  }`;
  return { y: x.ctx.run(src(0), [N, C, Ho, Wo], x.tex), argmax: x.ctx.run(src(1), [N, C, Ho, Wo], x.tex), params: p };
}

/** dx: every dy[o] is added to the input at its window's winning position; xShape is the forward input's shape. */
export function maxpoolBackward(dy: GpuTensor, out: MaxPoolOutput, xShape: readonly number[]): GpuTensor {
  const p = out.params;
  const ctx = sameContext('maxpoolBackward', dy, out.argmax);
  if (dy.shape.join() !== out.y.shape.join()) {
    throw new RangeError(`maxpoolBackward: dy has shape ${fmtShape(dy.shape)}, expected ${fmtShape(out.y.shape)}`);
  }
  const [Ho, Wo] = poolGeometry('maxpoolBackward', xShape, p);
  const k = p.kernel, s = p.stride;
  // Input row yy lies in window row i at offset u = yy + pad - i s, for 0 <= u < kernel: u runs over
  // u0, u0 + s, ... with u0 = (yy + pad) mod s, the only offsets that divide evenly (ceil(k / s) of them, 2 for
  // the paper's 3 x 3 stride 2 instead of 3 tested ones; llvmpipe pays for a masked iteration's texture reads),
  // upwards as before, so the same terms are added in the same order.
  const q = Math.ceil(k / s);
  const src = `function (dy, arg) {
    let sum = 0;
    const u0 = this.thread.y + ${p.pad} - Math.floor((this.thread.y + ${p.pad} + 0.5) / ${s}) * ${s};
    const v0 = this.thread.x + ${p.pad} - Math.floor((this.thread.x + ${p.pad} + 0.5) / ${s}) * ${s};
    for (let uu = 0; uu < ${q}; uu++) {
      const u = u0 + uu * ${s};
      const iy = this.thread.y + ${p.pad} - u;
      const i = Math.floor((iy + 0.5) / ${s});
      if (u < ${k} && iy >= 0 && i < ${Ho}) {
        for (let vv = 0; vv < ${q}; vv++) {
          const v = v0 + vv * ${s};
          const jx = this.thread.x + ${p.pad} - v;
          const j = Math.floor((jx + 0.5) / ${s});
          if (v < ${k} && jx >= 0 && j < ${Wo}) {
            if (Math.abs(arg[this.thread.z][i][j] - (u * ${k} + v)) < 0.5) {
              sum += dy[this.thread.z][i][j];
            }
          }
        }
      }
    }
    return sum;
  }`;
  return ctx.run(src, xShape, dy.tex, out.argmax.tex);
}
