// The op properties of the verification kit: for every op of the Backend
// interface, a generator of cases (shapes and hyper-parameters, the ranges
// the project's own specs cover) and a scenario that runs one case forward
// and backward on a backend and downloads every output. The kit (kit.ts) runs
// each scenario on the backend under test and on the CPU reference, and
// compares the outputs.
//
// Default tolerances, relative to the largest magnitude of each expected
// tensor (max |got - want| <= tol * max |want|):
//  - 1e-5 for everything computed with sums or transcendental functions: the
//    reference sums in double precision and rounds once, a float32 backend
//    sums term by term, drifting by about sqrt(K) 2^-24 of the terms' scale
//    (K <= 1000 here: 2e-6), and GLSL's exp and pow carry about 5e-7 relative
//    error (../shared/gpujs-notes.md); an indexing, padding or convention
//    error errs by 1e-2 and more.
//  - 1e-6 for ops that only select, mask or scale (relu, max pooling, dropout):
//    one float32 rounding at most.

import * as fc from 'fast-check';
import type { AsyncBackend, BackendOp, OpCache } from '../backend.js';
import { Rng } from '../cpu/random.js';
import type { HostTensor } from '../io/tensors.js';

/** A backend with every method present: what a scenario sees once the kit has checked the methods it needs. */
export type FullBackend = { [K in keyof AsyncBackend<unknown>]-?: NonNullable<AsyncBackend<unknown>[K]> };

/** Outputs of a scenario by name: downloaded tensors, and scalars as one-element tensors. */
export type Outputs = Record<string, HostTensor>;

/** One op's property: its cases, the Backend methods it needs, and how one case runs. */
export interface OpCheck<C> {
  op: BackendOp;
  /** The Backend methods the scenario calls; a backend missing one of them does not implement the op fully. */
  methods: readonly string[];
  /** The forward methods among them: a backend with these alone (a forward-only engine) is checked on the forward outputs. */
  forward: readonly string[];
  tolerance: number;
  /** What the generated cases cover, in words (for the report and the docs). */
  covers: string;
  arbitrary: fc.Arbitrary<C>;
  /** Runs one case; with backward false, the forward outputs only. */
  scenario(be: FullBackend, c: C, backward: boolean): Promise<Outputs>;
}

/** Tensors a scenario made, released when it ends; uploads and downloads through the backend, awaited. */
class Session {
  private made: unknown[] = [];
  constructor(private readonly be: FullBackend) {}
  async up(t: HostTensor): Promise<unknown> {
    return this.keep(await this.be.upload(t.data, t.shape));
  }
  keep<T>(t: T): T {
    this.made.push(t);
    return t;
  }
  async down(t: unknown): Promise<HostTensor> {
    const data = Float32Array.from(await this.be.download(t));
    return { data, shape: [...(await this.be.shape(t))] };
  }
  async end(caches: OpCache[] = []): Promise<void> {
    for (const c of caches) await this.be.disposeCache(c);
    for (const t of new Set(this.made)) await this.be.dispose(t);
  }
}

const rand = (rng: Rng, shape: number[], scale = 1): HostTensor => ({ data: rng.normalArray(shape.reduce((a, b) => a * b, 1), 0, scale), shape });
const scalar = (v: number): HostTensor => ({ data: Float32Array.of(v), shape: [] });
const seed = fc.integer({ min: 0, max: 2 ** 31 - 1 });

/** Runs a scenario body in a Session, releasing what it made even when the backend throws. */
async function inSession(be: FullBackend, body: (s: Session, caches: OpCache[]) => Promise<Outputs>): Promise<Outputs> {
  const s = new Session(be), caches: OpCache[] = [];
  try {
    return await body(s, caches);
  } finally {
    await s.end(caches);
  }
}

