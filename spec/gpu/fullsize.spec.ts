// The GPU kernels at the paper net's full sizes, where texture limits and
// flat-index precision bite: fc6's 4096 x 9216 weights (37.7 million values,
// flat indices past 2^24) and conv1 at batch 8 ([8, 3, 227, 227] ->
// [8, 96, 55, 55]). Same tolerance as agreement.spec.ts: 1e-5 of the tensor's
// max; sums here run to 9216 terms, whose float32 drift (~sqrt(9216) * 2^-24
// = 6e-6 of the terms' scale, less after cancellation) still fits.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { conv2dForward as cpuConv } from '../../src/cpu/conv2d.js';
import { linearBackward as cpuLinB, linearForward as cpuLin } from '../../src/cpu/linear.js';
import { Rng } from '../../src/cpu/random.js';
import type { Tensor } from '../../src/cpu/tensor.js';
import { conv2dForward } from '../../src/gpu/conv2d.js';
import type { GpuTensor } from '../../src/gpu/context.js';
import { linearBackward, linearForward } from '../../src/gpu/linear.js';
import { maxAbs, maxAbsDiff, rand32 } from '../helpers.js';
import { sharedContext } from './context.js';

const ctx = await sharedContext();
const up = (t: Tensor) => ctx.upload(t.data, t.shape);

function agree(what: string, g: GpuTensor, c: Tensor, rel = 1e-5): void {
  assert.equal(g.shape, c.shape, `${what}: shape`);
  const err = maxAbsDiff(ctx.download(g), c.data), scale = maxAbs(c.data);
  assert.ok(err <= rel * scale, `${what}: max |gpu - cpu| = ${err.toExponential(2)}, allowed ${(rel * scale).toExponential(2)}`);
  ctx.dispose(g);
}

test('fc6 at full size: [2, 9216] x [4096, 9216]^T, forward and backward', () => {
  const rng = Rng.seeded(6);
  const x = rand32(rng, [2, 9216]), w = rand32(rng, [4096, 9216], -0.01, 0.01), b = rand32(rng, [4096]), dy = rand32(rng, [2, 4096]);
  const gx = up(x), gw = up(w), gb = up(b), gdy = up(dy);
  agree('y', linearForward(gx, gw, gb), cpuLin(x, w, b));
  const g = linearBackward(gdy, gx, gw), c = cpuLinB(dy, x, w);
  agree('dx', g.dx, c.dx);
  agree('dw', g.dw, c.dw);
  agree('db', g.db, c.db);
  for (const t of [gx, gw, gb, gdy]) ctx.dispose(t);
});

test('conv1 at batch 8: [8, 3, 227, 227] -> [8, 96, 55, 55]', () => {
  const rng = Rng.seeded(7);
  const x = rand32(rng, [8, 3, 227, 227]), w = rand32(rng, [96, 3, 11, 11], -0.1, 0.1), b = rand32(rng, [96]);
  const p = { stride: 4, pad: 0, groups: 1 };
  const gx = up(x), gw = up(w), gb = up(b);
  agree('y', conv2dForward(gx, gw, gb, p), cpuConv(x, w, b, p));
  for (const t of [gx, gw, gb]) ctx.dispose(t);
});

test.run();
