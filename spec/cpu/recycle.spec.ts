// A threaded CPU backend reuses the memory of the tensors it is asked to
// dispose (tensor.ts, recycleShared): its SharedArrayBuffers are otherwise
// collected late (the small net's training peaked at 1.9 GB) and fresh memory
// costs page faults. Reuse must never reach what is still in use: what
// download() returned, a reshaped view of a disposed tensor, an array the
// caller adopted, or a tensor disposed twice. A whole training step with
// reuse keeps the bits of one thread (gemm-threads.spec.ts).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpuBackend } from '../../src/cpu/backend.js';
import { gemmThreadPool, sharedZeros } from '../../src/cpu/gemm-threads.js';
import { Rng } from '../../src/cpu/random.js';
import { poisonRecycled } from '../../src/cpu/tensor.js';
import { PAPER_SGD } from '../../src/cpu/sgd.js';
import { makeNet } from '../../src/api/nets.js';
import { CONFIGS } from '../../src/nn/config.js';
import { forward, initParams, uploadParams } from '../../src/nn/model.js';

const pool = await gemmThreadPool(2);
const be = cpuBackend('float32', { sums: 'float32', threads: pool });
const rng = Rng.seeded(11);
// A length no other test here allocates, so that the pool's lists start empty for each case.
let length = 1000;
const fresh = () => rng.normalArray(++length);
/** New values of the current length (whose memory the pool may hand back). */
const again = () => rng.normalArray(length);

test('a disposed tensor\'s memory is handed out again (the pool works)', () => {
  const t = be.upload(fresh(), [length]);
  const buffer = t.data.buffer;
  be.dispose(t);
  const u = be.upload(new Float32Array(length), [length]);
  assert.ok(u.data.buffer === buffer, 'the next tensor of that length reuses it');
  const z = be.zero(be.reluForward(be.upload(fresh(), [length])));
  assert.ok(z.data.every((v) => v === 0));
});

test('max pooling\'s winners go back to the pool with their cache and are handed out again', () => {
  // 1 x 1 x 7 x 9 with a 3 x 3 window, stride 2: 3 x 4 = 12 outputs, a length nothing else here pools.
  const p = { kernel: 3, stride: 2, pad: 0, ceil: false };
  const x = be.upload(rng.normalArray(63), [1, 1, 7, 9]);
  const first = be.maxpoolForward(x, p);
  const buffer = (first.cache as unknown as { out: { argmax: Int32Array } }).out.argmax.buffer;
  be.disposeCache(first.cache);
  // The next pooling takes its output and its winners from the pool (one float32 array each, the output first).
  const second = be.maxpoolForward(x, p);
  const reused = [second.y.data.buffer, (second.cache as unknown as { out: { argmax: Int32Array } }).out.argmax.buffer];
  assert.ok(reused.includes(buffer), 'the next pooling of that size reuses them');
});

test('what download() returned is not overwritten when its tensor is disposed and the memory reused', () => {
  const values = fresh(), t = be.upload(values, [length]);
  const got = be.download(t);
  be.dispose(t);
  assert.ok(be.upload(again(), [length]).data.buffer === t.data.buffer, 'the memory was reused');
  assert.equal(Array.from(got), Array.from(values));
});

test('a reshaped view outlives the tensor it came from (the model disposes one and keeps the other)', () => {
  const values = fresh(), t = be.upload(values, [length]);
  const r = be.reshape(t, [1, length]);
  be.dispose(t);
  assert.ok(be.upload(again(), [length]).data.buffer === t.data.buffer, 'the memory was reused');
  assert.equal(Array.from(r.data), Array.from(values));
});

test('a tensor disposed twice is handed out once', () => {
  const t = be.upload(fresh(), [length]);
  be.dispose(t);
  be.dispose(t);
  const a = be.upload(again(), [length]), b = be.upload(again(), [length]);
  assert.ok(a.data.buffer === t.data.buffer, 'reused once');
  assert.ok(b.data.buffer !== a.data.buffer, 'and not twice');
});

