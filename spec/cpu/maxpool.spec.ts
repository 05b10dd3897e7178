import * as fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type MaxPoolParams, PAPER_POOL, maxpoolBackward, maxpoolForward, poolOutputSize } from '../../src/cpu/maxpool.js';
import { Rng } from '../../src/cpu/random.js';
import { tensor } from '../../src/cpu/tensor.js';
import { FC, checkGradient, dot, rand64, throwsWith } from '../helpers.js';

const poolCase = fc.record({
  N: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 1, max: 3 }),
  kernel: fc.integer({ min: 1, max: 4 }), stride: fc.integer({ min: 1, max: 3 }), padFrac: fc.integer({ min: 0, max: 2 }),
  extraH: fc.integer({ min: 0, max: 6 }), extraW: fc.integer({ min: 0, max: 6 }), ceil: fc.boolean(), seed: fc.integer(),
});

function make(c: { N: number; C: number; kernel: number; stride: number; padFrac: number; extraH: number; extraW: number; ceil: boolean; seed: number }) {
  const p: MaxPoolParams = { kernel: c.kernel, stride: c.stride, pad: Math.min(c.padFrac, Math.floor(c.kernel / 2)), ceil: c.ceil };
  const rng = Rng.seeded(c.seed);
  return { p, rng, x: rand64(rng, [c.N, c.C, c.kernel + c.extraH, c.kernel + c.extraW]) };
}

test('max pool gradient matches central finite differences, both roundings', () => {
  // Random continuous inputs: two values of a window closer than h (a tie) has probability ~1e-6.
  fc.assert(fc.property(poolCase, (c) => {
    const { p, rng, x } = make(c);
    const out = maxpoolForward(x, p);
    const dy = rand64(rng, out.y.shape);
    checkGradient('dx', x, maxpoolBackward(dy, out, x.shape).data, () => dot(maxpoolForward(x, p).y.data, dy.data), rng);
  }), FC);
});

test('every output is the max of its clipped window (the definition)', () => {
  fc.assert(fc.property(poolCase, (c) => {
    const { p, x } = make(c);
    const [N, C, H, W] = x.shape;
    const { y } = maxpoolForward(x, p);
    const [, , Ho, Wo] = y.shape;
    for (let nc = 0; nc < N * C; nc++) for (let i = 0; i < Ho; i++) for (let j = 0; j < Wo; j++) {
      let m = -Infinity;
      for (let u = 0; u < p.kernel; u++) for (let v = 0; v < p.kernel; v++) {
        const yy = i * p.stride - p.pad + u, xx = j * p.stride - p.pad + v;
        if (yy >= 0 && yy < H && xx >= 0 && xx < W) m = Math.max(m, x.data[(nc * H + yy) * W + xx]);
      }
      assert.is(y.data[(nc * Ho + i) * Wo + j], m);
    }
  }), FC);
});

test('kernel 1, stride 1 is the identity, forward and backward', () => {
  fc.assert(fc.property(poolCase, (c) => {
    const { rng, x } = make(c);
    const p = { kernel: 1, stride: 1, pad: 0, ceil: c.ceil };
    const out = maxpoolForward(x, p);
    assert.equal(out.y.data, x.data);
    const dy = rand64(rng, x.shape);
    assert.equal(maxpoolBackward(dy, out, x.shape).data, dy.data);
  }), FC);
});

test('on ties the gradient goes to the first maximum in row-major window order', () => {
  const x = tensor(new Float32Array([1, 5, 5, 5, 2, 5, 0, 0, 5]), [1, 1, 3, 3]);
  const out = maxpoolForward(x, { kernel: 3, stride: 1, pad: 0, ceil: false });
  assert.equal([...out.y.data], [5]);
  const dx = maxpoolBackward(tensor(new Float32Array([1]), [1, 1, 1, 1]), out, x.shape);
  assert.equal([...dx.data], [0, 1, 0, 0, 0, 0, 0, 0, 0]);
});

test('floor and ceil rounding: sizes, and the paper net sizes 55 -> 27 -> 13 -> 6', () => {
  const f = (n: number, ceil: boolean, pad = 0) => poolOutputSize(n, { kernel: 3, stride: 2, pad, ceil });
  assert.is(f(8, false), 3);
  assert.is(f(8, true), 4);
  assert.is(f(10, true), 5);
  assert.is(f(7, true), 3); // (7 - 3) / 2 is exact: both roundings agree
  assert.is(f(6, true, 1), 4); // the fourth window starts at input row 5: kept
  // kernel 2, stride 3, pad 1 on 5: ceil(5 / 3) + 1 = 3, but the third window would start in the padding: dropped.
  assert.is(poolOutputSize(5, { kernel: 2, stride: 3, pad: 1, ceil: true }), 2);
  assert.is(poolOutputSize(5, { kernel: 2, stride: 3, pad: 1, ceil: false }), 2);
  for (const ceil of [false, true]) {
    assert.is(poolOutputSize(55, { ...PAPER_POOL, ceil }), 27);
    assert.is(poolOutputSize(27, { ...PAPER_POOL, ceil }), 13);
    assert.is(poolOutputSize(13, { ...PAPER_POOL, ceil }), 6);
  }
});

test('max pool rejects bad parameters, naming them', () => {
  const x = rand64(Rng.seeded(1), [1, 1, 4, 4]);
  throwsWith(() => maxpoolForward(x, { ...PAPER_POOL, stride: 0 }), /stride must be an integer >= 1, got 0/);
  throwsWith(() => maxpoolForward(x, { ...PAPER_POOL, pad: 2 }), /pad must be an integer in \[0, 1\], got 2/);
  throwsWith(() => maxpoolForward(rand64(Rng.seeded(1), [1, 1, 2, 2]), PAPER_POOL), /does not fit x \[1, 1, 2, 2\]/);
});

test.run();
