// Local response normalisation across channels (paper, section 3.3).
//
//   x [N, C, H, W] -> y [N, C, H, W]
//   y[c] = x[c] / D[c]^beta,   D[c] = k + a * sum_{j in win(c)} x[j]^2   (at each n, h, w)
//   win(c) = [c - floor(n/2), c - floor(n/2) + n - 1] clipped to [0, C - 1]
//
// Two conventions for a (the "alpha/n trap", see ../shared/alexnet-paper.md):
//   'paper':  a = alpha       (the paper, TensorFlow, TensorFlow.js)
//   'alpha/n': a = alpha / n  (Caffe, cuda-convnet, torch.nn.LocalResponseNorm, ONNX)
// The paper's values: k = 2, n = 5, alpha = 1e-4, beta = 0.75. For odd n the
// window is the paper's c - n/2 .. c + n/2; for even n it follows PyTorch.
//
// Backward: with S[c] = sum_{j in win(c)} x[j]^2,
//   dL/dx[j] = dy[j] D[j]^-beta - 2 a beta x[j] sum_{c : j in win(c)} dy[c] y[c] / D[c]
// and j is in win(c) exactly when c lies in [j - (n - 1 - floor(n/2)), j + floor(n/2)].

import {
  type FloatArray, type Tensor, expectInt, expectNumber, expectRank, expectShape, zeros,
} from './tensor.js';

/** Which scaling of alpha the sum of squares gets: the paper's, or Caffe's and PyTorch's alpha / n. */
export type LrnConvention = 'paper' | 'alpha/n';

/** Hyper-parameters of local response normalisation. */
export interface LrnParams {
  readonly size: number;
  readonly alpha: number;
  readonly beta: number;
  readonly k: number;
  readonly convention: LrnConvention;
}

/** The paper's LRN: k = 2, n = 5, alpha = 1e-4, beta = 0.75, alpha as written (section 3.3). */
export const PAPER_LRN: LrnParams = { size: 5, alpha: 1e-4, beta: 0.75, k: 2, convention: 'paper' };

/** Forward result and what backward needs: D, the denominator before the power. */
export interface LrnOutput<A extends FloatArray = FloatArray> {
  y: Tensor<A>;
  denom: Tensor<A>;
}

function checkLrnParams(fn: string, p: LrnParams): number {
  expectInt(fn, 'size', p.size, 1);
  expectNumber(fn, 'alpha', p.alpha, 0);
  expectNumber(fn, 'beta', p.beta, 0);
  expectNumber(fn, 'k', p.k, Number.MIN_VALUE);
  if (p.convention !== 'paper' && p.convention !== 'alpha/n') {
    throw new RangeError(`${fn}: convention must be 'paper' or 'alpha/n', got ${String(p.convention)}`);
  }
  return p.convention === 'paper' ? p.alpha : p.alpha / p.size;
}

/** y = x / (k + a sum_{win} x^2)^beta across channels. */
export function lrnForward<A extends FloatArray>(x: Tensor<A>, p: LrnParams): LrnOutput<A> {
  expectRank('lrnForward', 'x', x, 4, '[N, C, H, W]');
  const a = checkLrnParams('lrnForward', p);
  const [N, C, H, W] = x.shape;
  const HW = H * W, lo = Math.floor(p.size / 2), hi = p.size - 1 - lo;
  const y = zeros(x.data, x.shape);
  const denom = zeros(x.data, x.shape);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) {
      const j0 = Math.max(0, c - lo), j1 = Math.min(C - 1, c + hi);
      const out = (n * C + c) * HW;
      for (let q = 0; q < HW; q++) {
        let s = 0;
        for (let j = j0; j <= j1; j++) {
          const v = x.data[(n * C + j) * HW + q];
          s += v * v;
        }
        const D = p.k + a * s;
        denom.data[out + q] = D;
        y.data[out + q] = x.data[out + q] * Math.pow(D, -p.beta);
      }
    }
  return { y, denom };
}

/** dL/dx of LRN from dy and the forward's x, y and denominator D. */
export function lrnBackward<A extends FloatArray>(dy: Tensor<A>, x: Tensor<A>, out: LrnOutput<A>, p: LrnParams): Tensor<A> {
  expectRank('lrnBackward', 'x', x, 4, '[N, C, H, W]');
  expectShape('lrnBackward', 'dy', dy, x.shape);
  expectShape('lrnBackward', 'y', out.y, x.shape);
  expectShape('lrnBackward', 'denom', out.denom, x.shape);
  const a = checkLrnParams('lrnBackward', p);
  const [N, C, H, W] = x.shape;
  const HW = H * W, lo = Math.floor(p.size / 2), hi = p.size - 1 - lo;
  const { y, denom } = out;
  const dx = zeros(x.data, x.shape);
  for (let n = 0; n < N; n++)
    for (let j = 0; j < C; j++) {
      // Output channels c whose window contains input channel j.
      const c0 = Math.max(0, j - hi), c1 = Math.min(C - 1, j + lo);
      const at = (n * C + j) * HW;
      for (let q = 0; q < HW; q++) {
        let s = 0;
        for (let c = c0; c <= c1; c++) {
          const i = (n * C + c) * HW + q;
          s += (dy.data[i] * y.data[i]) / denom.data[i];
        }
        dx.data[at + q] = dy.data[at + q] * Math.pow(denom.data[at + q], -p.beta) - 2 * a * p.beta * x.data[at + q] * s;
      }
    }
  return dx;
}
