// Every GPU kernel against the CPU float32 reference, over random shapes and
// hyper-parameters (fast-check), forward and backward.
//
// Tolerance: max |gpu - cpu| <= 1e-5 * max(|cpu|) per tensor (GPU_REL below).
// Both start from the same float32 inputs; the CPU reference sums in double
// precision and rounds once, while a GPU thread sums in float32, term by term.
// A float32 sum of K terms drifts by about sqrt(K) * 2^-24 of the terms'
// scale (K <= 300 here: ~1e-6), and GLSL's exp and pow carry ~5e-7 relative
// error (../shared/gpujs-notes.md); 1e-5 leaves an order of magnitude above
// that, while an indexing, padding or window bug errs by far more.

import * as fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as cpuConv from '../../src/cpu/conv2d.js';
import * as cpuDrop from '../../src/cpu/dropout.js';
import * as cpuLin from '../../src/cpu/linear.js';
import * as cpuLrn from '../../src/cpu/lrn.js';
import * as cpuPool from '../../src/cpu/maxpool.js';
import { Rng } from '../../src/cpu/random.js';
import * as cpuRelu from '../../src/cpu/relu.js';
import * as cpuTanh from '../../src/cpu/tanh.js';
import * as cpuSgd from '../../src/cpu/sgd.js';
import * as cpuXent from '../../src/cpu/softmax-cross-entropy.js';
import type { Tensor } from '../../src/cpu/tensor.js';
import * as gpuConv from '../../src/gpu/conv2d.js';
import * as gpuDrop from '../../src/gpu/dropout.js';
import * as gpuLin from '../../src/gpu/linear.js';
import * as gpuLrn from '../../src/gpu/lrn.js';
import * as gpuPool from '../../src/gpu/maxpool.js';
import * as gpuRelu from '../../src/gpu/relu.js';
import * as gpuTanh from '../../src/gpu/tanh.js';
import * as gpuSgd from '../../src/gpu/sgd.js';
import * as gpuXent from '../../src/gpu/softmax-cross-entropy.js';
import { reshape as gpuReshape } from '../../src/gpu/tensor.js';
import type { GpuTensor } from '../../src/gpu/context.js';
import { FC_SEED_OPTION, maxAbs, maxAbsDiff, rand32 } from '../helpers.js';
import { sharedContext } from './context.js';

/** See the header: the GPU's tolerance relative to the tensor's max. */
const GPU_REL = 1e-5;
/** Fewer runs than the CPU properties: every new shape compiles new shaders (tens of ms each on llvmpipe). */
const GFC = { numRuns: 16, includeErrorInReport: true, ...FC_SEED_OPTION };

const ctx = await sharedContext();
const up = (t: Tensor) => ctx.upload(t.data, t.shape);

function agree(what: string, g: GpuTensor, c: Tensor, rel = GPU_REL, floor = 0): void {
  assert.equal(g.shape, c.shape, `${what}: shape`);
  const got = ctx.download(g);
  const err = maxAbsDiff(got, c.data), scale = Math.max(maxAbs(c.data), floor);
  if (!(err <= rel * scale || err === 0)) {
    assert.unreachable(`${what}: max |gpu - cpu| = ${err.toExponential(2)} exceeds ${rel} x max|cpu| = ${(rel * scale).toExponential(2)}`);
  }
}

/** Runs body, then releases every texture it made, and checks none leaked. */
function scoped(body: (keep: (t: GpuTensor) => GpuTensor) => void): void {
  const made: GpuTensor[] = [];
  const before = ctx.liveTextures();
  body((t) => (made.push(t), t));
  for (const t of made) ctx.dispose(t);
  assert.is(ctx.liveTextures(), before, 'every texture made in the test was released');
}

const convCase = fc.record({
  // Channel counts per group of 4 and 8 exercise the four-per-thread backward kernels, even output counts the tiled forward ones; the others, the simple ones.
  N: fc.integer({ min: 1, max: 2 }), cPerGroup: fc.constantFrom(1, 2, 3, 4, 8), oPerGroup: fc.constantFrom(1, 2, 3, 4, 8),
  groups: fc.integer({ min: 1, max: 4 }), kernel: fc.constantFrom<'simple' | 'packed' | 'tile' | 'cols'>('simple', 'packed', 'tile', 'cols'), kH: fc.integer({ min: 1, max: 5 }), kW: fc.integer({ min: 1, max: 5 }),
  stride: fc.integer({ min: 1, max: 4 }), pad: fc.integer({ min: 0, max: 2 }),
  extraH: fc.integer({ min: 0, max: 6 }), extraW: fc.integer({ min: 0, max: 6 }), seed: fc.integer(),
}).filter((c) => c.pad < c.kH && c.pad < c.kW);

