// In the browser: every paper layer, forward and backward, on this project's
// WebGL kernels (src/gpu/) and on @tensorflow/tfjs-backend-webgl, at the same
// shapes in the same page and the same renderer. bench/browser.ts bundles
// this file, opens it in Chromium and prints the table.
//
// tfjs runs in its own layout (NHWC, its fastest) and has no grouped
// convolution: conv2, conv4 and conv5 split the input channels, convolve
// each half and concatenate, the usual emulation. Backward calls the kernels
// tfjs's own gradients use (Conv2DBackpropInput, Conv2DBackpropFilter,
// LRNGrad, MaxPoolGrad, two matMuls). Each call ends by reading back its
// last output (on either side: dataSync() for tfjs, download() for ours), so
// work is timed done, not queued: gl.finish() did not wait in Chromium
// (timings varied by +-430 %). The read-back is in both columns.
// Inputs are seeded random values of the layer's real shapes; that our
// kernels compute the layers right is the agreement tests' job (spec/gpu/).

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgl';
import { Rng } from '../../src/cpu/random.js';
import { gpuBackend } from '../../src/gpu/backend.js';
import { GpuContext } from '../../src/gpu/context.js';
import { measure } from '../harness.js';
import { PAPER_SHAPES, layerOps } from '../layer-ops.js';

/** One timed case: a layer, a pass, both implementations. */
export interface BrowserRow {
  layer: string;
  pass: 'forward' | 'backward';
  oursMs: number;
  tfjsMs: number;
}

type TfOps = { fwd: () => void; bwd: () => void };

/** The same layer in tfjs, NHWC, from the same seeded inputs as ours (transposed). */
function tfLayer(layer: string, B: number, rng: Rng): TfOps {
  const t4 = (shape: number[], scale = 1) => tf.tensor(rng.normalArray(shape.reduce((a, b) => a * b, 1), 0, scale), shape);
  const run = (f: () => tf.Tensor | tf.Tensor[]) => {
    const r = f();
    const all = Array.isArray(r) ? r : [r];
    all[all.length - 1].dataSync();
    tf.dispose(r);
  };
  const conv = (C: number, H: number, Cout: number, k: number, stride: number, pad: number, groups: number): TfOps => {
    const x = t4([B, H, H, C]), b = t4([Cout]);
    const ws = Array.from({ length: groups }, () => t4([k, k, C / groups, Cout / groups], 0.01)) as tf.Tensor4D[];
    const p = pad === 0 ? 'valid' : pad;
    const forward = () => tf.tidy(() => {
      const xs = groups === 1 ? [x] : tf.split(x, groups, 3);
      const ys = xs.map((xg, g) => tf.conv2d(xg as tf.Tensor4D, ws[g], stride, p));
      return tf.add(groups === 1 ? ys[0] : tf.concat(ys, 3), b);
    });
    const y0 = forward();
    const dy = t4(y0.shape);
    y0.dispose();
    return {
      fwd: () => run(forward),
      bwd: () => run(() => tf.tidy(() => {
        const xs = groups === 1 ? [x] : tf.split(x, groups, 3);
        const dys = groups === 1 ? [dy] : tf.split(dy, groups, 3);
        const dxs: tf.Tensor[] = [], dws: tf.Tensor[] = [];
        xs.forEach((xg, g) => {
          dxs.push(tf.engine().runKernel('Conv2DBackpropInput', { dy: dys[g], filter: ws[g] }, { strides: stride, pad: p, dataFormat: 'NHWC', inputShape: xg.shape }) as tf.Tensor);
          dws.push(tf.engine().runKernel('Conv2DBackpropFilter', { x: xg, dy: dys[g] }, { strides: stride, pad: p, dataFormat: 'NHWC', filterShape: ws[g].shape }) as tf.Tensor);
        });
        return [groups === 1 ? dxs[0] : tf.concat(dxs, 3), ...dws, tf.sum(dy, [0, 1, 2])];
      })),
    };
  };
  const lrn = (C: number, H: number): TfOps => {
    const x = t4([B, H, H, C]), dy = t4([B, H, H, C]);
    // tfjs multiplies the window's sum of squares by alpha as written: the paper's convention (section 3.3).
    const f = () => tf.localResponseNormalization(x as tf.Tensor4D, 2, 2, 1e-4, 0.75);
    const y = f();
    return {
      fwd: () => run(f),
      bwd: () => run(() => tf.engine().runKernel('LRNGrad', { x, y, dy }, { depthRadius: 2, bias: 2, alpha: 1e-4, beta: 0.75 }) as tf.Tensor),
    };
  };
  const pool = (C: number, H: number): TfOps => {
    const x = t4([B, H, H, C]);
    const f = () => tf.maxPool(x as tf.Tensor4D, 3, 2, 'valid');
    const y = f();
    const dy = t4(y.shape);
    return {
      fwd: () => run(f),
      bwd: () => run(() => tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: y }, { filterSize: 3, strides: 2, pad: 'valid' }) as tf.Tensor),
    };
  };
  const lin = (I: number, O: number): TfOps => {
    const x = t4([B, I]), w = t4([O, I], 0.01), b = t4([O]), dy = t4([B, O]);
    const f = () => tf.tidy(() => tf.add(tf.matMul(x, w, false, true), b));
    return {
      fwd: () => run(f),
      bwd: () => run(() => [tf.matMul(dy, w), tf.matMul(dy, x, true, false), tf.sum(dy, 0)]),
    };
  };
  const L = PAPER_SHAPES[layer];
  switch (L?.kind) {
    case 'conv': return conv(L.C, L.H, L.Cout, L.k, L.stride, L.pad, L.groups);
    case 'lrn': return lrn(L.C, L.H);
    case 'pool': return pool(L.C, L.H);
    case 'linear': return lin(L.I, L.O);
    default: throw new Error(`bench/browser: no tfjs case for layer ${layer}`);
  }
}

