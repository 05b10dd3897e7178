// Overlapping max pooling (paper, section 3.4): windows of z x z with stride
// s < z; AlexNet uses z = 3, s = 2 after norm1, norm2 and conv5.
//
//   x [N, C, H, W] -> y [N, C, Ho, Wo]
//   y[n, c, i, j] = max over u, v < kernel of x[n, c, i s - pad + u, j s - pad + v]
//   floor rounding: Ho = floor((H + 2 pad - kernel) / s) + 1            (PyTorch's default)
//   ceil rounding:  Ho = ceil((H + 2 pad - kernel) / s) + 1, less one if the last
//                   window would start in the padding (Caffe's default; PyTorch ceil_mode)
// Padding never wins the max (it acts as -infinity); a window that runs past
// the input is clipped to it. At AlexNet's sizes both roundings agree.
//
// Backward: each dy goes to the input that won its window. On ties the first
// maximum in row-major window order wins (PyTorch CPU and Caffe), so the
// comparison below is a strict '>'.

import { MAXPOOL_FORWARD_WASM, maxpoolWasmFor } from './maxpool-wasm.js';
import { type ParallelFor, type RangeKernel, serial } from './parallel.js';
import { type FloatArray, type Tensor, expectInt, expectRank, expectShape, empty, fmtShape, emptyInt32Like, zeros } from './tensor.js';

/** Hyper-parameters of max pooling. */
export interface MaxPoolParams {
  readonly kernel: number;
  readonly stride: number;
  readonly pad: number;
  readonly ceil: boolean;
}

/** The paper's overlapping pooling: 3 x 3 windows, stride 2, no padding. */
export const PAPER_POOL: MaxPoolParams = { kernel: 3, stride: 2, pad: 0, ceil: false };

/** Forward result: y and, for every output, the flat index into x of the winning input. */
export interface MaxPoolOutput<A extends FloatArray = FloatArray> {
  y: Tensor<A>;
  argmax: Int32Array<ArrayBufferLike>;
}

/** Output length of pooling along one axis, with the rounding rule above. */
export function poolOutputSize(n: number, p: MaxPoolParams): number {
  const span = n + 2 * p.pad - p.kernel;
  if (!p.ceil) return Math.floor(span / p.stride) + 1;
  let out = Math.ceil(span / p.stride) + 1;
  if ((out - 1) * p.stride >= n + p.pad) out--;
  return out;
}

function checkPool(fn: string, x: Tensor, p: MaxPoolParams): [number, number] {
  expectRank(fn, 'x', x, 4, '[N, C, H, W]');
  return poolGeometry(fn, x.shape, p);
}

/** Checks pooling parameters against x's shape and returns the output size [Ho, Wo]. */
export function poolGeometry(fn: string, xShape: readonly number[], p: MaxPoolParams): [number, number] {
  if (xShape.length !== 4) throw new RangeError(`${fn}: x has shape ${fmtShape(xShape)}, expected rank 4 [N, C, H, W]`);
  expectInt(fn, 'kernel', p.kernel, 1);
  expectInt(fn, 'stride', p.stride, 1);
  expectInt(fn, 'pad', p.pad, 0, Math.floor(p.kernel / 2));
  if (typeof p.ceil !== 'boolean') throw new TypeError(`${fn}: ceil must be a boolean, got ${String(p.ceil)}`);
  const Ho = poolOutputSize(xShape[2], p), Wo = poolOutputSize(xShape[3], p);
  if (Ho < 1 || Wo < 1) {
    throw new RangeError(`${fn}: a ${p.kernel} x ${p.kernel} window with pad ${p.pad} does not fit x ${fmtShape(xShape)}`);
  }
  return [Ho, Wo];
}

/**
 * The forward pass over channel planes from..to - 1 (a plane: one image's
 * channel); arrays [x, y, argmax], nums [H, W, Ho, Wo, kernel, stride, pad].
 */
export const MAXPOOL_FORWARD: RangeKernel = {
  name: 'maxpool.forward',
  run([x, y, argmax], [H, W, Ho, Wo, kernel, stride, pad], from, to) {
    for (let nc = from; nc < to; nc++) {
      const plane = nc * H * W;
      for (let i = 0; i < Ho; i++)
        for (let j = 0; j < Wo; j++) {
          const y0 = Math.max(0, i * stride - pad), y1 = Math.min(H, i * stride - pad + kernel);
          const x0 = Math.max(0, j * stride - pad), x1 = Math.min(W, j * stride - pad + kernel);
          let best = -Infinity, at = -1;
          for (let yy = y0; yy < y1; yy++)
            for (let xx = x0; xx < x1; xx++) {
              const v = x[plane + yy * W + xx];
              if (v > best || at < 0) { best = v; at = plane + yy * W + xx; }
            }
          const o = (nc * Ho + i) * Wo + j;
          y[o] = best;
          argmax[o] = at;
        }
    }
  },
};

/** y = max over each window; also returns where each max came from (par: the threads that share the planes). */
export function maxpoolForward<A extends FloatArray>(x: Tensor<A>, p: MaxPoolParams, par: ParallelFor = serial): MaxPoolOutput<A> {
  const [Ho, Wo] = checkPool('maxpoolForward', x, p);
  const [N, C, H, W] = x.shape;
  const y = empty(x.data, [N, C, Ho, Wo]); // every output written (an empty window's as -Infinity): no zero-fill (tensor.ts, empty)
  const argmax = emptyInt32Like(x.data, N * C * Ho * Wo); // every winner written too
  par(maxpoolWasmFor(x.data) ? MAXPOOL_FORWARD_WASM : MAXPOOL_FORWARD, N * C, [x.data, y.data, argmax], [H, W, Ho, Wo, p.kernel, p.stride, p.pad], H * W + 2 * Ho * Wo);
  return { y, argmax };
}

/**
 * The backward pass over output planes from..to - 1 (each plane's winners lie
 * in the same plane of x, so ranges of planes write apart); arrays [dy,
 * argmax, dx], nums [Ho Wo].
 */
export const MAXPOOL_BACKWARD: RangeKernel = {
  name: 'maxpool.backward',
  run([dy, argmax, dx], [plane], from, to) {
    for (let o = from * plane; o < to * plane; o++) dx[argmax[o]] += dy[o];
  },
};

/** dx: every dy[o] is added to x at argmax[o]; xShape is the forward input's shape. */
export function maxpoolBackward<A extends FloatArray>(dy: Tensor<A>, out: MaxPoolOutput<A>, xShape: readonly number[], par: ParallelFor = serial): Tensor<A> {
  expectShape('maxpoolBackward', 'dy', dy, out.y.shape);
  if (xShape.length !== 4) throw new RangeError(`maxpoolBackward: xShape ${fmtShape(xShape)} must be [N, C, H, W]`);
  const dx = zeros(dy.data, xShape);
  const [N, C, Ho, Wo] = out.y.shape;
  par(MAXPOOL_BACKWARD, N * C, [dy.data, out.argmax, dx.data], [Ho * Wo], 3 * Ho * Wo);
  return dx;
}
