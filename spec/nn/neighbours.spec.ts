// Figure 4's nearest neighbours (src/nn/neighbours.ts): the features a net
// hands out are the classifier's input, on one backend or two partitions,
// and the search returns the k nearest in Euclidean distance, in order.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpuBackend } from '../../src/cpu/backend.js';
import { Rng } from '../../src/cpu/random.js';
import { featureLayer } from '../../src/nn/layers.js';
import { initParams } from '../../src/nn/model.js';
import { SingleNet } from '../../src/nn/net.js';
import { nearest } from '../../src/nn/neighbours.js';
import { PartitionedNet } from '../../src/nn/partition.js';
import { maxAbs, maxAbsDiff, throwsWith } from '../helpers.js';
import { c } from './partition-fixture.js';

test('nearest: the k smallest Euclidean distances, nearest first, as a full sort of every distance gives', () => {
  const rng = Rng.seeded(7), D = 9, n = 300;
  const pool = { data: rng.normalArray(n * D), n, size: D };
  for (let q = 0; q < 5; q++) {
    const query = rng.normalArray(D);
    const all = Array.from({ length: n }, (_, i) => ({ index: i, distance: Math.hypot(...Array.from({ length: D }, (_, j) => query[j] - pool.data[i * D + j])) }))
      .sort((a, b) => a.distance - b.distance || a.index - b.index);
    const got = nearest(query, pool, 7);
    assert.equal(got.map((g) => g.index), all.slice(0, 7).map((a) => a.index));
    for (let i = 0; i < 7; i++) assert.ok(Math.abs(got[i].distance - all[i].distance) <= 1e-12 * all[i].distance, `distance ${i}`);
  }
  // A query equal to a pool row finds it at distance 0; k past the pool's size gives the whole pool.
  assert.equal(nearest(pool.data.subarray(5 * D, 6 * D), pool, 1), [{ index: 5, distance: 0 }]);
  assert.is(nearest(pool.data.subarray(0, D), { ...pool, n: 4 }, 10).length, 4);
  throwsWith(() => nearest(new Float32Array(3), pool, 1), /the query has 3 values, the pool's vectors 9/);
});

test('features are the classifier\'s input: logits = W8 (scale x features) + b8, scale the test-time dropout factor', async () => {
  const host = initParams(c, Rng.seeded(2));
  const net = await SingleNet.create(cpuBackend(), c, host);
  const N = 4, x = Rng.seeded(3).normalArray(N * 28 * 28);
  const f = await net.features(x, N), z = await net.logits(x, N);
  const { name, size } = featureLayer(c);
  assert.is(name, 'relu7');
  assert.is(f.length, N * size);
  assert.ok(f.every((v) => v >= 0), 'after the ReLU');
  const w = host.get('fc8.weight')!.data, b = host.get('fc8.bias')!.data, K = c.classes;
  // The paper's dropout (section 4.2) multiplies fc7's outputs by 1 - rate at test time, before fc8.
  const scale = 1 - c.dropout.rate;
  const want = new Float64Array(N * K);
  for (let i = 0; i < N; i++) for (let k = 0; k < K; k++) {
    let s = b[k];
    for (let j = 0; j < size; j++) s += w[k * size + j] * scale * f[i * size + j];
    want[i * K + k] = s;
  }
  // float32 sums of 32 products against float64: 1e-5 of the logits' scale.
  assert.ok(maxAbsDiff(z, want) <= 1e-5 * maxAbs(want), `${maxAbsDiff(z, want)}`);
  await net.dispose();
});

test('two partitions hand out the same features as one (the halves of relu7 joined per example)', async () => {
  const host = initParams(c, Rng.seeded(2));
  const one = await SingleNet.create(cpuBackend(), c, host);
  const two = await PartitionedNet.create([cpuBackend(), cpuBackend()], c, host);
  const N = 3, x = Rng.seeded(5).normalArray(N * 28 * 28);
  const a = await one.features(x, N), b = await two.features(x, N);
  assert.is(b.length, a.length);
  // Float32 sums in another order where the halves meet: 1e-5 of the scale.
  assert.ok(maxAbsDiff(a, b) <= 1e-5 * maxAbs(a), `${maxAbsDiff(a, b)}`);
  // Without hidden FC layers the features (the flattened pool5) are gathered whole before the classifier.
  const flat = { ...c, fc: [] };
  const h2 = initParams(flat, Rng.seeded(2));
  const one2 = await SingleNet.create(cpuBackend(), flat, h2), two2 = await PartitionedNet.create([cpuBackend(), cpuBackend()], flat, h2);
  const a2 = await one2.features(x, N), b2 = await two2.features(x, N);
  assert.is(a2.length, N * featureLayer(flat).size);
  assert.ok(maxAbsDiff(a2, b2) <= 1e-5 * maxAbs(a2), `${maxAbsDiff(a2, b2)}`);
  for (const n of [one, two, one2, two2]) await n.dispose();
});

test.run();
