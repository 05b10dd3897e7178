// Decoded images and the paper's rescaling (section 2): "rescaled the image
// such that the shorter side was of length 256, and then cropped out the
// central 256 x 256 patch". Resizing is bilinear on pixel centres; the
// result is bytes, channels first, like the datasets.

/** An image as bytes, [channels, height, width]. */
export interface ImageBytes {
  channels: number;
  height: number;
  width: number;
  data: Uint8Array;
}

/** From interleaved RGBA (what PNG and JPEG decoders give) to channels-first RGB (3) or grey (1, the mean of RGB). */
export function fromRgba(rgba: ArrayLike<number>, width: number, height: number, channels: 1 | 3): ImageBytes {
  const P = width * height, data = new Uint8Array(channels * P);
  for (let q = 0; q < P; q++) {
    const r = rgba[4 * q], g = rgba[4 * q + 1], b = rgba[4 * q + 2];
    if (channels === 1) data[q] = Math.round((r + g + b) / 3);
    else { data[q] = r; data[P + q] = g; data[2 * P + q] = b; }
  }
  return { channels, height, width, data };
}

/** Bilinear resize to outH x outW (sampling at pixel centres, edges clamped). */
export function resizeBilinear(img: ImageBytes, outH: number, outW: number): ImageBytes {
  const { channels: C, height: H, width: W } = img;
  const out = new Uint8Array(C * outH * outW);
  for (let y = 0; y < outH; y++) {
    const sy = Math.min(H - 1, Math.max(0, ((y + 0.5) * H) / outH - 0.5));
    const y0 = Math.floor(sy), y1 = Math.min(H - 1, y0 + 1), fy = sy - y0;
    for (let x = 0; x < outW; x++) {
      const sx = Math.min(W - 1, Math.max(0, ((x + 0.5) * W) / outW - 0.5));
      const x0 = Math.floor(sx), x1 = Math.min(W - 1, x0 + 1), fx = sx - x0;
      for (let c = 0; c < C; c++) {
        const p = c * H * W;
        const top = img.data[p + y0 * W + x0] * (1 - fx) + img.data[p + y0 * W + x1] * fx;
        const bot = img.data[p + y1 * W + x0] * (1 - fx) + img.data[p + y1 * W + x1] * fx;
        out[c * outH * outW + y * outW + x] = Math.round(top * (1 - fy) + bot * fy);
      }
    }
  }
  return { channels: C, height: outH, width: outW, data: out };
}

/** The paper's preprocessing: shorter side to `size`, then the central size x size patch. */
export function shorterSideAndCentreCrop(img: ImageBytes, size: number): ImageBytes {
  const scale = size / Math.min(img.height, img.width);
  const h = Math.max(size, Math.round(img.height * scale)), w = Math.max(size, Math.round(img.width * scale));
  const r = resizeBilinear(img, h, w);
  const top = Math.floor((h - size) / 2), left = Math.floor((w - size) / 2);
  const out = new Uint8Array(img.channels * size * size);
  for (let c = 0; c < img.channels; c++) {
    for (let y = 0; y < size; y++) out.set(r.data.subarray(c * h * w + (top + y) * w + left, c * h * w + (top + y) * w + left + size), c * size * size + y * size);
  }
  return { channels: img.channels, height: size, width: size, data: out };
}
