import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpuBackend } from '../../src/cpu/backend.js';
import { Rng } from '../../src/cpu/random.js';
import { initParams } from '../../src/nn/model.js';
import { SingleNet } from '../../src/nn/net.js';
import { PartitionedNet } from '../../src/nn/partition.js';
import { joinParams, partitionLayers, splitParams } from '../../src/nn/partition-layout.js';
import { maxAbs, maxAbsDiff, throwsWith } from '../helpers.js';
import { c, run } from './partition-fixture.js';

test('splitting parameters into partition halves and joining them is the identity', () => {
  const host = initParams(c, Rng.seeded(1));
  const back = joinParams(splitParams(host, 0), splitParams(host, 1));
  for (const [k, v] of host) {
    assert.equal(back.get(k)!.shape, v.shape);
    assert.equal(back.get(k)!.data, v.data);
  }
  const kinds = partitionLayers(c).filter((l) => l.full).map((l) => l.layer.name);
  assert.equal(kinds, ['conv1', 'conv3', 'fc6', 'fc7', 'fc8'], 'both halves are needed at the inputs of conv3, fc6, fc7, fc8 (and conv1 sees the image)');
  throwsWith(() => partitionLayers({ ...c, partitions: 1 }), /one-GPU layout/);
});

test('two CPU partitions train exactly like one: same losses and weights over 4 steps', async () => {
  const host = initParams(c, Rng.seeded(2));
  const one = await run(await SingleNet.create(cpuBackend(), c, host), 4);
  const part = await PartitionedNet.create([cpuBackend(), cpuBackend()], c, host);
  const two = await run(part, 4);
  // Float32 sums in another order (the halves of dx meet in a separate add): 1e-5 of the scale.
  for (let s = 0; s < 4; s++) assert.ok(Math.abs(one.losses[s] - two.losses[s]) <= 1e-5 * Math.abs(one.losses[s]), `step ${s}: ${one.losses[s]} vs ${two.losses[s]}`);
  for (const [k, v] of one.params) {
    const err = maxAbsDiff(v.data, two.params.get(k)!.data);
    assert.ok(err <= 1e-5 * Math.max(maxAbs(v.data), 1e-3), `${k}: ${err}`);
  }
  // Crossings per step, forward and backward: pool2 [8, 32, 6, 6]... of this net's halves at conv3, fc6, fc7, fc8.
  assert.ok(part.lastCrossedBytes > 0);
  const N = 8, f = (n: number) => n * 4;
  const pool2 = N * 16 * 6 * 6, pool5 = N * 16 * 2 * 2, fc6 = N * 32, fc7 = N * 32;
  assert.is(part.lastCrossedBytes, 2 * f(pool2 + pool5 + fc6 + fc7), 'each crossing sends each half once forward and once back');
});

test.run();
