// The kit on TensorFlow.js's CPU backend through examples/backends/tfjs-cpu.mjs
// (forward only): what docs/conformance.md reports must stay true.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { verifyBackend } from '../../src/verify/index.js';

test('tfjs-backend-cpu, forward only: conv, relu, tanh, dropout, linear, loss and SGD agree; ceil-mode max pooling keeps a window past the input; LRN odd sizes only', async () => {
  const module: string = '../../examples/backends/tfjs-cpu.mjs';
  const tfjs = (await import(module)).default;
  const r = await verifyBackend(tfjs, { runs: 20, seed: 1, models: [] });
  const status = Object.fromEntries(r.ops.map((o) => [o.op, `${o.status}${o.forwardOnly ? ' forward' : ''}`]));
  assert.equal(status, {
    conv2d: 'pass forward', relu: 'pass forward', tanh: 'pass forward', lrn: 'fail forward', maxpool: 'fail forward',
    dropout: 'pass forward', linear: 'pass forward', 'softmax-xent': 'pass', sgd: 'pass',
  });
  const pool = r.ops.find((o) => o.op === 'maxpool')!.counterexample!;
  assert.is((pool.case as { ceil: boolean }).ceil, true, 'the pooling difference is in ceil mode');
  assert.match(pool.mismatch!.reason ?? '', /^shape \[1, 1, \d+, \d+\], expected/);
  const lrn = r.ops.find((o) => o.op === 'lrn')!.counterexample!;
  assert.is((lrn.case as { size: number }).size % 2, 0);
});

test.run();
