import * as fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng } from '../../src/cpu/random.js';
import { reluBackward, reluForward } from '../../src/cpu/relu.js';
import { tanhBackward, tanhForward } from '../../src/cpu/tanh.js';
import { tensor } from '../../src/cpu/tensor.js';
import { FC, checkGradient, dot, rand64, throwsWith } from '../helpers.js';

test('relu gradient matches central finite differences (away from 0)', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 60 }), fc.integer(), (n, seed) => {
    const rng = Rng.seeded(seed);
    const x = rand64(rng, [n]);
    // Keep every input at least 1e-3 from the kink, so x +- h never crosses it.
    for (let i = 0; i < n; i++) if (Math.abs(x.data[i]) < 1e-3) x.data[i] = 0.5;
    const dy = rand64(rng, [n]);
    checkGradient('dx', x, reluBackward(dy, x).data, () => dot(reluForward(x).data, dy.data), rng);
  }), FC);
});

test('relu: max(0, x), and gradient 0 at x = 0', () => {
  const x = tensor(new Float32Array([-2, -0, 0, 1e-30, 3]), [5]);
  assert.equal([...reluForward(x).data], [0, 0, 0, Math.fround(1e-30), 3]);
  const dx = reluBackward(tensor(new Float32Array([1, 1, 1, 1, 1]), [5]), x);
  assert.equal([...dx.data], [0, 0, 0, 1, 1]);
});

test('tanh gradient matches central finite differences', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 60 }), fc.integer(), (n, seed) => {
    const rng = Rng.seeded(seed);
    const x = rand64(rng, [n], -3, 3), dy = rand64(rng, [n]);
    checkGradient('dx', x, tanhBackward(dy, x).data, () => dot(tanhForward(x).data, dy.data), rng);
  }), FC);
  throwsWith(() => tanhBackward(tensor(new Float32Array(3), [3]), tensor(new Float32Array(4), [4])), /tanhBackward: dy has shape \[3\]/);
});

test('relu rejects a dy of another size', () => {
  throwsWith(() => reluBackward(tensor(new Float32Array(3), [3]), tensor(new Float32Array(4), [4])), /dy has shape \[3\]/, /\[4\]/);
});

test.run();
