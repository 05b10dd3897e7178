// Hyperbolic tangent, the saturating non-linearity the paper compares ReLU
// against (section 3.1, Figure 1: ReLUs reach 25 % training error on
// CIFAR-10 six times faster). Offered as the `activation: 'tanh'` option.
//
//   x [any shape] -> y [same shape]
//   y = tanh(x);   dx = dy * (1 - tanh(x)^2)

import { type FloatArray, type Tensor, empty, expectRank, fmtShape } from './tensor.js';

/** y = tanh(x), elementwise. */
export function tanhForward<A extends FloatArray>(x: Tensor<A>): Tensor<A> {
  expectRank('tanhForward', 'x', x, x?.shape?.length ?? 0, 'tensor');
  const y = empty(x.data, x.shape); // written in full: no zero-fill (tensor.ts, empty)
  for (let i = 0; i < x.data.length; i++) y.data[i] = Math.tanh(x.data[i]);
  return y;
}

/** dx = dy * (1 - tanh(x)^2), elementwise; x is the forward input. */
export function tanhBackward<A extends FloatArray>(dy: Tensor<A>, x: Tensor<A>): Tensor<A> {
  expectRank('tanhBackward', 'x', x, x?.shape?.length ?? 0, 'tensor');
  if (dy?.data?.length !== x.data.length) {
    throw new RangeError(`tanhBackward: dy has shape ${fmtShape(dy?.shape ?? [])}, expected the shape of x ${fmtShape(x.shape)}`);
  }
  const dx = empty(x.data, x.shape); // written in full
  for (let i = 0; i < x.data.length; i++) {
    const t = Math.tanh(x.data[i]);
    dx.data[i] = dy.data[i] * (1 - t * t);
  }
  return dx;
}
