import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng } from '../../src/cpu/random.js';
import { sgdStep as cpuSgd } from '../../src/cpu/sgd.js';
import { NonFiniteError } from '../../src/cpu/tensor.js';
import { sgdStep } from '../../src/gpu/sgd.js';
import { assertClose, rand32 } from '../helpers.js';
import { sharedContext } from './context.js';

const shapes = [[7], [5, 9], [3, 2, 4, 5]];

test('GPU SGD: a new learning rate reuses the compiled kernels, and every step matches the CPU rule', async () => {
  const ctx = await sharedContext();
  const rng = Rng.seeded(5);
  const host = shapes.map((s) => ({ w: rand32(rng, s), v: rand32(rng, s, -0.1, 0.1), g: rand32(rng, s) }));
  let slots = host.map((h, i) => ({ name: `p${i}`, w: ctx.upload(h.w.data, h.w.shape), v: ctx.upload(h.v.data, h.v.shape), g: ctx.upload(h.g.data, h.g.shape) }));
  let compiledAfterFirst = 0;
  for (const [k, lr] of [0.1, 0.01, 0.001, 0.0003].entries()) {
    const p = { lr, momentum: 0.9, weightDecay: 0.0005 };
    const out = sgdStep(slots, p);
    cpuSgd(host.map((h, i) => ({ name: `p${i}`, ...h })), p);
    // One float32 multiply-add chain per element: the GPU rounds after each operation, the CPU in float64.
    out.forEach((o, i) => {
      assertClose(ctx.download(o.w), host[i].w.data, 1e-6, `w of p${i} after lr ${lr}`);
      assertClose(ctx.download(o.v), host[i].v.data, 1e-6, `v of p${i} after lr ${lr}`);
    });
    slots = slots.map((s, i) => ({ ...s, w: out[i].w, v: out[i].v }));
    if (k === 0) compiledAfterFirst = ctx.compiledKernels;
    else assert.is(ctx.compiledKernels, compiledAfterFirst, `lr ${lr} compiled new kernels`);
  }
  for (const s of slots) { ctx.dispose(s.w); ctx.dispose(s.v); ctx.dispose(s.g); }
});

test('GPU SGD refuses a NaN or infinite gradient, as the CPU step does, before updating anything', async () => {
  const ctx = await sharedContext();
  const rng = Rng.seeded(6);
  for (const bad of [NaN, Infinity, -Infinity]) {
    for (const s of shapes) {
      const w = rand32(rng, s), g = rand32(rng, s);
      g.data[g.data.length - 2] = bad;
      const slots = [
        { name: 'fine', w: ctx.upload(w.data, s), v: ctx.upload(new Float32Array(w.data.length), s), g: ctx.upload(Float32Array.from(w.data), s) },
        { name: 'broken', w: ctx.upload(w.data, s), v: ctx.upload(new Float32Array(w.data.length), s), g: ctx.upload(g.data, s) },
      ];
      let err: unknown;
      try { sgdStep(slots, { lr: 0.01, momentum: 0.9, weightDecay: 0.0005 }); } catch (e) { err = e; }
      assert.ok(err instanceof NonFiniteError, `${bad} in a ${s.join('x')} gradient was not refused`);
      // The bad value sits in the last row: [7] has one row, [5, 9] rows of 9, [3, 2, 4, 5] rows of 5.
      const row = s.length === 1 ? 0 : (g.data.length - 2 - ((g.data.length - 2) % s[s.length - 1])) / s[s.length - 1];
      assert.is((err as Error).message, `sgdStep: gradient of broken holds a non-finite value in row ${row} of shape [${s.join(', ')}]`);
      assert.equal(Array.from(ctx.download(slots[0].w)), Array.from(w.data), 'nothing was updated');
      for (const t of slots) { ctx.dispose(t.w); ctx.dispose(t.v); ctx.dispose(t.g); }
    }
  }
});

test('GPU SGD runs on the paper net\'s largest parameter shapes (conv3 [384, 256, 3, 3], fc6 [4096, 9216]) and still refuses a NaN there', async () => {
  const ctx = await sharedContext();
  for (const shape of [[384, 256, 3, 3], [4096, 9216]]) {
    const n = shape.reduce((a, b) => a * b, 1);
    const g = new Float32Array(n).fill(0.5);
    const slot = () => ({ name: 'big', w: ctx.upload(new Float32Array(n).fill(1), shape), v: ctx.upload(new Float32Array(n), shape), g: ctx.upload(g, shape) });
    const s1 = slot();
    const [out] = sgdStep([s1], { lr: 0.1, momentum: 0.9, weightDecay: 0 });
    const w = ctx.download(out.w);
    assert.is(w[0], Math.fround(1 - 0.05));
    assert.is(w[n - 1], Math.fround(1 - 0.05));
    for (const t of [out.w, out.v, s1.g]) ctx.dispose(t);
    g[n - 1] = NaN;
    const s2 = slot();
    let err: unknown;
    try { sgdStep([s2], { lr: 0.1, momentum: 0.9, weightDecay: 0 }); } catch (e) { err = e; }
    assert.ok(err instanceof NonFiniteError, `a NaN in ${shape.join('x')} was not refused`);
    for (const t of [s2.w, s2.v, s2.g]) ctx.dispose(t);
  }
});

test.run();
