// CPU reference against @tensorflow/tfjs-backend-cpu, layer by layer at the
// paper net's real shapes, forward and backward, in the same run.
//
//   npm run bench -- [--batch 1,8] [--layers conv1,conv2,...] [--no-tfjs] [--no-model]
//
// tfjs runs NHWC (its native layout) and has no groups: grouped layers are
// split along channels and concatenated, as a user of tfjs would. Backward
// passes call the same kernels tfjs's autodiff calls (Conv2DBackpropInput and
// Conv2DBackpropFilter, LRNGrad, MaxPoolGrad; matMul for linear layers).
// Results: a Markdown table on stdout (ms per call, GFLOP/s where the layer
// is a matrix product, and tfjs time / ours), progress on stderr.

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { conv2dBackward, conv2dForward } from '../src/cpu/conv2d.js';
import { cpuBackend } from '../src/cpu/backend.js';
import { dropoutBackward, dropoutForward, dropoutMask } from '../src/cpu/dropout.js';
import { linearBackward, linearForward } from '../src/cpu/linear.js';
import { PAPER_LRN, lrnBackward, lrnForward } from '../src/cpu/lrn.js';
import { PAPER_POOL, maxpoolBackward, maxpoolForward } from '../src/cpu/maxpool.js';
import { Rng } from '../src/cpu/random.js';
import { reluBackward, reluForward } from '../src/cpu/relu.js';
import { softmaxCrossEntropy } from '../src/cpu/softmax-cross-entropy.js';
import { type Tensor, sizeOf } from '../src/cpu/tensor.js';
import { paperConfig } from '../src/nn/config.js';
import { backward, forward, initParams, uploadParams } from '../src/nn/model.js';
import { listOption, measure, measureAsync } from './harness.js';
import { commandLine, report } from './report.js';

const argv = process.argv.slice(2);
const batches = listOption(argv, 'batch', ['1', '8']).map(Number);
const wanted = listOption(argv, 'layers', []);
const withTfjs = !argv.includes('--no-tfjs');
const withModel = !argv.includes('--no-model');

await tf.setBackend('cpu');
const rng = Rng.seeded(2012);
const randT = (shape: number[]): Tensor<Float32Array> => ({ data: rng.normalArray(sizeOf(shape)), shape });

/** One layer to time: our forward and backward, tfjs's forward and backward, and its FLOP count. */
interface Case {
  layer: string;
  flops?: number;
  ours: [() => void, () => void];
  tfjs: [() => void, () => void];
}

const zeroAcc = (a: { dw: Tensor; db: Tensor }) => { a.dw.data.fill(0); a.db.data.fill(0); };
const nhwc = (t: Tensor): tf.Tensor4D => tf.transpose(tf.tensor4d(t.data as Float32Array, t.shape as [number, number, number, number]), [0, 2, 3, 1]);

function convCase(layer: string, B: number, C: number, H: number, Cout: number, k: number, stride: number, pad: number, groups: number): Case {
  const x = randT([B, C, H, H]), w = randT([Cout, C / groups, k, k]), b = randT([Cout]);
  const p = { stride, pad, groups };
  const y = conv2dForward(x, w, b, p);
  const dy = randT([...y.shape]);
  const Ho = y.shape[2];
  const acc = { dw: randT([...w.shape]), db: randT([Cout]) };
  const flops = 2 * B * Cout * Ho * Ho * (C / groups) * k * k;
  const tx = tf.keep(nhwc(x));
  const tdy = tf.keep(nhwc(dy));
  const tws = Array.from({ length: groups }, (_, g) =>
    tf.keep(tf.transpose(tf.tensor4d(w.data.slice(g * (Cout / groups) * (C / groups) * k * k, (g + 1) * (Cout / groups) * (C / groups) * k * k), [Cout / groups, C / groups, k, k]), [2, 3, 1, 0])));
  const tb = tf.keep(tf.tensor1d(b.data));
  const tpad = [[0, 0], [pad, pad], [pad, pad], [0, 0]] as [[number, number], [number, number], [number, number], [number, number]];
  const split = (t: tf.Tensor4D): tf.Tensor4D[] => (groups === 1 ? [t] : tf.split(t, groups, 3));
  return {
    layer, flops,
    // Our backward adds into reused gradient buffers, zeroed first, as a training step does.
    ours: [() => conv2dForward(x, w, b, p), () => { zeroAcc(acc); conv2dBackward(dy, x, w, p, acc); }],
    tfjs: [
      () => tf.tidy(() => {
        const ys = split(tx).map((xg, g) => tf.conv2d(xg, tws[g], stride, tpad));
        tf.add(groups === 1 ? ys[0] : tf.concat(ys, 3), tb).dataSync();
      }),
      () => tf.tidy(() => {
        const xs = split(tx), dys = split(tdy);
        const dxs = dys.map((dyg, g) => tf.engine().runKernel('Conv2DBackpropInput', { dy: dyg, filter: tws[g] },
          { strides: stride, pad: tpad, dataFormat: 'NHWC', inputShape: xs[g].shape }) as tf.Tensor4D);
        const dws = dys.map((dyg, g) => tf.engine().runKernel('Conv2DBackpropFilter', { x: xs[g], dy: dyg },
          { strides: stride, pad: tpad, dataFormat: 'NHWC', filterShape: tws[g].shape }) as tf.Tensor4D);
        (groups === 1 ? dxs[0] : tf.concat(dxs, 3)).dataSync();
        dws.forEach((d) => d.dataSync());
        tf.sum(tdy, [0, 1, 2]).dataSync();
      }),
    ],
  };
}

