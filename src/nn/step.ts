// One training step of the paper's recipe on any Backend (section 5):
// forward with dropout, mean softmax cross-entropy, backward into reused
// gradient buffers, then the paper's momentum update of every parameter.

import type { AwaitableBackend } from '../backend.js';
import type { Rng } from '../cpu/random.js';
import type { SgdParams } from '../cpu/sgd.js';
import { sizeOf } from '../cpu/tensor.js';
import type { AlexNetConfig } from './config.js';
import { type HostParams, type Params, backward, disposeForward, forward, uploadParams } from './model.js';

/**
 * Everything a step updates: weights, velocities, and the gradient buffers it
 * reuses. Velocities (unless given) and gradient buffers are made at the
 * first step: a net that only infers never holds these two more copies of
 * its weights (488 MB for the paper's net).
 */
export interface TrainState<T> {
  params: Params<T>;
  velocity: Params<T> | null;
  grads: Params<T> | null;
}

/** Uploads host parameters (adopted without a copy where the backend can, when `adopt`: the caller gives them up) and velocities if given. */
export async function createTrainState<T>(be: AwaitableBackend<T>, c: AlexNetConfig, host: HostParams, velocity?: HostParams, adopt = false): Promise<TrainState<T>> {
  return { params: await uploadParams(be, c, host, adopt), velocity: velocity ? await uploadParams(be, c, velocity, adopt) : null, grads: null };
}

/** Zero tensors of the shapes of m's, on the same backend. */
export async function zerosLike<T>(be: AwaitableBackend<T>, m: Params<T>): Promise<Params<T>> {
  const out: Params<T> = new Map();
  for (const [k, t] of m) { const shape = await be.shape(t); out.set(k, await be.upload(new Float32Array(sizeOf(shape)), shape)); }
  return out;
}

/** Releases every tensor of a training state. */
export async function disposeTrainState<T>(be: AwaitableBackend<T>, s: TrainState<T>): Promise<void> {
  for (const m of [s.params, s.velocity, s.grads]) if (m) for (const t of m.values()) await be.dispose(t);
}

/** One step on a batch x [N, C, H, W] with integer labels; returns the batch's mean loss before the update. */
export async function trainStep<T>(
  be: AwaitableBackend<T>, c: AlexNetConfig, s: TrainState<T>, x: T, labels: Int32Array, rng: Rng, sgd: SgdParams,
): Promise<number> {
  const velocity = (s.velocity ??= await zerosLike(be, s.params));
  const grads = (s.grads ??= await zerosLike(be, s.params));
  for (const [k, g] of grads) grads.set(k, await be.zero(g));
  const fwd = await forward(be, c, s.params, x, { train: true, rng });
  const { loss, probs, dlogits } = await be.softmaxCrossEntropy(fwd.logits, labels);
  await be.dispose(probs);
  await backward(be, s.params, fwd, dlogits, grads);
  await be.dispose(dlogits);
  await disposeForward(be, fwd);
  const names = [...s.params.keys()];
  const updated = await be.sgdStep(names.map((name) => ({ name, w: s.params.get(name)!, v: velocity.get(name)!, g: grads.get(name)! })), sgd);
  names.forEach((name, i) => {
    s.params.set(name, updated[i].w);
    velocity.set(name, updated[i].v);
  });
  return loss;
}
