// The paper's Figure 4 (right), section 6.1: for a test image, the training
// images whose feature vectors at the last hidden layer (fc7 after its ReLU,
// 4096 values in the paper) are closest in Euclidean distance. Two images
// are near in this space when the net sees them as alike, even where their
// pixels are not (the paper's dogs and elephants in other poses).

import type { DataStats } from './data/augment.js';
import { type AugmentOptions, testBatch } from './data/augment.js';
import type { ImageDataset } from './data/dataset.js';
import type { Net } from './net.js';

/** Feature vectors [n, D] of a dataset's images (centre view), in batches; `onProgress` after each batch with the images done. */
export async function datasetFeatures(
  net: Net, d: ImageDataset, stats: DataStats, augment: AugmentOptions, o: { batch?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<{ data: Float32Array; n: number; size: number }> {
  const B = o.batch ?? 256;
  let data: Float32Array | undefined, size = 0;
  for (let start = 0; start < d.n; start += B) {
    const idx = Array.from({ length: Math.min(B, d.n - start) }, (_, i) => start + i);
    const f = await net.features(testBatch(d, idx, stats, augment, 1).x, idx.length);
    if (data === undefined) {
      size = f.length / idx.length;
      data = new Float32Array(d.n * size);
    }
    data.set(f, start * size);
    o.onProgress?.(start + idx.length, d.n);
  }
  return { data: data ?? new Float32Array(0), n: d.n, size };
}

/** One neighbour: its index in the searched set and its Euclidean distance. */
export interface Neighbour {
  index: number;
  distance: number;
}

/**
 * The k rows of `pool` [n, D] nearest to `query` [D] in Euclidean distance,
 * nearest first (ties by index). Plain loops: sum over d of (q_d - p_d)^2 in
 * double precision, no expansion into |q|^2 - 2 q.p + |p|^2 (which cancels
 * badly when two vectors are close, the case that matters here).
 */
export function nearest(query: ArrayLike<number>, pool: { data: ArrayLike<number>; n: number; size: number }, k: number): Neighbour[] {
  const D = pool.size;
  if (query.length !== D) throw new RangeError(`nearest: the query has ${query.length} values, the pool's vectors ${D}`);
  const best: Neighbour[] = [];
  for (let i = 0; i < pool.n; i++) {
    let s = 0;
    for (let j = 0; j < D; j++) {
      const t = query[j] - pool.data[i * D + j];
      s += t * t;
    }
    // Keep the k smallest in order: insertion into a short sorted list.
    if (best.length === k && s >= best[k - 1].distance) continue;
    let at = best.length;
    while (at > 0 && best[at - 1].distance > s) at--;
    best.splice(at, 0, { index: i, distance: s });
    if (best.length > k) best.pop();
  }
  return best.map((b) => ({ index: b.index, distance: Math.sqrt(b.distance) }));
}
