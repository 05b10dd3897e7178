// The kit on a backend this project did not write: onnxruntime-node through
// examples/backends/onnxruntime.mjs, forward only. What docs/conformance.md
// reports must stay true: the forward ops and the whole nets' forward passes
// agree, ORT's CPU LRN declines even sizes (counted, not failed), the SGD step
// is not there.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { verifyBackend } from '../../src/verify/index.js';

test('onnxruntime-node, forward only: the forward ops and both whole nets pass; even LRN sizes are declined; sgd not implemented', async () => {
  // A plain-JavaScript module, as a user writes one (so through a variable: it has no type declarations).
  const module: string = '../../examples/backends/onnxruntime.mjs';
  const ort = (await import(module)).default;
  const r = await verifyBackend(ort, { runs: 20, seed: 1 });
  const status = Object.fromEntries(r.ops.map((o) => [o.op, `${o.status}${o.forwardOnly ? ' forward' : ''}`]));
  assert.equal(status, {
    conv2d: 'pass forward', relu: 'pass forward', tanh: 'pass forward', lrn: 'pass forward', maxpool: 'pass forward',
    dropout: 'pass forward', linear: 'pass forward', 'softmax-xent': 'pass', sgd: 'not implemented',
  });
  const lrn = r.ops.find((o) => o.op === 'lrn')!;
  assert.ok(lrn.unsupported && lrn.unsupported.cases > 0, 'even sizes declined');
  assert.match(lrn.unsupported!.first, /"size":\d*[02468],.*odd sizes only.*size_ % 2 == 1/);
  assert.equal(r.models.map((m) => `${m.config} ${m.status} ${m.forwardOnly}`), ['tiny pass true', 'small pass true']);
});

test.run();
