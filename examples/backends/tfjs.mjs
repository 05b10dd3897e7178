// TensorFlow.js as an alexnet-ts Backend, on whichever tfjs backend is active
// (tfjs-cpu.mjs and tfjs-wasm.mjs pick one; a page can pick webgl). Forward
// passes are tfjs ops in tfjs's NHWC layout, transposed at each op's
// boundary; backward passes are tfjs's own gradients of those forward
// functions (tf.grads, which runs tfjs's gradient kernels: Conv2DBackpropInput
// and -Filter, LRNGrad, MaxPoolGrad, ...), given the upstream gradient dy.
//
// Conventions mapped here, not by tfjs:
//  - groups: the channels split, each group convolved (or normalised, for LRN),
//    the outputs concatenated;
//  - LRN: tf.localResponseNormalization's alpha multiplies the sum as written
//    (the paper's convention), so Caffe's alpha / n is divided first; its window
//    is depth_radius on each side, so only odd sizes can be expressed;
//  - ceil-mode max pooling: tfjs's dimRoundingMode 'ceil' keeps a last window
//    that starts past the input; Caffe and PyTorch (and this project) drop it,
//    so the adapter crops that row and column (docs/conformance.md);
//  - dropout: a multiply by the mask times the mode's scale;
//  - the paper's momentum step in tf ops.
// A method whose tfjs kernels the active backend lacks is left out, so the kit
// reports the op as not implemented (or forward only) instead of failing.

const T = (data, shape) => ({ data, shape: [...shape] });
/** A case tfjs cannot express: the kit skips it and counts it (alexnet-ts/verify's UnsupportedCaseError, recognised by name). */
const unsupported = (message) => Object.assign(new Error(message), { name: 'UnsupportedCaseError' });

