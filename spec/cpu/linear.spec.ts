import * as fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { linearBackward, linearForward } from '../../src/cpu/linear.js';
import { Rng } from '../../src/cpu/random.js';
import { FC, checkGradient, dot, rand64, throwsWith } from '../helpers.js';

test('linear gradients match central finite differences', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 9 }), fc.integer(), (N, I, O, seed) => {
    const rng = Rng.seeded(seed);
    const x = rand64(rng, [N, I]), w = rand64(rng, [O, I]), b = rand64(rng, [O]), dy = rand64(rng, [N, O]);
    const L = () => dot(linearForward(x, w, b).data, dy.data);
    const g = linearBackward(dy, x, w);
    checkGradient('dx', x, g.dx.data, L, rng);
    checkGradient('dw', w, g.dw.data, L, rng);
    checkGradient('db', b, g.db.data, L, rng);
  }), FC);
});

test('backward adds dw and db into given gradient buffers', () => {
  const rng = Rng.seeded(8);
  const x = rand64(rng, [3, 7]), w = rand64(rng, [5, 7]), dy = rand64(rng, [3, 5]);
  const fresh = linearBackward(dy, x, w);
  const acc = { dw: rand64(rng, [5, 7]), db: rand64(rng, [5]) };
  const dw0 = Float64Array.from(acc.dw.data), db0 = Float64Array.from(acc.db.data);
  linearBackward(dy, x, w, acc);
  for (let i = 0; i < dw0.length; i++) assert.ok(Math.abs(acc.dw.data[i] - dw0[i] - fresh.dw.data[i]) < 1e-14);
  for (let i = 0; i < db0.length; i++) assert.ok(Math.abs(acc.db.data[i] - db0[i] - fresh.db.data[i]) < 1e-14);
  throwsWith(() => linearBackward(dy, x, w, { dw: rand64(rng, [7, 5]), db: acc.db }), /acc\.dw has shape \[7, 5\], expected \[5, 7\]/);
});

test('y = x W^T + b on a hand-computed example', () => {
  const x = { data: new Float64Array([1, 2, 3]), shape: [1, 3] };
  const w = { data: new Float64Array([1, 0, -1, 2, 2, 2]), shape: [2, 3] };
  const b = { data: new Float64Array([10, 20]), shape: [2] };
  assert.equal([...linearForward(x, w, b).data], [8, 32]);
});

test('linear rejects mismatched shapes, naming the argument', () => {
  const rng = Rng.seeded(1);
  throwsWith(() => linearForward(rand64(rng, [2, 5]), rand64(rng, [3, 4]), rand64(rng, [3])), /w has shape \[3, 4\], expected \[out, 5\]/);
  throwsWith(() => linearForward(rand64(rng, [2, 5]), rand64(rng, [3, 5]), rand64(rng, [4])), /b has shape \[4\], expected \[3\]/);
  throwsWith(() => linearBackward(rand64(rng, [2, 4]), rand64(rng, [2, 5]), rand64(rng, [3, 5])), /dy has shape \[2, 4\], expected \[2, 3\]/);
});

test.run();
