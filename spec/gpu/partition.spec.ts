// The paper's two GPUs: the small net split over two WebGL contexts trains
// like the same net on one CPU backend: same losses for several steps, within
// float32 tolerance (GPU sums in float32, term by term; the CPU in double).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpuBackend } from '../../src/cpu/backend.js';
import { Rng } from '../../src/cpu/random.js';
import { gpuBackend } from '../../src/gpu/backend.js';
import { GpuContext } from '../../src/gpu/context.js';
import { initParams } from '../../src/nn/model.js';
import { SingleNet } from '../../src/nn/net.js';
import { PartitionedNet } from '../../src/nn/partition.js';
import { maxAbs, maxAbsDiff } from '../helpers.js';
import { c, run } from '../nn/partition-fixture.js';

test('two GPU contexts train like one CPU: losses agree for 4 steps, weights after them too', async () => {
  const host = initParams(c, Rng.seeded(2));
  const cpu = await run(await SingleNet.create(cpuBackend(), c, host), 4);
  const ctxs = [GpuContext.create({ label: 'gpu0' }), GpuContext.create({ label: 'gpu1' })];
  const net = await PartitionedNet.create([gpuBackend(ctxs[0]), gpuBackend(ctxs[1])], c, host);
  const gpu = await run(net, 4);
  // Each step's float32 rounding (about 1e-6 of each layer's scale) feeds the next step's weights: 1e-4 over 4 steps.
  for (let s = 0; s < 4; s++) assert.ok(Math.abs(cpu.losses[s] - gpu.losses[s]) <= 1e-4 * cpu.losses[s], `step ${s}: cpu ${cpu.losses[s]}, gpu ${gpu.losses[s]}`);
  for (const [k, v] of cpu.params) {
    const err = maxAbsDiff(v.data, gpu.params.get(k)!.data);
    assert.ok(err <= 1e-4 * Math.max(maxAbs(v.data), 1e-3), `${k}: ${err}`);
  }
  assert.ok(net.lastCrossedBytes > 0, 'activations crossed between the contexts');
  const live = ctxs.map((x) => x.liveTextures());
  await net.dispose();
  assert.equal(ctxs.map((x) => x.liveTextures()), [0, 0], `textures left: ${live} before dispose`);
});

test.run();