/** The Backend on tf's active backend; `name` for reports. */
export function tfjsBackend(tf, name) {
  const toTf = (t) => tf.tensor(t.data, t.shape, 'float32');
  const host = (y) => T(y.dataSync(), y.shape);
  /** Runs f in a tf.tidy and downloads its tensor result. */
  const out = (f) => { const y = tf.tidy(f); const r = host(y); y.dispose(); return r; };
  /** The gradients of f at the inputs with upstream gradient dy (a vector-Jacobian product), downloaded. */
  const vjp = (f, inputs, dy) => {
    const gs = tf.tidy(() => tf.grads(f)(inputs.map(toTf), toTf(dy)));
    const r = gs.map(host);
    tf.dispose(gs);
    return r;
  };
  /** acc + g, as a new tensor (this backend's tensors are immutable host arrays). */
  const plus = (acc, g) => (acc ? out(() => tf.add(toTf(acc), toTf(g))) : g);
  const zeros = (n) => T(new Float32Array(n), [n]);
  const nhwc = (x) => tf.transpose(x, [0, 2, 3, 1]), nchw = (x) => tf.transpose(x, [0, 3, 1, 2]);

  // The forward functions on tf tensors, NCHW in and out: what the forward methods run and tf.grads differentiates.
  // (tf.split into one part has no gradient in tfjs 4.22, "Pass at least one tensor to concat": one group is not split.)
  const split = (t, g) => (g === 1 ? [t] : tf.split(t, g, 3));
  const conv = (p) => (x, w, b) => {
    const g = p.groups, xs = split(nhwc(x), g);
    // [O, C/g, k, k] -> [k, k, C/g, O], split by output group.
    const ws = split(tf.transpose(w, [2, 3, 1, 0]), g);
    const pad = [[0, 0], [p.pad, p.pad], [p.pad, p.pad], [0, 0]];
    const ys = xs.map((xg, i) => tf.conv2d(xg, ws[i], p.stride, pad));
    return nchw(tf.add(g === 1 ? ys[0] : tf.concat(ys, 3), b));
  };
  const lrn = (p) => (x) => {
    if (p.size % 2 === 0) throw unsupported(`tfjs's LRN window is depth_radius on each side: size ${p.size} (even) cannot be expressed`);
    const alpha = p.convention === 'paper' ? p.alpha : p.alpha / p.size;
    // Groups (the two-partition layout) normalise their own channels: each block separately.
    const parts = split(nhwc(x), p.groups ?? 1).map((xg) => tf.localResponseNormalization(xg, (p.size - 1) / 2, p.k, alpha, p.beta));
    return nchw(parts.length === 1 ? parts[0] : tf.concat(parts, 3));
  };
  const maxpool = (p) => (x) => {
    const y = nchw(tf.maxPool(nhwc(x), p.kernel, p.stride, p.pad, p.ceil ? 'ceil' : 'floor'));
    if (!p.ceil) return y;
    // Caffe's rule: a last window starting at or past the input's end (in the padding) is dropped.
    const H = x.shape[2];
    let n = Math.ceil((H + 2 * p.pad - p.kernel) / p.stride) + 1;
    if ((n - 1) * p.stride >= H + p.pad) n--;
    return y.shape[2] > n ? tf.slice(y, [0, 0, 0, 0], [y.shape[0], y.shape[1], n, n]) : y;
  };
  const linear = (x, w, b) => tf.add(tf.matMul(x, w, false, true), b);
  const dropoutScale = (mask, p, n) => {
    const scale = p.train ? (p.mode === 'inverted' ? 1 / (1 - p.rate) : 1) : (p.mode === 'paper' ? 1 - p.rate : 1);
    return mask ? Float32Array.from(mask, (v) => v * scale) : new Float32Array(n).fill(scale);
  };

  const be = {
    name,
    upload: (data, shape) => T(Float32Array.from(data), shape),
    download: (t) => t.data,
    shape: (t) => t.shape,
    reshape: (t, shape) => T(t.data, shape),
    dispose: () => {},
    disposeCache: () => {},
    zero: (t) => T(new Float32Array(t.data.length), t.shape),
    conv2dForward: (x, w, b, p) => out(() => conv(p)(toTf(x), toTf(w), toTf(b))),
    conv2dBackward(dy, x, w, p, acc) {
      const [dx, dw, db] = vjp(conv(p), [x, w, zeros(w.shape[0])], dy);
      return { dx, dw: plus(acc?.dw, dw), db: plus(acc?.db, db) };
    },
    conv2dBackwardWeights(dy, x, w, p, acc) {
      const [, dw, db] = vjp(conv(p), [x, w, zeros(w.shape[0])], dy);
      return { dw: plus(acc?.dw, dw), db: plus(acc?.db, db) };
    },
    reluForward: (x) => out(() => tf.relu(toTf(x))),
    reluBackward: (dy, x) => vjp((a) => tf.relu(a), [x], dy)[0],
    tanhForward: (x) => out(() => tf.tanh(toTf(x))),
    tanhBackward: (dy, x) => vjp((a) => tf.tanh(a), [x], dy)[0],
    lrnForward: (x, p) => ({ y: out(() => lrn(p)(toTf(x))), cache: { kind: 'tfjs' } }),
    lrnBackward: (dy, x, _cache, p) => vjp(lrn(p), [x], dy)[0],
    maxpoolForward: (x, p) => ({ y: out(() => maxpool(p)(toTf(x))), cache: { kind: 'tfjs', x, p } }),
    maxpoolBackward: (dy, cache) => vjp(maxpool(cache.p), [cache.x], dy)[0],
    dropoutForward: (x, mask, p) => out(() => tf.mul(toTf(x), tf.tensor(dropoutScale(mask, p, x.data.length), x.shape))),
    dropoutBackward: (dy, mask, p) => out(() => tf.mul(toTf(dy), tf.tensor(dropoutScale(mask, p, dy.data.length), dy.shape))),
    linearForward: (x, w, b) => out(() => linear(toTf(x), toTf(w), toTf(b))),
    linearBackward(dy, x, w, acc) {
      const [dx, dw, db] = vjp(linear, [x, w, zeros(w.shape[0])], dy);
      return { dx, dw: plus(acc?.dw, dw), db: plus(acc?.db, db) };
    },
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
  // tfjs kernels each method needs beyond the forward ones every backend has.
  const kernels = {
    conv2dBackward: ['Conv2DBackpropInput', 'Conv2DBackpropFilter'], conv2dBackwardWeights: ['Conv2DBackpropFilter'],
    lrnForward: ['LRN'], lrnBackward: ['LRNGrad'], maxpoolBackward: ['MaxPoolGrad'],
  };
  const active = tf.getBackend();
  be.missingKernels = [];
  for (const [method, ks] of Object.entries(kernels)) {
    const absent = ks.filter((k) => tf.getKernel(k, active) === undefined);
    if (absent.length) { delete be[method]; be.missingKernels.push(`${method}: ${absent.join(', ')}`); }
  }
  return be;
}
