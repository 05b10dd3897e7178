// The CPU reference as a Backend: a handle is a float32 Tensor, and every op
// is the layer function of the same name in this folder.

import type { Backend, OpCache } from '../backend.js';
import { conv2dBackward, conv2dForward } from './conv2d.js';
import { dropoutBackward, dropoutForward } from './dropout.js';
import { linearBackward, linearForward } from './linear.js';
import { type LrnOutput, lrnBackward, lrnForward } from './lrn.js';
import { type MaxPoolOutput, maxpoolBackward, maxpoolForward } from './maxpool.js';
import { reluBackward, reluForward } from './relu.js';
import { sgdStep } from './sgd.js';
import { softmaxCrossEntropy } from './softmax-cross-entropy.js';
import { type Tensor, fmtShape, reshape, tensor } from './tensor.js';

interface LrnCache extends OpCache { kind: 'lrn'; out: LrnOutput<Float32Array> }
interface PoolCache extends OpCache { kind: 'maxpool'; out: MaxPoolOutput<Float32Array> }

function expectCache<C extends OpCache>(c: OpCache, kind: string): C {
  if (c?.kind !== kind) throw new TypeError(`cpu backend: expected a ${kind} cache, got ${c?.kind ?? String(c)}`);
  return c as C;
}

type T = Tensor<Float32Array>;

/** A Backend that runs the CPU reference layers on float32 tensors. */
export function cpuBackend(): Backend<T> {
  return {
    name: 'cpu',
    upload: (data, shape) => tensor(Float32Array.from(data), shape),
    download: (t) => t.data,
    shape: (t) => t.shape,
    reshape: (t, shape) => reshape(t, shape),
    dispose: () => {},
    disposeCache: () => {},
    conv2dForward,
    conv2dBackward,
    reluForward,
    reluBackward,
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
    sgdStep(slots, p) {
      for (const s of slots) {
        if (s.w.shape.join() !== s.g.shape.join()) {
          throw new RangeError(`sgdStep: gradient of ${s.name} has shape ${fmtShape(s.g.shape)}, expected ${fmtShape(s.w.shape)}`);
        }
      }
      sgdStep(slots, p);
      return slots.map((s) => ({ w: s.w, v: s.v }));
    },
  };
}
