// 2-D convolution with stride, zero padding and groups (paper, section 3.5 and Figure 2).
//
//   x [N, C, H, W]   w [Cout, C / groups, kH, kW]   b [Cout]   ->   y [N, Cout, Ho, Wo]
//   Ho = floor((H + 2 pad - kH) / stride) + 1,   Wo likewise
//
//   y[n, o, i, j] = b[o] + sum_{c, u, v} w[o, c, u, v] * x[n, g * Cg + c, i * stride - pad + u, j * stride - pad + v]
//
// where g = floor(o / (Cout / groups)) is the group of output channel o and
// Cg = C / groups: each group of output channels sees only its own slice of
// input channels. AlexNet uses groups = 2 on conv2, conv4 and conv5: that is
// how the paper's two GPUs kept half the kernels each and talked only at
// conv3 and the fully connected layers. Positions outside the image read 0.
//
// conv2dDirect below is that formula as seven loops: the definition. The
// forward and backward passes used everywhere else go through im2col (im2col.ts: gather
// every receptive field into a column of a matrix) and a blocked matrix
// product, which computes the same sums about an order of magnitude faster in
// JavaScript; spec/cpu/conv2d.spec.ts checks that the two agree.

import { type MatrixProducts, REFERENCE_PRODUCTS } from './gemm.js';
import type { GradAccumulator } from './linear.js';
import { type ParallelFor, type RangeKernel, serial } from './parallel.js';
import { col2imFor, geometryNums, im2colFor } from './im2col.js';
import {
  type FloatArray, type Tensor, expectInt, expectRank, expectShape, fmtShape, scratchLike, zeros,
} from './tensor.js';

/** Hyper-parameters of a convolution; the kernel size comes from the weight's shape. */
export interface Conv2dParams {
  readonly stride: number;
  readonly pad: number;
  readonly groups: number;
}

/** Gradients of L with respect to the convolution's input, weights and bias. */
export interface Conv2dGrads<A extends FloatArray = FloatArray> {
  dx: Tensor<A>;
  dw: Tensor<A>;
  db: Tensor<A>;
}

/** Output length of a convolution along one axis: floor((n + 2 pad - k) / stride) + 1. */
export function convOutputSize(n: number, k: number, stride: number, pad: number): number {
  return Math.floor((n + 2 * pad - k) / stride) + 1;
}

/** Checks the shapes and parameters of a convolution and returns its dimensions. */
function conv2dDims(fn: string, x: Tensor, w: Tensor, p: Conv2dParams) {
  expectRank(fn, 'x', x, 4, '[N, C, H, W]');
  expectRank(fn, 'w', w, 4, '[Cout, C / groups, kH, kW]');
  return conv2dGeometry(fn, x.shape, w.shape, p);
}

/** The dimensions of a convolution from the shapes of x [N, C, H, W] and w; throws naming what does not fit. */
export function conv2dGeometry(fn: string, xShape: readonly number[], wShape: readonly number[], p: Conv2dParams) {
  if (xShape.length !== 4) throw new RangeError(`${fn}: x has shape ${fmtShape(xShape)}, expected rank 4 [N, C, H, W]`);
  if (wShape.length !== 4) throw new RangeError(`${fn}: w has shape ${fmtShape(wShape)}, expected rank 4 [Cout, C / groups, kH, kW]`);
  expectInt(fn, 'stride', p.stride, 1);
  expectInt(fn, 'pad', p.pad, 0);
  expectInt(fn, 'groups', p.groups, 1);
  const [N, C, H, W] = xShape;
  const [Cout, Cg, kH, kW] = wShape;
  const G = p.groups;
  if (C % G !== 0 || Cout % G !== 0) {
    throw new RangeError(`${fn}: groups = ${G} must divide both the input channels of x ${fmtShape(xShape)} and the output channels of w ${fmtShape(wShape)}`);
  }
  if (Cg !== C / G) {
    throw new RangeError(`${fn}: w has shape ${fmtShape(wShape)}, expected [Cout, ${C / G}, kH, kW] for x ${fmtShape(xShape)} with groups = ${G}`);
  }
  const Ho = convOutputSize(H, kH, p.stride, p.pad);
  const Wo = convOutputSize(W, kW, p.stride, p.pad);
  if (Ho < 1 || Wo < 1 || kH < 1 || kW < 1) {
    throw new RangeError(`${fn}: kernel ${kH} x ${kW} with pad ${p.pad} does not fit x ${fmtShape(xShape)} (output would be ${Ho} x ${Wo})`);
  }
  return { N, C, H, W, Cout, Cg, kH, kW, G, Ho, Wo, Coutg: Cout / G };
}

