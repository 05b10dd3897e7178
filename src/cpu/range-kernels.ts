// Every RangeKernel by name, for the worker threads of gemm-threads.ts: a
// worker is sent a kernel's name, its arrays and a range of items, and runs
// the kernel from this table, the same code the calling thread runs.

import { ADD_BIAS, BIAS_GRAD } from './conv2d.js';
import { COL2IM, IM2COL } from './im2col.js';
import { ADD_PARTS, CONV_BACKWARD_SLOTS, CONV_FORWARD_CHUNKS } from './conv2d-chunks.js';
import { COL2IM_WASM, IM2COL_WASM } from './im2col-wasm.js';
import { LRN_BACKWARD, LRN_FORWARD } from './lrn.js';
import { LRN_BACKWARD_WASM, LRN_FORWARD_WASM } from './lrn-wasm.js';
import { LRN_BACKWARD_F32, LRN_FORWARD_F32 } from './lrn32-wasm.js';
import { MAXPOOL_BACKWARD, MAXPOOL_FORWARD } from './maxpool.js';
import { MAXPOOL_FORWARD_WASM } from './maxpool-wasm.js';
import type { RangeKernel } from './parallel.js';
import { RELU_BACKWARD, RELU_BACKWARD_F32, RELU_FORWARD, RELU_FORWARD_F32 } from './relu.js';
import { NON_FINITE, NON_FINITE_F32, SGD_UPDATE } from './sgd.js';

/** The kernels a worker can run, by name. */
export const RANGE_KERNELS: ReadonlyMap<string, RangeKernel> = new Map(
  [IM2COL, IM2COL_WASM, COL2IM, COL2IM_WASM, ADD_BIAS, BIAS_GRAD, CONV_FORWARD_CHUNKS, CONV_BACKWARD_SLOTS, ADD_PARTS, RELU_FORWARD, RELU_BACKWARD, RELU_FORWARD_F32, RELU_BACKWARD_F32, LRN_FORWARD, LRN_BACKWARD, LRN_FORWARD_WASM, LRN_BACKWARD_WASM, LRN_FORWARD_F32, LRN_BACKWARD_F32, MAXPOOL_FORWARD, MAXPOOL_FORWARD_WASM, MAXPOOL_BACKWARD, NON_FINITE, NON_FINITE_F32, SGD_UPDATE].map((k) => [k.name, k]),
);
