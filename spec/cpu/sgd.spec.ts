import * as fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng } from '../../src/cpu/random.js';
import { NON_FINITE, NON_FINITE_F32, PAPER_SGD, sgdStep } from '../../src/cpu/sgd.js';
import { FC, assertClose, maxAbsDiff, rand64, throwsWith } from '../helpers.js';

// torch.optim.SGD's form: buf <- m buf + (g + wd w); w <- w - lr buf.
function torchStep(w: Float64Array, buf: Float64Array, g: Float64Array, lr: number, m: number, wd: number) {
  for (let i = 0; i < w.length; i++) {
    buf[i] = m * buf[i] + g[i] + wd * w[i];
    w[i] -= lr * buf[i];
  }
}

function run(lrs: number[], seed: number) {
  const rng = Rng.seeded(seed);
  const w0 = rand64(rng, [30]);
  const grads = lrs.map(() => rand64(rng, [30]));
  const paper = { w: rand64(rng, [30]), v: rand64(rng, [30]), g: rand64(rng, [30]) };
  paper.w.data.set(w0.data); paper.v.data.fill(0);
  const tw = Float64Array.from(w0.data), tbuf = new Float64Array(30);
  lrs.forEach((lr, k) => {
    paper.g.data.set(grads[k].data);
    sgdStep([{ name: 'w', ...paper }], { ...PAPER_SGD, lr });
    torchStep(tw, tbuf, grads[k].data, lr, PAPER_SGD.momentum, PAPER_SGD.weightDecay);
  });
  return { paper: paper.w.data, torch: tw };
}

test("one step is the paper's rule: v <- 0.9 v - 0.0005 lr w - lr g; w <- w + v (old w in v)", () => {
  const w = { data: new Float64Array([2]), shape: [1] }, v = { data: new Float64Array([0.5]), shape: [1] }, g = { data: new Float64Array([3]), shape: [1] };
  sgdStep([{ name: 'w', w, v, g }], { lr: 0.1, momentum: 0.9, weightDecay: 0.0005 });
  const vWant = 0.9 * 0.5 - 0.0005 * 0.1 * 2 - 0.1 * 3;
  assert.ok(Math.abs(v.data[0] - vWant) < 1e-15);
  assert.ok(Math.abs(w.data[0] - (2 + vWant)) < 1e-15);
});

test("the paper's rule equals torch.optim.SGD's while lr is constant", () => {
  fc.assert(fc.property(fc.double({ min: 1e-4, max: 0.1, noNaN: true }), fc.integer({ min: 1, max: 6 }), fc.integer(), (lr, steps, seed) => {
    const r = run(Array(steps).fill(lr), seed);
    assertClose(r.paper, r.torch, 1e-12, 'w after constant-lr steps');
  }), FC);
});

test('... and differs once lr changes (the first step after lr / 10)', () => {
  fc.assert(fc.property(fc.double({ min: 1e-3, max: 0.1, noNaN: true }), fc.integer(), (lr, seed) => {
    const r = run([lr, lr, lr / 10], seed);
    // After the drop torch's buffer still carries steps scaled by the new lr: the gap is ~lr of the velocity, far above rounding.
    assert.ok(maxAbsDiff(r.paper, r.torch) > 1e-6 * lr, 'the two forms should differ after an lr change');
  }), FC);
});

test('sgdStep rejects mismatched sizes and non-finite gradients, naming the tensor', () => {
  const t = (n: number) => ({ data: new Float64Array(n), shape: [n] });
  throwsWith(() => sgdStep([{ name: 'fc6.weight', w: t(3), v: t(3), g: t(2) }], PAPER_SGD), /fc6\.weight/, /\[2\]/);
  const g = t(3); g.data[1] = Infinity;
  throwsWith(() => sgdStep([{ name: 'conv1.bias', w: t(3), v: t(3), g }], PAPER_SGD), /gradient of conv1\.bias holds a non-finite value/);
  throwsWith(() => sgdStep([], { ...PAPER_SGD, lr: -1 }), /lr must be/);
  const m = (r: number, c: number) => ({ data: new Float64Array(r * c), shape: [r, c] });
  throwsWith(() => sgdStep([{ name: 'fc8.weight', w: m(2, 3), v: m(2, 3), g: m(3, 2) }], PAPER_SGD), /g \[3, 2\] must have the same shape/);
  const w = m(2, 3), v = m(2, 3);
  const [r] = sgdStep([{ name: 'w', w, v, g: m(2, 3) }], PAPER_SGD);
  assert.ok(r.w === w && r.v === v, 'the CPU step updates in place and returns the same tensors');
});

test('the float32 check for non-finite gradients (on the bits) flags exactly the ranges the definition flags', () => {
  // Values near the edge of the exponent: the largest finite float32, the smallest subnormal, signed zeros,
  // and numbers whose exponent bits are 254 or 0, beside the infinities and NaNs (a quiet and a signalling
  // payload, written through the bits).
  const specials = [3.4028234663852886e38, -3.4028234663852886e38, 1.401298464324817e-45, -0, 0, 1.7014118346046923e38, 1.1754943508222875e-38, Infinity, -Infinity, NaN];
  const cases = fc.record({ n: fc.integer({ min: 1, max: 64 }), picks: fc.array(fc.tuple(fc.nat(), fc.nat(specials.length + 1)), { maxLength: 4 }), signalling: fc.boolean(), u: fc.double({ min: 0, max: 1, noNaN: true }), v: fc.double({ min: 0, max: 1, noNaN: true }), seed: fc.integer() });
  fc.assert(fc.property(cases, ({ n, picks, signalling, u, v, seed }) => {
    const g = Rng.seeded(seed).normalArray(n);
    for (const [at, which] of picks) {
      if (which < specials.length) g[at % n] = specials[which];
      else new Int32Array(g.buffer)[at % n] = signalling ? 0x7f800001 : 0xffc00000 | 0; // NaNs by their bits
    }
    const from = Math.floor(Math.min(u, v) * n), to = Math.ceil(Math.max(u, v) * n);
    const want = new Int32Array(1), got = new Int32Array(1);
    NON_FINITE.run([g, want], [], from, to);
    NON_FINITE_F32.run([g, got], [], from, to);
    assert.is(got[0], want[0], `elements ${from}..${to - 1} of [${Array.from(g).join(', ')}]`);
  }), { ...FC, numRuns: 500 });
});

test.run();