test('conv2d forward, dx, dw, db (with and without accumulation, every kernel form) agree with the CPU', () => {
  fc.assert(fc.property(convCase, fc.boolean(), (c, accumulate) => {
    const rng = Rng.seeded(c.seed);
    const C = c.cPerGroup * c.groups, Cout = c.oPerGroup * c.groups;
    const H = Math.max(1, c.kH - 2 * c.pad) + c.extraH, W = Math.max(1, c.kW - 2 * c.pad) + c.extraW;
    const x = rand32(rng, [c.N, C, H, W]), w = rand32(rng, [Cout, c.cPerGroup, c.kH, c.kW]), b = rand32(rng, [Cout]);
    const p = { stride: c.stride, pad: c.pad, groups: c.groups };
    const y = cpuConv.conv2dForward(x, w, b, p);
    const dy = rand32(rng, y.shape);
    const accC = accumulate ? { dw: rand32(rng, w.shape), db: rand32(rng, b.shape) } : undefined;
    const g = cpuConv.conv2dBackward(dy, x, w, p, accC ? { dw: { ...accC.dw, data: accC.dw.data.slice() }, db: { ...accC.db, data: accC.db.data.slice() } } : undefined);
    scoped((keep) => {
      const gx = keep(up(x)), gw = keep(up(w)), gb = keep(up(b)), gdy = keep(up(dy));
      const accG = accC ? { dw: up(accC.dw), db: up(accC.db) } : undefined; // consumed by conv2dBackward
      // 'packed': each pass's default choice; 'tile' and 'cols': that forward kernel wherever it applies, with the packed backward.
      const fwd = c.kernel === 'simple' ? 'simple' : c.kernel === 'packed' || c.oPerGroup % 2 !== 0 ? undefined : c.kernel;
      agree('y', keep(gpuConv.conv2dForward(gx, gw, gb, p, fwd)), y);
      const gg = gpuConv.conv2dBackward(gdy, gx, gw, p, accG, c.kernel === 'simple' ? 'simple' : 'x4');
      agree('dx', keep(gg.dx), g.dx);
      agree('dw', keep(gg.dw), g.dw);
      agree('db', keep(gg.db), g.db);
    });
  }), GFC);
});

test('packed forward kernels with input channels per group not a multiple of 4 (zero-padded texels) agree with the CPU', () => {
  // The random cases above reach these rarely; every remainder 1, 2, 3 of Cg mod 4, with one and two groups.
  const rng = Rng.seeded(4);
  for (const [Cg, groups] of [[1, 1], [1, 2], [2, 2], [3, 1], [3, 2], [5, 2], [6, 1], [7, 2]]) {
    const C = Cg * groups, Cout = 8 * groups;
    const x = rand32(rng, [2, C, 7, 6]), w = rand32(rng, [Cout, Cg, 3, 3]), b = rand32(rng, [Cout]);
    const p = { stride: 1, pad: 1, groups };
    const y = cpuConv.conv2dForward(x, w, b, p);
    for (const kernel of ['tile', 'cols'] as const) {
      scoped((keep) => agree(`y (${kernel}, Cg ${Cg}, groups ${groups})`, keep(gpuConv.conv2dForward(keep(up(x)), keep(up(w)), keep(up(b)), p, kernel)), y));
    }
  }
});

test('relu forward and backward agree exactly', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 9 }), fc.integer(), (N, F, seed) => {
    const rng = Rng.seeded(seed);
    const x = rand32(rng, [N, F]), dy = rand32(rng, [N, F]);
    scoped((keep) => {
      const gx = keep(up(x));
      agree('y', keep(gpuRelu.reluForward(gx)), cpuRelu.reluForward(x), 0);
      agree('dx', keep(gpuRelu.reluBackward(keep(up(dy)), gx)), cpuRelu.reluBackward(dy, x), 0);
    });
  }), GFC);
});

