// Every weights format against PyTorch: the fixtures' nets (written by torch,
// onnx.helper and Python's protobuf) run on the CPU reference and give
// PyTorch's float64 logits within 1e-4 of their largest magnitude. The
// tolerance: the weights are float32 (PyTorch's float64 run starts from the
// same float32 values), and the reference accumulates in float32 per 256-term
// slice and float64 elsewhere (docs/verification.md); measured 3e-7.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { alexnet } from '../../src/index.js';
import { decodeWeights, sniffWeights } from '../../src/api/weights.js';
import { fixtures, npyAt, relToMax } from './fixtures.js';

const TOL = 1e-4;
const fx = fixtures();

if (fx) {
  for (const c of fx.cases) {
    test(`${c.name} (${c.format}): the CPU reference gives PyTorch's logits (within ${TOL} of max)`, async () => {
      const file = join(fx.dir, c.files[0]);
      const bytes = new Uint8Array(readFileSync(file));
      assert.is(sniffWeights(bytes), c.format, 'the format is recognised by its signature');
      const model = await alexnet({ weights: file, prototxt: c.prototxt ? join(fx.dir, c.prototxt) : undefined });
      assert.is(model.config.name, c.config);
      const x = npyAt(fx.dir, c.input), ref = npyAt(fx.dir, c.logits);
      const y = await model.forward(x.data, x.shape);
      assert.equal([x.shape[0], model.config.classes], ref.shape);
      const r = relToMax(y, ref.data);
      assert.ok(r < TOL, `${c.name}: max |error| / max |logit| = ${r.toExponential(2)}`);
      await model.dispose();
    });
  }

  test('the same bytes read as a Uint8Array (the browser path) give the same parameters as the path', async () => {
    const c = fx.cases.find((k) => k.name === 'caffe-trainval')!;
    const prototxt = readFileSync(join(fx.dir, c.prototxt!), 'utf8');
    const w = decodeWeights(new Uint8Array(readFileSync(join(fx.dir, c.files[0]))), c.files[0], { prototxt });
    const m = await alexnet({ weights: join(fx.dir, c.files[0]), prototxt: join(fx.dir, c.prototxt!) });
    const p = await m.weights();
    for (const [k, t] of w.params) assert.equal(Array.from(p.get(k)!.data.subarray(0, 50)), Array.from(t.data.subarray(0, 50)), k);
    await m.dispose();
    // alexnet() takes the prototxt as it takes the weights: a path, or bytes with bytes.
    const bytes = (f: string) => new Uint8Array(readFileSync(join(fx.dir, f)));
    const b = await alexnet({ weights: bytes(c.files[0]), prototxt: bytes(c.prototxt!) });
    assert.equal(Array.from((await b.weights()).get('fc8.weight')!.data.subarray(0, 50)), Array.from(w.params.get('fc8.weight')!.data.subarray(0, 50)));
    await b.dispose();
    try {
      await alexnet({ weights: bytes(c.files[0]), prototxt: join(fx.dir, c.prototxt!) });
      assert.unreachable('a prototxt path with weights bytes');
    } catch (e) {
      assert.match((e as Error).message, /prototxt is a path only with weights given as a path/);
    }
  });

  test('the architecture comes from the file: torchvision keys give the torchvision topology, Caffe layers the paper\'s with its conventions', async () => {
    const tv = decodeWeights(new Uint8Array(readFileSync(join(fx.dir, 'torchvision.pth'))), 'torchvision.pth');
    assert.equal(tv.config.conv.map((s) => s.out), [8, 16, 24, 16, 16]);
    assert.is(tv.config.lrn, null);
    assert.is(tv.config.dropoutPlacement, 'before');
    assert.is(tv.preset, 'torchvision');
    const cf = decodeWeights(new Uint8Array(readFileSync(join(fx.dir, 'caffe-v1.caffemodel'))), 'caffe-v1.caffemodel');
    assert.equal(cf.config.conv.map((s) => s.groups), [1, 2, 1, 2, 2]);
    // V1 files leave k out: Caffe's default of 1 applies; alpha is the file's (0.5 in the fixture), in the alpha/n convention.
    assert.equal(cf.config.lrn, { size: 5, alpha: 0.5, beta: 0.75, k: 1, convention: 'alpha/n' });
    assert.is(cf.config.pool.ceil, true);
    assert.is(cf.config.dropoutPlacement, 'after');
    assert.is(cf.preset, 'caffe');
    const zoo = decodeWeights(new Uint8Array(readFileSync(join(fx.dir, 'zoo-onnx.onnx'))), 'zoo-onnx.onnx');
    assert.is(zoo.config.inputSize, 224);
    // pool1 and pool2 round down, pool5's end padding is ceil rounding at 12 x 12: the zoo's 6 x 6 at 224.
    assert.equal(zoo.config.pools?.map((p) => p.ceil), [false, false, true]);
  });
}

test.run();
