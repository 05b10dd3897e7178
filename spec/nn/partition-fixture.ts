// Shared by spec/nn/partition.spec.ts and spec/gpu/partition.spec.ts: a narrow two-partition net and a seeded run.
import { Rng } from '../../src/cpu/random.js';
import { PAPER_SGD } from '../../src/cpu/sgd.js';
import { smallConfig } from '../../src/nn/config.js';
import type { Net } from '../../src/nn/net.js';

// The small configuration, narrow enough for a fast test, in the two-GPU layout.
export const c = { ...smallConfig(), conv: smallConfig().conv.map((s) => ({ ...s, out: s.out / 2 })), fc: [32, 32], initStd: 0.05 };

/** Runs `steps` SGD steps on a net from the same seeds; returns the losses and the final weights. */
export async function run(net: Pick<Net, 'step' | 'exportState'>, steps: number) {
  const data = Rng.seeded(3), rng = Rng.seeded(4);
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    const x = data.normalArray(8 * 28 * 28);
    const labels = Int32Array.from({ length: 8 }, () => data.int(10));
    losses.push((await net.step(x, labels, rng, { ...PAPER_SGD, lr: 0.05 })).loss);
  }
  return { losses, params: (await net.exportState()).params };
}

