// TensorFlow.js (@tensorflow/tfjs-backend-cpu 4.22) as an alexnet-ts Backend,
// forward only for now (its gradients would come through tf.grad): the
// layers in tfjs's NHWC layout, transposed at each op's boundary. Mapped
// here, not by tfjs: groups by splitting the channels and concatenating;
// LRN through tf.localResponseNormalization, whose alpha multiplies the sum
// as written (the paper's convention; Caffe's alpha / n is divided first) and
// whose window is depth_radius on each side (odd sizes only); max pooling with
// explicit padding and dimRoundingMode for Caffe's ceil; the paper's momentum
// step in tf ops.
//
//   npx alexnet verify --backend examples/backends/tfjs-cpu.mjs

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

await tf.setBackend('cpu');
const T = (data, shape) => ({ data, shape: [...shape] });
const toTf = (t) => tf.tensor(t.data, t.shape, 'float32');
/** Runs f in a tf.tidy and downloads its tensor result. */
const out = (f) => { const y = tf.tidy(f); const r = T(y.dataSync(), y.shape); y.dispose(); return r; };
const nhwc = (x) => tf.transpose(x, [0, 2, 3, 1]), nchw = (x) => tf.transpose(x, [0, 3, 1, 2]);

export default {
  name: 'tfjs-backend-cpu',
  upload: (data, shape) => T(Float32Array.from(data), shape),
  download: (t) => t.data,
  shape: (t) => t.shape,
  reshape: (t, shape) => T(t.data, shape),
  dispose: () => {},
  disposeCache: () => {},
  conv2dForward: (x, w, b, p) => out(() => {
    const g = p.groups, xs = tf.split(nhwc(toTf(x)), g, 3);
    // [O, C/g, k, k] -> [k, k, C/g, O], split by output group.
    const ws = tf.split(tf.transpose(toTf(w), [2, 3, 1, 0]), g, 3);
    const pad = [[0, 0], [p.pad, p.pad], [p.pad, p.pad], [0, 0]];
    const ys = xs.map((xg, i) => tf.conv2d(xg, ws[i], p.stride, pad));
    return nchw(tf.add(g === 1 ? ys[0] : tf.concat(ys, 3), toTf(b)));
  }),
  reluForward: (x) => out(() => tf.relu(toTf(x))),
  tanhForward: (x) => out(() => tf.tanh(toTf(x))),
  lrnForward(x, p) {
    if (p.size % 2 === 0) throw new Error(`tfjs's LRN window is depth_radius on each side: size ${p.size} (even) cannot be expressed`);
    const alpha = p.convention === 'paper' ? p.alpha : p.alpha / p.size;
    return { y: out(() => nchw(tf.localResponseNormalization(nhwc(toTf(x)), (p.size - 1) / 2, p.k, alpha, p.beta))), cache: { kind: 'tfjs' } };
  },
  maxpoolForward(x, p) {
    const y = out(() => nchw(tf.maxPool(nhwc(toTf(x)), p.kernel, p.stride, p.pad, p.ceil ? 'ceil' : 'floor')));
    return { y, cache: { kind: 'tfjs' } };
  },
  dropoutForward(x, mask, p) {
    const scale = p.train ? (p.mode === 'inverted' ? 1 / (1 - p.rate) : 1) : (p.mode === 'paper' ? 1 - p.rate : 1);
    const m = mask ? Float32Array.from(mask, (v) => v * scale) : new Float32Array(x.data.length).fill(scale);
    return out(() => tf.mul(toTf(x), tf.tensor(m, x.shape)));
  },
  linearForward: (x, w, b) => out(() => tf.add(tf.matMul(toTf(x), toTf(w), false, true), toTf(b))),
  softmaxCrossEntropy(logits, labels) {
    const [N, K] = logits.shape;
    const onehot = tf.cast(tf.oneHot(tf.tensor1d(Array.from(labels), 'int32'), K), 'float32');
    const z = toTf(logits);
    const probs = out(() => tf.softmax(z));
    const dlogits = out(() => tf.div(tf.sub(tf.softmax(z), onehot), N));
    const loss = tf.tidy(() => tf.neg(tf.div(tf.sum(tf.mul(tf.logSoftmax(z), onehot)), N))).dataSync()[0];
    z.dispose(); onehot.dispose();
    return { loss, probs, dlogits };
  },
  sgdStep(slots, p) {
    // The paper's rule (section 5): v <- momentum v - weightDecay lr w - lr g; w <- w + v.
    return slots.map((s) => {
      const v = out(() => tf.sub(tf.sub(tf.mul(toTf(s.v), p.momentum), tf.mul(toTf(s.w), p.weightDecay * p.lr)), tf.mul(toTf(s.g), p.lr)));
      return { w: out(() => tf.add(toTf(s.w), toTf(v))), v };
    });
  },
};
