// The CPU reference as a Backend: a handle is a float32 Tensor, and every op
// is the layer function of the same name in this folder.

import type { Backend, OpCache } from '../backend.js';
import { type Conv2dGrads, conv2dBackward, conv2dBackwardWeights, conv2dForward } from './conv2d.js';
import { conv2dForwardChunks, conv2dGradsChunks } from './conv2d-chunks.js';
import { dropoutBackward, dropoutForward } from './dropout.js';
import { type GradAccumulator, linearBackward, linearForward } from './linear.js';
import { type LrnOutput, lrnBackward, lrnForward } from './lrn.js';
import { type MaxPoolOutput, maxpoolBackward, maxpoolForward } from './maxpool.js';
import { reluBackward, reluForward } from './relu.js';
import { tanhBackward, tanhForward } from './tanh.js';
import { sgdStep } from './sgd.js';
import { softmaxCrossEntropy } from './softmax-cross-entropy.js';
import { type FloatArray, type Tensor, isShared, recycleShared, reshape, tensor, zerosLike } from './tensor.js';
import { REFERENCE_PRODUCTS } from './gemm.js';
import { FLOAT32_PRODUCTS } from './gemm32.js';
import type { GemmThreadPool } from './gemm-threads.js';
import { serial } from './parallel.js';

/** An empty shared float32 array: the template zerosLike allocates a threaded backend's uploads from. */
const SHARED_FLOAT32 = typeof SharedArrayBuffer !== 'undefined' ? new Float32Array(new SharedArrayBuffer(0)) : new Float32Array(0);

interface LrnCache extends OpCache { kind: 'lrn'; out: LrnOutput }
interface PoolCache extends OpCache { kind: 'maxpool'; out: MaxPoolOutput }

function expectCache<C extends OpCache>(c: OpCache, kind: string): C {
  if (c?.kind !== kind) throw new TypeError(`cpu backend: expected a ${kind} cache, got ${c?.kind ?? String(c)}`);
  return c as C;
}

/** The CPU backend's tensor handle: a float32 (or float64) typed array with its shape. */
export type CpuTensor = Tensor<FloatArray>;
type T = CpuTensor;
/** A float32 tensor: what a backend with float32 sums holds. */
type F32 = Tensor<Float32Array>;

/** How a CPU backend's matrix products sum: in double precision, rounded once (the reference), or in float32 (gemm32.ts, as PyTorch's CPU path; LRN then computes in float32 too, lrn32-wasm.ts). */
export interface CpuBackendOptions {
  sums?: 'float64' | 'float32';
  /**
   * Threads for the float32 products (gemmThreadPool(), float32 sums only):
   * the same bits as one thread's; tensors then live in SharedArrayBuffers so
   * that the workers read them without a copy.
   */
  threads?: GemmThreadPool;
}

/**
 * A Backend that runs the CPU reference layers: on float32 tensors (normal
 * use), or on float64 tensors to check whole-model gradients against finite
 * differences. With `sums: 'float32'` (float32 tensors only) the convolutions'
 * and fully connected layers' products sum in float32, and LRN computes in
 * float32, faster (bench:gemm, bench:cpu-kernels, bench:peers); the reference, what the verification kit and the goldens
 * compare against, keeps double-precision sums.
 */
