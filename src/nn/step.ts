// One training step of the paper's recipe on any Backend (section 5):
// forward with dropout, mean softmax cross-entropy, backward into reused
// gradient buffers, then the paper's momentum update of every parameter.

import type { Backend } from '../backend.js';
import type { Rng } from '../cpu/random.js';
import type { SgdParams } from '../cpu/sgd.js';
import type { AlexNetConfig } from './config.js';
import { type HostParams, type Params, backward, disposeForward, forward, uploadParams } from './model.js';

/** Everything a step updates: weights, velocities, and the gradient buffers it reuses. */
export interface TrainState<T> {
  params: Params<T>;
  velocity: Params<T>;
  grads: Params<T>;
}

/** Uploads host parameters and makes zero velocities and gradient buffers beside them. */
export function createTrainState<T>(be: Backend<T>, c: AlexNetConfig, host: HostParams, velocity?: HostParams): TrainState<T> {
  const params = uploadParams(be, c, host);
  const zerosLike = () => new Map([...host].map(([k, v]) => [k, be.upload(new Float32Array(v.data.length), v.shape)]));
  return { params, velocity: velocity ? uploadParams(be, c, velocity) : zerosLike(), grads: zerosLike() };
}

/** Releases every tensor of a training state. */
export function disposeTrainState<T>(be: Backend<T>, s: TrainState<T>): void {
  for (const m of [s.params, s.velocity, s.grads]) for (const t of m.values()) be.dispose(t);
}

/** One step on a batch x [N, C, H, W] with integer labels; returns the batch's mean loss before the update. */
export function trainStep<T>(
  be: Backend<T>, c: AlexNetConfig, s: TrainState<T>, x: T, labels: Int32Array, rng: Rng, sgd: SgdParams,
): number {
  for (const [k, g] of s.grads) s.grads.set(k, be.zero(g));
  const fwd = forward(be, c, s.params, x, { train: true, rng });
  const { loss, probs, dlogits } = be.softmaxCrossEntropy(fwd.logits, labels);
  be.dispose(probs);
  backward(be, s.params, fwd, dlogits, s.grads);
  be.dispose(dlogits);
  disposeForward(be, fwd);
  const names = [...s.params.keys()];
  const updated = be.sgdStep(names.map((name) => ({ name, w: s.params.get(name)!, v: s.velocity.get(name)!, g: s.grads.get(name)! })), sgd);
  names.forEach((name, i) => {
    s.params.set(name, updated[i].w);
    s.velocity.set(name, updated[i].v);
  });
  return loss;
}
