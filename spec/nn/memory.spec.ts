// What a net holds: an inference-only net keeps one copy of its weights (no
// velocities or gradient buffers until it trains), weights read from a file
// are adopted without a copy, and bytes the caller passed are never written.

import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { alexnet } from '../../src/api/model.js';
import { SAFETENSORS_CONFIG_KEY } from '../../src/api/weights.js';
import type { Backend } from '../../src/backend.js';
import { cpuBackend, type CpuTensor } from '../../src/cpu/backend.js';
import { Rng } from '../../src/cpu/random.js';
import { writeSafetensors } from '../../src/io/safetensors.js';
import { tinyConfig } from '../../src/nn/config.js';
import { parameterCount } from '../../src/nn/layers.js';
import { initParams } from '../../src/nn/model.js';
import { SingleNet } from '../../src/nn/net.js';

const tiny = tinyConfig(), S = tiny.inputSize;

/** The CPU backend, counting the elements it copies in through upload() and takes over through adopt(). */
function counting(): { be: Backend<CpuTensor>; copied: () => number; adopted: () => number } {
  const base = cpuBackend();
  let copied = 0, adopted = 0;
  const be: Backend<CpuTensor> = {
    ...base,
    upload: (d, s) => { copied += d.length; return base.upload(d, s); },
    adopt: (d, s) => { adopted += d.length; return base.adopt!(d, s); },
  };
  return { be, copied: () => copied, adopted: () => adopted };
}

test('an inference-only net holds its weights once: velocities and gradient buffers are made at the first step', async () => {
  const n = parameterCount(tiny);
  const c = counting();
  const net = await SingleNet.create(c.be, tiny, initParams(tiny, Rng.seeded(1)));
  const x = Rng.seeded(2).normalArray(2 * 3 * S * S, 0, 1);
  await net.logits(x, 2);
  assert.is(c.copied(), n + x.length, 'the weights once, and the input');
  assert.ok((await net.exportState()).velocity.get('fc8.weight')!.data.every((v) => v === 0), 'an untrained net exports zero velocities');
  await net.step(x, Int32Array.from([0, 1]), Rng.seeded(3), { lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
  assert.is(c.copied(), n + 2 * x.length + 2 * n, 'the first step makes the velocities and gradient buffers');
  assert.ok((await net.exportState()).velocity.get('fc8.weight')!.data.some((v) => v !== 0));
});

test('adopt: the net keeps host arrays given to it (no second copy); without adopt it copies them', async () => {
  const params = initParams(tiny, Rng.seeded(1));
  const a = counting();
  await SingleNet.create(a.be, tiny, params, undefined, undefined, true);
  assert.is(a.adopted(), parameterCount(tiny));
  assert.is(a.copied(), 0);
  const b = counting();
  await SingleNet.create(b.be, tiny, params);
  assert.is(b.adopted(), 0);
  assert.is(b.copied(), parameterCount(tiny));
});

test('alexnet({ weights: bytes }): training never writes into the caller\'s bytes (safetensors tensors are views of them)', async () => {
  const params = initParams(tiny, Rng.seeded(4));
  const bytes = writeSafetensors(params, { [SAFETENSORS_CONFIG_KEY]: JSON.stringify(tiny) });
  const before = bytes.slice();
  const model = await alexnet({ weights: bytes });
  const x = Rng.seeded(5).normalArray(2 * 3 * S * S, 0, 1);
  await model.trainOnBatch(x, [2, 3, S, S], [0, 1], { lr: 0.1 });
  assert.ok((await model.weights()).get('conv1.weight')!.data.some((v, i) => v !== params.get('conv1.weight')!.data[i]), 'the step changed the weights');
  assert.ok(bytes.every((b, i) => b === before[i]), 'the caller\'s bytes are unchanged');
  await model.dispose();
});

test('peakRssMB measures the process itself, not the large parent it was forked from (getrusage\'s maxrss would)', () => {
  const big = Buffer.alloc(800 * 2 ** 20, 1); // 800 MB resident in this process
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `import { peakRssMB } from ${JSON.stringify(resolve('dist/cli/weights.js'))}; console.log(peakRssMB())`], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  assert.ok(big[12345] === 1);
  assert.ok(Number(r.stdout) < 300, `a small child reported ${r.stdout.trim()} MB`);
});

test.run();
