// The GPU step profiler (src/gpu/profile.ts, bench/gpu-profile.ts): its
// WebGL counters count what gpu.js did (one draw per kernel run, shaders only
// on a kernel's first run, upload and readback bytes of the textures'
// RGBA float texels), each op is recorded under its name with its own calls,
// a disabled profile records nothing and adds no finish(), restore() unwraps
// the context, and over a training step the ops' draws add up to every draw
// the context made (no GPU work escapes the table). Counts are exact: they
// are integers of what was called, with no tolerance.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng } from '../../src/cpu/random.js';
import { PAPER_SGD } from '../../src/cpu/sgd.js';
import { gpuBackend } from '../../src/gpu/backend.js';
import { StepProfile, countGlCalls, profiledBackend } from '../../src/gpu/profile.js';
import { scaledPaperConfig } from '../../src/nn/config.js';
import { initParams } from '../../src/nn/model.js';
import { createTrainState, disposeTrainState, trainStep } from '../../src/nn/step.js';
import { sharedContext } from './context.js';

const ctx = await sharedContext();
const gl = ctx.gpu.context as unknown as Record<string, unknown>;

test('countGlCalls: one draw per kernel run, shaders only at the first run, upload and readback bytes', () => {
  const originalDraw = gl.drawArrays;
  const c = countGlCalls(gl);
  assert.is.not(gl.drawArrays, originalDraw, 'drawArrays is wrapped');
  try {
    // A kernel source no other spec uses, so that its first run compiles.
    const src = 'function (a) { return a[this.thread.x] * 3.25 + 0.125; }';
    const x = ctx.upload(Float32Array.from({ length: 1000 }, (_, i) => i), [1000]);
    assert.is(c.counts.uploads, 1, 'one upload');
    // gpu.js uploads an input array as float32 values in a texture of a little more than their number (measured: 4080 bytes).
    assert.ok(c.counts.uploadBytes >= 4000 && c.counts.uploadBytes < 8192, `upload bytes ${c.counts.uploadBytes}`);
    const draws0 = c.counts.draws, shaders0 = c.counts.shaderCompiles;
    const y = ctx.run(src, [1000], x.tex);
    assert.is(c.counts.draws - draws0, 1, 'one draw for a kernel run');
    assert.is(c.counts.shaderCompiles - shaders0, 2, 'a new kernel compiles its vertex and fragment shaders');
    const z = ctx.run(src, [1000], y.tex);
    assert.is(c.counts.draws - draws0, 2, 'a second run draws once more');
    assert.is(c.counts.shaderCompiles - shaders0, 2, 'and compiles nothing');
    const reads0 = c.counts.readbacks, bytes0 = c.counts.readBytes;
    const v = ctx.download(z);
    assert.is(v[10], (10 * 3.25 + 0.125) * 3.25 + 0.125, 'the counted calls still compute');
    assert.is(c.counts.readbacks - reads0, 1, 'one readback');
    // An output of 1000 values holds one per RGBA float texel (PLAIN_LIMIT): readPixels reads 16 bytes per value.
    assert.ok(c.counts.readBytes - bytes0 >= 16_000 && c.counts.readBytes - bytes0 < 16 * 2048, `readback bytes ${c.counts.readBytes - bytes0}`);
    for (const t of [x, y, z]) ctx.dispose(t);
  } finally {
    c.restore();
  }
  assert.is(gl.drawArrays, originalDraw, 'restore() puts the original drawArrays back');
});

test('profiledBackend: each op under its name with its own draws; disabled, nothing is recorded but the context counts still move', () => {
  const profile = new StepProfile();
  const w = profiledBackend(gpuBackend(ctx), profile, 'p:');
  try {
    const x = w.backend.upload(Float32Array.from({ length: 64 }, (_, i) => i - 32), [4, 16]);
    const y = w.backend.reluForward(x);
    const dx = w.backend.reluBackward(y, x);
    assert.equal([...profile.ops.keys()].sort(), ['p:reluBackward', 'p:reluForward', 'p:upload']);
    for (const op of ['p:reluForward', 'p:reluBackward', 'p:upload']) {
      assert.is(profile.ops.get(op)!.calls, 1, `${op}: one call`);
      assert.is(profile.ops.get(op)!.gl.draws, 1, `${op}: one kernel run`);
    }
    assert.is(profile.ops.get('p:upload')!.gl.uploads, 1, 'the upload op uploaded once');
    assert.is(profile.ops.get('p:reluForward')!.gl.uploads, 0, 'relu uploads nothing');
    profile.enabled = false;
    const draws = w.counts.draws;
    const y2 = w.backend.reluForward(x);
    assert.is(profile.ops.get('p:reluForward')!.calls, 1, 'a disabled profile records no call');
    assert.is(w.counts.draws, draws + 1, 'the context counter still counts');
    for (const t of [x, y, dx, y2]) w.backend.dispose(t);
  } finally {
    w.restore();
  }
});

test('profiledBackend over a training step: the ops\' draws add up to every draw the context made', async () => {
  const profile = new StepProfile();
  const w = profiledBackend(gpuBackend(ctx), profile);
  try {
    const c = scaledPaperConfig({ name: 'tiny', channels: [4, 8, 8, 8, 8], fc: [16, 16], classes: 4, inputSize: 67 });
    const rng = Rng.seeded(1);
    const state = await createTrainState(w.backend, c, initParams(c, rng));
    const x = w.backend.upload(rng.normalArray(2 * 3 * 67 * 67), [2, 3, 67, 67]);
    const draws0 = w.counts.draws, created0 = w.counts.texturesCreated;
    profile.ops.clear();
    await trainStep(w.backend, c, state, x, Int32Array.from([1, 3]), rng, PAPER_SGD);
    const total = profile.total();
    assert.ok(total.gl.draws > 20, `a step of a five-conv net runs many kernels (${total.gl.draws})`);
    assert.is(total.gl.draws, w.counts.draws - draws0, 'every kernel run belongs to an op');
    assert.is(total.gl.texturesCreated, w.counts.texturesCreated - created0, 'every texture allocation belongs to an op');
    for (const op of ['conv2dForward', 'conv2dBackward', 'lrnForward', 'maxpoolBackward', 'linearBackward', 'softmaxCrossEntropy', 'sgdStep']) {
      assert.ok(profile.ops.has(op), `${op} is in the profile`);
    }
    w.backend.dispose(x);
    await disposeTrainState(w.backend, state);
  } finally {
    w.restore();
  }
});

test.run();
