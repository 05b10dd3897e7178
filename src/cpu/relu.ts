// Rectified linear unit (paper, section 3.1): f(x) = max(0, x), after every
// convolution and every hidden fully connected layer. The paper's Figure 1:
// a four-layer CNN with ReLUs reaches 25 % training error on CIFAR-10 six
// times faster than the same net with tanh.
//
//   x [any shape] -> y [same shape]
//   dx = dy where x > 0, else 0   (the gradient at x = 0 is taken as 0, as PyTorch does)

import { type FloatArray, type Tensor, expectRank, fmtShape, zeros } from './tensor.js';

/** y = max(0, x), elementwise. */
export function reluForward<A extends FloatArray>(x: Tensor<A>): Tensor<A> {
  expectRank('reluForward', 'x', x, x?.shape?.length ?? 0, 'tensor');
  const y = zeros(x.data, x.shape);
  for (let i = 0; i < x.data.length; i++) y.data[i] = x.data[i] > 0 ? x.data[i] : 0;
  return y;
}

/** dx = dy * [x > 0], elementwise; x is the forward input. */
export function reluBackward<A extends FloatArray>(dy: Tensor<A>, x: Tensor<A>): Tensor<A> {
  expectRank('reluBackward', 'x', x, x?.shape?.length ?? 0, 'tensor');
  expectRank('reluBackward', 'dy', dy, x.shape.length, fmtShape(x.shape));
  if (dy.data.length !== x.data.length) {
    throw new RangeError(`reluBackward: dy has shape ${fmtShape(dy.shape)}, expected the shape of x ${fmtShape(x.shape)}`);
  }
  const dx = zeros(x.data, x.shape);
  for (let i = 0; i < x.data.length; i++) dx.data[i] = x.data[i] > 0 ? dy.data[i] : 0;
  return dx;
}
