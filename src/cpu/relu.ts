// Rectified linear unit (paper, section 3.1): f(x) = max(0, x), after every
// convolution and every hidden fully connected layer. The paper's Figure 1:
// a four-layer CNN with ReLUs reaches 25 % training error on CIFAR-10 six
// times faster than the same net with tanh.
//
//   x [any shape] -> y [same shape]
//   dx = dy where x > 0, else 0   (the gradient at x = 0 is taken as 0, as PyTorch does)

import { type ParallelFor, type RangeArray, type RangeKernel, serial } from './parallel.js';
import { type FloatArray, type Tensor, empty, expectRank, fmtShape } from './tensor.js';

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

// The same two kernels on float32 data, computed on the values' bits. A
// branch on the sign of an activation is mispredicted about half the time
// (the signs of a layer's outputs look random), which made the loops above
// 6-7 ns an element here; these have no branch (1.3-1.4 ns, measured on a
// [128, 16, 28, 28] tensor, one thread). As an int32, a float32 value v is
// positive (v > 0, so not a NaN) exactly when its bits b lie in
// [1, 0x7f800000] (the smallest positive subnormal to +Infinity), i.e. when
// (b - 1) as an unsigned number is below 0x7f800000; the mask -(that test) is
// all ones or zero, and b & mask is v or +0: RELU_FORWARD's result for every
// float32, -0, infinities and NaNs included (spec/cpu/relu.spec.ts; a NaN
// that dy passes keeps its payload bits here, where JavaScript's float64 may
// change them).

/** The int32 view of a float32 array's elements (its bits). */
function bitsOf(a: RangeArray): Int32Array {
  return new Int32Array(a.buffer, a.byteOffset, a.length);
}

/** RELU_FORWARD on float32 arrays [x, y], branch-free on the bits (see above). */
export const RELU_FORWARD_F32: RangeKernel = {
  name: 'relu.forward.f32',
  run([x, y], _nums, from, to) {
    const xb = bitsOf(x), yb = bitsOf(y);
    for (let i = from; i < to; i++) {
      const b = xb[i];
      yb[i] = b & -(((b - 1) >>> 0) < 0x7f800000);
    }
  },
};

/** RELU_BACKWARD on float32 arrays [dy, x, dx]: dy's bits where x > 0 (the test above), else +0. */
export const RELU_BACKWARD_F32: RangeKernel = {
  name: 'relu.backward.f32',
  run([dy, x, dx], _nums, from, to) {
    const gb = bitsOf(dy), xb = bitsOf(x), db = bitsOf(dx);
    for (let i = from; i < to; i++) db[i] = gb[i] & -(((xb[i] - 1) >>> 0) < 0x7f800000);
  },
};

/** y = max(0, x), elementwise (par: the threads that share the elements, one by default). */
export function reluForward<A extends FloatArray>(x: Tensor<A>, par: ParallelFor = serial): Tensor<A> {
  expectRank('reluForward', 'x', x, x?.shape?.length ?? 0, 'tensor');
  const y = empty(x.data, x.shape); // written in full by the kernel: no zero-fill (tensor.ts, empty)
  par(x.data instanceof Float32Array ? RELU_FORWARD_F32 : RELU_FORWARD, x.data.length, [x.data, y.data]);
  return y;
}

/** dx = dy * [x > 0], elementwise; x is the forward input. */
export function reluBackward<A extends FloatArray>(dy: Tensor<A>, x: Tensor<A>, par: ParallelFor = serial): Tensor<A> {
  expectRank('reluBackward', 'x', x, x?.shape?.length ?? 0, 'tensor');
  expectRank('reluBackward', 'dy', dy, x.shape.length, fmtShape(x.shape));
  if (dy.data.length !== x.data.length) {
    throw new RangeError(`reluBackward: dy has shape ${fmtShape(dy.shape)}, expected the shape of x ${fmtShape(x.shape)}`);
  }
  const dx = empty(x.data, x.shape); // written in full
  const f32 = x.data instanceof Float32Array && dy.data instanceof Float32Array;
  par(f32 ? RELU_BACKWARD_F32 : RELU_BACKWARD, x.data.length, [dy.data, x.data, dx.data]);
  return dx;
}