test('an array the caller adopted is never reused', () => {
  const mine = sharedZeros(++length);
  mine.set(rng.normalArray(length));
  const copy = Array.from(mine);
  const t = be.adopt!(mine, [length]);
  assert.ok(t.data === mine, 'adopted as it is (shared already)');
  be.dispose(t);
  be.upload(new Float32Array(length).fill(7), [length]);
  assert.equal(Array.from(mine), copy);
});

test('nets with reuse (one partition and two, training and inference) keep the bits of cpu-float32-sums', async () => {
  const c = CONFIGS.small(), host = initParams(c, Rng.seeded(1)), batch = 16, r = Rng.seeded(2);
  const x = r.normalArray(batch * c.inputChannels * c.inputSize * c.inputSize), labels = Int32Array.from({ length: batch }, () => r.int(c.classes));
  for (const partitions of [1, 2]) {
    const run = async (backend: string) => {
      const net = await makeNet(backend, partitions, c, host);
      const losses = [];
      for (let i = 0; i < 3; i++) losses.push((await net.step(x, labels, Rng.seeded(3 + i), PAPER_SGD)).loss);
      const logits = await net.logits(x, batch), again = await net.logits(x, batch);
      await net.dispose();
      return { losses, logits, again };
    };
    const one = await run('cpu-float32-sums'), many = await run('cpu-threads');
    assert.equal(many.losses, one.losses, `${partitions} partition(s): the losses`);
    assert.equal(Array.from(many.logits), Array.from(one.logits), `${partitions} partition(s): the logits`);
    assert.equal(Array.from(many.again), Array.from(one.logits), `${partitions} partition(s): the logits of a second pass (memory reused)`);
  }
});

test('the ops that skip the zero-fill (tensor.ts, empty) write their whole output: training with recycled memory handed back as NaN keeps the bits of cpu-float32-sums', async () => {
  const c = CONFIGS.small(), host = initParams(c, Rng.seeded(5)), batch = 8, r = Rng.seeded(6);
  const x = r.normalArray(batch * c.inputChannels * c.inputSize * c.inputSize), labels = Int32Array.from({ length: batch }, () => r.int(c.classes));
  const run = async (backend: string) => {
    const net = await makeNet(backend, 2, c, host);
    const losses = [];
    for (let i = 0; i < 3; i++) losses.push((await net.step(x, labels, Rng.seeded(7 + i), PAPER_SGD)).loss);
    const logits = await net.logits(x, batch);
    await net.dispose();
    return { losses, logits: Array.from(logits) };
  };
  const want = await run('cpu-float32-sums');
  const was = poisonRecycled(true);
  try {
    const got = await run('cpu-threads');
    assert.ok(got.losses.every(Number.isFinite), `finite losses, got ${got.losses}`);
    assert.equal(got.losses, want.losses, 'the losses');
    assert.equal(got.logits, want.logits, 'the logits');
  } finally {
    poisonRecycled(was);
  }
});

test('an inference pass that releases its activations gives the logits of one that keeps them', async () => {
  const c = CONFIGS.small(), params = await uploadParams(be, c, initParams(c, Rng.seeded(4)));
  const x = be.upload(rng.normalArray(8 * c.inputChannels * c.inputSize * c.inputSize), [8, c.inputChannels, c.inputSize, c.inputSize]);
  const kept = be.download((await forward(be, c, params, x, { train: false })).logits);
  const released = await forward(be, c, params, x, { train: false, release: true });
  assert.equal(released.saved, []);
  assert.equal(Array.from(be.download(released.logits)), Array.from(kept));
  assert.equal(Array.from(be.download((await forward(be, c, params, x, { train: false, release: true })).logits)), Array.from(kept), 'and again, with the memory reused');
  // The input is the caller's: a release pass leaves it alone, even when memory of its length is asked for next.
  const input = be.download(x);
  be.upload(new Float32Array(input.length).fill(3), x.shape);
  assert.equal(Array.from(be.download(x)), Array.from(input));
  let threw = '';
  try { await forward(be, c, params, x, { train: true, rng: Rng.seeded(1), release: true }); } catch (e) { threw = (e as Error).message; }
  assert.match(threw, /release is for inference: not with train or keepActivations/);
});

test.after(() => pool.close());
test.run();
