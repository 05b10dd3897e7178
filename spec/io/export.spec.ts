// onnxruntime-node, an engine independent of the project, runs every ONNX file
// the project reads (the fixtures) and writes (`writeOnnx` of every fixture
// and of the built-in configurations), within 1e-4 of the reference logits'
// largest magnitude (float32 engines on both sides, different summation orders).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { alexnet } from '../../src/index.js';
import { decodeWeights } from '../../src/api/weights.js';
import { readOnnx } from '../../src/io/onnx.js';
import { writeOnnx } from '../../src/io/onnx-write.js';
import { fixtures, npyAt, relToMax } from './fixtures.js';

const TOL = 1e-4;
const fx = fixtures();

async function ortRun(bytes: Uint8Array, x: Float32Array, shape: number[]): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(bytes);
  const r = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', x, shape) });
  const out = r[s.outputNames[0]].data as Float32Array;
  await s.release();
  return out;
}

function softmaxRows(z: ArrayLike<number>, C: number): Float64Array {
  const p = new Float64Array(z.length);
  for (let n = 0; n < z.length / C; n++) {
    let m = -Infinity, s = 0;
    for (let c = 0; c < C; c++) m = Math.max(m, z[n * C + c]);
    for (let c = 0; c < C; c++) s += (p[n * C + c] = Math.exp(z[n * C + c] - m));
    for (let c = 0; c < C; c++) p[n * C + c] /= s;
  }
  return p;
}

if (fx) {
  for (const c of fx.cases) {
    test(`${c.name}: exported to ONNX, onnxruntime gives PyTorch's logits`, async () => {
      const w = decodeWeights(new Uint8Array(readFileSync(join(fx.dir, c.files[0]))), c.files[0], {
        ...(c.prototxt ? { prototxt: readFileSync(join(fx.dir, c.prototxt), 'utf8') } : {}),
        external: (location) => new Uint8Array(readFileSync(join(fx.dir, location))),
      });
      const x = npyAt(fx.dir, c.input), ref = npyAt(fx.dir, c.logits);
      const onnx = writeOnnx(w.config, w.params, { preset: w.preset });
      const y = await ortRun(onnx, x.data, x.shape);
      assert.ok(relToMax(y, ref.data) < TOL, `onnxruntime on the export of ${c.name}: ${relToMax(y, ref.data).toExponential(2)}`);
      // Read back: the same configuration and parameters.
      const back = readOnnx(onnx, `${c.name}.onnx`);
      assert.equal(back.config, w.config);
      assert.equal(Array.from(back.params.get('fc8.weight')!.data.subarray(0, 20)), Array.from(w.params.get('fc8.weight')!.data.subarray(0, 20)));
    });
  }

  for (const file of ['torchvision.onnx', 'zoo-onnx.onnx']) {
    test(`onnxruntime runs the fixture ${file} as alexnet-ts reads it`, async () => {
      const c = fx.cases.find((k) => k.files[0] === file)!;
      const x = npyAt(fx.dir, c.input), ref = npyAt(fx.dir, c.logits);
      const y = await ortRun(new Uint8Array(readFileSync(join(fx.dir, file))), x.data, x.shape);
      // The zoo graph ends in a Softmax, which `alexnet run` drops: compare probabilities there.
      const expected = file === 'zoo-onnx.onnx' ? softmaxRows(ref.data, 1000) : ref.data;
      assert.ok(relToMax(y, expected) < TOL, `${file}: ${relToMax(y, expected).toExponential(2)}`);
    });
  }
}

for (const config of ['tiny', 'small'] as const) {
  test(`a new ${config} model (partitions ${config === 'small' ? 2 : 1}, the paper's dropout scaling) exports to ONNX that onnxruntime runs like the reference`, async () => {
    const m = await alexnet({ config, seed: 4 });
    const c = m.config, N = 2, shape = [N, c.inputChannels, c.inputSize, c.inputSize];
    const x = new Float32Array(N * c.inputChannels * c.inputSize ** 2).map((_, i) => Math.sin(0.37 * i));
    const y = await m.forward(x, shape);
    const z = await ortRun(writeOnnx(c, await m.weights()), x, shape);
    assert.ok(relToMax(z, y) < TOL, `${config}: ${relToMax(z, y).toExponential(2)}`);
    await m.dispose();
  });
}

test.run();
