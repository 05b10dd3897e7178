import * as fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chunkOf, conv2dBackward, conv2dDirect, conv2dForward, convOutputSize } from '../../src/cpu/conv2d.js';
import { linearForward } from '../../src/cpu/linear.js';
import { Rng } from '../../src/cpu/random.js';
import { type Tensor, tensor } from '../../src/cpu/tensor.js';
import { FC, assertClose, checkGradient, dot, rand64, throwsWith } from '../helpers.js';

// Random convolutions over the ranges the issue names: stride 1-4, pad 0-2, groups 1-4, kernel 1-5.
const convCase = fc.record({
  N: fc.integer({ min: 1, max: 2 }),
  cPerGroup: fc.integer({ min: 1, max: 3 }),
  oPerGroup: fc.integer({ min: 1, max: 3 }),
  groups: fc.integer({ min: 1, max: 4 }),
  kH: fc.integer({ min: 1, max: 5 }),
  kW: fc.integer({ min: 1, max: 5 }),
  stride: fc.integer({ min: 1, max: 4 }),
  pad: fc.integer({ min: 0, max: 2 }),
  extraH: fc.integer({ min: 0, max: 6 }),
  extraW: fc.integer({ min: 0, max: 6 }),
  seed: fc.integer(),
}).filter((c) => c.pad < c.kH && c.pad < c.kW);

function make(c: Record<string, number>) {
  const rng = Rng.seeded(c.seed);
  const C = c.cPerGroup * c.groups, Cout = c.oPerGroup * c.groups;
  const H = Math.max(1, c.kH - 2 * c.pad) + c.extraH, W = Math.max(1, c.kW - 2 * c.pad) + c.extraW;
  const x = rand64(rng, [c.N, C, H, W]);
  const w = rand64(rng, [Cout, c.cPerGroup, c.kH, c.kW]);
  const b = rand64(rng, [Cout]);
  const p = { stride: c.stride, pad: c.pad, groups: c.groups };
  return { rng, x, w, b, p };
}

// Float64 throughout; im2col + blocked product reorders sums of at most 75 terms: 1e-12 of the scale is ample.
test('conv2dForward (im2col) equals the seven-loop definition', () => {
  fc.assert(fc.property(convCase, (c) => {
    const { x, w, b, p } = make(c);
    assertClose(conv2dForward(x, w, b, p).data, conv2dDirect(x, w, b, p).data, 1e-12, 'y');
  }), FC);
});

test('chunkOf: as many images as fit 1 Mi column values, an even count where an odd one would make rows (images x P) odd', () => {
  // The small net's conv2 (K 200, P 13 x 13): 31 images fit; 30 keep every row 8-byte aligned on shared memory.
  assert.is(chunkOf(128, 200, 169), 30);
  assert.is(chunkOf(128, 216, 36), 128); // 134 would fit: capped at the batch
  assert.is(chunkOf(128, 25, 784), 53); // P even: any count keeps rows even
  assert.is(chunkOf(5, 200, 169), 5); // all images in one chunk: nothing to gain by splitting them
  assert.is(chunkOf(128, 4096, 4096), 1); // one image already past the limit
  fc.assert(fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 3000 }), (N, K, P) => {
    const nb = chunkOf(N, K, P);
    assert.ok(nb >= 1 && nb <= N);
    if (nb > 1) assert.ok(nb * K * P <= 1 << 20, `${nb} images of K ${K} P ${P} pass the limit`);
    if (nb > 1 && nb < N) assert.is((nb * P) % 2, 0, `N ${N} K ${K} P ${P}: ${nb} images make rows of odd length`);
  }), FC);
});

test('conv2d gradients match central finite differences (float64)', () => {
  fc.assert(fc.property(convCase, (c) => {
    const { rng, x, w, b, p } = make(c);
    const y = conv2dForward(x, w, b, p);
    const dy = rand64(rng, y.shape);
    const L = () => dot(conv2dForward(x, w, b, p).data, dy.data);
    const g = conv2dBackward(dy, x, w, p);
    checkGradient('dx', x, g.dx.data, L, rng);
    checkGradient('dw', w, g.dw.data, L, rng);
    checkGradient('db', b, g.db.data, L, rng);
  }), { ...FC, numRuns: 30 });
});

function slice(t: Tensor<Float64Array>, axis: 0 | 1, from: number, count: number): Tensor<Float64Array> {
  const s = [...t.shape];
  const outer = axis === 0 ? 1 : s[0], inner = s.slice(axis + 1).reduce((a, b) => a * b, 1);
  const out = new Float64Array(outer * count * inner);
  for (let o = 0; o < outer; o++) out.set(t.data.subarray((o * s[axis] + from) * inner, (o * s[axis] + from + count) * inner), o * count * inner);
  s[axis] = count;
  return tensor(out, s);
}