function lrnCase(layer: string, B: number, C: number, H: number): Case {
  const x = randT([B, C, H, H]);
  const out = lrnForward(x, PAPER_LRN);
  const dy = randT([...x.shape]);
  const tx = tf.keep(nhwc(x)) as tf.Tensor4D, tdy = tf.keep(nhwc(dy));
  const ty = tf.keep(tf.localResponseNormalization(tx, 2, 2, 1e-4, 0.75));
  return {
    layer,
    ours: [() => lrnForward(x, PAPER_LRN), () => lrnBackward(dy, x, out, PAPER_LRN)],
    tfjs: [
      () => tf.tidy(() => { tf.localResponseNormalization(tx, 2, 2, 1e-4, 0.75).dataSync(); }),
      () => tf.tidy(() => { (tf.engine().runKernel('LRNGrad', { x: tx, y: ty, dy: tdy }, { depthRadius: 2, bias: 2, alpha: 1e-4, beta: 0.75 }) as tf.Tensor).dataSync(); }),
    ],
  };
}

function poolCase(layer: string, B: number, C: number, H: number): Case {
  const x = randT([B, C, H, H]);
  const out = maxpoolForward(x, PAPER_POOL);
  const dy = randT([...out.y.shape]);
  const tx = tf.keep(nhwc(x)) as tf.Tensor4D, tdy = tf.keep(nhwc(dy));
  const ty = tf.keep(tf.maxPool(tx, 3, 2, 'valid'));
  return {
    layer,
    ours: [() => maxpoolForward(x, PAPER_POOL), () => maxpoolBackward(dy, out, x.shape)],
    tfjs: [
      () => tf.tidy(() => { tf.maxPool(tx, 3, 2, 'valid').dataSync(); }),
      () => tf.tidy(() => { (tf.engine().runKernel('MaxPoolGrad', { dy: tdy, input: tx, output: ty }, { filterSize: 3, strides: 2, pad: 'valid' }) as tf.Tensor).dataSync(); }),
    ],
  };
}

function reluCase(layer: string, shape: number[]): Case {
  const x = randT(shape), dy = randT(shape);
  const tx = tf.keep(tf.tensor(x.data, shape)), tdy = tf.keep(tf.tensor(dy.data, shape));
  return {
    layer,
    ours: [() => reluForward(x), () => reluBackward(dy, x)],
    tfjs: [() => tf.tidy(() => { tf.relu(tx).dataSync(); }), () => tf.tidy(() => { tf.mul(tdy, tf.step(tx)).dataSync(); })],
  };
}

function dropoutCase(layer: string, B: number, F: number): Case {
  const x = randT([B, F]), dy = randT([B, F]);
  const p = { rate: 0.5, mode: 'paper' as const, train: true };
  const mask = dropoutMask(B * F, 0.5, rng);
  const tx = tf.keep(tf.tensor2d(x.data, [B, F])), tdy = tf.keep(tf.tensor2d(dy.data, [B, F]));
  const tmask = tf.keep(tf.tensor2d(Float32Array.from(mask), [B, F]));
  return {
    layer,
    // Ours draws the mask too, as a training step does; tfjs's dropout draws its own.
    ours: [() => dropoutForward(x, dropoutMask(B * F, 0.5, rng), p), () => dropoutBackward(dy, mask, p)],
    tfjs: [() => tf.tidy(() => { tf.dropout(tx, 0.5).dataSync(); }), () => tf.tidy(() => { tf.mul(tdy, tmask).dataSync(); })],
  };
}

function linearCase(layer: string, B: number, I: number, O: number): Case {
  const x = randT([B, I]), w = randT([O, I]), b = randT([O]), dy = randT([B, O]);
  const acc = { dw: randT([O, I]), db: randT([O]) };
  const tx = tf.keep(tf.tensor2d(x.data, [B, I])), tw = tf.keep(tf.tensor2d(w.data, [O, I]));
  const tb = tf.keep(tf.tensor1d(b.data)), tdy = tf.keep(tf.tensor2d(dy.data, [B, O]));
  return {
    layer, flops: 2 * B * I * O,
    ours: [() => linearForward(x, w, b), () => { zeroAcc(acc); linearBackward(dy, x, w, acc); }],
    tfjs: [
      () => tf.tidy(() => { tf.add(tf.matMul(tx, tw, false, true), tb).dataSync(); }),
      () => tf.tidy(() => {
        tf.matMul(tdy, tw).dataSync();
        tf.matMul(tdy, tx, true, false).dataSync();
        tf.sum(tdy, 0).dataSync();
      }),
    ],
  };
}

