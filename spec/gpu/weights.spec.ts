// Every weights format on the GPU backend (WebGL through gpu.js) against
// PyTorch's float64 logits, within 1e-4 of their largest magnitude: the GPU
// sums in float32 term by term (conv2 of these nets: 200-term sums, ~1e-6)
// and GLSL's pow in LRN carries ~5e-7 relative error (../shared/gpujs-notes.md),
// well below 1e-4; a wrong group, LRN convention or pooling rounding errs by
// far more (the same tolerance as the CPU spec in spec/io/formats.spec.ts).

import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { alexnet } from '../../src/index.js';
import { fixtures, npyAt, relToMax } from '../io/fixtures.js';

const TOL = 1e-4;
const fx = fixtures();

if (fx) {
  for (const c of fx.cases.filter((k) => ['torchvision-zip', 'torchvision-onnx', 'zoo-onnx', 'caffe-v2'].includes(k.name))) {
    test(`${c.name} on the GPU backend gives PyTorch's logits (within ${TOL} of max)`, async () => {
      const model = await alexnet({ weights: join(fx.dir, c.files[0]), backend: 'gpu' });
      try {
        const x = npyAt(fx.dir, c.input), ref = npyAt(fx.dir, c.logits);
        const r = relToMax(await model.forward(x.data, x.shape), ref.data);
        assert.ok(r < TOL, `${c.name} on the GPU: ${r.toExponential(2)}`);
      } finally {
        await model.dispose();
      }
    });
  }
}

test.run();
