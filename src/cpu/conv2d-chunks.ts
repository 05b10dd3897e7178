// The convolutions' fast form for float32 sums (issue 13): whole chunks of
// images to a thread. conv2d.ts's passes go through the batch chunk by chunk
// and share out each chunk's products and column kernels among the threads, a
// hand-off per product and per kernel; on the small net those pieces are too
// small for a second thread to gain much that way (docs/benchmarks.md, "Fifth
// step": 1.1-1.5x). Here a thread takes whole chunks (its own columns,
// product and copies, on one thread's kernels) with one hand-off a pass.
//
// The maths is conv2d.ts's, chunk by chunk (forwardChunk, backwardChunk: the
// same code); only who runs which chunk and how the weight gradient's sum over
// chunks is grouped differ:
//   - the batch is cut into a number of chunks that does not depend on the
//     thread count (chunking), and each image's outputs and input gradient
//     come from its own chunk's products, so y and dx have the bits of one
//     thread's;
//   - dw sums over every chunk. Each of at most SLOTS slots (a fixed run of
//     chunks) sums its chunks into a part of its own, and the parts are then
//     added into dw in slot order, in float32: the bits do not depend on which
//     thread took which slot, nor on how many threads there are.
// spec/cpu/conv2d-chunks.spec.ts checks both against conv2d.ts over random
// shapes, and the threads against one thread bit for bit.

import { type Conv2dDims, type Conv2dGrads, type Conv2dParams, BIAS_GRAD, backwardChunk, chunkOf, conv2dBackwardDims, conv2dGeometry, forwardChunk } from './conv2d.js';
import type { MatrixProducts } from './gemm.js';
import { FLOAT32_PRODUCTS } from './gemm32.js';
import type { GradAccumulator } from './linear.js';
import { type ParallelFor, type RangeArray, type RangeKernel, serial } from './parallel.js';
import { type Tensor, expectShape, scratchLike, zeros } from './tensor.js';

/** The most weight-gradient parts a backward pass keeps (each the size of w): a fixed grouping of the chunks' sum. */
export const SLOTS = 8;

/**
 * How the fast form cuts a batch of N images into chunks of nb (the last may
 * be smaller): at most chunkOf's images each, and at most a quarter of the
 * batch (rounded up), four or a multiple of four chunks where the sizes allow,
 * so that two or four threads get equal shares. Depends on the shapes only,
 * never on the threads.
 */
export function chunking(N: number, K: number, P: number): { nb: number; count: number } {
  const fewest = Math.max(Math.ceil(N / chunkOf(N, K, P)), Math.min(N, 4));
  const nb = Math.ceil(N / Math.min(N, 4 * Math.ceil(fewest / 4)));
  return { nb, count: Math.ceil(N / nb) };
}

/** The chunks of slot s of `slots` over `count` chunks: [first, end), runs as equal as they can be. */
export function slotChunks(s: number, slots: number, count: number): [number, number] {
  return [Math.floor((s * count) / slots), Math.floor(((s + 1) * count) / slots)];
}

// Each thread's own buffers for the columns, the product and the gathered dy
// (a worker has its own copy of this module): plain memory, so the kernels
// copy nothing through shared memory but the tensors themselves.
let own = new Float32Array(0);
/** This thread's buffers: col and dcol of K nb P floats, out (or dyc) of Coutg nb P. */
function buffers(K: number, Coutg: number, ld: number): { col: Float32Array; dcol: Float32Array; out: Float32Array } {
  const need = (2 * K + Coutg) * ld;
  if (own.length < need) own = new Float32Array(need);
  return { col: own.subarray(0, K * ld), dcol: own.subarray(K * ld, 2 * K * ld), out: own.subarray(2 * K * ld, need) };
}

/** A convolution's dimensions and parameters as a range kernel's nums, then nb (and more from the caller). */
function dimsNums(d: Conv2dDims, p: Conv2dParams, nb: number): number[] {
  return [d.N, d.C, d.H, d.W, d.Cout, d.Cg, d.kH, d.kW, d.Ho, d.Wo, p.stride, p.pad, p.groups, nb];
}

/** The dimensions, parameters and nb back from dimsNums. */
function fromNums(n: readonly number[]): { d: Conv2dDims; p: Conv2dParams; nb: number } {
  const [N, C, H, W, Cout, Cg, kH, kW, Ho, Wo, stride, pad, G, nb] = n;
  return { d: { N, C, H, W, Cout, Cg, kH, kW, G, Ho, Wo, Coutg: Cout / G }, p: { stride, pad, groups: G }, nb };
}

/** Chunks from..to - 1 of a forward pass, each on this thread's kernels; arrays [x, w, b, y], nums dimsNums. */
export const CONV_FORWARD_CHUNKS: RangeKernel = {
  name: 'conv2d.forwardChunks',
  run([x, w, b, y], nums, from, to) {
    const { d, p, nb } = fromNums(nums);
    const { col, out } = buffers(d.Cg * d.kH * d.kW, d.Coutg, nb * d.Ho * d.Wo);
    for (let c = from; c < to; c++) forwardChunk(x as Float32Array, w as Float32Array, b as Float32Array, y as Float32Array, d, p, c * nb, Math.min(nb, d.N - c * nb), col, out, FLOAT32_PRODUCTS, serial);
  },
};

/**
 * Slot s's chunks of a backward pass: its part of dw (parts from s |w|) set to
 * the sum of its chunks' weight gradients, their images of dx written.
 */