const conv2d: OpCheck<{ N: number; cg: number; og: number; groups: number; k: number; stride: number; pad: number; extra: number; accumulate: boolean; seed: number }> = {
  op: 'conv2d',
  methods: ['conv2dForward', 'conv2dBackward', 'conv2dBackwardWeights'],
  forward: ['conv2dForward'],
  tolerance: 1e-5,
  covers: 'strides 1-4, padding 0-2, groups 1-4, square kernels 1-5 and 11 with stride 4, with and without gradient accumulation; y, dx, dw, db and the weights-only backward',
  arbitrary: fc.record({
    N: fc.integer({ min: 1, max: 2 }), cg: fc.integer({ min: 1, max: 4 }), og: fc.integer({ min: 1, max: 4 }), groups: fc.integer({ min: 1, max: 4 }),
    k: fc.oneof(fc.integer({ min: 1, max: 5 }), fc.constant(11)), stride: fc.integer({ min: 1, max: 4 }), pad: fc.integer({ min: 0, max: 2 }),
    extra: fc.integer({ min: 0, max: 5 }), accumulate: fc.boolean(), seed,
  }).map((c) => (c.k === 11 ? { ...c, stride: 4 } : c)).filter((c) => c.pad < c.k),
  scenario: (be, c, backward) => inSession(be, async (s): Promise<Outputs> => {
    const rng = Rng.seeded(c.seed);
    const C = c.cg * c.groups, O = c.og * c.groups, H = Math.max(1, c.k - 2 * c.pad) + c.extra;
    const p = { stride: c.stride, pad: c.pad, groups: c.groups };
    const x = await s.up(rand(rng, [c.N, C, H, H])), w = await s.up(rand(rng, [O, c.cg, c.k, c.k])), b = await s.up(rand(rng, [O]));
    const y = s.keep(await be.conv2dForward(x, w, b, p));
    if (!backward) return { y: await s.down(y) };
    const yShape = [...(await be.shape(y))];
    const dy = await s.up(rand(rng, yShape));
    const acc = async () => (c.accumulate ? { dw: await s.up(rand(rng, [O, c.cg, c.k, c.k])), db: await s.up(rand(rng, [O])) } : undefined);
    const g = await be.conv2dBackward(dy, x, w, p, await acc());
    const gw = await be.conv2dBackwardWeights(dy, x, w, p, await acc());
    for (const t of [g.dx, g.dw, g.db, gw.dw, gw.db]) s.keep(t);
    return { y: await s.down(y), dx: await s.down(g.dx), dw: await s.down(g.dw), db: await s.down(g.db), 'dw (weights only)': await s.down(gw.dw), 'db (weights only)': await s.down(gw.db) };
  }),
};

const elementwise = (op: 'relu' | 'tanh'): OpCheck<{ N: number; F: number; seed: number; scale: number }> => ({
  op,
  methods: [`${op}Forward`, `${op}Backward`],
  forward: [`${op}Forward`],
  tolerance: op === 'relu' ? 1e-6 : 1e-5,
  covers: 'shapes [N, F], N 1-3, F 1-40, inputs of scale 0.1-10 (and exact zeros)',
  arbitrary: fc.record({ N: fc.integer({ min: 1, max: 3 }), F: fc.integer({ min: 1, max: 40 }), seed, scale: fc.constantFrom(0.1, 1, 10) }),
  scenario: (be, c, backward) => inSession(be, async (s): Promise<Outputs> => {
    const rng = Rng.seeded(c.seed);
    const xh = rand(rng, [c.N, c.F], c.scale);
    for (let i = 0; i < xh.data.length; i += 7) xh.data[i] = 0; // the derivative's convention at 0
    const x = await s.up(xh), dy = await s.up(rand(rng, [c.N, c.F]));
    const y = s.keep(op === 'relu' ? await be.reluForward(x) : await be.tanhForward(x));
    if (!backward) return { y: await s.down(y) };
    const dx = s.keep(op === 'relu' ? await be.reluBackward(dy, x) : await be.tanhBackward(dy, x));
    return { y: await s.down(y), dx: await s.down(dx) };
  }),
});

const lrn: OpCheck<{ N: number; cg: number; groups: number; H: number; size: number; alpha: number; beta: number; k: number; convention: 'paper' | 'alpha/n'; seed: number }> = {
  op: 'lrn',
  methods: ['lrnForward', 'lrnBackward'],
  forward: ['lrnForward'],
  tolerance: 1e-5,
  covers: 'sizes 1-7, both conventions (paper: alpha as written; alpha/n: Caffe, PyTorch, ONNX), k 1-2, alpha up to 0.5, beta 0.5-0.75, 1-12 channels in 1 or 2 groups normalised separately (the two-partition layout)',
  arbitrary: fc.record({
    N: fc.integer({ min: 1, max: 2 }), cg: fc.integer({ min: 1, max: 6 }), groups: fc.integer({ min: 1, max: 2 }), H: fc.integer({ min: 1, max: 4 }), size: fc.integer({ min: 1, max: 7 }),
    alpha: fc.constantFrom(1e-4, 0.1, 0.5), beta: fc.constantFrom(0.5, 0.75), k: fc.constantFrom(1, 2), convention: fc.constantFrom<'paper' | 'alpha/n'>('paper', 'alpha/n'), seed,
  }),
  scenario: (be, c, backward) => inSession(be, async (s, caches): Promise<Outputs> => {
    const rng = Rng.seeded(c.seed);
    const C = c.cg * c.groups;
    const p = { size: c.size, alpha: c.alpha, beta: c.beta, k: c.k, convention: c.convention, ...(c.groups > 1 ? { groups: c.groups } : {}) };
    const x = await s.up(rand(rng, [c.N, C, c.H, c.H], 2)), dy = await s.up(rand(rng, [c.N, C, c.H, c.H]));
    const f = await be.lrnForward(x, p);
    caches.push(f.cache);
    s.keep(f.y);
    if (!backward) return { y: await s.down(f.y) };
    const dx = s.keep(await be.lrnBackward(dy, x, f.cache, p));
    return { y: await s.down(f.y), dx: await s.down(dx) };
  }),
};

