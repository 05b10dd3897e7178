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
// With groups = g, the channels form g equal blocks and windows are clipped
// at block edges too: the paper's two GPUs each normalised only their own
// kernel maps (cuda-convnet's 2-GPU ImageNet model has an LRN layer per GPU,
// over its 48 channels). One partition reproduces the two-partition net with
// groups = 2; groups = 1 (default) is the single-GPU net of Caffe and PyTorch.
//
// Backward: with S[c] = sum_{j in win(c)} x[j]^2,
//   dL/dx[j] = dy[j] D[j]^-beta - 2 a beta x[j] sum_{c : j in win(c)} dy[c] y[c] / D[c]
// and j is in win(c) exactly when c lies in [j - (n - 1 - floor(n/2)), j + floor(n/2)].

import { LRN_BACKWARD_WASM, LRN_FORWARD_WASM, lrnWasmFor } from './lrn-wasm.js';
import { LRN_BACKWARD_F32, LRN_FORWARD_F32, lrn32For } from './lrn32-wasm.js';
import { type ParallelFor, type RangeKernel, serial } from './parallel.js';
import {
  type FloatArray, type Tensor, empty, expectInt, expectNumber, expectRank, expectShape,
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
  /** Channel blocks normalised separately (default 1); see the header. */
  readonly groups?: number;
}

/** The paper's LRN: k = 2, n = 5, alpha = 1e-4, beta = 0.75, alpha as written (section 3.3). */
export const PAPER_LRN: LrnParams = { size: 5, alpha: 1e-4, beta: 0.75, k: 2, convention: 'paper' };

/** Forward result and what backward needs: D, the denominator before the power. */
export interface LrnOutput<A extends FloatArray = FloatArray> {
  y: Tensor<A>;
  denom: Tensor<A>;
}

/** Checks LRN's parameters and returns the coefficient a of the sum of squares (alpha or alpha / n). */
export function lrnCoefficient(fn: string, p: LrnParams, channels?: number): number {
  expectInt(fn, 'size', p.size, 1);
  expectInt(fn, 'groups', p.groups ?? 1, 1);
  if (channels !== undefined && channels % (p.groups ?? 1) !== 0) {
    throw new RangeError(`${fn}: groups = ${p.groups} must divide the ${channels} channels of x`);
  }
  expectNumber(fn, 'alpha', p.alpha, 0);
  expectNumber(fn, 'beta', p.beta, 0);
  expectNumber(fn, 'k', p.k, Number.MIN_VALUE);
  if (p.convention !== 'paper' && p.convention !== 'alpha/n') {
    throw new RangeError(`${fn}: convention must be 'paper' or 'alpha/n', got ${String(p.convention)}`);
  }
  return p.convention === 'paper' ? p.alpha : p.alpha / p.size;
}

/**
 * D^-beta. The paper's beta = 0.75 is computed as 1 / sqrt(D sqrt(D)): two
 * correctly rounded square roots, a few times faster than Math.pow and as
 * accurate (within 2 ulp in double precision).
 */
function powNegBeta(D: number, beta: number): number {
  return beta === 0.75 ? 1 / Math.sqrt(D * Math.sqrt(D)) : Math.pow(D, -beta);
}

// Both passes slide the channel window instead of re-summing it: moving from
// channel c to c + 1 adds the channel entering the window and subtracts the
// one leaving it, for all H x W pixels at once. This is the same sum as the
// formula at the top (kept in float64, so the subtractions cost no precision
// that matters at float32), in 2 reads per element instead of n.

/**
 * The forward pass over blocks from..to - 1 (a block: one image's channels of
 * one group, C planes of HW pixels); arrays [x, y, denom], nums [C, HW, lo,
 * hi, k, a, beta].
 */
export const LRN_FORWARD: RangeKernel = {
  name: 'lrn.forward',
  run([X, Y, Dn], [C, HW, lo, hi, k, a, beta], from, to) {
    const S = new Float64Array(HW);
    for (let blk = from; blk < to; blk++) {
      const img = blk * C * HW;
      // S = sum of x^2 over win(0) = [0, hi].
      S.fill(0);
      for (let j = 0; j <= Math.min(hi, C - 1); j++) for (let q = 0; q < HW; q++) S[q] += X[img + j * HW + q] ** 2;
      for (let c = 0; c < C; c++) {
        const at = img + c * HW;
        for (let q = 0; q < HW; q++) {
          const D = k + a * S[q];
          Dn[at + q] = D;
          Y[at + q] = X[at + q] * powNegBeta(D, beta);
        }
        // Slide the window from win(c) to win(c + 1).
        const enter = c + 1 + hi, leave = c - lo;
        if (enter < C) for (let q = 0; q < HW; q++) S[q] += X[img + enter * HW + q] ** 2;
        if (leave >= 0) for (let q = 0; q < HW; q++) S[q] -= X[img + leave * HW + q] ** 2;
      }
    }
  },
};

/**
 * The arithmetic of LRN's fast forms: 'float64' (the default) gives the bits
 * of LRN_FORWARD and LRN_BACKWARD above; 'float32' (the backends that sum in
 * float32, as PyTorch does) runs lrn32-wasm.ts's four-lane float32 kernels
 * where they apply (float32 tensors, beta = 0.75), within float32 rounding.
 */
