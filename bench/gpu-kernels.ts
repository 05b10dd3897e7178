// Each kernel choice of the GPU backend against the simplest kernel, as a
// ratio, in one run, at the paper net's shapes: the forward convolution's
// 2 x 2 tiles per thread (operands packed four to an RGBA texel, by input
// channel, or by column for conv1) and the backward's four channels per
// thread, each against one output per thread.
//
//   xvfb-run -a npm run bench:kernels -- [--batch 8] [--layers conv1,conv2]

import { Rng } from '../src/cpu/random.js';
import { sizeOf } from '../src/cpu/tensor.js';
import { GpuContext } from '../src/gpu/context.js';
import { conv2dBackward, conv2dForward } from '../src/gpu/conv2d.js';
import { listOption, measure } from './harness.js';
import { commandLine, report } from './report.js';

const argv = process.argv.slice(2);
const B = Number(listOption(argv, 'batch', ['8'])[0]);
const wanted = listOption(argv, 'layers', ['conv1', 'conv2', 'conv3', 'conv4', 'conv5']);
const ctx = GpuContext.create();
const rng = Rng.seeded(1);
const up = (shape: number[], s = 1) => ctx.upload(rng.normalArray(sizeOf(shape), 0, s), shape);

const layers: Record<string, [number, number, number, number, number, number, number]> = {
  conv1: [3, 227, 96, 11, 4, 0, 1], conv2: [96, 27, 256, 5, 1, 2, 2], conv3: [256, 13, 384, 3, 1, 1, 1],
  conv4: [384, 13, 384, 3, 1, 1, 2], conv5: [384, 13, 256, 3, 1, 1, 2],
};
const rows: string[][] = [];
for (const name of wanted) {
  const [C, H, Cout, k, stride, pad, groups] = layers[name];
  const x = up([B, C, H, H]), w = up([Cout, C / groups, k, k], 0.01), b = up([Cout]);
  const p = { stride, pad, groups };
  const y0 = conv2dForward(x, w, b, p);
  const dy = up([...y0.shape]);
  ctx.dispose(y0);
  const time = (packed: boolean, dir: 'forward' | 'backward') => measure(`${name} ${dir} ${packed ? 'packed' : 'simple'}`, () => {
    if (dir === 'forward') ctx.dispose(conv2dForward(x, w, b, p, packed ? undefined : 'simple'));
    else { const g = conv2dBackward(dy, x, w, p, undefined, packed ? 'x4' : 'simple'); ctx.dispose(g.dx); ctx.dispose(g.dw); ctx.dispose(g.db); }
    ctx.finish();
  }, 1);
  for (const dir of ['forward', 'backward'] as const) {
    const simple = time(false, dir), packed = time(true, dir);
    rows.push([name, String(B), dir, simple.ms.toFixed(0), packed.ms.toFixed(0), `${(simple.ms / packed.ms).toFixed(2)}x`]);
  }
  for (const t of [x, w, b, dy]) ctx.dispose(t);
}
report('gpu-kernels', commandLine('bench:kernels'), ['layer', 'batch', 'pass', 'one per thread (ms)', 'packed (ms)', 'speed-up'], rows);
await ctx.destroy();
