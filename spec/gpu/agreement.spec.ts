// The GPU kernel forms the verification kit cannot see, against the CPU float32
// reference over random shapes (fast-check): every conv kernel form forced in
// turn (the backend picks one by shape), the packed kernels' zero-padded
// texels, the SGD step's release of the old tensors, reshape's order. Every
// op through the Backend interface, and the whole nets, run through the kit
// (spec/gpu/kit.spec.ts), as any backend's do.
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
import * as cpuLinear from '../../src/cpu/linear.js';
import * as cpuLrn from '../../src/cpu/lrn.js';
import { Rng } from '../../src/cpu/random.js';
import * as cpuSgd from '../../src/cpu/sgd.js';
import type { Tensor } from '../../src/cpu/tensor.js';
import * as gpuConv from '../../src/gpu/conv2d.js';
import * as gpuLinear from '../../src/gpu/linear.js';
import * as gpuLrn from '../../src/gpu/lrn.js';
import * as gpuSgd from '../../src/gpu/sgd.js';
import { reshape as gpuReshape } from '../../src/gpu/tensor.js';
import type { GpuTensor } from '../../src/gpu/context.js';
import { FC_SEED_OPTION, maxAbs, maxAbsDiff, rand32 } from '../helpers.js';
import { sharedContext } from './context.js';

/** See the header: the GPU's tolerance relative to the tensor's max. */
const GPU_REL = 1e-5;
/** Fewer runs than the CPU properties: every new shape compiles new shaders (tens of ms each on llvmpipe). */
const GFC = { numRuns: 16, includeErrorInReport: true, ...FC_SEED_OPTION };

const ctx = await sharedContext();
const PAPER = cpuLrn.PAPER_LRN;
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
      const gg = gpuConv.conv2dBackward(gdy, gx, gw, p, accG, c.kernel === 'simple' ? 'simple' : accumulate ? 'tile' : 'x4');
      agree('dx', keep(gg.dx), g.dx);
      agree('dw', keep(gg.dw), g.dw);
      agree('db', keep(gg.db), g.db);
    });
  }), GFC);
});

test('dx as the transposed convolution and dw with the images as channels, through the tile kernel (stride 1): every square kernel and padding, even and odd widths, agree with the CPU', () => {
  // The random cases above reach stride 1 with a square kernel rarely; here every k 1..5 with every pad < k,
  // Cg 2, 4 and 6 (dy's channels per group Coutg 1, 3 and 4: zero-padded texels in the packed dy), one and two groups.
  const rng = Rng.seeded(6);
  let cases = 0;
  for (let k = 1; k <= 5; k++)
    for (let pad = 0; pad < k; pad++)
      for (const [Cg, Coutg, groups] of [[2, 1, 1], [4, 3, 2], [6, 4, 1], [2, 4, 2]]) {
        const H = k + 2 + pad, W = k + 3 - pad; // widths odd and even, Wo odd and even
        const x = rand32(rng, [2, Cg * groups, H, W]), w = rand32(rng, [Coutg * groups, Cg, k, k]), b = rand32(rng, [Coutg * groups]);
        const p = { stride: 1, pad, groups };
        assert.ok(gpuConv.dxAsTransposedTile(p, w.shape), `k ${k} pad ${pad} Cg ${Cg}: runs as the tile`);
        const dy = rand32(rng, cpuConv.conv2dForward(x, w, b, p).shape);
        const want = cpuConv.conv2dBackward(dy, x, w, p);
        scoped((keep) => {
          const g = gpuConv.conv2dBackward(keep(up(dy)), keep(up(x)), keep(up(w)), p, undefined, 'tile');
          keep(g.db);
          agree(`dx (k ${k}, pad ${pad}, Cg ${Cg}, Coutg ${Coutg}, groups ${groups})`, keep(g.dx), want.dx);
          agree(`dw (k ${k}, pad ${pad}, Cg ${Cg}, Coutg ${Coutg}, groups ${groups}${gpuConv.dwAsTile(p, w.shape) ? ', tile' : ''})`, keep(g.dw), want.dw);
        });
        cases++;
      }
  assert.is(cases, 60);
  assert.not.ok(gpuConv.dxAsTransposedTile({ stride: 2, pad: 0, groups: 1 }, [4, 4, 3, 3]), 'stride 2: x4');
  assert.not.ok(gpuConv.dxAsTransposedTile({ stride: 1, pad: 0, groups: 1 }, [4, 3, 3, 3]), 'Cg odd: x4');
  assert.not.ok(gpuConv.dxAsTransposedTile({ stride: 1, pad: 0, groups: 1 }, [4, 4, 3, 2]), 'not square: x4');
});