/** The definition of convolution as plain loops; slow, used as the specification in tests. */
export function conv2dDirect<A extends FloatArray>(x: Tensor<A>, w: Tensor, b: Tensor, p: Conv2dParams): Tensor<A> {
  const { N, C, H, W, Cout, Cg, kH, kW, Ho, Wo, Coutg } = conv2dDims('conv2dDirect', x, w, p);
  expectShape('conv2dDirect', 'b', b, [Cout]);
  const y = zeros(x.data, [N, Cout, Ho, Wo]);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < Cout; o++) {
      const g = Math.floor(o / Coutg);
      for (let i = 0; i < Ho; i++)
        for (let j = 0; j < Wo; j++) {
          let s = b.data[o];
          for (let c = 0; c < Cg; c++)
            for (let u = 0; u < kH; u++)
              for (let v = 0; v < kW; v++) {
                const yy = i * p.stride - p.pad + u, xx = j * p.stride - p.pad + v;
                if (yy < 0 || yy >= H || xx < 0 || xx >= W) continue;
                s += w.data[((o * Cg + c) * kH + u) * kW + v] * x.data[((n * C + g * Cg + c) * H + yy) * W + xx];
              }
          y.data[((n * Cout + o) * Ho + i) * Wo + j] = s;
        }
    }
  return y;
}

/** Most values a chunk's column matrix holds (4 MiB in float32): small images go through the products many at a time. */
const COL_LIMIT = 1 << 20;

/**
 * How many images of a convolution share one column matrix: as many as fit in
 * COL_LIMIT, at least one, and an even number where that makes the matrices'
 * rows (images x P values) even in length. The threaded backend's tensors are
 * SharedArrayBuffers, whose copies into the product kernel's memory (set())
 * V8 makes word by word where source and destination are equally aligned to
 * 8 bytes, and byte by byte where not: rows of odd length put every other row
 * out of step (measured: the small net's conv2 dW, M 16, N 200, K 5,239, 1.46
 * ms on shared arrays, 0.94 at K 5,238; 0.83 on unshared ones).
 */
export function chunkOf(N: number, K: number, P: number): number {
  const nb = Math.max(1, Math.min(N, Math.floor(COL_LIMIT / (K * P))));
  return nb > 1 && nb < N && (nb * P) % 2 === 1 ? nb - 1 : nb;
}

/** y[plane] += b[o] over output planes first + from..first + to - 1 (plane = n Cout + o); arrays [y, b], nums [Cout, P, first]. */
export const ADD_BIAS: RangeKernel = {
  name: 'conv2d.addBias',
  run([y, b], [Cout, P, first], from, to) {
    for (let t = first + from; t < first + to; t++) {
      const bo = b[t % Cout], base = t * P;
      for (let q = 0; q < P; q++) y[base + q] += bo;
    }
  },
};

/** db[o] += sum_{n, q} dy[n, o, q] over channels from..to - 1, summed image by image; arrays [dy, db], nums [N, Cout, P]. */
export const BIAS_GRAD: RangeKernel = {
  name: 'conv2d.biasGrad',
  run([dy, db], [N, Cout, P], from, to) {
    for (let o = from; o < to; o++)
      for (let n = 0; n < N; n++) {
        const base = (n * Cout + o) * P;
        let s = 0;
        for (let q = 0; q < P; q++) s += dy[base + q];
        db[o] += s;
      }
  },
};

/** The dimensions of a convolution, as conv2dGeometry gives them. */
export type Conv2dDims = ReturnType<typeof conv2dGeometry>;

/**
 * Forward convolution: y = conv(x, w) + b, through im2col and a blocked matrix
 * product (mm: how its sums round, the reference's by default). Images go
 * through in chunks (chunkOf): one product W_g [Coutg, K] times the chunk's
 * columns [K, images x P], whose rows are then each image's output channels.
 */
