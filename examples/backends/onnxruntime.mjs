// onnxruntime-node as an alexnet-ts Backend, forward only: each op is a small
// ONNX graph (onnxGraph, opset 13) run by ONNX Runtime's CPU provider, one
// cached session per op and shape. Its methods return Promises, as an
// inference engine's do. ONNX has no backward ops, so the verification kit
// checks the forward outputs:
//
//   npx alexnet verify --backend examples/backends/onnxruntime.mjs
//
// Conventions mapped here, not by the engine: the paper's LRN alpha (applied to
// the sum as written) is ONNX's alpha / size, so it is passed as alpha * size;
// LRN groups (channel blocks normalised separately) run one LRN per block; an
// even LRN size, which ONNX Runtime's CPU kernel refuses, is declined as an
// UnsupportedCaseError (the kit counts it, skipped);
// the paper's test-time dropout is a Mul by 1 - rate; a training-time dropout
// mask is an input multiplied in.

import * as ort from 'onnxruntime-node';
import { onnxGraph } from 'alexnet-ts';

const sessions = new Map();
const T = (data, shape) => ({ data, shape: [...shape] });

/** Runs a graph (cached by key) on named float32 inputs; returns the outputs' data and shapes by name. */
async function run(key, graph, feeds) {
  let s = sessions.get(key);
  if (!s) {
    s = await ort.InferenceSession.create(onnxGraph(graph()));
    sessions.set(key, s);
  }
  const inputs = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor('float32', t.data, t.shape)]));
  const out = await s.run(inputs);
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, T(v.data, v.dims)]));
}

/** x [N, C, H, W] cut into `groups` tensors of C / groups channels each. */
function channelBlocks(x, groups) {
  if (groups === 1) return [x];
  const [N, C, ...rest] = x.shape, per = (C / groups) * rest.reduce((a, b) => a * b, 1);
  return Array.from({ length: groups }, (_, g) => {
    const data = new Float32Array(N * per);
    for (let n = 0; n < N; n++) data.set(x.data.subarray((n * groups + g) * per, (n * groups + g + 1) * per), n * per);
    return T(data, [N, C / groups, ...rest]);
  });
}

/** The inverse of channelBlocks. */
function joinBlocks(blocks, shape) {
  if (blocks.length === 1) return blocks[0];
  const groups = blocks.length, N = shape[0], per = blocks[0].data.length / N, data = new Float32Array(N * groups * per);
  blocks.forEach((b, g) => { for (let n = 0; n < N; n++) data.set(b.data.subarray(n * per, (n + 1) * per), (n * groups + g) * per); });
  return T(data, shape);
}

const one = (op, inputs, attrs = {}) => ({ name: op, nodes: [{ op, inputs: inputs.map((i) => i.name), outputs: ['y'], ...attrs }], inputs, outputs: [{ name: 'y' }] });
const key = (...parts) => JSON.stringify(parts);

