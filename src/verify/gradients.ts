// The finite-difference gradient check of the kit, for backends that
// compute in float64 (they have upload64 and download64): each op's backward
// against central differences of the backend's own forward, so a backend's
// gradients are checked without trusting any reference, the way
// spec/cpu/*.spec.ts check the CPU layers.
//
// For an op y = f(inputs) and a random dy, the scalar L = sum(y * dy) has the
// gradient the backward returns (dL/dx = backward(dy)). Each checked
// coordinate i compares it with (L(x + h e_i) - L(x - h e_i)) / 2h, h = 1e-6:
// the truncation error is h^2 f''' / 6 (1e-12 for these ops' curvature) and
// the rounding error eps |L| / h (2e-16 / 1e-6 = 2e-10 relative), so a
// correct float64 backward agrees within 1e-6 of the largest gradient, while
// a transposed kernel or a wrong constant errs by 1e-1 and more. Inputs are
// spaced at least 1e-3 apart and away from zero, so that no perturbation
// crosses a kink of ReLU or changes which element a max pool picks.

import type { AsyncBackend, BackendOp, OpCache } from '../backend.js';
import { Rng } from '../cpu/random.js';

/** What a float64 backend adds: transfers that keep every bit of a double. */
export interface Float64Transfers<T> {
  upload64(data: Float64Array, shape: readonly number[]): T | Promise<T>;
  download64(t: T): Float64Array | Promise<Float64Array>;
}

/** Whether a backend can run the float64 gradient check. */
export function hasFloat64<T>(be: AsyncBackend<T>): be is AsyncBackend<T> & Float64Transfers<T> {
  const b = be as unknown as Partial<Float64Transfers<T>>;
  return typeof b.upload64 === 'function' && typeof b.download64 === 'function';
}