export function conv2dForward<A extends FloatArray>(x: Tensor<A>, w: Tensor, b: Tensor, p: Conv2dParams, mm: MatrixProducts = REFERENCE_PRODUCTS, par: ParallelFor = serial): Tensor<A> {
  const d = conv2dDims('conv2dForward', x, w, p);
  const { N, Cout, Cg, kH, kW, Ho, Wo, Coutg } = d;
  expectShape('conv2dForward', 'b', b, [Cout]);
  const P = Ho * Wo, K = Cg * kH * kW, nb = chunkOf(N, K, P);
  const y = zeros(x.data, [N, Cout, Ho, Wo]);
  const col = scratchLike(x.data, K * nb * P, 'conv2d.col');
  const out = nb > 1 ? scratchLike(x.data, Coutg * nb * P, 'conv2d.out') : col;
  for (let n0 = 0; n0 < N; n0 += nb) forwardChunk(x.data, w.data, b.data, y.data, d, p, n0, Math.min(nb, N - n0), col, out, mm, par);
  return y;
}

/**
 * The forward pass of images n0..n0 + m - 1 (a chunk), every group, into y:
 * col holds the chunk's columns [K, m P], out (unused for one image) the
 * product [Coutg, m P] before its rows are copied to each image's channels.
 */
export function forwardChunk(x: FloatArray, w: FloatArray, b: FloatArray, y: FloatArray, d: Conv2dDims, p: Conv2dParams, n0: number, m: number, col: FloatArray, out: FloatArray, mm: MatrixProducts, par: ParallelFor): void {
  const { Cout, Cg, kH, kW, G, Ho, Wo, Coutg } = d;
  const P = Ho * Wo, K = Cg * kH * kW, ld = m * P, geo = geometryNums(d, p);
  for (let g = 0; g < G; g++) {
    par(im2colFor(x), m * K, [x, col], [...geo, n0, g, ld], P);
    if (m === 1) {
      // y[n, g-th block of Coutg channels] += W_g [Coutg, K] * col [K, P]
      mm.AB(Coutg, P, K, w, g * Coutg * K, col, 0, y, (n0 * Cout + g * Coutg) * P);
      continue;
    }
    out.fill(0, 0, Coutg * ld);
    mm.AB(Coutg, ld, K, w, g * Coutg * K, col, 0, out, 0);
    for (let o = 0; o < Coutg; o++)
      for (let i = 0; i < m; i++) y.set(out.subarray(o * ld + i * P, o * ld + (i + 1) * P), ((n0 + i) * Cout + g * Coutg + o) * P);
  }
  par(ADD_BIAS, m * Cout, [y, b], [Cout, P, n0 * Cout], 2 * P);
}

/**
 * Backward convolution, given dy = dL/dy and the forward inputs:
 *   db[o]       = sum_{n, i, j} dy[n, o, i, j]
 *   dw_g        = dy_g [Coutg, P] * col^T [P, K]          (summed over images)
 *   dcol        = w_g^T [K, Coutg] * dy_g [Coutg, P],   dx = col2im(dcol)
 * dw and db are added into acc when given (llm.c's accumulating gradient buffers).
 */
export function conv2dBackward<A extends FloatArray>(dy: Tensor<A>, x: Tensor<A>, w: Tensor<A>, p: Conv2dParams, acc?: GradAccumulator<A>, mm: MatrixProducts = REFERENCE_PRODUCTS, par: ParallelFor = serial): Conv2dGrads<A> {
  return conv2dGrads(dy, x, w, p, acc, true, mm, par) as Conv2dGrads<A>;
}

/**
 * dw and db only: the backward pass of a network's first layer, whose input
 * (the image) needs no gradient. Skips the dcol product and col2im, a third
 * of the backward work.
 */
export function conv2dBackwardWeights<A extends FloatArray>(dy: Tensor<A>, x: Tensor<A>, w: Tensor<A>, p: Conv2dParams, acc?: GradAccumulator<A>, mm: MatrixProducts = REFERENCE_PRODUCTS, par: ParallelFor = serial): Omit<Conv2dGrads<A>, 'dx'> {
  const { dw, db } = conv2dGrads(dy, x, w, p, acc, false, mm, par);
  return { dw, db };
}