function softmaxCase(layer: string, B: number, C: number): Case {
  const z = randT([B, C]);
  const labels = Int32Array.from({ length: B }, () => rng.int(C));
  const tz = tf.keep(tf.tensor2d(z.data, [B, C])), onehot = tf.keep(tf.oneHot(tf.tensor1d(labels, 'int32'), C));
  return {
    layer,
    // Our one call gives the loss and dlogits together; tfjs: the loss, then (softmax - onehot) / N.
    ours: [() => softmaxCrossEntropy(z, labels), () => {}],
    tfjs: [
      () => tf.tidy(() => { tf.losses.softmaxCrossEntropy(onehot, tz).dataSync(); }),
      () => tf.tidy(() => { tf.div(tf.sub(tf.softmax(tz), onehot), B).dataSync(); }),
    ],
  };
}

function cases(B: number): Case[] {
  return [
    convCase('conv1', B, 3, 227, 96, 11, 4, 0, 1),
    reluCase('relu1', [B, 96, 55, 55]),
    lrnCase('norm1', B, 96, 55),
    poolCase('pool1', B, 96, 55),
    convCase('conv2', B, 96, 27, 256, 5, 1, 2, 2),
    lrnCase('norm2', B, 256, 27),
    poolCase('pool2', B, 256, 27),
    convCase('conv3', B, 256, 13, 384, 3, 1, 1, 1),
    convCase('conv4', B, 384, 13, 384, 3, 1, 1, 2),
    convCase('conv5', B, 384, 13, 256, 3, 1, 1, 2),
    poolCase('pool5', B, 256, 13),
    linearCase('fc6', B, 9216, 4096),
    dropoutCase('drop6', B, 4096),
    linearCase('fc7', B, 4096, 4096),
    linearCase('fc8', B, 4096, 1000),
    softmaxCase('loss', B, 1000),
  ];
}

const gflops = (flops: number | undefined, ms: number) => (flops ? (flops / ms / 1e6).toFixed(2) : '');
const rows: string[][] = [];
const convRatios: { layer: string; dir: string; ratio: number }[] = [];
for (const B of batches) {
  for (const c of cases(B).filter((c) => wanted.length === 0 || wanted.includes(c.layer))) {
    for (const [dir, i] of [['forward', 0], ['backward', 1]] as const) {
      if (c.layer === 'loss' && dir === 'backward') continue;
      const ours = measure(`${c.layer} b${B} ${dir} ours`, c.ours[i]);
      const flops = c.flops === undefined ? undefined : c.flops * (dir === 'backward' ? 2 : 1);
      let tfjsCells = ['', '', ''];
      if (withTfjs) {
        const t = measure(`${c.layer} b${B} ${dir} tfjs`, c.tfjs[i]);
        const ratio = t.ms / ours.ms;
        tfjsCells = [t.ms.toFixed(1), gflops(flops, t.ms), `${ratio.toFixed(2)}x`];
        if (c.layer.startsWith('conv') && B === 8) convRatios.push({ layer: c.layer, dir, ratio });
      }
      rows.push([c.layer === 'loss' ? 'softmax xent (loss + dlogits)' : c.layer, String(B), dir, ours.ms.toFixed(1), gflops(flops, ours.ms), ...tfjsCells]);
    }
  }
}
const notes: string[] = [];
if (convRatios.length) {
  const worst = convRatios.reduce((a, b) => (b.ratio < a.ratio ? b : a));
  notes.push(`conv layers at batch 8: slowest speed-up over tfjs-backend-cpu ${worst.ratio.toFixed(2)}x (${worst.layer} ${worst.dir}); target >= 3x`);
}

if (withModel) {
  const be = cpuBackend();
  const c = paperConfig();
  const params = await uploadParams(be, c, initParams(c, rng));
  const x = be.upload(rng.normalArray(8 * 3 * 227 * 227), [8, 3, 227, 227]);
  const labels = Int32Array.from({ length: 8 }, () => rng.int(1000));
  const f = await measureAsync('paper net forward b8', () => forward(be, c, params, x, { train: false }), 5);
  const grads = new Map([...params].map(([k, v]) => [k, be.upload(new Float32Array(v.data.length), v.shape)]));
  const s = await measureAsync('paper net training step b8', async () => {
    for (const g of grads.values()) be.zero(g);
    const fw = await forward(be, c, params, x, { train: true, rng });
    await backward(be, params, fw, be.softmaxCrossEntropy(fw.logits, labels).dlogits, grads);
  }, 5);
  notes.push(`paper net, batch 8, CPU reference: forward ${(f.ms / 1000).toFixed(2)} s (target < 3 s), forward + backward ${(s.ms / 1000).toFixed(2)} s (${(8000 / s.ms).toFixed(2)} images/s)`);
}
report('cpu-layers', commandLine('bench'), ['layer', 'batch', 'pass', 'ours ms', 'ours GFLOP/s', 'tfjs-cpu ms', 'tfjs GFLOP/s', 'tfjs / ours'], rows, notes);
