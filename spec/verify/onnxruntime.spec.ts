// The kit on a backend this project did not write: onnxruntime-node through
// examples/backends/onnxruntime.mjs, forward only. What docs/conformance.md
// reports must stay true: the forward ops agree, ORT's CPU LRN refuses even
// sizes (a failure the kit shrinks to size 2), the SGD step is not there.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { verifyBackend } from '../../src/verify/index.js';

test('onnxruntime-node, forward only: the forward ops pass; LRN fails at an even size (ORT refuses it); sgd not implemented', async () => {
  // A plain-JavaScript module, as a user writes one (so through a variable: it has no type declarations).
  const module: string = '../../examples/backends/onnxruntime.mjs';
  const ort = (await import(module)).default;
  const r = await verifyBackend(ort, { runs: 20, seed: 1, models: [] });
  const status = Object.fromEntries(r.ops.map((o) => [o.op, `${o.status}${o.forwardOnly ? ' forward' : ''}`]));
  assert.equal(status, {
    conv2d: 'pass forward', relu: 'pass forward', tanh: 'pass forward', lrn: 'fail forward', maxpool: 'pass forward',
    dropout: 'pass forward', linear: 'pass forward', 'softmax-xent': 'pass', sgd: 'not implemented',
  });
  const lrn = r.ops.find((o) => o.op === 'lrn')!.counterexample!;
  assert.is((lrn.case as { size: number }).size % 2, 0, 'the shrunk case has an even size');
  assert.match(lrn.error ?? '', /size_ % 2 == 1/);
});

test.run();
