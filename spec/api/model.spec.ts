import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { alexnet, cpuBackend, gemmThreadPool, imagenetClasses, VERSION, decodeCheckpoint, type Classification } from '../../src/index.js';
import { Rng } from '../../src/cpu/random.js';
import { forward, initParams, uploadParams } from '../../src/nn/model.js';
import { tinyConfig } from '../../src/nn/config.js';
import { readFileSync } from 'node:fs';
import { assertClose } from '../helpers.js';

const tiny = tinyConfig();
const S = tiny.inputSize;

test('the package version in the code is package.json\'s', () => {
  assert.is(VERSION, JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
});

test('alexnet({ config, seed }).forward gives the logits of the model code on the same seeded weights', async () => {
  const model = await alexnet({ config: 'tiny', backend: 'cpu', seed: 3 });
  const x = Rng.seeded(9).normalArray(2 * 3 * S * S, 0, 1);
  const got = await model.forward(x, [2, 3, S, S]);
  const be = cpuBackend();
  const params = await uploadParams(be, tiny, initParams(tiny, Rng.seeded(3)));
  const want = be.download((await forward(be, tiny, params, be.upload(x, [2, 3, S, S]), { train: false })).logits);
  assert.is(got.length, 2 * 10);
  assertClose(got, want, 0, 'logits (same code path, bit for bit)');
  await model.dispose();
});

test('alexnet({ backend }) takes a backend whose methods return Promises: the same logits and the same training step as the synchronous one', async () => {
  const cpu = cpuBackend();
  // Every method of the CPU backend, its result behind a Promise (as a WebGPU device's or a worker's would be).
  const promised = Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, typeof v === 'function' ? (...a: unknown[]) => Promise.resolve((v as (...b: unknown[]) => unknown)(...a)) : v]));
  const sync = await alexnet({ config: 'tiny', backend: cpu, seed: 5 });
  const later = await alexnet({ config: 'tiny', backend: promised as unknown as typeof cpu, seed: 5 });
  const x = Rng.seeded(6).normalArray(2 * 3 * S * S, 0, 1);
  assertClose(await later.forward(x, [2, 3, S, S]), await sync.forward(x, [2, 3, S, S]), 0, 'logits');
  const a = await sync.trainOnBatch(x, [2, 3, S, S], [1, 7]), b = await later.trainOnBatch(x, [2, 3, S, S], [1, 7]);
  assert.is(b.loss, a.loss);
  assertClose(await later.forward(x, [2, 3, S, S]), await sync.forward(x, [2, 3, S, S]), 0, 'logits after a step');
  await sync.dispose();
  await later.dispose();
});

test('a threaded CPU backend built from the public entry (gemmThreadPool, cpuBackend) gives one thread\'s bits', async () => {
  // The threads option of CpuBackendOptions is reachable only through gemmThreadPool(): the library user's way to 'cpu-threads'.
  const pool = await gemmThreadPool(2);
  try {
    const threaded = await alexnet({ config: 'tiny', backend: cpuBackend('float32', { sums: 'float32', threads: pool }), seed: 4 });
    const single = await alexnet({ config: 'tiny', backend: cpuBackend('float32', { sums: 'float32' }), seed: 4 });
    const x = Rng.seeded(8).normalArray(4 * 3 * S * S, 0, 1);
    assertClose(await threaded.forward(x, [4, 3, S, S]), await single.forward(x, [4, 3, S, S]), 0, 'logits, two threads against one');
    const a = await threaded.trainOnBatch(x, [4, 3, S, S], [1, 2, 3, 4]), b = await single.trainOnBatch(x, [4, 3, S, S], [1, 2, 3, 4]);
    assert.is(a.loss, b.loss);
    await threaded.dispose();
    await single.dispose();
  } finally {
    await pool.close();
  }
});

test('trainOnBatch lowers the loss on a repeated batch; save() round-trips through alexnet({ weights })', async () => {
  const model = await alexnet({ config: 'tiny', seed: 1 });
  const x = Rng.seeded(2).normalArray(4 * 3 * S * S, 0, 1), labels = [0, 1, 2, 3];
  const first = (await model.trainOnBatch(x, [4, 3, S, S], labels, { lr: 0.05 })).loss;
  let last = first;
  for (let i = 0; i < 15; i++) last = (await model.trainOnBatch(x, [4, 3, S, S], labels, { lr: 0.05 })).loss;
  assert.ok(last < first - 0.1, `loss ${first} -> ${last}`);
  const bytes = await model.save();
  assert.is(decodeCheckpoint(bytes, 'saved').config.name, 'tiny');
  const again = await alexnet({ weights: bytes });
  assertClose(await again.forward(x, [4, 3, S, S]), await model.forward(x, [4, 3, S, S]), 0, 'reloaded logits');
  await model.dispose();
  await again.dispose();
  let err: Error | undefined;
  try { await model.forward(x, [4, 3, S, S]); } catch (e) { err = e as Error; }
  assert.match(err!.message, /disposed/);
});

test('classify takes RGBA bytes of any size and returns the top classes, most probable first', async () => {
  const model = await alexnet({ config: 'paper', seed: 1 });
  const w = 40, h = 30, data = new Uint8ClampedArray(4 * w * h).map((_, i) => (i * 37) % 256);
  const top: Classification[] = await model.classify({ data, width: w, height: h }, { top: 5 });
  assert.is(top.length, 5);
  for (let i = 1; i < 5; i++) assert.ok(top[i - 1].probability >= top[i].probability);
  assert.is(top[0].label, imagenetClasses[top[0].index]);
  assert.is(imagenetClasses.length, 1000);
  assert.equal(imagenetClasses.slice(0, 2), ['tench', 'goldfish']);
  await model.dispose();
});

test('bad arguments are errors naming the argument and what it expected', async () => {
  const model = await alexnet({ config: 'tiny' });
  const rejects = async (p: Promise<unknown>, re: RegExp) => {
    let err: Error | undefined;
    try { await p; } catch (e) { err = e as Error; }
    assert.ok(err, `expected a rejection matching ${re}`);
    assert.match(err!.message, re);
  };
  await rejects(model.forward(new Float32Array(10), [1, 3, S, S]), /x has 10 values, shape \[1, 3, 67, 67\] needs 13467/);
  await rejects(model.forward(new Float32Array(3 * 64 * 64), [1, 3, 64, 64]), /does not fit configuration tiny, which takes \[N, 3, 67, 67\]/);
  await rejects(model.trainOnBatch(new Float32Array(3 * S * S), [1, 3, S, S], [10]), /labels\[0\] = 10 is not a class index in \[0, 10\)/);
  await rejects(model.classify({ data: new Uint8Array(5), width: 2, height: 2 }), /data must hold 4 \* width \* height = 16 RGBA bytes, got 5/);
  await rejects(alexnet({ config: 'vgg' as 'paper' }), /config 'vgg' is unknown/);
  await rejects(alexnet({ weights: new Uint8Array([1, 2, 3]) }), /weights: not a weights file alexnet-ts recognises/);
  await rejects(alexnet({ weights: '/nonexistent/w.bin' }), /\/nonexistent\/w\.bin: cannot read the weights file \(ENOENT\)/);
  await model.dispose();
});

test.run();