// GLSL ES has no tanh; 1 - 2 / (exp(2x) + 1) cancels near 0, losing about one float32 ulp of 1
// (1.2e-7) in absolute terms: the tolerance is 1e-6 of max(max|y|, 1).
test('tanh forward and backward agree (within 1e-6 of max(max|y|, 1))', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 9 }), fc.double({ min: 0.1, max: 30, noNaN: true }), fc.integer(), (N, F, scale, seed) => {
    const rng = Rng.seeded(seed);
    const x = rand32(rng, [N, F], -scale, scale), dy = rand32(rng, [N, F]);
    scoped((keep) => {
      const gx = keep(up(x));
      agree('y', keep(gpuTanh.tanhForward(gx)), cpuTanh.tanhForward(x), 1e-6, 1);
      agree('dx', keep(gpuTanh.tanhBackward(keep(up(dy)), gx)), cpuTanh.tanhBackward(dy, x), 1e-6, 1);
    });
  }), GFC);
});

test('LRN forward and backward agree, both conventions, sizes 1-7, with channel groups', () => {
  const lrnCase = fc.record({
    N: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 1, max: 9 }), groups: fc.integer({ min: 1, max: 2 }), H: fc.integer({ min: 1, max: 3 }), W: fc.integer({ min: 1, max: 3 }),
    size: fc.integer({ min: 1, max: 7 }), alpha: fc.double({ min: 1e-4, max: 1, noNaN: true }), beta: fc.constantFrom(0.75, 0.5, 1),
    k: fc.double({ min: 1, max: 3, noNaN: true }), convention: fc.constantFrom<'paper' | 'alpha/n'>('paper', 'alpha/n'), seed: fc.integer(),
  });
  fc.assert(fc.property(lrnCase, (c) => {
    const rng = Rng.seeded(c.seed);
    const p = { size: c.size, alpha: c.alpha, beta: c.beta, k: c.k, convention: c.convention, groups: c.groups };
    const x = rand32(rng, [c.N, c.C * c.groups, c.H, c.W], -3, 3), dy = rand32(rng, x.shape);
    const out = cpuLrn.lrnForward(x, p);
    scoped((keep) => {
      const gx = keep(up(x));
      const go = gpuLrn.lrnForward(gx, p);
      keep(go.y); keep(go.denom);
      agree('y', go.y, out.y);
      agree('dx', keep(gpuLrn.lrnBackward(keep(up(dy)), gx, go, p)), cpuLrn.lrnBackward(dy, x, out, p));
    });
  }), GFC);
});

test('max pool forward and backward agree exactly, both roundings, with ties', () => {
  const poolCase = fc.record({
    N: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 1, max: 3 }), kernel: fc.integer({ min: 1, max: 4 }), stride: fc.integer({ min: 1, max: 3 }),
    padFrac: fc.integer({ min: 0, max: 2 }), extraH: fc.integer({ min: 0, max: 6 }), extraW: fc.integer({ min: 0, max: 6 }), ceil: fc.boolean(),
    ties: fc.boolean(), seed: fc.integer(),
  });
  fc.assert(fc.property(poolCase, (c) => {
    const rng = Rng.seeded(c.seed);
    const p = { kernel: c.kernel, stride: c.stride, pad: Math.min(c.padFrac, Math.floor(c.kernel / 2)), ceil: c.ceil };
    const x = rand32(rng, [c.N, c.C, c.kernel + c.extraH, c.kernel + c.extraW]);
    // Ties: values on a coarse grid, so windows often hold equal maxima.
    if (c.ties) for (let i = 0; i < x.data.length; i++) x.data[i] = Math.round(x.data[i] * 2);
    const out = cpuPool.maxpoolForward(x, p);
    const dy = rand32(rng, out.y.shape);
    scoped((keep) => {
      const go = gpuPool.maxpoolForward(keep(up(x)), p);
      keep(go.y); keep(go.argmax);
      agree('y', go.y, out.y, 0);
      // Each input sums at most kernel^2 values of dy: with exact winners the two sums differ only in order.
      agree('dx', keep(gpuPool.maxpoolBackward(keep(up(dy)), go, x.shape)), cpuPool.maxpoolBackward(dy, out, x.shape), 1e-6);
    });
  }), GFC);
});