/** One op's check: how its inputs are drawn, its forward to a single output, its backward to the inputs' gradients. */
export interface GradCheck {
  op: BackendOp;
  methods: readonly string[];
  /** The shapes of one case's inputs (and fixed parameters in `p`). */
  inputs: Record<string, number[]>;
  p?: unknown;
  forward(be: B, x: Record<string, unknown>): Promise<{ y: unknown; cache?: OpCache }>;
  /** For the loss: L itself (the mean cross-entropy), whose gradient the backward returns; else L = sum(y * dy). */
  scalar?(be: B, x: Record<string, unknown>): Promise<number>;
  backward(be: B, dy: unknown, x: Record<string, unknown>, cache: OpCache | undefined): Promise<Record<string, unknown>>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type B = any;

const conv = { stride: 2, pad: 1, groups: 2 };
const lrnP = { size: 3, alpha: 0.1, beta: 0.75, k: 1, convention: 'paper' as const };
const poolP = { kernel: 3, stride: 2, pad: 0, ceil: true };
const labels = Int32Array.from([2, 0]);
const drop = { mask: Uint8Array.from({ length: 12 }, (_, i) => (i % 3 === 1 ? 0 : 1)), p: { rate: 0.5, mode: 'inverted' as const, train: true } };

/** The ops with gradients, each on one small case that reaches every index path (groups, padding, stride, a ceil-mode edge window). */
export const GRAD_CHECKS: readonly GradCheck[] = [
  {
    op: 'conv2d', methods: ['conv2dForward', 'conv2dBackward'], inputs: { x: [2, 4, 5, 5], w: [6, 2, 3, 3], b: [6] },
    forward: async (be, x) => ({ y: await be.conv2dForward(x.x, x.w, x.b, conv) }),
    backward: async (be, dy, x) => { const g = await be.conv2dBackward(dy, x.x, x.w, conv); return { x: g.dx, w: g.dw, b: g.db }; },
  },
  {
    op: 'relu', methods: ['reluForward', 'reluBackward'], inputs: { x: [2, 9] },
    forward: async (be, x) => ({ y: await be.reluForward(x.x) }), backward: async (be, dy, x) => ({ x: await be.reluBackward(dy, x.x) }),
  },
  {
    op: 'tanh', methods: ['tanhForward', 'tanhBackward'], inputs: { x: [2, 9] },
    forward: async (be, x) => ({ y: await be.tanhForward(x.x) }), backward: async (be, dy, x) => ({ x: await be.tanhBackward(dy, x.x) }),
  },
  {
    op: 'lrn', methods: ['lrnForward', 'lrnBackward'], inputs: { x: [2, 5, 2, 2] },
    forward: async (be, x) => { const r = await be.lrnForward(x.x, lrnP); return { y: r.y, cache: r.cache }; },
    backward: async (be, dy, x, cache) => ({ x: await be.lrnBackward(dy, x.x, cache, lrnP) }),
  },
  {
    op: 'maxpool', methods: ['maxpoolForward', 'maxpoolBackward'], inputs: { x: [1, 2, 6, 6] },
    forward: async (be, x) => { const r = await be.maxpoolForward(x.x, poolP); return { y: r.y, cache: r.cache }; },
    backward: async (be, dy, _x, cache) => ({ x: await be.maxpoolBackward(dy, cache, [1, 2, 6, 6]) }),
  },
  {
    op: 'dropout', methods: ['dropoutForward', 'dropoutBackward'], inputs: { x: [2, 6] },
    forward: async (be, x) => ({ y: await be.dropoutForward(x.x, drop.mask, drop.p) }), backward: async (be, dy) => ({ x: await be.dropoutBackward(dy, drop.mask, drop.p) }),
  },
  {
    op: 'linear', methods: ['linearForward', 'linearBackward'], inputs: { x: [3, 7], w: [4, 7], b: [4] },
    forward: async (be, x) => ({ y: await be.linearForward(x.x, x.w, x.b) }),
    backward: async (be, dy, x) => { const g = await be.linearBackward(dy, x.x, x.w); return { x: g.dx, w: g.dw, b: g.db }; },
  },
  {
    op: 'softmax-xent', methods: ['softmaxCrossEntropy'], inputs: { x: [2, 5] },
    forward: async (be, x) => { const r = await be.softmaxCrossEntropy(x.x, labels); await be.dispose(r.dlogits); return { y: r.probs }; },
    scalar: async (be, x) => { const r = await be.softmaxCrossEntropy(x.x, labels); await be.dispose(r.probs); await be.dispose(r.dlogits); return r.loss; },
    backward: async (be, _dy, x) => { const r = await be.softmaxCrossEntropy(x.x, labels); await be.dispose(r.probs); return { x: r.dlogits }; },
  },
];

/** One op's finite-difference result. */
export interface GradientReport {
  op: BackendOp;
  status: 'pass' | 'fail' | 'not implemented';
  /** Coordinates compared (over all inputs). */
  coordinates: number;
  /** The largest |analytic - numeric| over the input's largest |analytic|. */
  worst: number;
  tolerance: number;
  /** For a failure: the input and flat index where they disagree most, and the two values. */
  where?: { input: string; index: number; analytic: number; numeric: number };
  error?: string;
}

/** The tolerance of the check, relative to each input gradient's largest magnitude (see the header). */
export const GRADIENT_TOLERANCE = 1e-6;
/** The finite-difference step. */
const H = 1e-6;

/** Inputs spaced at least 1e-3 apart and 5e-4 from zero: a shuffled ramp over [-1, 1]. */
function spaced(rng: Rng, n: number): Float64Array {
  const order = rng.shuffle(Int32Array.from({ length: n }, (_, i) => i));
  return Float64Array.from(order, (k) => -1 + (2 * (k + 0.5)) / n);
}

/** Runs the float64 finite-difference check of every op with gradients that the backend implements. */
export async function checkGradients<T>(be: AsyncBackend<T> & Float64Transfers<T>, o: { ops?: readonly BackendOp[]; seed?: number; coordinates?: number; tolerance?: number } = {}): Promise<GradientReport[]> {
  const b = be as B, tolerance = o.tolerance ?? GRADIENT_TOLERANCE, perInput = o.coordinates ?? 256;
  const out: GradientReport[] = [];
  for (const g of GRAD_CHECKS.filter((c) => !o.ops || o.ops.includes(c.op))) {
    if (!g.methods.every((m) => typeof b[m] === 'function') || (be.ops && !be.ops.includes(g.op))) {
      out.push({ op: g.op, status: 'not implemented', coordinates: 0, worst: NaN, tolerance });
      continue;
    }
    const rng = Rng.seeded(o.seed ?? 1);
    const host: Record<string, Float64Array> = {};
    for (const [k, s] of Object.entries(g.inputs)) host[k] = spaced(rng, s.reduce((a, c) => a * c, 1));
    const made: unknown[] = [];
    const up = async (d: Float64Array, s: number[]) => { const t = await be.upload64(d, s); made.push(t); return t; };
    try {
      const upAll = async (h: Record<string, Float64Array>) => Object.fromEntries(await Promise.all(Object.entries(h).map(async ([k, d]) => [k, await up(d, g.inputs[k])])));
      const x = await upAll(host);
      const first = await g.forward(b, x);
      made.push(first.y);
      const yShape = [...(await be.shape(first.y as T))];
      const dyHost = Float64Array.from({ length: yShape.reduce((a, c) => a * c, 1) }, () => rng.normal());
      const grads = await g.backward(b, await up(dyHost, yShape), x, first.cache);
      for (const t of Object.values(grads)) made.push(t);
      if (first.cache) await be.disposeCache?.(first.cache);
      // L(x) = sum(y * dy) (or the loss itself), with one input replaced.
      const loss = async (name: string, data: Float64Array) => {
        if (g.scalar) return g.scalar(b, { ...x, [name]: await up(data, g.inputs[name]) });
        const r = await g.forward(b, { ...x, [name]: await up(data, g.inputs[name]) });
        made.push(r.y);
        if (r.cache) await be.disposeCache?.(r.cache);
        const y = await be.download64(r.y as T);
        let s = 0;
        for (let i = 0; i < y.length; i++) s += y[i] * dyHost[i];
        return s;
      };
      let worst = 0, coordinates = 0, where: GradientReport['where'];
      for (const [name, data] of Object.entries(host)) {
        const analytic = await be.download64(grads[name] as T);
        const scale = analytic.reduce((m, v) => Math.max(m, Math.abs(v)), 0) || 1;
        const picks = data.length <= perInput ? Array.from(data.keys()) : Array.from({ length: perInput }, () => rng.int(data.length));
        for (const i of picks) {
          const plus = data.slice(), minus = data.slice();
          plus[i] += H;
          minus[i] -= H;
          const numeric = ((await loss(name, plus)) - (await loss(name, minus))) / (2 * H);
          const rel = Math.abs(analytic[i] - numeric) / scale;
          coordinates++;
          if (!(rel <= worst)) { worst = Number.isNaN(rel) ? Infinity : rel; where = { input: name, index: i, analytic: analytic[i], numeric }; }
        }
      }
      out.push({ op: g.op, status: worst <= tolerance ? 'pass' : 'fail', coordinates, worst, tolerance, ...(worst <= tolerance ? {} : { where }) });
    } catch (e) {
      out.push({ op: g.op, status: 'fail', coordinates: 0, worst: NaN, tolerance, error: (e as Error)?.message ?? String(e) });
    } finally {
      for (const t of new Set(made)) await be.dispose(t as T);
    }
  }
  return out;
}