const maxpool: OpCheck<{ N: number; C: number; H: number; kernel: number; stride: number; pad: number; ceil: boolean; ties: boolean; seed: number }> = {
  op: 'maxpool',
  methods: ['maxpoolForward', 'maxpoolBackward'],
  forward: ['maxpoolForward'],
  tolerance: 1e-6,
  covers: 'kernels 1-3, strides 1-3, padding 0-1, floor and ceil rounding, tied maxima (the gradient goes to the first in row-major window order)',
  arbitrary: fc.record({
    N: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 1, max: 3 }), H: fc.integer({ min: 1, max: 9 }), kernel: fc.integer({ min: 1, max: 3 }),
    stride: fc.integer({ min: 1, max: 3 }), pad: fc.integer({ min: 0, max: 1 }), ceil: fc.boolean(), ties: fc.boolean(), seed,
  }).filter((c) => c.pad < c.kernel && c.H + 2 * c.pad >= c.kernel),
  scenario: (be, c, backward) => inSession(be, async (s, caches): Promise<Outputs> => {
    const rng = Rng.seeded(c.seed);
    const xh = rand(rng, [c.N, c.C, c.H, c.H]);
    // Ties: values from {0, 1, 2}, so most windows hold several maxima.
    if (c.ties) for (let i = 0; i < xh.data.length; i++) xh.data[i] = Math.min(2, Math.floor(Math.abs(xh.data[i]) * 2));
    const p = { kernel: c.kernel, stride: c.stride, pad: c.pad, ceil: c.ceil };
    const x = await s.up(xh);
    const f = await be.maxpoolForward(x, p);
    caches.push(f.cache);
    s.keep(f.y);
    if (!backward) return { y: await s.down(f.y) };
    const dy = await s.up(rand(rng, [...(await be.shape(f.y))]));
    const dx = s.keep(await be.maxpoolBackward(dy, f.cache, xh.shape));
    return { y: await s.down(f.y), dx: await s.down(dx) };
  }),
};

const dropout: OpCheck<{ N: number; F: number; rate: number; mode: 'paper' | 'inverted'; train: boolean; seed: number }> = {
  op: 'dropout',
  methods: ['dropoutForward', 'dropoutBackward'],
  forward: ['dropoutForward'],
  tolerance: 1e-6,
  covers: 'both modes (paper: scale by 1 - p at test time; inverted: by 1 / (1 - p) in training), training with a mask and test time without, rates 0-0.9',
  arbitrary: fc.record({
    N: fc.integer({ min: 1, max: 3 }), F: fc.integer({ min: 1, max: 30 }), rate: fc.constantFrom(0, 0.1, 0.5, 0.9),
    mode: fc.constantFrom<'paper' | 'inverted'>('paper', 'inverted'), train: fc.boolean(), seed,
  }),
  scenario: (be, c, backward) => inSession(be, async (s): Promise<Outputs> => {
    const rng = Rng.seeded(c.seed);
    const p = { rate: c.rate, mode: c.mode, train: c.train };
    const n = c.N * c.F;
    const mask = c.train ? Uint8Array.from({ length: n }, () => (rng.uniform() < c.rate ? 0 : 1)) : null;
    const x = await s.up(rand(rng, [c.N, c.F])), dy = await s.up(rand(rng, [c.N, c.F]));
    const y = s.keep(await be.dropoutForward(x, mask, p));
    if (!backward) return { y: await s.down(y) };
    const dx = s.keep(await be.dropoutBackward(dy, mask, p));
    return { y: await s.down(y), dx: await s.down(dx) };
  }),
};

