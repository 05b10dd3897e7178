// The CPU reference as a Backend: a handle is a float32 Tensor, and every op
// is the layer function of the same name in this folder.

import type { Backend, OpCache } from '../backend.js';
import { conv2dBackward, conv2dBackwardWeights, conv2dForward } from './conv2d.js';
import { dropoutBackward, dropoutForward } from './dropout.js';
import { linearBackward, linearForward } from './linear.js';
import { type LrnOutput, lrnBackward, lrnForward } from './lrn.js';
import { type MaxPoolOutput, maxpoolBackward, maxpoolForward } from './maxpool.js';
import { reluBackward, reluForward } from './relu.js';
import { tanhBackward, tanhForward } from './tanh.js';
import { sgdStep } from './sgd.js';
import { softmaxCrossEntropy } from './softmax-cross-entropy.js';
import { type FloatArray, type Tensor, reshape, tensor } from './tensor.js';

interface LrnCache extends OpCache { kind: 'lrn'; out: LrnOutput }
interface PoolCache extends OpCache { kind: 'maxpool'; out: MaxPoolOutput }

function expectCache<C extends OpCache>(c: OpCache, kind: string): C {
  if (c?.kind !== kind) throw new TypeError(`cpu backend: expected a ${kind} cache, got ${c?.kind ?? String(c)}`);
  return c as C;
}

/** The CPU backend's tensor handle: a float32 (or float64) typed array with its shape. */
export type CpuTensor = Tensor<FloatArray>;
type T = CpuTensor;

/**
 * A Backend that runs the CPU reference layers: on float32 tensors (normal
 * use), or on float64 tensors to check whole-model gradients against finite differences.
 */
export function cpuBackend(dtype: 'float32' | 'float64' = 'float32'): Backend<T> {
  return {
    name: dtype === 'float32' ? 'cpu' : 'cpu-float64',
    upload: (data, shape) => tensor(dtype === 'float32' ? Float32Array.from(data) : Float64Array.from(data), shape),
    adopt: (data, shape) => tensor(dtype === 'float32' && data instanceof Float32Array ? data : Float64Array.from(data), shape),
    download: (t) => (t.data instanceof Float32Array ? t.data : Float32Array.from(t.data)),
    // float64 transfers (src/verify/gradients.ts): only where the tensors hold doubles, so the kit's gradient check runs on cpu-float64.
    ...(dtype === 'float64' ? {
      upload64: (data: Float64Array, shape: readonly number[]) => tensor(Float64Array.from(data), shape),
      download64: (t: T) => Float64Array.from(t.data),
    } : {}),
    shape: (t) => t.shape,
    reshape: (t, shape) => reshape(t, shape),
    dispose: () => {},
    zero: (t) => { t.data.fill(0); return t; },
    disposeCache: () => {},
    conv2dForward,
    conv2dBackward,
    conv2dBackwardWeights,
    reluForward,
    reluBackward,
    tanhForward,
    tanhBackward,
    lrnForward(x, p) {
      const out = lrnForward(x, p);
      return { y: out.y, cache: { kind: 'lrn', out } as LrnCache };
    },
    lrnBackward: (dy, x, c, p) => lrnBackward(dy, x, expectCache<LrnCache>(c, 'lrn').out, p),
    maxpoolForward(x, p) {
      const out = maxpoolForward(x, p);
      return { y: out.y, cache: { kind: 'maxpool', out } as PoolCache };
    },
    maxpoolBackward: (dy, c, xShape) => maxpoolBackward(dy, expectCache<PoolCache>(c, 'maxpool').out, xShape),
    dropoutForward,
    dropoutBackward,
    linearForward,
    linearBackward,
    softmaxCrossEntropy(logits, labels) {
      const r = softmaxCrossEntropy(logits, labels);
      return { loss: r.loss, probs: r.probs, dlogits: r.dlogits };
    },
    sgdStep,
  };
}
