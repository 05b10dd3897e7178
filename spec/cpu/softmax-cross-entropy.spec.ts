import * as fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng } from '../../src/cpu/random.js';
import { softmaxCrossEntropy } from '../../src/cpu/softmax-cross-entropy.js';
import { tensor } from '../../src/cpu/tensor.js';
import { FC, assertClose, checkGradient, rand64, throwsWith } from '../helpers.js';

const xentCase = fc.record({ N: fc.integer({ min: 1, max: 5 }), C: fc.integer({ min: 1, max: 12 }), scale: fc.double({ min: 0.1, max: 20, noNaN: true }), seed: fc.integer() });

function labelsFor(rng: Rng, N: number, C: number): Int32Array {
  return Int32Array.from({ length: N }, () => rng.int(C));
}

test('dlogits is the gradient of the mean loss (finite differences)', () => {
  fc.assert(fc.property(xentCase, (c) => {
    const rng = Rng.seeded(c.seed);
    const z = rand64(rng, [c.N, c.C], -c.scale, c.scale);
    const labels = labelsFor(rng, c.N, c.C);
    checkGradient('dlogits', z, softmaxCrossEntropy(z, labels).dlogits.data, () => softmaxCrossEntropy(z, labels).loss, rng);
  }), FC);
});

test('probabilities sum to 1; the loss is invariant to adding a constant to a row', () => {
  fc.assert(fc.property(xentCase, fc.double({ min: -500, max: 500, noNaN: true }), (c, shift) => {
    const rng = Rng.seeded(c.seed);
    const z = rand64(rng, [c.N, c.C], -c.scale, c.scale);
    const labels = labelsFor(rng, c.N, c.C);
    const r = softmaxCrossEntropy(z, labels);
    for (let n = 0; n < c.N; n++) {
      let s = 0;
      for (let k = 0; k < c.C; k++) s += r.probs.data[n * c.C + k];
      assert.ok(Math.abs(s - 1) < 1e-12);
    }
    const shifted = softmaxCrossEntropy(tensor(z.data.map((v) => v + shift), z.shape), labels);
    // |shift| <= 500 costs about 500 eps of absolute precision in each logit.
    assert.ok(Math.abs(shifted.loss - r.loss) < 1e-11 * (1 + Math.abs(shift)));
    assertClose([r.lossSum], [r.loss * c.N], 1e-15, 'lossSum = N loss');
  }), FC);
});

test('stable for logits of magnitude 100 and more: finite loss and exact limits', () => {
  // Logits [1000, 0, -1000], label 0: p = (1, e^-1000, 0), loss ~ 0; label 1: loss = 1000.
  const z = tensor(new Float32Array([1000, 0, -1000, 1000, 0, -1000]), [2, 3]);
  const r = softmaxCrossEntropy(z, [0, 1]);
  assert.ok(Number.isFinite(r.loss));
  assert.ok(Math.abs(r.loss - 500) < 1e-9);
  assert.ok(r.dlogits.data.every(Number.isFinite));
  const big = softmaxCrossEntropy(tensor(new Float64Array([150, 100]), [1, 2]), [1]);
  assert.ok(Math.abs(big.loss - (50 + Math.log1p(Math.exp(-50)))) < 1e-12);
});

test('bad labels and non-finite logits are rejected, naming them', () => {
  const z = rand64(Rng.seeded(1), [2, 3]);
  throwsWith(() => softmaxCrossEntropy(z, [0]), /labels has 1 entries, expected 2 for logits \[2, 3\]/);
  throwsWith(() => softmaxCrossEntropy(z, [0, 3]), /labels\[1\] = 3 is not a class index in \[0, 3\)/);
  throwsWith(() => softmaxCrossEntropy(z, [0, 1.5]), /labels\[1\] = 1.5/);
  z.data[4] = NaN;
  throwsWith(() => softmaxCrossEntropy(z, [0, 1]), /logits holds a non-finite value \(NaN\) at flat index 4/);
});

test.run();