function conv2dGrads<A extends FloatArray>(dy: Tensor<A>, x: Tensor<A>, w: Tensor<A>, p: Conv2dParams, acc: GradAccumulator<A> | undefined, inputGrad: boolean, mm: MatrixProducts, par: ParallelFor) {
  const d = conv2dBackwardDims(dy, x, w, p, acc);
  const { N, Cout, Cg, kH, kW, Ho, Wo, Coutg } = d;
  const P = Ho * Wo, K = Cg * kH * kW, nb = chunkOf(N, K, P);
  const dx = inputGrad ? zeros(x.data, x.shape) : undefined;
  const dw = acc?.dw ?? zeros(x.data, w.shape);
  const db = acc?.db ?? zeros(x.data, [Cout]);
  const col = scratchLike(x.data, K * nb * P, 'conv2d.col');
  const dcol = inputGrad ? scratchLike(x.data, K * nb * P, 'conv2d.dcol') : col;
  const dyc = nb > 1 ? scratchLike(x.data, Coutg * nb * P, 'conv2d.dyc') : col;
  par(BIAS_GRAD, Cout, [dy.data, db.data], [N, Cout, P], N * P);
  for (let n0 = 0; n0 < N; n0 += nb) backwardChunk(dy.data, x.data, w.data, dx?.data, dw.data, 0, d, p, n0, Math.min(nb, N - n0), col, dyc, dcol, mm, par);
  return { dx, dw, db };
}

/** The dimensions of a backward pass, after checking dy (and acc's buffers) against them. */
export function conv2dBackwardDims(dy: Tensor, x: Tensor, w: Tensor, p: Conv2dParams, acc?: GradAccumulator): Conv2dDims {
  const d = conv2dDims('conv2dBackward', x, w, p);
  expectShape('conv2dBackward', 'dy', dy, [d.N, d.Cout, d.Ho, d.Wo]);
  if (acc) {
    expectShape('conv2dBackward', 'acc.dw', acc.dw, w.shape);
    expectShape('conv2dBackward', 'acc.db', acc.db, [d.Cout]);
  }
  return d;
}

/**
 * The backward pass of images n0..n0 + m - 1 (a chunk), every group: adds the
 * chunk's weight gradient into dw from dwOff, and writes the chunk's images
 * of dx (when given). col and dcol hold [K, m P] values, dyc (unused for one
 * image) the chunk's dy_g gathered side by side, [Coutg, m P], as the columns are.
 */
export function backwardChunk(dy: FloatArray, x: FloatArray, w: FloatArray, dx: FloatArray | undefined, dw: FloatArray, dwOff: number, d: Conv2dDims, p: Conv2dParams, n0: number, m: number, col: FloatArray, dyc: FloatArray, dcol: FloatArray, mm: MatrixProducts, par: ParallelFor): void {
  const { Cout, Cg, kH, kW, G, Ho, Wo, Coutg } = d;
  const P = Ho * Wo, K = Cg * kH * kW, ld = m * P, geo = geometryNums(d, p);
  for (let g = 0; g < G; g++) {
    par(im2colFor(x), m * K, [x, col], [...geo, n0, g, ld], P);
    let D = dy, dOff = (n0 * Cout + g * Coutg) * P;
    if (m > 1) {
      for (let o = 0; o < Coutg; o++)
        for (let i = 0; i < m; i++) {
          const src = ((n0 + i) * Cout + g * Coutg + o) * P;
          dyc.set(dy.subarray(src, src + P), o * ld + i * P);
        }
      D = dyc;
      dOff = 0;
    }
    // dw_g += dy_g [Coutg, images x P] * col^T [images x P, K]
    mm.ABt(Coutg, K, ld, D, dOff, col, 0, dw, dwOff + g * Coutg * K);
    if (!dx) continue;
    dcol.fill(0, 0, K * ld);
    // dcol [K, images x P] = w_g^T [K, Coutg] * dy_g [Coutg, images x P]
    mm.AtB(K, ld, Coutg, w, g * Coutg * K, D, dOff, dcol, 0);
    par(col2imFor(dx), m * Cg, [dcol, dx], [...geo, n0, g, ld], 2 * kH * kW * P);
  }
}