/**
 * Runs the comparison at batch B for the given layers; maxTime is benchmark.js's
 * sampling time per case in seconds. The inputs of both sides come from the same seed.
 */
async function runBench(o: { batch: number; layers: string[]; passes: string[]; maxTime: number; webgl: 1 | 2 }): Promise<{ renderer: string; rows: BrowserRow[] }> {
  tf.env().set('WEBGL_VERSION', o.webgl);
  await tf.setBackend('webgl');
  await tf.ready();
  const ctx = GpuContext.create({ mode: o.webgl === 2 ? 'webgl2' : 'webgl', label: 'bench' });
  const be = gpuBackend(ctx);
  const gl = ctx.gpu.context as WebGL2RenderingContext;
  const dbg = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(gl.getParameter(dbg ? dbg.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  const rows: BrowserRow[] = [];
  for (const layer of o.layers) {
    const ours = layerOps(be, layer, o.batch, (last) => be.download(last), Rng.seeded(1));
    const theirs = tfLayer(layer, o.batch, Rng.seeded(1));
    for (const [pass, key] of [['forward', 'fwd'], ['backward', 'bwd']] as const) {
      if (!o.passes.includes(pass)) continue;
      // First calls compile the shaders (tfjs's MaxPoolGrad took 51 s to compile on llvmpipe): not timed.
      ours.ops[key]();
      theirs[key]();
      const a = measure(`${layer} ${pass} ours`, ours.ops[key], o.maxTime);
      const b = measure(`${layer} ${pass} tfjs`, theirs[key], o.maxTime);
      rows.push({ layer, pass, oursMs: a.ms, tfjsMs: b.ms });
    }
  }
  await ctx.destroy();
  return { renderer, rows };
}

(window as unknown as { runBench: typeof runBench }).runBench = runBench;
document.body.dataset.ready = 'true';
