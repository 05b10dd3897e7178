// Shared test helpers: seeded random tensors, central finite differences,
// comparisons with stated tolerances.

import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as assert from 'uvu/assert';
import { Rng } from '../src/cpu/random.js';
import { type FloatArray, type Tensor, sizeOf } from '../src/cpu/tensor.js';
import type { ImageDataset } from '../src/nn/data/dataset.js';

/** A float64 tensor of uniform values in [lo, hi), from a seed (fast-check draws the seed). */
export function rand64(rng: Rng, shape: readonly number[], lo = -1, hi = 1): Tensor<Float64Array> {
  const d = new Float64Array(sizeOf(shape));
  for (let i = 0; i < d.length; i++) d[i] = lo + (hi - lo) * rng.uniform();
  return { data: d, shape: [...shape] };
}

/** A float32 tensor of uniform values in [lo, hi). */
export function rand32(rng: Rng, shape: readonly number[], lo = -1, hi = 1): Tensor<Float32Array> {
  return { data: Float32Array.from(rand64(rng, shape, lo, hi).data), shape: [...shape] };
}

/** sum_i a[i] * b[i]: the scalar L = sum(y * dy) whose gradient the backward passes compute. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Max |a - b| over all elements. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.is(a.length, b.length, 'lengths differ');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Max |a|. */
export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** Asserts max|got - want| <= rel * max(max|want|, floor); says which tensor and by how much otherwise. */
export function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, rel: number, what: string, floor = 1): void {
  const err = maxAbsDiff(got, want);
  const scale = Math.max(maxAbs(want), floor);
  if (!(err <= rel * scale)) {
    assert.unreachable(`${what}: max abs error ${err.toExponential(3)} exceeds ${rel} x ${scale.toExponential(3)}`);
  }
}

/**
 * Checks an analytic gradient against central finite differences in float64.
 * L(t) is evaluated with t[i] moved by +-h; h = 1e-6 makes the truncation
 * error (h^2 |L'''| ~ 1e-12) and the rounding error (eps |L| / h ~ 1e-10 |L|)
 * both far below the tolerance of 1e-6 of the gradient's scale, while a wrong
 * index or a missing term errs by O(1) of it. At most `samples` elements of
 * each tensor are probed, chosen by rng, always including the first and last.
 */
export function checkGradient(
  what: string, t: Tensor<FloatArray>, analytic: ArrayLike<number>, L: () => number, rng: Rng, samples = 40, h = 1e-6,
): void {
  const { idx, scale } = gradientPoints(what, t, analytic, rng, samples);
  for (const i of idx) {
    const keep = t.data[i];
    t.data[i] = keep + h;
    const up = L();
    t.data[i] = keep - h;
    const down = L();
    t.data[i] = keep;
    judgeGradient(what, i, analytic[i], (up - down) / (2 * h), scale);
  }
}

/** checkGradient for a loss computed asynchronously (the model code awaits its backend). */
export async function checkGradientAsync(
  what: string, t: Tensor<FloatArray>, analytic: ArrayLike<number>, L: () => Promise<number>, rng: Rng, samples = 40, h = 1e-6,
): Promise<void> {
  const { idx, scale } = gradientPoints(what, t, analytic, rng, samples);
  for (const i of idx) {
    const keep = t.data[i];
    t.data[i] = keep + h;
    const up = await L();
    t.data[i] = keep - h;
    const down = await L();
    t.data[i] = keep;
    judgeGradient(what, i, analytic[i], (up - down) / (2 * h), scale);
  }
}

/** The elements a gradient check perturbs (the first, the last, and random ones up to `samples`), and the scale errors are judged against. */
function gradientPoints(what: string, t: Tensor<FloatArray>, analytic: ArrayLike<number>, rng: Rng, samples: number): { idx: Set<number>; scale: number } {
  assert.ok(t.data instanceof Float64Array, `${what}: finite differences need float64`);
  assert.is(analytic.length, t.data.length, `${what}: gradient has ${analytic.length} elements, tensor ${t.data.length}`);
  const n = t.data.length;
  const idx = new Set<number>([0, n - 1]);
  if (n <= samples) for (let i = 0; i < n; i++) idx.add(i);
  else while (idx.size < samples) idx.add(rng.int(n));
  return { idx, scale: Math.max(maxAbs(analytic), 1e-3) };
}

/** checkGradient's judgement: the finite difference within 1e-6 of the gradient's scale (see checkGradient for why). */
function judgeGradient(what: string, i: number, analytic: number, numeric: number, scale: number): void {
  const err = Math.abs(numeric - analytic);
  if (!(err <= 1e-6 * scale)) {
    assert.unreachable(`${what}[${i}]: analytic ${analytic} vs finite difference ${numeric} (error ${err.toExponential(2)}, scale ${scale.toExponential(2)})`);
  }
}

/** Asserts that fn rejects with an error whose message matches every pattern. */
export async function rejectsWith(fn: () => Promise<unknown>, ...patterns: RegExp[]): Promise<void> {
  let msg: string | undefined;
  try {
    await fn();
  } catch (e) {
    msg = (e as Error).message;
  }
  if (msg === undefined) assert.unreachable('expected an error, none was thrown');
  for (const p of patterns) assert.match(msg!, p, `error message "${msg}" should match ${p}`);
}

/** Asserts that fn throws an error whose message matches every pattern. */
export function throwsWith(fn: () => unknown, ...patterns: RegExp[]): void {
  let msg: string | undefined;
  try {
    fn();
  } catch (e) {
    msg = (e as Error).message;
  }
  if (msg === undefined) assert.unreachable('expected an error, none was thrown');
  for (const p of patterns) assert.match(msg!, p, `error message "${msg}" should match ${p}`);
}

/**
 * The fast-check seed: fixed by default, so that a test run (and CI) is
 * reproducible; FC_SEED=N replays another seed, FC_SEED=random draws a new one
 * each run (to explore; a failure prints its seed).
 */
export const FC_SEED_OPTION = process.env.FC_SEED === 'random' ? {} : { seed: Number(process.env.FC_SEED ?? 20121203) };

/** fast-check settings for the CPU property tests. */
export const FC = { numRuns: 40, includeErrorInReport: true, ...FC_SEED_OPTION };

/** The project's own golden cases (scripts/goldens.py, PyTorch float64), committed in goldens/. */
export const GOLDENS = resolve(dirname(fileURLToPath(import.meta.url)), '../goldens');

/** The development set beside a checkout (../shared/goldens), when present: run as an extra set. */
export const SHARED_GOLDENS = resolve(dirname(fileURLToPath(import.meta.url)), '../../shared/goldens');

/** A learnable 28 x 28 one-channel dataset: each of ten classes brightens its own band of rows over noise. */
export function bandsDataset(n: number, seed: number): ImageDataset {
  const rng = Rng.seeded(seed);
  const labels = Uint16Array.from({ length: n }, () => rng.int(10));
  const images = new Uint8Array(n * 784).map((_, j) => {
    const i = Math.floor(j / 784), row = Math.floor((j % 784) / 28);
    return Math.min(255, rng.int(80) + (Math.floor(row / 3) === labels[i] ? 150 : 0));
  });
  return { name: 'bands', n, channels: 1, height: 28, width: 28, images, labels, classes: 10 };
}