test('dw through the tile kernel over slices of four images: uneven slices (zero images padding the last), groups, accumulation, a non-square kernel, agree with the CPU', () => {
  const rng = Rng.seeded(7);
  const saved = gpuConv.conv2dTuning.dwThreads;
  try {
    for (const [N, groups, kH, kW, pad, Coutg] of [[9, 2, 3, 3, 1, 2], [13, 1, 2, 3, 0, 4], [3, 2, 5, 5, 2, 6]]) {
      const Cg = 4, x = rand32(rng, [N, Cg * groups, 7, 6]), w = rand32(rng, [Coutg * groups, Cg, kH, kW]), b = rand32(rng, [Coutg * groups]);
      const p = { stride: 1, pad, groups };
      assert.ok(gpuConv.dwAsTile(p, w.shape), 'runs as the tile');
      const dy = rand32(rng, cpuConv.conv2dForward(x, w, b, p).shape);
      const acc = { dw: rand32(rng, w.shape), db: rand32(rng, b.shape) };
      const want = cpuConv.conv2dBackward(dy, x, w, p, { dw: { ...acc.dw, data: acc.dw.data.slice() }, db: { ...acc.db, data: acc.db.data.slice() } });
      const threads = Math.ceil(kW / 2) * kH * Cg * Coutg * groups / 2;
      for (const slices of [1, 2, 3]) {
        gpuConv.conv2dTuning.dwThreads = slices * threads;
        const { count, chunk } = gpuConv.dwTileSlices(N, threads);
        assert.is(chunk % 4, 0, 'slices of four images each');
        scoped((keep) => {
          const g = gpuConv.conv2dBackward(keep(up(dy)), keep(up(x)), keep(up(w)), p, { dw: up(acc.dw), db: up(acc.db) }, 'tile');
          keep(g.dx); keep(g.db);
          agree(`dw + acc (N ${N}, ${count} slices of ${chunk}, groups ${groups}, ${kH} x ${kW})`, keep(g.dw), want.dw);
        });
      }
    }
  } finally {
    gpuConv.conv2dTuning.dwThreads = saved;
  }
  assert.equal(gpuConv.dwTileSlices(9, 10, 30), { count: 3, chunk: 4 }, 'three slices of 4 images (the last 1 image and 3 zeros)');
  assert.equal(gpuConv.dwTileSlices(9, 10, 20), { count: 2, chunk: 8 }, 'two slices of 8 images (the last 1 image and 7 zeros)');
  assert.equal(gpuConv.dwTileSlices(128, 1920, 16384), { count: 8, chunk: 16 }, 'the small net\'s conv2: 8 slices of 16 images');
  assert.not.ok(gpuConv.dwAsTile({ stride: 2, pad: 0, groups: 1 }, [4, 4, 3, 3]), 'stride 2: x4');
  assert.not.ok(gpuConv.dwAsTile({ stride: 1, pad: 0, groups: 2 }, [6, 4, 3, 3]), 'Cout / groups odd: x4');
  assert.not.ok(gpuConv.dwAsTile({ stride: 1, pad: 2, groups: 1 }, [16, 1, 5, 5]), 'a first layer (one input channel): x4');
});

test('linear forward, dx, dw, db, plain and tiled (odd and even sizes, k not a multiple of 4, with and without accumulation), agree with the CPU', () => {
  const rng = Rng.seeded(8);
  for (const [N, I, O] of [[1, 1, 1], [2, 4, 2], [3, 5, 7], [8, 13, 6], [5, 9, 10], [128, 128, 256]])
    for (const kernel of ['simple', 'tile'] as const)
      for (const accumulate of [false, true]) {
        const x = rand32(rng, [N, I]), w = rand32(rng, [O, I]), b = rand32(rng, [O]), dy = rand32(rng, [N, O]);
        const acc = accumulate ? { dw: rand32(rng, w.shape), db: rand32(rng, b.shape) } : undefined;
        const y = cpuLinear.linearForward(x, w, b);
        const g = cpuLinear.linearBackward(dy, x, w, acc && { dw: { ...acc.dw, data: acc.dw.data.slice() }, db: { ...acc.db, data: acc.db.data.slice() } });
        const what = `${kernel}, N ${N} I ${I} O ${O}${accumulate ? ', acc' : ''}`;
        scoped((keep) => {
          const gx = keep(up(x)), gw = keep(up(w));
          agree(`y (${what})`, keep(gpuLinear.linearForward(gx, gw, keep(up(b)), kernel)), y);
          const gg = gpuLinear.linearBackward(keep(up(dy)), gx, gw, acc && { dw: up(acc.dw), db: up(acc.db) }, kernel);
          agree(`dx (${what})`, keep(gg.dx), g.dx);
          agree(`dw (${what})`, keep(gg.dw), g.dw);
          agree(`db (${what})`, keep(gg.db), g.db);
        });
      }
});

