// The WebGL kernels as a Backend: a handle is a GpuTensor (a texture in one
// context), and every op is the kernel function of the same name in this folder.

import type { Backend, OpCache } from '../backend.js';
import { GpuContext, type GpuTensor } from './context.js';
import { conv2dBackward, conv2dBackwardWeights, conv2dForward } from './conv2d.js';
import { dropoutBackward, dropoutForward } from './dropout.js';
import { linearBackward, linearForward } from './linear.js';
import { type LrnOutput, lrnBackward, lrnForward, releaseLrnCache } from './lrn.js';
import { type MaxPoolOutput, maxpoolBackward, maxpoolForward } from './maxpool.js';
import { reluBackward, reluForward } from './relu.js';
import { tanhBackward, tanhForward } from './tanh.js';
import { sgdStep } from './sgd.js';
import { softmaxCrossEntropy } from './softmax-cross-entropy.js';
import { reshape, zeros } from './tensor.js';

interface LrnCache extends OpCache { kind: 'lrn'; out: LrnOutput }
interface PoolCache extends OpCache { kind: 'maxpool'; out: MaxPoolOutput }

function expectCache<C extends OpCache>(c: OpCache, kind: string): C {
  if (c?.kind !== kind) throw new TypeError(`gpu backend: expected a ${kind} cache, got ${c?.kind ?? String(c)}`);
  return c as C;
}

/** A Backend running the gpu.js kernels in one context (one WebGL context, one of the paper's "GPUs"). */
export interface GpuBackend extends Backend<GpuTensor> {
  readonly ctx: GpuContext;
}

/** A Backend over an existing context, or over a new one (which throws GpuUnavailableError without WebGL). */
export function gpuBackend(ctx: GpuContext = GpuContext.create()): GpuBackend {
  return {
    name: 'gpu',
    ctx,
    upload: (data, shape) => ctx.upload(data, shape),
    download: (t) => ctx.download(t),
    shape: (t) => t.shape,
    reshape: (t, shape) => reshape(t, shape),
    dispose: (t) => ctx.dispose(t),
    disposeCache(c) {
      if (c.kind === 'lrn') {
        releaseLrnCache(ctx, (c as LrnCache).out);
      } else if (c.kind === 'maxpool') {
        ctx.dispose((c as PoolCache).out.argmax);
      }
    },
    zero(t) {
      const z = zeros(ctx, t.shape);
      ctx.dispose(t);
      return z;
    },
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
