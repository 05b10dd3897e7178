// Where a backend's max-pool gradient goes on one 2 x 2 window, for the
// conformance notes: tied maxima (this project, PyTorch and Caffe send it to
// the first in row-major order; any tied maximum is a valid subgradient) and a
// window of negative values (it belongs to the maximum, -2). Runs through the
// Backend interface, so it works in Node and in a page alike.

import type { AsyncBackend } from '../src/backend.js';

/** dx of a 2 x 2 max pool with dy = 1 for the two probe windows, or null when the backend has no max-pool backward. */
export async function poolRouting<T>(be: AsyncBackend<T>): Promise<{ ties: number[]; negative: number[] } | null> {
  if (!be.maxpoolForward || !be.maxpoolBackward || !be.disposeCache) return null;
  const dx = async (x: number[]) => {
    const t = await be.upload(Float32Array.from(x), [1, 1, 2, 2]);
    const f = await be.maxpoolForward!(t, { kernel: 2, stride: 2, pad: 0, ceil: false });
    const dy = await be.upload(Float32Array.of(1), [1, 1, 1, 1]);
    const g = await be.maxpoolBackward!(dy, f.cache, [1, 1, 2, 2]);
    const out = Array.from(await be.download(g));
    for (const h of [t, f.y, dy, g]) await be.dispose(h);
    await be.disposeCache!(f.cache);
    return out;
  };
  return { ties: await dx([1, 1, 1, 1]), negative: await dx([-5, -2, -3, -4]) };
}

/** The probe in words, beside the reference's answer. */
export function poolRoutingNote(r: { ties: number[]; negative: number[] } | null): string[] {
  if (!r) return [];
  return [`Max-pool gradient on one 2 x 2 window, dy = 1: tied maxima [1, 1, 1, 1] give dx [${r.ties.join(', ')}] (the reference: [1, 0, 0, 0], the first); ` +
    `[-5, -2, -3, -4] gives dx [${r.negative.join(', ')}] (the reference: [0, 1, 0, 0], the maximum).`];
}
