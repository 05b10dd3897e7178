// Fully connected layer (fc6, fc7, fc8 in the paper, section 3.5).
//
//   x [N, in]   w [out, in]   b [out]   ->   y [N, out]
//   y = x w^T + b                  (PyTorch's and Caffe's weight layout)
//   dx = dy w        [N, in]
//   dw = dy^T x      [out, in]     (summed over the batch)
//   db = sum_n dy    [out]
// As in llm.c, dw and db accumulate into gradient buffers when the caller
// passes them (acc): a training step reuses them instead of allocating fc6's
// 151 MB gradient afresh, and gradients of several micro-batches add up.

import { type MatrixProducts, REFERENCE_PRODUCTS } from './gemm.js';
import { type FloatArray, type Tensor, expectRank, expectShape, fmtShape, zeros } from './tensor.js';

/** Gradients of L with respect to the layer's input, weights and bias. */
export interface LinearGrads<A extends FloatArray = FloatArray> {
  dx: Tensor<A>;
  dw: Tensor<A>;
  db: Tensor<A>;
}

function linearDims(fn: string, x: Tensor, w: Tensor): [number, number, number] {
  expectRank(fn, 'x', x, 2, '[N, in]');
  expectRank(fn, 'w', w, 2, '[out, in]');
  return linearGeometry(fn, x.shape, w.shape);
}

/** [N, in, out] of a linear layer from the shapes of x [N, in] and w [out, in]; throws naming what does not fit. */
export function linearGeometry(fn: string, xShape: readonly number[], wShape: readonly number[]): [number, number, number] {
  if (xShape.length !== 2) throw new RangeError(`${fn}: x has shape ${fmtShape(xShape)}, expected rank 2 [N, in]`);
  if (wShape.length !== 2) throw new RangeError(`${fn}: w has shape ${fmtShape(wShape)}, expected rank 2 [out, in]`);
  const [N, I] = xShape, [O, I2] = wShape;
  if (I !== I2) throw new RangeError(`${fn}: w has shape ${fmtShape(wShape)}, expected [out, ${I}] for x ${fmtShape(xShape)}`);
  return [N, I, O];
}

/** y = x w^T + b (mm: how the product's sums round, the reference's by default). */
export function linearForward<A extends FloatArray>(x: Tensor<A>, w: Tensor, b: Tensor, mm: MatrixProducts = REFERENCE_PRODUCTS): Tensor<A> {
  const [N, I, O] = linearDims('linearForward', x, w);
  expectShape('linearForward', 'b', b, [O]);
  const y = zeros(x.data, [N, O]);
  for (let n = 0; n < N; n++) y.data.set(b.data, n * O);
  mm.ABt(N, O, I, x.data, 0, w.data, 0, y.data, 0);
  return y;
}

/** Buffers that backward passes add their weight and bias gradients into. */
export interface GradAccumulator<A extends FloatArray = FloatArray> {
  dw: Tensor<A>;
  db: Tensor<A>;
}

/** dx, dw and db of y = x w^T + b, given dy; dw and db are added into acc when given. */
export function linearBackward<A extends FloatArray>(dy: Tensor<A>, x: Tensor<A>, w: Tensor<A>, acc?: GradAccumulator<A>, mm: MatrixProducts = REFERENCE_PRODUCTS): LinearGrads<A> {
  const [N, I, O] = linearDims('linearBackward', x, w);
  expectShape('linearBackward', 'dy', dy, [N, O]);
  if (acc) {
    expectShape('linearBackward', 'acc.dw', acc.dw, [O, I]);
    expectShape('linearBackward', 'acc.db', acc.db, [O]);
  }
  const dx = zeros(x.data, [N, I]);
  const dw = acc?.dw ?? zeros(x.data, [O, I]);
  const db = acc?.db ?? zeros(x.data, [O]);
  mm.AB(N, I, O, dy.data, 0, w.data, 0, dx.data, 0);
  mm.AtB(O, I, N, dy.data, 0, x.data, 0, dw.data, 0);
  for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) db.data[o] += dy.data[n * O + o];
  return { dx, dw, db };
}