export function cpuBackend(dtype: 'float32' | 'float64' = 'float32', o: CpuBackendOptions = {}): Backend<T> {
  const sums = o.sums ?? 'float64';
  if (sums !== 'float64' && sums !== 'float32') throw new RangeError(`cpuBackend: sums must be 'float64' or 'float32', got ${JSON.stringify(sums)}`);
  if (sums === 'float32' && dtype !== 'float32') throw new RangeError('cpuBackend: float32 sums need float32 tensors (a float64 tensor would lose its precision in them)');
  if (o.threads && sums !== 'float32') throw new RangeError("cpuBackend: threads run the float32 products: give sums: 'float32' with them");
  const pool = o.threads && o.threads.threads > 1 ? o.threads : undefined;
  const mm = pool ? pool.products : sums === 'float32' ? FLOAT32_PRODUCTS : REFERENCE_PRODUCTS;
  /** The ops outside the products (ReLU, LRN, pooling, SGD) over the pool's threads: the same bits as one thread. */
  const par = pool ? pool.parallel : serial;
  /** float32 data as this backend holds it: in shared memory when it has threads. */
  const float32 = (data: ArrayLike<number>): Float32Array => {
    if (!pool) return Float32Array.from(data);
    const a = zerosLike(SHARED_FLOAT32, data.length);
    a.set(data);
    return a;
  };
  return {
    name: dtype === 'float64' ? 'cpu-float64' : pool ? 'cpu-threads' : sums === 'float32' ? 'cpu-float32-sums' : 'cpu',
    upload: (data, shape) => tensor(dtype === 'float32' ? float32(data) : Float64Array.from(data), shape),
    adopt: (data, shape) => tensor(dtype === 'float32' ? (data instanceof Float32Array && (!pool || isShared(data)) ? data : float32(data)) : Float64Array.from(data), shape),
    // With threads, disposed tensors' memory is reused (tensor.ts, recycleShared): what leaves the backend is a copy,
    // and a reshape is a copy too (the model disposes a tensor while its reshaped view lives on, as the GPU allows).
    download: (t) => (t.data instanceof Float32Array && !pool ? t.data : Float32Array.from(t.data)),
    // float64 transfers (src/verify/gradients.ts): only where the tensors hold doubles, so the kit's gradient check runs on cpu-float64.
    ...(dtype === 'float64' ? {
      upload64: (data: Float64Array, shape: readonly number[]) => tensor(Float64Array.from(data), shape),
      download64: (t: T) => Float64Array.from(t.data),
    } : {}),
    shape: (t) => t.shape,
    reshape: (t, shape) => (pool ? reshape({ data: float32(t.data), shape: t.shape }, shape) : reshape(t, shape)),
    dispose: (t) => { if (pool) recycleShared(t.data); },
    zero: (t) => { t.data.fill(0); return t; },
    disposeCache: (c) => {
      if (pool && c?.kind === 'lrn') recycleShared((c as LrnCache).out.denom.data);
      if (pool && c?.kind === 'maxpool') recycleShared((c as PoolCache).out.argmax);
    },
    // float32 sums: conv2d-chunks.ts's form, whole chunks of images to a thread; the reference: conv2d.ts's.
    conv2dForward: (x, w, b, p) => (sums === 'float32' ? conv2dForwardChunks(x as F32, w as F32, b as F32, p, mm, par) : conv2dForward(x, w, b, p, mm, par)),
    conv2dBackward: (dy, x, w, p, acc) => (sums === 'float32' ? conv2dGradsChunks(dy as F32, x as F32, w as F32, p, acc as GradAccumulator<Float32Array>, true, mm, par) as Conv2dGrads : conv2dBackward(dy, x, w, p, acc, mm, par)),
    conv2dBackwardWeights: (dy, x, w, p, acc) => (sums === 'float32' ? conv2dGradsChunks(dy as F32, x as F32, w as F32, p, acc as GradAccumulator<Float32Array>, false, mm, par) : conv2dBackwardWeights(dy, x, w, p, acc, mm, par)),
    reluForward: (x) => reluForward(x, par),
    reluBackward: (dy, x) => reluBackward(dy, x, par),
    tanhForward,
    tanhBackward,
    lrnForward(x, p) {
      // float32 sums: LRN in float32 arithmetic too (lrn32-wasm.ts), as PyTorch computes it; the reference keeps float64.
      const out = lrnForward(x, p, par, sums);
      return { y: out.y, cache: { kind: 'lrn', out } as LrnCache };
    },
    lrnBackward: (dy, x, c, p) => lrnBackward(dy, x, expectCache<LrnCache>(c, 'lrn').out, p, par, sums),
    maxpoolForward(x, p) {
      const out = maxpoolForward(x, p, par);
      return { y: out.y, cache: { kind: 'maxpool', out } as PoolCache };
    },
    maxpoolBackward: (dy, c, xShape) => maxpoolBackward(dy, expectCache<PoolCache>(c, 'maxpool').out, xShape, par),
    dropoutForward,
    dropoutBackward,
    linearForward: (x, w, b) => linearForward(x, w, b, mm),
    linearBackward: (dy, x, w, acc) => linearBackward(dy, x, w, acc, mm),
    softmaxCrossEntropy(logits, labels) {
      const r = softmaxCrossEntropy(logits, labels);
      return { loss: r.loss, probs: r.probs, dlogits: r.dlogits };
    },
    sgdStep: (slots, p) => sgdStep(slots, p, par),
  };
}
