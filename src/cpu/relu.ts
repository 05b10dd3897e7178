// Rectified linear unit (paper, section 3.1): f(x) = max(0, x), after every
// convolution and every hidden fully connected layer. The paper's Figure 1:
// a four-layer CNN with ReLUs reaches 25 % training error on CIFAR-10 six
// times faster than the same net with tanh.
//
//   x [any shape] -> y [same shape]
//   dx = dy where x > 0, else 0   (the gradient at x = 0 is taken as 0, as PyTorch does)

import { type ParallelFor, type RangeKernel, serial } from './parallel.js';
import { type FloatArray, type Tensor, expectRank, fmtShape, zeros } from './tensor.js';

/** y[i] = max(0, x[i]) for elements from..to - 1 (arrays [x, y]). */
export const RELU_FORWARD: RangeKernel = {
  name: 'relu.forward',
  run([x, y], _nums, from, to) {
    for (let i = from; i < to; i++) {
      const v = x[i];
      y[i] = v > 0 ? v : 0;
    }
  },
};

/** dx[i] = dy[i] where x[i] > 0, else 0, for elements from..to - 1 (arrays [dy, x, dx]). */
export const RELU_BACKWARD: RangeKernel = {
  name: 'relu.backward',
  run([dy, x, dx], _nums, from, to) {
    for (let i = from; i < to; i++) dx[i] = x[i] > 0 ? dy[i] : 0;
  },
};

/** y = max(0, x), elementwise (par: the threads that share the elements, one by default). */
export function reluForward<A extends FloatArray>(x: Tensor<A>, par: ParallelFor = serial): Tensor<A> {
  expectRank('reluForward', 'x', x, x?.shape?.length ?? 0, 'tensor');
  const y = zeros(x.data, x.shape);
  par(RELU_FORWARD, x.data.length, [x.data, y.data]);
  return y;
}

/** dx = dy * [x > 0], elementwise; x is the forward input. */
export function reluBackward<A extends FloatArray>(dy: Tensor<A>, x: Tensor<A>, par: ParallelFor = serial): Tensor<A> {
  expectRank('reluBackward', 'x', x, x?.shape?.length ?? 0, 'tensor');
  expectRank('reluBackward', 'dy', dy, x.shape.length, fmtShape(x.shape));
  if (dy.data.length !== x.data.length) {
    throw new RangeError(`reluBackward: dy has shape ${fmtShape(dy.shape)}, expected the shape of x ${fmtShape(x.shape)}`);
  }
  const dx = zeros(x.data, x.shape);
  par(RELU_BACKWARD, x.data.length, [dy.data, x.data, dx.data]);
  return dx;
}
