// The kit on TensorFlow.js through examples/backends/tfjs.mjs, on tfjs's CPU
// and WebAssembly backends in Node: what docs/conformance.md reports must stay
// true.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { verifyBackend } from '../../src/verify/index.js';

/** A plain-JavaScript module, as a user writes one (so through a variable: it has no type declarations). */
const load = async (file: string) => (await import(file)).default;

test('tfjs-backend-cpu, forward and backward: every op but max pooling agrees, both whole nets too; ceil-mode pooling gives no gradient to a window past the input', async () => {
  const r = await verifyBackend(await load('../../examples/backends/tfjs-cpu.mjs'), { runs: 20, seed: 1 });
  const status = Object.fromEntries(r.ops.map((o) => [o.op, `${o.status}${o.forwardOnly ? ' forward' : ''}`]));
  assert.equal(status, {
    conv2d: 'pass', relu: 'pass', tanh: 'pass', lrn: 'pass', maxpool: 'fail',
    dropout: 'pass', linear: 'pass', 'softmax-xent': 'pass', sgd: 'pass',
  });
  const lrn = r.ops.find((o) => o.op === 'lrn')!;
  assert.ok(lrn.unsupported && lrn.unsupported.cases > 0 && /size \d*[02468] \(even\) cannot be expressed/.test(lrn.unsupported.first), 'even LRN sizes are declined, not failed');
  const pool = r.ops.find((o) => o.op === 'maxpool')!.counterexample!;
  assert.is((pool.case as { ceil: boolean }).ceil, true, 'the pooling difference is in ceil mode');
  assert.is(pool.mismatch!.output, 'dx');
  assert.is(pool.mismatch!.got, 0, 'tfjs sends the last window nothing');
  assert.equal(r.models.map((m) => `${m.config} ${m.status}`), ['tiny pass', 'small pass']);
});

test('tfjs-backend-wasm: no conv weight gradient kernel (conv2d forward only); all-negative pool windows and ties route the gradient elsewhere', async () => {
  const wasm = await load('../../examples/backends/tfjs-wasm.mjs');
  assert.equal(wasm.missingKernels, ['conv2dBackward: Conv2DBackpropFilter', 'conv2dBackwardWeights: Conv2DBackpropFilter']);
  const r = await verifyBackend(wasm, { runs: 20, seed: 1 });
  const status = Object.fromEntries(r.ops.map((o) => [o.op, `${o.status}${o.forwardOnly ? ' forward' : ''}`]));
  assert.equal(status, {
    conv2d: 'pass forward', relu: 'pass', tanh: 'pass', lrn: 'pass', maxpool: 'fail',
    dropout: 'pass', linear: 'pass', 'softmax-xent': 'pass', sgd: 'pass',
  });
  const pool = r.ops.find((o) => o.op === 'maxpool')!.counterexample!;
  assert.is(pool.mismatch!.output, 'dx', 'the forward pooling agrees; its gradient does not');
  assert.equal(r.models.map((m) => `${m.config} ${m.status} ${m.forwardOnly}`), ['tiny pass true', 'small pass true']);
  // The two routings, on the smallest inputs that show them: a 2 x 2 window, one value per element.
  const pool2 = async (x: number[]) => {
    const t = wasm.upload(Float32Array.from(x), [1, 1, 2, 2]);
    const f = wasm.maxpoolForward(t, { kernel: 2, stride: 2, pad: 0, ceil: false });
    return Array.from(wasm.maxpoolBackward(wasm.upload(Float32Array.of(1), [1, 1, 1, 1]), f.cache, [1, 1, 2, 2]).data as Float32Array);
  };
  assert.equal(await pool2([-5, -2, -3, -4]), [1, 0, 0, 0], 'all negative: the first element gets it, not the maximum (-2)');
  assert.equal(await pool2([1, 1, 1, 1]), [0, 0, 0, 1], 'ties: the last of the tied maxima (this project and tfjs-cpu: the first)');
});

test.run();
