// Dropout (paper, section 4.2): during training each output of fc6 and fc7 is
// kept with probability 1 - p (p = 0.5) and set to zero otherwise; the mask is
// drawn afresh for every example at every step.
//
//   x [any shape], mask [same size, 1 = keep, 0 = drop] -> y [same shape]
//
// Two equivalent scalings, chosen with `mode`:
//   'paper':    train y = x * mask;              test y = x * (1 - p)
//   'inverted': train y = x * mask / (1 - p);    test y = x
// The paper multiplies outputs by 0.5 at test time; the inverted form (Caffe,
// PyTorch) moves that factor into training, so test time does nothing. Both
// give the same expected activation, but different weights for the same
// function: the mode is part of a checkpoint's configuration.
// Backward is the same masking (and scaling) applied to dy; at test time dx = dy * scale.

import type { Rng } from './random.js';
import { type FloatArray, type Tensor, expectNumber, empty, expectRank, fmtShape } from './tensor.js';

/** The two dropout scalings described above. */
export type DropoutMode = 'paper' | 'inverted';

/** Hyper-parameters of dropout. `train` false means test time: no mask, only scaling. */
export interface DropoutParams {
  readonly rate: number;
  readonly mode: DropoutMode;
  readonly train: boolean;
}

/** A keep-mask of n entries, each 1 with probability 1 - rate, drawn from rng. */
export function dropoutMask(n: number, rate: number, rng: Rng): Uint8Array {
  expectNumber('dropoutMask', 'rate', rate, 0, 1);
  const m = new Uint8Array(n);
  for (let i = 0; i < n; i++) m[i] = rng.uniform() >= rate ? 1 : 0;
  return m;
}

/** The factor that multiplies kept values: 1 / (1 - p) (inverted, train), 1 - p (paper, test), else 1. */
export function dropoutScale(p: DropoutParams): number {
  expectNumber('dropout', 'rate', p.rate, 0, 1);
  if (p.mode !== 'paper' && p.mode !== 'inverted') {
    throw new RangeError(`dropout: mode must be 'paper' or 'inverted', got ${String(p.mode)}`);
  }
  if (p.train) {
    if (p.mode === 'inverted' && p.rate >= 1) throw new RangeError('dropout: inverted dropout needs rate < 1');
    return p.mode === 'inverted' ? 1 / (1 - p.rate) : 1;
  }
  return p.mode === 'paper' ? 1 - p.rate : 1;
}

function checkMask(fn: string, x: Tensor, mask: Uint8Array | null, p: DropoutParams): void {
  if (p.train && (mask == null || mask.length !== x.data.length)) {
    throw new RangeError(`${fn}: training needs a mask of ${x.data.length} entries for x ${fmtShape(x.shape)}, got ${mask == null ? 'none' : mask.length}`);
  }
}

/** y = x * mask * scale in training, x * scale at test time (mask ignored, may be null). */
export function dropoutForward<A extends FloatArray>(x: Tensor<A>, mask: Uint8Array | null, p: DropoutParams): Tensor<A> {
  expectRank('dropoutForward', 'x', x, x?.shape?.length ?? 0, 'tensor');
  checkMask('dropoutForward', x, mask, p);
  const s = dropoutScale(p);
  const y = empty(x.data, x.shape); // written in full: no zero-fill (tensor.ts, empty)
  for (let i = 0; i < x.data.length; i++) y.data[i] = p.train && mask![i] === 0 ? 0 : x.data[i] * s;
  return y;
}

/** dx = dy * mask * scale (the same linear map as the forward pass). */
export function dropoutBackward<A extends FloatArray>(dy: Tensor<A>, mask: Uint8Array | null, p: DropoutParams): Tensor<A> {
  return dropoutForward(dy, mask, p);
}
