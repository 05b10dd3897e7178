// Seeded randomness for initialisation, dropout masks and data augmentation.
//
// Reproducibility is a promise of the project (same seed, same run; a resumed
// run continues as if uninterrupted), so every random draw goes through an Rng
// whose whole state can be saved and restored. The generator is pure-rand's
// xoroshiro128+; normals come from the Box-Muller transform.

import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus, xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';

type Generator = ReturnType<typeof xoroshiro128plus>;

/** A seeded random number generator whose state can be saved in a checkpoint. */
export class Rng {
  private constructor(private gen: Generator) {}

  /** A generator started from an integer seed. */
  static seeded(seed: number): Rng {
    if (!Number.isInteger(seed)) throw new RangeError(`Rng.seeded: seed must be an integer, got ${seed}`);
    return new Rng(xoroshiro128plus(seed | 0));
  }

  /** A generator restored from `state()`. */
  static fromState(state: readonly number[]): Rng {
    if (!Array.isArray(state) || state.length !== 4 || !state.every(Number.isInteger)) {
      throw new RangeError(`Rng.fromState: state must be 4 integers as returned by state(), got ${JSON.stringify(state)}`);
    }
    return new Rng(xoroshiro128plusFromState(state));
  }

  /** The generator's whole state, to store in a checkpoint. */
  state(): number[] {
    return [...this.gen.getState()];
  }

  /** A uniform draw from [0, 1) with 53 random bits. */
  uniform(): number {
    return uniformFloat64(this.gen);
  }

  /** A uniform integer from 0 to n - 1. */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** A draw from N(mean, std^2), by Box-Muller (one normal per two uniforms, for simplicity). */
  normal(mean = 0, std = 1): number {
    const u1 = 1 - this.uniform(); // in (0, 1], so the log is finite
    const u2 = this.uniform();
    return mean + std * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** A float32 array of n draws from N(mean, std^2): the paper's weight initialisation (section 5). */
  /** Shuffles a in place (Fisher-Yates: for i from the end, swap a[i] with a[int(i + 1)]) and returns it. */
  shuffle<A extends { length: number; [i: number]: unknown }>(a: A): A {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i]; a[i] = a[j]; a[j] = t;
    }
    return a;
  }

  /** n independent draws from N(mean, std^2), in order, as float32. */
  normalArray(n: number, mean = 0, std = 1): Float32Array {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = this.normal(mean, std);
    return a;
  }
}
