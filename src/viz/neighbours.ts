// Figure 4 (right) as one picture: a row per test image, the image first,
// then its nearest training images in the feature space of the last hidden
// layer (src/nn/neighbours.ts), nearest first. Pixels only (RGBA bytes) with
// captions, as src/viz/kernels.ts: the page puts them on a <canvas>, the
// command line into a PNG.

import type { Mosaic } from './mosaic.js';

/** One picture of the grid: its bytes [C, H, W] and the lines of text under it. */
export interface Tile {
  image: Uint8Array;
  caption: readonly string[];
}

/** The grid's pixels and captions; each row's query is set apart from its neighbours by a gap. */
export function neighbourGrid(rows: readonly { query: Tile; neighbours: readonly Tile[] }[], size: { channels: number; height: number; width: number }): Mosaic {
  const { channels: C, height: H, width: W } = size;
  if (C !== 1 && C !== 3) throw new RangeError(`neighbourGrid: images must have 1 or 3 channels, got ${C}`);
  const zoom = Math.max(1, Math.floor(84 / Math.max(H, W)));
  const lines = Math.max(1, ...rows.flatMap((r) => [r.query, ...r.neighbours].map((t) => t.caption.length)));
  const cellW = Math.max(W * zoom, 84) + 12, cellH = H * zoom + 8 + 14 * lines, gap = 16;
  const cols = 1 + Math.max(0, ...rows.map((r) => r.neighbours.length));
  const width = cols * cellW + gap + 8, height = rows.length * cellH + 24;
  const rgba = new Uint8ClampedArray(width * height * 4).fill(255);
  const captions: Mosaic['captions'] = [{ text: 'test image', x: 6, y: 14 }, { text: 'nearest training images (last hidden layer, Euclidean distance)', x: 6 + cellW + gap, y: 14 }];
  const draw = (t: Tile, x0: number, y0: number) => {
    if (t.image.length !== C * H * W) throw new RangeError(`neighbourGrid: an image has ${t.image.length} bytes, expected ${C} x ${H} x ${W}`);
    for (let y = 0; y < H * zoom; y++) for (let x = 0; x < W * zoom; x++) {
      const at = ((y0 + y) * width + x0 + x) * 4, px = Math.floor(y / zoom) * W + Math.floor(x / zoom);
      for (let c = 0; c < 3; c++) rgba[at + c] = t.image[(C === 3 ? c : 0) * H * W + px];
      rgba[at + 3] = 255;
    }
    t.caption.forEach((text, i) => captions.push({ text, x: x0, y: y0 + H * zoom + 14 * (i + 1) }));
  };
  rows.forEach((r, i) => {
    const y0 = 24 + i * cellH;
    draw(r.query, 4, y0);
    r.neighbours.forEach((t, j) => draw(t, 4 + (j + 1) * cellW + gap, y0));
  });
  return { width, height, rgba, captions };
}