const linear: OpCheck<{ N: number; K: number; M: number; accumulate: boolean; seed: number }> = {
  op: 'linear',
  methods: ['linearForward', 'linearBackward'],
  forward: ['linearForward'],
  tolerance: 1e-5,
  covers: 'y = x W^T + b for [N, K] x [M, K], N 1-20 (both sides of the small-batch path), K 1-300, M 1-40, with and without gradient accumulation',
  arbitrary: fc.record({ N: fc.integer({ min: 1, max: 20 }), K: fc.integer({ min: 1, max: 300 }), M: fc.integer({ min: 1, max: 40 }), accumulate: fc.boolean(), seed }),
  scenario: (be, c, backward) => inSession(be, async (s): Promise<Outputs> => {
    const rng = Rng.seeded(c.seed);
    const x = await s.up(rand(rng, [c.N, c.K])), w = await s.up(rand(rng, [c.M, c.K])), b = await s.up(rand(rng, [c.M])), dy = await s.up(rand(rng, [c.N, c.M]));
    const y = s.keep(await be.linearForward(x, w, b));
    if (!backward) return { y: await s.down(y) };
    const acc = c.accumulate ? { dw: await s.up(rand(rng, [c.M, c.K])), db: await s.up(rand(rng, [c.M])) } : undefined;
    const g = await be.linearBackward(dy, x, w, acc);
    for (const t of [g.dx, g.dw, g.db]) s.keep(t);
    return { y: await s.down(y), dx: await s.down(g.dx), dw: await s.down(g.dw), db: await s.down(g.db) };
  }),
};

const softmaxXent: OpCheck<{ N: number; K: number; scale: number; seed: number }> = {
  op: 'softmax-xent',
  methods: ['softmaxCrossEntropy'],
  forward: ['softmaxCrossEntropy'],
  tolerance: 1e-5,
  covers: 'mean loss over the batch, probabilities and dlogits for [N, K], N 1-8, K 2-1000, logits of scale 1-1000 (large logits need the max subtracted)',
  arbitrary: fc.record({ N: fc.integer({ min: 1, max: 8 }), K: fc.oneof(fc.integer({ min: 2, max: 20 }), fc.constant(1000)), scale: fc.constantFrom(1, 30, 1000), seed }),
  scenario: (be, c, backward) => inSession(be, async (s): Promise<Outputs> => {
    const rng = Rng.seeded(c.seed);
    const logits = await s.up(rand(rng, [c.N, c.K], c.scale));
    const labels = Int32Array.from({ length: c.N }, () => rng.int(c.K));
    const r = await be.softmaxCrossEntropy(logits, labels);
    s.keep(r.probs);
    s.keep(r.dlogits);
    return { loss: scalar(r.loss), probs: await s.down(r.probs), dlogits: await s.down(r.dlogits) };
  }),
};

const sgd: OpCheck<{ n: number; steps: number; seed: number }> = {
  op: 'sgd',
  methods: ['sgdStep'],
  forward: ['sgdStep'],
  tolerance: 1e-5,
  covers: 'the paper\'s momentum rule (v <- 0.9 v - 0.0005 lr w - lr g; w <- w + v) over 2-4 steps on two slots, the learning rate divided by 10 after the first step',
  arbitrary: fc.record({ n: fc.integer({ min: 1, max: 50 }), steps: fc.integer({ min: 2, max: 4 }), seed }),
  scenario: (be, c, backward) => inSession(be, async (s): Promise<Outputs> => {
    const rng = Rng.seeded(c.seed);
    let slots = [];
    for (const name of ['a', 'b']) slots.push({ name, w: await s.up(rand(rng, [c.n])), v: await s.up(rand(rng, [c.n], 0.1)), g: await s.up(rand(rng, [c.n])) });
    for (let step = 0; step < c.steps; step++) {
      const out = await be.sgdStep(slots, { lr: step === 0 ? 0.1 : 0.01, momentum: 0.9, weightDecay: 5e-4 });
      slots = slots.map((sl, i) => ({ ...sl, w: s.keep(out[i].w), v: s.keep(out[i].v) }));
    }
    return { 'a.w': await s.down(slots[0].w), 'a.v': await s.down(slots[0].v), 'b.w': await s.down(slots[1].w), 'b.v': await s.down(slots[1].v) };
  }),
};

/** Every op property, in the order of a forward and backward pass. */
export const OP_CHECKS: readonly OpCheck<any>[] = [conv2d, elementwise('relu'), elementwise('tanh'), lrn, maxpool, dropout, linear, softmaxXent, sgd];
