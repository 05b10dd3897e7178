// `alexnet-ts/cpu`: the CPU reference layers, one file per layer with its
// forward and backward side by side (the maths is at the top of each file),
// and the Backend that runs them. No Node API: the same code runs in a page.

export { type CpuBackendOptions, cpuBackend } from './backend.js';
export { type GemmThreadPool, gemmThreadPool } from './gemm-threads.js';
export * from './conv2d.js';
export * from './dropout.js';
export * from './gemm.js';
export * from './gemm32.js';
export { COL2IM, IM2COL } from './im2col.js'; // the column kernels' definitions; their pick and geometry stay internal
export * from './linear.js';
export * from './lrn.js';
export * from './maxpool.js';
export * from './metrics.js';
export { type ParallelFor, type RangeArray, type RangeKernel, serial } from './parallel.js';
export { Rng } from './random.js';
export * from './relu.js';
export * from './sgd.js';
export * from './softmax-cross-entropy.js';
export * from './tanh.js';
export * from './tensor.js';
