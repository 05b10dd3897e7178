// The one interface between the model (src/nn/) and a layer library
// (src/cpu/, src/gpu/). A backend owns its tensors: a handle T is opaque to
// the model (a typed array on the CPU, a texture in one GPU context), and data
// enters and leaves only through upload() and download(). Every op is the
// forward or backward of one layer of src/cpu/, with the same name and the
// same conventions; see that file for the maths.

import type { Conv2dParams } from './cpu/conv2d.js';
import type { DropoutParams } from './cpu/dropout.js';
import type { LrnParams } from './cpu/lrn.js';
import type { MaxPoolParams } from './cpu/maxpool.js';
import type { SgdParams } from './cpu/sgd.js';

/** What a forward op keeps for its backward op (denominators, argmax); opaque to the model. */
export interface OpCache {
  readonly kind: string;
}

/**
 * Where a backward op adds its weight and bias gradients. The result's dw and
 * db are acc.dw + gradient and acc.db + gradient: the same handles, updated
 * in place, on the CPU; new handles on a backend whose tensors are immutable,
 * which then releases acc's. Either way, use the returned handles afterwards.
 */
export interface GradAcc<T> {
  dw: T;
  db: T;
}

/** Gradients of a layer with weights. */
export interface ParamGrads<T> {
  dx: T;
  dw: T;
  db: T;
}

/** A parameter tensor with its velocity and gradient, for one SGD step. */
export interface BackendSgdSlot<T> {
  readonly name: string;
  readonly w: T;
  readonly v: T;
  readonly g: T;
}

/** A layer library the AlexNet model can run on. */
export interface Backend<T> {
  /** 'cpu' or 'gpu', for messages and reports. */
  readonly name: string;
  /** A tensor holding a copy of data, with the given shape. */
  upload(data: Float32Array, shape: readonly number[]): T;
  /**
   * Optional: a tensor that takes data over without a copy (the caller no
   * longer uses it), so that loading weights holds one copy of them, not
   * two. Backends without it are given a copy through upload().
   */
  adopt?(data: Float32Array, shape: readonly number[]): T;
  /** The tensor's values, row-major, as a new or owned Float32Array. */
  download(t: T): Float32Array;
  /** The tensor's shape. */
  shape(t: T): readonly number[];
  /** The same values seen with another shape of equal size. */
  reshape(t: T, shape: readonly number[]): T;
  /** Releases the tensor's memory; the handle must not be used afterwards. */
  dispose(t: T): void;
  /** Releases what a forward op kept for backward. */
  disposeCache(c: OpCache): void;

  conv2dForward(x: T, w: T, b: T, p: Conv2dParams): T;
  conv2dBackward(dy: T, x: T, w: T, p: Conv2dParams, acc?: GradAcc<T>): ParamGrads<T>;
  /** dw and db alone, for the first layer: the image needs no gradient. */
  conv2dBackwardWeights(dy: T, x: T, w: T, p: Conv2dParams, acc?: GradAcc<T>): { dw: T; db: T };
  reluForward(x: T): T;
  reluBackward(dy: T, x: T): T;
  tanhForward(x: T): T;
  tanhBackward(dy: T, x: T): T;
  lrnForward(x: T, p: LrnParams): { y: T; cache: OpCache };
  lrnBackward(dy: T, x: T, cache: OpCache, p: LrnParams): T;
  maxpoolForward(x: T, p: MaxPoolParams): { y: T; cache: OpCache };
  maxpoolBackward(dy: T, cache: OpCache, xShape: readonly number[]): T;
  dropoutForward(x: T, mask: Uint8Array | null, p: DropoutParams): T;
  dropoutBackward(dy: T, mask: Uint8Array | null, p: DropoutParams): T;
  linearForward(x: T, w: T, b: T): T;
  linearBackward(dy: T, x: T, w: T, acc?: GradAcc<T>): ParamGrads<T>;
  /** Sets every element to zero (gradient buffers before a step); returns the tensor to use from now on. */
  zero(t: T): T;
  /** Mean loss over the batch (read back), the softmax probabilities, and the gradient of the mean loss. */
  softmaxCrossEntropy(logits: T, labels: Int32Array): { loss: number; probs: T; dlogits: T };
  /** One paper-form momentum step; returns the new weights and velocities in slot order. */
  sgdStep(slots: readonly BackendSgdSlot<T>[], p: SgdParams): { w: T; v: T }[];
}

/** The ops a backend implements, as the verification kit names them (src/verify/ops.ts): each is a forward and backward pair of methods, or the loss, or the update. */
export type BackendOp = 'conv2d' | 'relu' | 'tanh' | 'lrn' | 'maxpool' | 'dropout' | 'linear' | 'softmax-xent' | 'sgd';

/** A value, or a Promise of it: what a method of an asynchronous backend returns. */
export type Awaitable<R> = R | Promise<R>;

/** A method whose result may come as a Promise (distributes over an optional member's `| undefined`). */
export type AwaitableMethod<F> = F extends (...a: infer A) => infer R ? (...a: A) => Awaitable<R> : F;

/**
 * A Backend whose methods may return Promises: a WebGPU device, a worker, ONNX
 * Runtime. The model code (src/nn/) awaits every call, so it runs on these and
 * on a synchronous Backend alike (bench/async-overhead.ts measures what the
 * awaits cost a synchronous one).
 */
export type AwaitableBackend<T> = { [K in keyof Backend<T>]: AwaitableMethod<Backend<T>[K]> };

/**
 * What the verification kit accepts: an AwaitableBackend whose op methods may
 * be missing. An op whose methods are absent is reported as not implemented,
 * and `ops`, when present, names the ops the backend declares it implements.
 */
export type AsyncBackend<T> = Partial<AwaitableBackend<T>> & Pick<AwaitableBackend<T>, 'name' | 'upload' | 'download' | 'shape' | 'dispose'> & {
  readonly ops?: readonly BackendOp[];
};
