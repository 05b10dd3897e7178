import * as fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dropoutBackward, dropoutForward, dropoutMask, dropoutScale } from '../../src/cpu/dropout.js';
import { Rng } from '../../src/cpu/random.js';
import { FC, assertClose, checkGradient, dot, rand64, throwsWith } from '../helpers.js';

const dropCase = fc.record({
  n: fc.integer({ min: 1, max: 50 }), rate: fc.double({ min: 0, max: 0.9, noNaN: true }),
  mode: fc.constantFrom<'paper' | 'inverted'>('paper', 'inverted'), train: fc.boolean(), seed: fc.integer(),
});

test('dropout gradient matches central finite differences with a fixed mask', () => {
  fc.assert(fc.property(dropCase, (c) => {
    const rng = Rng.seeded(c.seed);
    const p = { rate: c.rate, mode: c.mode, train: c.train };
    const mask = dropoutMask(c.n, c.rate, rng);
    const x = rand64(rng, [c.n]), dy = rand64(rng, [c.n]);
    checkGradient('dx', x, dropoutBackward(dy, mask, p).data, () => dot(dropoutForward(x, mask, p).data, dy.data), rng);
  }), FC);
});

test("the two scalings: inverted = paper / (1 - p) in training; paper's test output is (1 - p) x, inverted's is x", () => {
  fc.assert(fc.property(dropCase, (c) => {
    const rng = Rng.seeded(c.seed);
    const mask = dropoutMask(c.n, c.rate, rng);
    const x = rand64(rng, [c.n]);
    const paper = dropoutForward(x, mask, { rate: c.rate, mode: 'paper', train: true }).data;
    const inv = dropoutForward(x, mask, { rate: c.rate, mode: 'inverted', train: true }).data;
    assertClose(inv, paper.map((v) => v / (1 - c.rate)), 1e-15, 'train');
    for (let i = 0; i < c.n; i++) assert.is(paper[i], mask[i] ? x.data[i] : 0);
    assertClose(dropoutForward(x, null, { rate: c.rate, mode: 'paper', train: false }).data, x.data.map((v) => v * (1 - c.rate)), 1e-15, 'paper test');
    assert.equal(dropoutForward(x, null, { rate: c.rate, mode: 'inverted', train: false }).data, x.data);
  }), FC);
});

test('a mask keeps each unit with probability 1 - p (100000 draws, within 5 standard deviations)', () => {
  for (const rate of [0.1, 0.5, 0.8]) {
    const m = dropoutMask(100000, rate, Rng.seeded(11));
    const kept = m.reduce((s, v) => s + v, 0);
    const sd = Math.sqrt(100000 * rate * (1 - rate));
    assert.ok(Math.abs(kept - 100000 * (1 - rate)) < 5 * sd, `rate ${rate}: kept ${kept}`);
  }
  assert.equal(dropoutMask(20, 0.5, Rng.seeded(4)), dropoutMask(20, 0.5, Rng.seeded(4)), 'same seed, same mask');
});

test('dropout rejects a missing or short mask in training, and bad rates', () => {
  const x = rand64(Rng.seeded(1), [2, 3]);
  throwsWith(() => dropoutForward(x, null, { rate: 0.5, mode: 'paper', train: true }), /needs a mask of 6 entries for x \[2, 3\], got none/);
  throwsWith(() => dropoutForward(x, new Uint8Array(5), { rate: 0.5, mode: 'paper', train: true }), /got 5/);
  throwsWith(() => dropoutScale({ rate: 1.5, mode: 'paper', train: true }), /rate must be a finite number in \[0, 1\], got 1.5/);
  throwsWith(() => dropoutScale({ rate: 0.5, mode: 'caffe' as never, train: true }), /mode must be 'paper' or 'inverted'/);
});

test.run();
