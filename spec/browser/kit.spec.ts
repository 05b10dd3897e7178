// The kit on TensorFlow.js's WebGL backend in Chromium (bench/browser/kit-run.ts,
// the adapter examples/backends/tfjs.mjs): what docs/conformance.md reports
// must stay true. Fewer cases than the docs' run: each new shape compiles new
// shaders on llvmpipe.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runKitInChromium } from '../../bench/browser/kit-run.js';

test('tfjs-backend-webgl in Chromium: every op agrees forward and backward but the max-pool gradient, which sends tied maxima elsewhere', async () => {
  const r = await runKitInChromium({ runs: 8, seed: 1, models: ['tiny'] });
  assert.match(r.renderer, /WebGL 2\.0/);
  const status = Object.fromEntries(r.report.ops.map((o) => [o.op, `${o.status}${o.forwardOnly ? ' forward' : ''}`]));
  assert.equal(status, {
    conv2d: 'pass', relu: 'pass', tanh: 'pass', lrn: 'pass', maxpool: 'fail',
    dropout: 'pass', linear: 'pass', 'softmax-xent': 'pass', sgd: 'pass',
  });
  const pool = r.report.ops.find((o) => o.op === 'maxpool')!.counterexample!;
  assert.is((pool.case as { ties: boolean }).ties, true, 'the pooling difference needs tied maxima');
  assert.is(pool.mismatch!.output, 'dx');
  assert.equal(r.routing!.negative, [0, 1, 0, 0], 'a negative window sends its gradient to its maximum');
  assert.not.equal(r.routing!.ties, [1, 0, 0, 0], 'ties do not go to the first maximum');
  // The whole net: only the pooling layers' own dx (tie routing) disagree.
  const tiny = r.report.models[0];
  assert.is(tiny.status, 'fail');
  assert.ok(tiny.failures!.length > 0 && tiny.failures!.every((f) => /^layer pool\d dx$/.test(f)), tiny.failures!.join(', '));
});

test.run();
