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

test.after(() => pool.close());
test.run();
