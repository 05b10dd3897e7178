import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpuBackend } from '../../src/cpu/backend.js';
import { Rng } from '../../src/cpu/random.js';
import type { Tensor } from '../../src/cpu/tensor.js';
import { paperConfig, scaledPaperConfig } from '../../src/nn/config.js';
import { parameterShapes } from '../../src/nn/layers.js';
import { backward, forward, initParams, uploadParams } from '../../src/nn/model.js';
import { checkGradientAsync, rejectsWith } from '../helpers.js';

// A paper-topology net small enough for finite differences: 67 x 67 input gives 15, 7, 7, 3, 3, 3, 3, 1.
const tiny = { ...scaledPaperConfig({ name: 'tiny', channels: [4, 4, 6, 6, 4], fc: [8, 8], classes: 5, inputSize: 67 }), initStd: 0.3, biasOne: 0.1 };

test('whole-model gradients (float64, with dropout masks fixed by the seed) match finite differences', async () => {
  const be = cpuBackend('float64');
  const rng = Rng.seeded(5);
  const params = await uploadParams(be, tiny, initParams(tiny, rng));
  const x = be.upload(rng.normalArray(2 * 3 * 67 * 67), [2, 3, 67, 67]);
  const labels = Int32Array.from([1, 4]);
  const loss = async () => {
    const f = await forward(be, tiny, params, x, { train: true, rng: Rng.seeded(99) });
    return be.softmaxCrossEntropy(f.logits, labels).loss;
  };
  const fwd = await forward(be, tiny, params, x, { train: true, rng: Rng.seeded(99) });
  const grads = await backward(be, params, fwd, be.softmaxCrossEntropy(fwd.logits, labels).dlogits);
  assert.equal([...grads.keys()].sort(), parameterShapes(tiny).map((p) => p.name).sort());
  let nonzero = 0;
  for (const p of parameterShapes(tiny)) {
    const t = params.get(p.name) as Tensor<Float64Array>;
    const g = grads.get(p.name)!;
    if (g.data.some((v) => v !== 0)) nonzero++;
    await checkGradientAsync(p.name, t, g.data, loss, rng, 12);
  }
  assert.is(nonzero, 16, 'every parameter tensor gets a gradient signal');
});

test('the paper net runs forward at full size: [2, 3, 227, 227] -> finite logits [2, 1000]', async () => {
  const be = cpuBackend();
  const c = paperConfig();
  const rng = Rng.seeded(1);
  const params = await uploadParams(be, c, initParams(c, rng));
  const f = await forward(be, c, params, be.upload(rng.normalArray(2 * 3 * 227 * 227), [2, 3, 227, 227]), { train: false, keepActivations: true });
  assert.equal(be.shape(f.logits), [2, 1000]);
  assert.ok(be.download(f.logits).every(Number.isFinite));
  assert.equal(be.shape(f.activations!.get('pool5')!), [2, 256, 6, 6]);
});

test('forward rejects an input of the wrong size and a missing parameter, naming them', async () => {
  const be = cpuBackend();
  const params = await uploadParams(be, tiny, initParams(tiny, Rng.seeded(1)));
  await rejectsWith(() => forward(be, tiny, params, be.upload(new Float32Array(3 * 64 * 64), [1, 3, 64, 64]), { train: false }),
    /x has shape \[1, 3, 64, 64\], expected \[N, 3, 67, 67\]/);
  const host = initParams(tiny, Rng.seeded(1));
  host.delete('fc7.bias');
  await rejectsWith(() => uploadParams(be, tiny, host), /fc7\.bias \[8\] is missing/);
  const host2 = initParams(tiny, Rng.seeded(1));
  host2.set('conv3.weight', { data: new Float32Array(6 * 2 * 9), shape: [6, 2, 3, 3] });
  await rejectsWith(() => uploadParams(be, tiny, host2), /conv3\.weight has shape \[6, 2, 3, 3\], expected \[6, 4, 3, 3\]/);
});

test('initialisation is seeded: N(0, 0.01^2) weights, the same for the same seed', () => {
  const c = scaledPaperConfig({ name: 's', channels: [8, 16, 24, 24, 16], fc: [32, 32], classes: 10, inputSize: 67 });
  const a = initParams(c, Rng.seeded(3)), b = initParams(c, Rng.seeded(3));
  assert.equal(a.get('fc6.weight')!.data, b.get('fc6.weight')!.data);
  const w = a.get('fc7.weight')!.data;
  const sd = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
  assert.ok(Math.abs(sd - 0.01) < 0.001, `sd ${sd}`);
  assert.ok(a.get('fc7.bias')!.data.every((v) => v === 1));
});

test.run();