function runSlot(arrays: readonly RangeArray[], nums: readonly number[], s: number, mm: MatrixProducts, par: ParallelFor, bufs: ReturnType<typeof buffers>): void {
  const [dy, x, w, parts, dx] = arrays as Float32Array[];
  const { d, p, nb } = fromNums(nums);
  const [count, slots] = nums.slice(14);
  const len = w.length, [first, end] = slotChunks(s, slots, count);
  parts.fill(0, s * len, (s + 1) * len);
  for (let c = first; c < end; c++) backwardChunk(dy, x, w, dx, parts, s * len, d, p, c * nb, Math.min(nb, d.N - c * nb), bufs.col, bufs.out, bufs.dcol, mm, par);
}

/** Slots from..to - 1 of a backward pass on this thread's kernels; arrays [dy, x, w, parts] and dx where wanted, nums dimsNums then [count, slots]. */
export const CONV_BACKWARD_SLOTS: RangeKernel = {
  name: 'conv2d.backwardSlots',
  run(arrays, nums, from, to) {
    const { d, nb } = fromNums(nums);
    const bufs = buffers(d.Cg * d.kH * d.kW, d.Coutg, nb * d.Ho * d.Wo);
    for (let s = from; s < to; s++) runSlot(arrays, nums, s, FLOAT32_PRODUCTS, serial, bufs);
  },
};

/** dw[e] += parts[0][e] + parts[1][e] + ..., left to right in float32, for elements from..to - 1; arrays [parts, dw], nums [slots]. */
export const ADD_PARTS: RangeKernel = {
  name: 'conv2d.addParts',
  run([parts, dw], [slots], from, to) {
    const len = dw.length;
    for (let e = from; e < to; e++) {
      let s = dw[e];
      for (let k = 0; k < slots; k++) s = Math.fround(s + parts[k * len + e]);
      dw[e] = s;
    }
  },
};

/**
 * conv2dForward for float32 tensors and float32 sums, whole chunks to a
 * thread (par); a batch of one chunk shares its products out instead (mm).
 */
export function conv2dForwardChunks(x: Tensor<Float32Array>, w: Tensor<Float32Array>, b: Tensor<Float32Array>, p: Conv2dParams, mm: MatrixProducts = FLOAT32_PRODUCTS, par: ParallelFor = serial): Tensor<Float32Array> {
  const d = conv2dGeometry('conv2dForward', x.shape, w.shape, p);
  expectShape('conv2dForward', 'b', b, [d.Cout]);
  const P = d.Ho * d.Wo, K = d.Cg * d.kH * d.kW, { nb, count } = chunking(d.N, K, P);
  const y = zeros(x.data, [d.N, d.Cout, d.Ho, d.Wo]);
  if (count === 1) {
    // One image (the first chunk holds at least two otherwise): its product straight into y.
    forwardChunk(x.data, w.data, b.data, y.data, d, p, 0, d.N, scratchLike(x.data, K * d.N * P, 'conv2d.col'), scratchLike(x.data, d.Coutg * d.N * P, 'conv2d.out'), mm, par);
    return y;
  }
  par(CONV_FORWARD_CHUNKS, count, [x.data, w.data, b.data, y.data], dimsNums(d, p, nb), nb * K * P);
  return y;
}

/**
 * conv2dBackward (inputGrad) or conv2dBackwardWeights for float32 tensors and
 * float32 sums, whole slots of chunks to a thread (par); one slot (a batch of
 * one image) shares its products out instead (mm). dw and db are added into
 * acc when given.
 */
export function conv2dGradsChunks(dy: Tensor<Float32Array>, x: Tensor<Float32Array>, w: Tensor<Float32Array>, p: Conv2dParams, acc: GradAccumulator<Float32Array> | undefined, inputGrad: boolean, mm: MatrixProducts = FLOAT32_PRODUCTS, par: ParallelFor = serial): Partial<Conv2dGrads<Float32Array>> & Omit<Conv2dGrads<Float32Array>, 'dx'> {
  const d = conv2dBackwardDims(dy, x, w, p, acc);
  const P = d.Ho * d.Wo, K = d.Cg * d.kH * d.kW, { nb, count } = chunking(d.N, K, P), slots = Math.min(count, SLOTS);
  const dx = inputGrad ? zeros(x.data, x.shape) : undefined;
  const dw = acc?.dw ?? zeros(x.data, w.shape);
  const db = acc?.db ?? zeros(x.data, [d.Cout]);
  par(BIAS_GRAD, d.Cout, [dy.data, db.data], [d.N, d.Cout, P], d.N * P);
  const parts = scratchLike(x.data, slots * w.data.length, 'conv2d.dwParts');
  const arrays = [dy.data, x.data, w.data, parts, ...(dx ? [dx.data] : [])], nums = [...dimsNums(d, p, nb), count, slots];
  if (slots === 1) {
    const bufs = { col: scratchLike(x.data, K * nb * P, 'conv2d.col'), dcol: scratchLike(x.data, K * nb * P, 'conv2d.dcol'), out: scratchLike(x.data, d.Coutg * nb * P, 'conv2d.dyc') };
    runSlot(arrays, nums, 0, mm, par, bufs);
  } else {
    par(CONV_BACKWARD_SLOTS, slots, arrays, nums, nb * K * P * Math.ceil(count / slots));
  }
  par(ADD_PARTS, dw.data.length, [parts, dw.data], [slots], slots);
  return { dx, dw, db };
}