test('dropout agrees exactly, both modes, training and test', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 40 }), fc.double({ min: 0, max: 0.9, noNaN: true }), fc.constantFrom<'paper' | 'inverted'>('paper', 'inverted'), fc.boolean(), fc.integer(), (F, rate, mode, train, seed) => {
    const rng = Rng.seeded(seed);
    const x = rand32(rng, [2, F]);
    const mask = cpuDrop.dropoutMask(2 * F, rate, rng);
    const p = { rate, mode, train };
    scoped((keep) => {
      agree('y', keep(gpuDrop.dropoutForward(keep(up(x)), mask, p)), cpuDrop.dropoutForward(x, mask, p), 1e-7);
      agree('dx', keep(gpuDrop.dropoutBackward(keep(up(x)), mask, p)), cpuDrop.dropoutBackward(x, mask, p), 1e-7);
    });
  }), GFC);
});

test('linear forward and backward (with accumulation) agree with the CPU', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 9 }), fc.integer(), (N, I, O, seed) => {
    const rng = Rng.seeded(seed);
    const x = rand32(rng, [N, I]), w = rand32(rng, [O, I]), b = rand32(rng, [O]), dy = rand32(rng, [N, O]);
    const acc = { dw: rand32(rng, [O, I]), db: rand32(rng, [O]) };
    scoped((keep) => {
      const gx = keep(up(x)), gw = keep(up(w));
      agree('y', keep(gpuLin.linearForward(gx, gw, keep(up(b)))), cpuLin.linearForward(x, w, b));
      const gg = gpuLin.linearBackward(keep(up(dy)), gx, gw, { dw: up(acc.dw), db: up(acc.db) });
      const cg = cpuLin.linearBackward(dy, x, w, acc);
      agree('dx', keep(gg.dx), cg.dx);
      agree('dw', keep(gg.dw), cg.dw);
      agree('db', keep(gg.db), cg.db);
    });
  }), GFC);
});

test('softmax cross-entropy agrees, for logits up to magnitude 200', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 2, max: 1000 }), fc.double({ min: 0.1, max: 200, noNaN: true }), fc.integer(), (N, C, scale, seed) => {
    const rng = Rng.seeded(seed);
    const z = rand32(rng, [N, C], -scale, scale);
    const labels = Int32Array.from({ length: N }, () => rng.int(C));
    const r = cpuXent.softmaxCrossEntropy(z, labels);
    scoped((keep) => {
      const g = gpuXent.softmaxCrossEntropy(keep(up(z)), labels);
      keep(g.probs); keep(g.dlogits);
      // The loss is a difference of float32 terms of size ~scale: absolute error ~ scale * 2^-24 per term.
      assert.ok(Math.abs(g.loss - r.loss) <= 1e-5 * Math.max(1, Math.abs(r.loss), scale), `loss ${g.loss} vs ${r.loss}`);
      // (p - onehot) / N cancels when p is within float32 rounding of 1: the error is about one ulp of 1 (6e-8)
      // over N whatever max|dlogits| is, so both tensors are judged against their natural scales, 1 and 1 / N.
      agree('probs', g.probs, r.probs, GPU_REL, 1);
      agree('dlogits', g.dlogits, r.dlogits, GPU_REL, 1 / N);
    });
  }), GFC);
});

test('momentum SGD agrees; old w and v are released', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 50 }), fc.double({ min: 1e-4, max: 0.1, noNaN: true }), fc.integer(), (n, lr, seed) => {
    const rng = Rng.seeded(seed);
    const w = rand32(rng, [3, n]), v = rand32(rng, [3, n]), g = rand32(rng, [3, n]);
    const p = { ...cpuSgd.PAPER_SGD, lr };
    scoped((keep) => {
      const before = ctx.liveTextures();
      const [r] = gpuSgd.sgdStep([{ name: 'w', w: up(w), v: up(v), g: keep(up(g)) }], p);
      keep(r.w); keep(r.v);
      assert.is(ctx.liveTextures(), before + 3, 'old w and v released, new ones live (with g)');
      cpuSgd.sgdStep([{ name: 'w', w, v, g }], p);
      agree('w', r.w, w, 1e-6);
      agree('v', r.v, v, 1e-6);
    });
  }), GFC);
});

test('reshape between [N, C, H, W] and [N, C H W] keeps row-major order', () => {
  const rng = Rng.seeded(4);
  const x = rand32(rng, [2, 5, 3, 4]);
  scoped((keep) => {
    const flat = keep(gpuReshape(keep(up(x)), [2, 60]));
    assert.equal(ctx.download(flat), x.data);
    assert.equal(ctx.download(keep(gpuReshape(flat, [2, 5, 3, 4]))), x.data);
  });
});

test.run();