export type LrnArithmetic = 'float64' | 'float32';

/**
 * Which of a pass's three forms runs on these arrays (all float32 for either
 * fast form): float32 arithmetic where asked for and possible, else the
 * float64 WebAssembly form, else the JavaScript definition.
 */
function pick(arrays: readonly FloatArray[], beta: number, arithmetic: LrnArithmetic, [f32, wasm, js]: readonly RangeKernel[]): RangeKernel {
  const x = arrays[0], float32 = arrays.every((a) => a instanceof Float32Array);
  if (float32 && arithmetic === 'float32' && lrn32For(x, beta)) return f32;
  return float32 && lrnWasmFor(x, beta) ? wasm : js;
}

/** y = x / (k + a sum_{win} x^2)^beta across channels (par: the threads that share the blocks, one by default; arithmetic: see LrnArithmetic). */
export function lrnForward<A extends FloatArray>(x: Tensor<A>, p: LrnParams, par: ParallelFor = serial, arithmetic: LrnArithmetic = 'float64'): LrnOutput<A> {
  expectRank('lrnForward', 'x', x, 4, '[N, C, H, W]');
  const a = lrnCoefficient('lrnForward', p, x.shape[1]);
  const [N, Call, H, W] = x.shape;
  const G = p.groups ?? 1, C = Call / G;
  const HW = H * W, lo = Math.floor(p.size / 2), hi = p.size - 1 - lo;
  // Every element written by the kernels (every block, every pixel): no zero-fill (tensor.ts, empty).
  const y = empty(x.data, x.shape);
  const denom = empty(x.data, x.shape);
  // Each block of C channels (one per group, per image) is normalised on its own.
  par(pick([x.data], p.beta, arithmetic, [LRN_FORWARD_F32, LRN_FORWARD_WASM, LRN_FORWARD]), N * G, [x.data, y.data, denom.data], [C, HW, lo, hi, p.k, a, p.beta], 3 * C * HW);
  return { y, denom };
}

/**
 * The backward pass over blocks from..to - 1 (as LRN_FORWARD's); arrays
 * [dy, x, y, denom, dx], nums [C, HW, lo, hi, a, beta].
 */
export const LRN_BACKWARD: RangeKernel = {
  name: 'lrn.backward',
  run([DY, X, Y, Dn, DX], [C, HW, lo, hi, a, beta], from, to) {
    // T[c] = dy[c] y[c] / D[c]; dx[j] needs the sum of T over the output channels c whose
    // window holds j, which is c in [j - hi, j + lo]: a window sliding the other way.
    const T = new Float64Array(C * HW), S = new Float64Array(HW);
    for (let blk = from; blk < to; blk++) {
      const img = blk * C * HW;
      for (let i = 0; i < C * HW; i++) T[i] = (DY[img + i] * Y[img + i]) / Dn[img + i];
      S.fill(0);
      for (let c = 0; c <= Math.min(lo, C - 1); c++) for (let q = 0; q < HW; q++) S[q] += T[c * HW + q];
      for (let j = 0; j < C; j++) {
        const at = img + j * HW;
        for (let q = 0; q < HW; q++) {
          DX[at + q] = DY[at + q] * powNegBeta(Dn[at + q], beta) - 2 * a * beta * X[at + q] * S[q];
        }
        const enter = j + 1 + lo, leave = j - hi;
        if (enter < C) for (let q = 0; q < HW; q++) S[q] += T[enter * HW + q];
        if (leave >= 0) for (let q = 0; q < HW; q++) S[q] -= T[leave * HW + q];
      }
    }
  },
};

/** dL/dx of LRN from dy and the forward's x, y and denominator D (par: the threads that share the blocks; arithmetic: see LrnArithmetic). */
export function lrnBackward<A extends FloatArray>(dy: Tensor<A>, x: Tensor<A>, out: LrnOutput<A>, p: LrnParams, par: ParallelFor = serial, arithmetic: LrnArithmetic = 'float64'): Tensor<A> {
  expectRank('lrnBackward', 'x', x, 4, '[N, C, H, W]');
  expectShape('lrnBackward', 'dy', dy, x.shape);
  expectShape('lrnBackward', 'y', out.y, x.shape);
  expectShape('lrnBackward', 'denom', out.denom, x.shape);
  const a = lrnCoefficient('lrnBackward', p, x.shape[1]);
  const [N, Call, H, W] = x.shape;
  const G = p.groups ?? 1, C = Call / G;
  const HW = H * W, lo = Math.floor(p.size / 2), hi = p.size - 1 - lo;
  const dx = empty(x.data, x.shape);
  const kernel = pick([x.data, dy.data, out.y.data, out.denom.data], p.beta, arithmetic, [LRN_BACKWARD_F32, LRN_BACKWARD_WASM, LRN_BACKWARD]);
  par(kernel, N * G, [dy.data, x.data, out.y.data, out.denom.data, dx.data], [C, HW, lo, hi, a, p.beta], 6 * C * HW);
  return dx;
}