test('backward adds dw and db into given gradient buffers (acc) and returns them', () => {
  fc.assert(fc.property(convCase, (c) => {
    const { rng, x, w, b, p } = make(c);
    const dy = rand64(rng, conv2dForward(x, w, b, p).shape);
    const fresh = conv2dBackward(dy, x, w, p);
    const acc = { dw: rand64(rng, w.shape), db: rand64(rng, b.shape) };
    const before = { dw: Float64Array.from(acc.dw.data), db: Float64Array.from(acc.db.data) };
    const g = conv2dBackward(dy, x, w, p, acc);
    assert.ok(g.dw === acc.dw && g.db === acc.db);
    assertClose(acc.dw.data, before.dw.map((v, i) => v + fresh.dw.data[i]), 1e-14, 'dw');
    assertClose(acc.db.data, before.db.map((v, i) => v + fresh.db.data[i]), 1e-14, 'db');
  }), FC);
});

test('a conv with g groups equals g convs on channel slices', () => {
  fc.assert(fc.property(convCase.filter((c) => c.groups > 1), (c) => {
    const { x, w, b, p } = make(c);
    const y = conv2dForward(x, w, b, p);
    const G = p.groups, Cg = x.shape[1] / G, Og = w.shape[0] / G;
    for (let g = 0; g < G; g++) {
      const yg = conv2dForward(slice(x, 1, g * Cg, Cg), slice(w, 0, g * Og, Og), slice(b, 0, g * Og, Og), { ...p, groups: 1 });
      assertClose(slice(y, 1, g * Og, Og).data, yg.data, 1e-12, `group ${g}`);
    }
  }), FC);
});

test('a 1x1 conv equals a linear layer applied to every pixel', () => {
  const rng = Rng.seeded(7);
  const [N, C, H, W, O] = [2, 5, 3, 4, 6];
  const x = rand64(rng, [N, C, H, W]), w = rand64(rng, [O, C, 1, 1]), b = rand64(rng, [O]);
  const y = conv2dForward(x, w, b, { stride: 1, pad: 0, groups: 1 });
  // Pixels as rows: xp [N H W, C].
  const xp = new Float64Array(N * H * W * C);
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let q = 0; q < H * W; q++) xp[(n * H * W + q) * C + c] = x.data[(n * C + c) * H * W + q];
  const yl = linearForward(tensor(xp, [N * H * W, C]), tensor(w.data, [O, C]), b);
  for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) for (let q = 0; q < H * W; q++) {
    assert.ok(Math.abs(y.data[(n * O + o) * H * W + q] - yl.data[(n * H * W + q) * O + o]) < 1e-12);
  }
});

test('output sizes follow floor((H + 2 pad - k) / stride) + 1, e.g. conv1 of the paper: 227 -> 55', () => {
  assert.is(convOutputSize(227, 11, 4, 0), 55);
  assert.is(convOutputSize(27, 5, 1, 2), 27);
  assert.is(convOutputSize(13, 3, 1, 1), 13);
  assert.is(convOutputSize(224, 11, 4, 0), 54);
});

test('bad shapes and parameters are rejected with the argument named', () => {
  const rng = Rng.seeded(1);
  const x = rand64(rng, [1, 4, 6, 6]), w = rand64(rng, [6, 2, 3, 3]), b = rand64(rng, [6]);
  throwsWith(() => conv2dForward(x, w, b, { stride: 1, pad: 0, groups: 1 }), /w has shape \[6, 2, 3, 3\]/, /expected \[Cout, 4, kH, kW\]/);
  throwsWith(() => conv2dForward(x, w, b, { stride: 1, pad: 0, groups: 3 }), /groups = 3/);
  throwsWith(() => conv2dForward(x, w, rand64(rng, [5]), { stride: 1, pad: 0, groups: 2 }), /b has shape \[5\], expected \[6\]/);
  throwsWith(() => conv2dForward(x, w, b, { stride: 0, pad: 0, groups: 2 }), /stride must be an integer >= 1, got 0/);
  throwsWith(() => conv2dForward(rand64(rng, [4, 6, 6]), w, b, { stride: 1, pad: 0, groups: 2 }), /x has shape \[4, 6, 6\], expected rank 4/);
  throwsWith(() => conv2dForward(rand64(rng, [1, 4, 2, 2]), w, b, { stride: 1, pad: 0, groups: 2 }), /does not fit x \[1, 4, 2, 2\]/);
  const y = conv2dForward(x, w, b, { stride: 1, pad: 0, groups: 2 });
  throwsWith(() => conv2dBackward(rand64(rng, [1, 6, 3, 3]), x, w, { stride: 1, pad: 0, groups: 2 }), /dy has shape \[1, 6, 3, 3\], expected \[1, 6, 4, 4\]/);
  assert.equal(y.shape, [1, 6, 4, 4]);
});

test('float32 in, float32 out; float64 in, float64 out', () => {
  const rng = Rng.seeded(2);
  const x = rand64(rng, [1, 2, 5, 5]), w = rand64(rng, [2, 2, 3, 3]), b = rand64(rng, [2]);
  const p = { stride: 1, pad: 1, groups: 1 };
  assert.ok(conv2dForward(x, w, b, p).data instanceof Float64Array);
  const x32 = tensor(Float32Array.from(x.data), x.shape);
  const y32 = conv2dForward(x32, w, b, p);
  assert.ok(y32.data instanceof Float32Array);
  // Float32 storage of the output and input: within float32 rounding (2^-23 relative) of a float64 sum of 18 terms.
  assertClose(y32.data, conv2dForward(x, w, b, p).data, 1e-6, 'float32 vs float64');
});

test.run();