test('LRN on channels packed four to a texel: window sizes 1 to 9 (up to four texels), both conventions, groups at texel edges, agrees with the CPU', () => {
  const rng = Rng.seeded(9);
  for (const size of [1, 2, 3, 5, 7, 9])
    for (const [C, groups] of [[4, 1], [8, 2], [16, 1], [16, 4], [24, 2]])
      for (const convention of ['paper', 'alpha/n'] as const) {
        const p = { size, alpha: 0.3, beta: 0.75, k: 2, convention, groups };
        const x = rand32(rng, [2, C, 3, 5]), dy = rand32(rng, x.shape);
        assert.ok(gpuLrn.lrnPacked(x.shape, p), 'runs packed');
        const out = cpuLrn.lrnForward(x, p), dx = cpuLrn.lrnBackward(dy, x, out, p);
        const what = `n ${size}, C ${C}, groups ${groups}, ${convention}`;
        scoped((keep) => {
          const gx = keep(up(x));
          const o = gpuLrn.lrnForward(gx, p);
          assert.ok(o.packed && !o.denom, `${what}: the packed cache`);
          agree(`y (${what})`, keep(o.y), out.y);
          agree(`dx (${what})`, keep(gpuLrn.lrnBackward(keep(up(dy)), gx, o, p)), dx);
          gpuLrn.releaseLrnCache(ctx, o);
        });
      }
  assert.not.ok(gpuLrn.lrnPacked([1, 6, 2, 2], PAPER), 'C not a multiple of 4: plain kernels');
  assert.not.ok(gpuLrn.lrnPacked([1, 12, 2, 2], { ...PAPER, groups: 2 }), '6 channels a group: plain kernels');
});

test('dw over slices of the images: uneven slices, every slice count from 1 to N, with and without accumulation, agree with the CPU', () => {
  // The random cases above have N <= 2 and few threads, so each image is its own slice; here the
  // tuning target is lowered so that 5 images fall into 1 (all), 2 (3 + 2), 3 (2 + 2 + 1) and 5 slices.
  const rng = Rng.seeded(5);
  const saved = gpuConv.conv2dTuning.dwThreads;
  try {
    for (const [groups, stride, pad] of [[2, 1, 1], [1, 2, 0]]) {
      const x = rand32(rng, [5, 4 * groups, 9, 7]), w = rand32(rng, [8, 4, 3, 3]), b = rand32(rng, [8]);
      const p = { stride, pad, groups };
      const dy = rand32(rng, cpuConv.conv2dForward(x, w, b, p).shape);
      const acc = { dw: rand32(rng, w.shape), db: rand32(rng, b.shape) };
      const plain = cpuConv.conv2dBackward(dy, x, w, p);
      const summed = cpuConv.conv2dBackward(dy, x, w, p, { dw: { ...acc.dw, data: acc.dw.data.slice() }, db: { ...acc.db, data: acc.db.data.slice() } });
      const threads = 3 * 3 * 2 * 4; // kW kH (Cout / 4) Cg
      for (const [want, count] of [[1, 1], [2, 2], [3, 3], [5, 5]]) {
        gpuConv.conv2dTuning.dwThreads = want * threads;
        assert.is(gpuConv.dwSlices(5, threads).count, count, `${want} slices wanted`);
        scoped((keep) => {
          const gx = keep(up(x)), gw = keep(up(w)), gdy = keep(up(dy));
          const g0 = gpuConv.conv2dBackward(gdy, gx, gw, p, undefined, 'x4');
          keep(g0.dx); keep(g0.db);
          agree(`dw (${count} slices, groups ${groups}, stride ${stride})`, keep(g0.dw), plain.dw);
          const g = gpuConv.conv2dBackward(gdy, gx, gw, p, { dw: up(acc.dw), db: up(acc.db) }, 'x4');
          keep(g.dx); keep(g.db);
          agree(`dw + acc (${count} slices)`, keep(g.dw), summed.dw);
        });
      }
    }
  } finally {
    gpuConv.conv2dTuning.dwThreads = saved;
  }
  assert.equal(gpuConv.dwSlices(5, 10, 20), { count: 2, chunk: 3 }, 'two slices of 3 and 2 images');
  assert.equal(gpuConv.dwSlices(5, 10, 30), { count: 3, chunk: 2 }, 'three slices of 2, 2 and 1');
  assert.equal(gpuConv.dwSlices(128, 800, 16384), { count: 19, chunk: 7 }, 'the small net\'s conv2: 19 slices of 7 images (the last 2)');
  assert.equal(gpuConv.dwSlices(4, 100000, 16384), { count: 1, chunk: 4 }, 'enough threads: one slice');
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

// GLSL ES has no tanh; 1 - 2 / (exp(2x) + 1) cancels near 0, losing about one float32 ulp of 1
// (1.2e-7) in absolute terms: the tolerance is 1e-6 of max(max|y|, 1).
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
