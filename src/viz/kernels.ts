// The conv1 kernels as one picture, one block of rows per partition: the
// paper's Figure 3 (section 3.2), where GPU 1's kernels came out largely
// colour-agnostic and GPU 2's colour-specific. Pixels only (RGBA bytes), so
// the page puts them on a <canvas> and the command line into a PNG.

import type { Mosaic } from './mosaic.js';

/** An RGBA picture of the kernels, and where each partition's caption goes. */
export type KernelMosaic = Mosaic;

/**
 * Lays out conv1 weights [Cout, Cin, k, k]: partition p's kernels
 * (Cout / partitions of them, in order) in rows of at most 16. Each kernel is
 * stretched to 0-255 on its own; 3 input channels draw in colour, 1 in grey.
 * `order` 'bgr' draws the kernels of a net fed BGR images (Caffe's) in their true colours.
 */
export function kernelMosaic(w: { data: ArrayLike<number>; shape: readonly number[] }, partitions: number, order: 'rgb' | 'bgr' = 'rgb'): KernelMosaic {
  if (w.shape.length !== 4 || w.shape[2] !== w.shape[3]) throw new RangeError(`kernelMosaic: w has shape [${w.shape.join(', ')}], expected [Cout, Cin, k, k]`);
  const [Cout, Cin, k] = w.shape;
  if (Cout % partitions !== 0) throw new RangeError(`kernelMosaic: ${Cout} kernels do not split into ${partitions} partitions`);
  const per = Cout / partitions;
  const zoom = Math.max(3, Math.floor(48 / k)), cell = k * zoom + 4;
  const perRow = Math.min(16, per);
  const rowsPer = Math.ceil(per / perRow);
  const gap = 24;
  const width = perRow * cell + 8, height = partitions * (rowsPer * cell + gap) + 8;
  const rgba = new Uint8ClampedArray(width * height * 4).fill(255);
  const size = Cin * k * k;
  for (let o = 0; o < Cout; o++) {
    const part = Math.floor(o / per), j = o % per;
    const x0 = 4 + (j % perRow) * cell, y0 = 4 + part * (rowsPer * cell + gap) + gap - 6 + Math.floor(j / perRow) * cell;
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < size; i++) { lo = Math.min(lo, w.data[o * size + i]); hi = Math.max(hi, w.data[o * size + i]); }
    const norm = (v: number) => Math.round(255 * (hi > lo ? (v - lo) / (hi - lo) : 0.5));
    for (let y = 0; y < k; y++) for (let x = 0; x < k; x++) {
      const ch = (c: number) => norm(w.data[o * size + (Math.min(c, Cin - 1) * k + y) * k + x]);
      const rgb = order === 'bgr' && Cin === 3 ? [ch(2), ch(1), ch(0)] : [ch(0), ch(1), ch(2)];
      for (let dy = 0; dy < zoom; dy++) for (let dx = 0; dx < zoom; dx++) {
        const at = ((y0 + y * zoom + dy) * width + x0 + x * zoom + dx) * 4;
        rgba[at] = rgb[0]; rgba[at + 1] = rgb[1]; rgba[at + 2] = rgb[2]; rgba[at + 3] = 255;
      }
    }
  }
  const colour = colourShare(w, partitions);
  const captions = Array.from({ length: partitions }, (_, p) => ({
    text: `partition ${p} (conv1 kernels ${p * per}-${(p + 1) * per - 1})${colour ? `: colour share ${colour[p].toFixed(2)}` : ''}`,
    x: 6, y: 4 + p * (rowsPer * cell + gap) + 12,
  }));
  return { width, height, rgba, captions };
}

/**
 * How colour-specific each partition's conv1 kernels are, the measure behind
 * Figure 3's observation (section 3.2: one GPU's kernels "largely
 * color-agnostic", the other's "largely color-specific"): per kernel, the
 * share of its energy outside the grey part,
 *   sum over c, y, x of (w[c] - g)^2 / sum over c, y, x of w[c]^2,  g = mean over c of w[c],
 * 0 for a kernel that weighs R, G and B alike, up to 2/3 for one that sees a
 * single channel; the mean over the partition's kernels. null unless the
 * input has 3 channels.
 */
export function colourShare(w: { data: ArrayLike<number>; shape: readonly number[] }, partitions: number): number[] | null {
  const [Cout, Cin, kh, kw] = w.shape;
  if (Cin !== 3) return null;
  const per = Cout / partitions, area = kh * kw, size = Cin * area;
  const out = new Array<number>(partitions).fill(0);
  for (let o = 0; o < Cout; o++) {
    let total = 0, off = 0;
    for (let i = 0; i < area; i++) {
      const r = w.data[o * size + i], g = w.data[o * size + area + i], b = w.data[o * size + 2 * area + i];
      const m = (r + g + b) / 3;
      total += r * r + g * g + b * b;
      off += (r - m) ** 2 + (g - m) ** 2 + (b - m) ** 2;
    }
    out[Math.floor(o / per)] += (total > 0 ? off / total : 0) / per;
  }
  return out;
}

/**
 * How many blocks conv1's kernels fall into as the paper's Figure 3 shows
 * them: two when the net has the two-GPU layout, or when conv2 is grouped
 * in two (Caffe's bvlc_alexnet keeps the groups on one GPU: kernels 0-47
 * feed conv2's first group, 48-95 its second, as on GPU 1 and GPU 2); else one.
 */
export function kernelBlocks(c: { partitions: number; conv: readonly { groups: number; out: number }[] }): number {
  return c.partitions === 2 || (c.conv.length > 1 && c.conv[1].groups === 2 && c.conv[0].out % 2 === 0) ? 2 : 1;
}
