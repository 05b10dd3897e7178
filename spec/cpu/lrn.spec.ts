import * as fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type LrnParams, PAPER_LRN, lrnBackward, lrnForward } from '../../src/cpu/lrn.js';
import { Rng } from '../../src/cpu/random.js';
import { FC, assertClose, checkGradient, dot, rand64, throwsWith } from '../helpers.js';

// Sizes 1-7 in both conventions; alpha up to 2 and inputs up to 3 so that the
// normalising term, not only k, shapes the gradient.
const lrnCase = fc.record({
  N: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 1, max: 9 }), H: fc.integer({ min: 1, max: 3 }), W: fc.integer({ min: 1, max: 3 }),
  size: fc.integer({ min: 1, max: 7 }),
  alpha: fc.double({ min: 1e-4, max: 2, noNaN: true }),
  beta: fc.oneof(fc.constant(0.75), fc.double({ min: 0.25, max: 1.5, noNaN: true })), // 0.75 takes the square-root path
  k: fc.double({ min: 0.5, max: 3, noNaN: true }),
  convention: fc.constantFrom<'paper' | 'alpha/n'>('paper', 'alpha/n'),
  seed: fc.integer(),
});

test('lrn gradient matches central finite differences, both conventions, sizes 1-7', () => {
  fc.assert(fc.property(lrnCase, (c) => {
    const rng = Rng.seeded(c.seed);
    const p: LrnParams = { size: c.size, alpha: c.alpha, beta: c.beta, k: c.k, convention: c.convention };
    const x = rand64(rng, [c.N, c.C, c.H, c.W], -3, 3);
    const out = lrnForward(x, p);
    const dy = rand64(rng, x.shape);
    checkGradient('dx', x, lrnBackward(dy, x, out, p).data, () => dot(lrnForward(x, p).y.data, dy.data), rng);
  }), FC);
});

test('lrn with g groups equals g separate lrns on channel slices (forward and backward)', () => {
  fc.assert(fc.property(lrnCase, fc.integer({ min: 2, max: 3 }), (c, G) => {
    const rng = Rng.seeded(c.seed);
    const p: LrnParams = { size: c.size, alpha: c.alpha, beta: c.beta, k: c.k, convention: c.convention };
    const Cg = c.C, HW = c.H * c.W;
    const x = rand64(rng, [c.N, G * Cg, c.H, c.W], -3, 3), dy = rand64(rng, x.shape);
    const out = lrnForward(x, { ...p, groups: G });
    const dx = lrnBackward(dy, x, out, { ...p, groups: G });
    const slice = (t: Float64Array, n: number, g: number) => t.slice((n * G + g) * Cg * HW, (n * G + g + 1) * Cg * HW);
    for (let n = 0; n < c.N; n++) for (let g = 0; g < G; g++) {
      const xs = { data: slice(x.data, n, g), shape: [1, Cg, c.H, c.W] }, dys = { data: slice(dy.data, n, g), shape: xs.shape };
      const o = lrnForward(xs, p);
      assert.equal(slice(out.y.data, n, g), o.y.data);
      assertClose(slice(dx.data, n, g), lrnBackward(dys, xs, o, p).data, 1e-15, 'dx');
    }
  }), FC);
  throwsWith(() => lrnForward(rand64(Rng.seeded(1), [1, 5, 2, 2]), { ...PAPER_LRN, groups: 2 }), /groups = 2 must divide the 5 channels of x/);
});

test('lrn with alpha = 0 is division by k^beta', () => {
  fc.assert(fc.property(lrnCase, (c) => {
    const rng = Rng.seeded(c.seed);
    const x = rand64(rng, [c.N, c.C, c.H, c.W], -3, 3);
    const y = lrnForward(x, { size: c.size, alpha: 0, beta: c.beta, k: c.k, convention: c.convention }).y;
    assertClose(y.data, x.data.map((v) => v / Math.pow(c.k, c.beta)), 1e-15, 'y');
  }), FC);
});

test("Caffe's alpha/n convention with alpha equals the paper's with alpha / n", () => {
  fc.assert(fc.property(lrnCase, (c) => {
    const rng = Rng.seeded(c.seed);
    const x = rand64(rng, [c.N, c.C, c.H, c.W], -3, 3);
    const caffe = lrnForward(x, { size: c.size, alpha: c.alpha, beta: c.beta, k: c.k, convention: 'alpha/n' }).y;
    const paper = lrnForward(x, { size: c.size, alpha: c.alpha / c.size, beta: c.beta, k: c.k, convention: 'paper' }).y;
    assertClose(caffe.data, paper.data, 1e-14, 'y');
  }), FC);
});

test("one hand-computed value: the paper's constants on 7 channels", () => {
  const x = rand64(Rng.seeded(3), [1, 7, 1, 1], -20, 20);
  const y = lrnForward(x, PAPER_LRN).y;
  // Channel 0 sees channels 0..2 (window clipped at the edge); channel 3 sees 1..5.
  const s0 = x.data[0] ** 2 + x.data[1] ** 2 + x.data[2] ** 2;
  const s3 = x.data[1] ** 2 + x.data[2] ** 2 + x.data[3] ** 2 + x.data[4] ** 2 + x.data[5] ** 2;
  assert.ok(Math.abs(y.data[0] - x.data[0] / (2 + 1e-4 * s0) ** 0.75) < 1e-14);
  assert.ok(Math.abs(y.data[3] - x.data[3] / (2 + 1e-4 * s3) ** 0.75) < 1e-14);
});

test('lrn rejects bad parameters, naming them', () => {
  const x = rand64(Rng.seeded(1), [1, 3, 2, 2]);
  throwsWith(() => lrnForward(x, { ...PAPER_LRN, size: 0 }), /size must be an integer >= 1, got 0/);
  throwsWith(() => lrnForward(x, { ...PAPER_LRN, k: 0 }), /k must be/);
  throwsWith(() => lrnForward(x, { ...PAPER_LRN, convention: 'torch' as never }), /convention must be 'paper' or 'alpha\/n'/);
  throwsWith(() => lrnForward(rand64(Rng.seeded(1), [3, 2, 2]), PAPER_LRN), /x has shape \[3, 2, 2\], expected rank 4/);
});

test.run();
