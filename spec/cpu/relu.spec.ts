import * as fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng } from '../../src/cpu/random.js';
import { RELU_BACKWARD, RELU_BACKWARD_F32, RELU_FORWARD, RELU_FORWARD_F32, reluBackward, reluForward } from '../../src/cpu/relu.js';
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

test('the branch-free float32 ReLU kernels give the plain kernels\' values for every kind of float32 (signed zeros, subnormals, infinities, NaNs of either sign, random bits)', () => {
  const special = new Float32Array([0, -0, 1e-45, -1e-45, 1.1754942e-38, -1.1754942e-38, 1, -1, 3.4028235e38, -3.4028235e38, Infinity, -Infinity, NaN]);
  const bits = new Int32Array(special.length + 4);
  new Float32Array(bits.buffer).set(special);
  bits.set([0x7fc00001, -0x400000, 0x7f800001, -1], special.length); // a positive and a negative quiet NaN, a signalling one, all ones
  const rng = Rng.seeded(3);
  const n = bits.length + 4000, xb = new Int32Array(n), gb = new Int32Array(n);
  xb.set(bits);
  for (let i = bits.length; i < n; i++) xb[i] = rng.int(2 ** 32) | 0; // every bit pattern equally likely
  for (let i = 0; i < n; i++) gb[i] = rng.int(2 ** 32) | 0;
  const x = new Float32Array(xb.buffer), dy = new Float32Array(gb.buffer);
  // The same value (Object.is: +0 and -0 differ), and a NaN for a NaN: a NaN that passes through JavaScript's
  // float64 may change its payload bits, one through the bits kernels keeps them.
  const same = (what: string, got: Float32Array, want: Float32Array) => {
    for (let i = 0; i < n; i++) if (!Object.is(got[i], want[i])) assert.unreachable(`${what}[${i}] (x bits ${xb[i].toString(16)}): ${got[i]}, plain ${want[i]}`);
  };
  const want = new Float32Array(n), got = new Float32Array(n);
  RELU_FORWARD.run([x, want], [], 0, n);
  RELU_FORWARD_F32.run([x, got], [], 0, n);
  same('forward', got, want);
  const dWant = new Float32Array(n), dGot = new Float32Array(n);
  RELU_BACKWARD.run([dy, x, dWant], [], 0, n);
  RELU_BACKWARD_F32.run([dy, x, dGot], [], 0, n);
  same('backward', dGot, dWant);
  // A range leaves the rest alone.
  const part = new Float32Array(n).fill(7);
  RELU_FORWARD_F32.run([x, part], [], 5, 9);
  assert.ok(part[4] === 7 && part[9] === 7 && Object.is(part[5], want[5]), 'only items 5..8 written');
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