/** The backend. */
export default {
  name: 'onnxruntime-node',
  upload: (data, shape) => T(Float32Array.from(data), shape),
  download: (t) => t.data,
  shape: (t) => t.shape,
  reshape: (t, shape) => T(t.data, shape),
  dispose: () => {},
  disposeCache: () => {},
  async conv2dForward(x, w, b, p) {
    const k = w.shape[2];
    const g = () => one('Conv', [{ name: 'x', shape: x.shape }, { name: 'w', shape: w.shape }, { name: 'b', shape: b.shape }],
      { ints: { kernel_shape: [k, k], strides: [p.stride, p.stride], pads: [p.pad, p.pad, p.pad, p.pad], dilations: [1, 1] }, int: { group: p.groups } });
    return (await run(key('conv', x.shape, w.shape, p), g, { x, w, b })).y;
  },
  async reluForward(x) { return (await run(key('relu', x.shape), () => one('Relu', [{ name: 'x', shape: x.shape }]), { x })).y; },
  async tanhForward(x) { return (await run(key('tanh', x.shape), () => one('Tanh', [{ name: 'x', shape: x.shape }]), { x })).y; },
  async lrnForward(x, p) {
    const alpha = p.convention === 'paper' ? p.alpha * p.size : p.alpha;
    // Groups (the two-partition layout) normalise their own channels: one LRN per block of channels.
    const blocks = channelBlocks(x, p.groups ?? 1), shape = blocks[0].shape;
    const g = () => one('LRN', [{ name: 'x', shape }], { int: { size: p.size }, float: { alpha, beta: p.beta, bias: p.k } });
    const ys = [];
    for (const xb of blocks) {
      try {
        ys.push((await run(key('lrn', shape, p), g, { x: xb })).y);
      } catch (e) {
        // ONNX Runtime's CPU kernel refuses even sizes at session creation (the ONNX operator allows them).
        if (/size_ % 2 == 1/.test(String(e?.message))) throw Object.assign(new Error(`ONNX Runtime's CPU LRN takes odd sizes only, got ${p.size} (${String(e.message).split('\n')[0].slice(0, 200)})`), { name: 'UnsupportedCaseError' });
        throw e;
      }
    }
    return { y: joinBlocks(ys, x.shape), cache: { kind: 'onnxruntime' } };
  },
  async maxpoolForward(x, p) {
    const g = () => one('MaxPool', [{ name: 'x', shape: x.shape }], { ints: { kernel_shape: [p.kernel, p.kernel], strides: [p.stride, p.stride], pads: [p.pad, p.pad, p.pad, p.pad] }, int: { ceil_mode: p.ceil ? 1 : 0 } });
    return { y: (await run(key('maxpool', x.shape, p), g, { x })).y, cache: { kind: 'onnxruntime' } };
  },
  async dropoutForward(x, mask, p) {
    const scale = p.train ? (p.mode === 'inverted' ? 1 / (1 - p.rate) : 1) : (p.mode === 'paper' ? 1 - p.rate : 1);
    const m = T(mask ? Float32Array.from(mask, (v) => v * scale) : new Float32Array(x.data.length).fill(scale), x.shape);
    return (await run(key('dropout', x.shape), () => one('Mul', [{ name: 'x', shape: x.shape }, { name: 'm', shape: x.shape }]), { x, m })).y;
  },
  async linearForward(x, w, b) {
    const g = () => one('Gemm', [{ name: 'x', shape: x.shape }, { name: 'w', shape: w.shape }, { name: 'b', shape: b.shape }], { int: { transB: 1 }, float: { alpha: 1, beta: 1 } });
    return (await run(key('gemm', x.shape, w.shape), g, { x, w, b })).y;
  },
  async softmaxCrossEntropy(logits, labels) {
    // probs = Softmax(z); dlogits = (probs - onehot) / N; loss = -sum(onehot * log(probs)) / N.
    const [N, K] = logits.shape;
    const onehot = T(new Float32Array(N * K), [N, K]);
    labels.forEach((l, i) => { onehot.data[i * K + l] = 1; });
    const g = () => ({
      name: 'softmax-xent',
      nodes: [
        { op: 'Softmax', inputs: ['z'], outputs: ['probs'], int: { axis: 1 } },
        { op: 'Sub', inputs: ['probs', 'onehot'], outputs: ['diff'] },
        { op: 'Div', inputs: ['diff', 'n'], outputs: ['dlogits'] },
        { op: 'LogSoftmax', inputs: ['z'], outputs: ['logp'], int: { axis: 1 } },
        { op: 'Mul', inputs: ['logp', 'onehot'], outputs: ['picked'] },
        { op: 'ReduceSum', inputs: ['picked'], outputs: ['total'], int: { keepdims: 0 } },
        { op: 'Div', inputs: ['total', 'n'], outputs: ['negloss'] },
        { op: 'Neg', inputs: ['negloss'], outputs: ['loss'] },
      ],
      inputs: [{ name: 'z', shape: [N, K] }, { name: 'onehot', shape: [N, K] }, { name: 'n', shape: [] }],
      outputs: [{ name: 'probs' }, { name: 'dlogits' }, { name: 'loss' }],
    });
    const r = await run(key('xent', N, K), g, { z: logits, onehot, n: T(Float32Array.of(N), []) });
    return { loss: r.loss.data[0], probs: r.probs, dlogits: r.dlogits };
  },
};
