// The input conventions of the weights people have, for photos:
//
//   torchvision  RGB; shorter side to 256 (bilinear with antialiasing, as PIL
//                resizes for transforms.Resize(256)), centre crop 224, /255,
//                then (x - mean) / std per channel, mean 0.485 0.456 0.406,
//                std 0.229 0.224 0.225 (torchvision's ImageNet weights).
//   caffe        BGR, 0-255; the whole image to 256 x 256 (bilinear), the
//                mean pixel B 104.007 G 116.669 R 122.679 subtracted (the
//                per-pixel mean of ilsvrc_2012_mean.npy), centre crop 227
//                (Caffe's models/bvlc_alexnet and classify.py).
//
// Ten views (section 4.1, and torchvision's TenCrop): the four corner crops,
// the centre crop, and their mirror images.

import type { AugmentOptions, DataStats } from './augment.js';
import type { ImageBytes } from './image.js';
import { resizeBilinear } from './image.js';

/** A per-pixel mean [3, H, W] in the network's channel order, subtracted instead of the preset's mean pixel (Caffe's mean file). */
export interface MeanImage {
  readonly data: Float32Array;
  readonly shape: readonly [number, number, number];
}

/** A weights source's input convention. */
export type Preset = 'torchvision' | 'caffe';

/** The numbers of a preset: resize rule, crop, channel order, mean and scale. */
export interface PresetSpec {
  /** 'shorter': shorter side to `resize`, aspect kept (torchvision); 'square': both sides to `resize` (Caffe). */
  resize: { mode: 'shorter' | 'square'; size: number };
  crop: number;
  /** Channel order of the network's input. */
  order: 'rgb' | 'bgr';
  /** Per channel of the input, in its order: x = (pixel * scale - mean) / std. */
  scale: number;
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

/** The two presets' numbers (see the header). */
export const PRESETS: Record<Preset, PresetSpec> = {
  torchvision: { resize: { mode: 'shorter', size: 256 }, crop: 224, order: 'rgb', scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  caffe: { resize: { mode: 'square', size: 256 }, crop: 227, order: 'bgr', scale: 1, mean: [104.007, 116.669, 122.679], std: [1, 1, 1] },
};

/**
 * PIL's resampling (Image.resize with BILINEAR, libImaging/Resample.c), which
 * torchvision's Resize applies to PIL images: each output pixel is a
 * triangle-filter average over a support widened by the scale factor (so a
 * downscale is antialiased), computed in 22-bit fixed point and rounded to
 * bytes, horizontally and then vertically. Written out because the
 * preprocessing must agree with torchvision's within one grey level.
 */
export function resizeAntialiased(img: ImageBytes, outH: number, outW: number): ImageBytes {
  const horiz = resample1d(img.data, img.channels * img.height, img.width, outW);
  // Vertical pass: treat each column as a row of the transposed plane.
  const C = img.channels, H = img.height;
  const out = new Uint8Array(C * outH * outW);
  const col = new Uint8Array(H);
  for (let c = 0; c < C; c++) {
    for (let x = 0; x < outW; x++) {
      for (let y = 0; y < H; y++) col[y] = horiz[(c * H + y) * outW + x];
      const r = resample1d(col, 1, H, outH);
      for (let y = 0; y < outH; y++) out[(c * outH + y) * outW + x] = r[y];
    }
  }
  return { channels: C, height: outH, width: outW, data: out };
}

const PRECISION_BITS = 32 - 8 - 2;

/** One pass of PIL's resampling over `rows` rows of length inN to outN. */
function resample1d(src: Uint8Array, rows: number, inN: number, outN: number): Uint8Array {
  const scale = inN / outN, filterScale = Math.max(scale, 1), support = 1 * filterScale;
  const out = new Uint8Array(rows * outN);
  const bounds: { min: number; k: Int32Array }[] = [];
  for (let xx = 0; xx < outN; xx++) {
    const center = (xx + 0.5) * scale, ss = 1 / filterScale;
    // PIL truncates (int) these bounds after adding 0.5.
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inN) - xmin;
    const w = new Float64Array(xmax);
    let total = 0;
    for (let x = 0; x < xmax; x++) {
      const t = Math.abs((x + xmin - center + 0.5) * ss);
      w[x] = t < 1 ? 1 - t : 0;
      total += w[x];
    }
    const k = new Int32Array(xmax);
    for (let x = 0; x < xmax; x++) {
      const v = total !== 0 ? w[x] / total : 0;
      // PIL: (int) (0.5 + k * (1 << PRECISION_BITS)) for k >= 0, (int) (-0.5 + ...) for k < 0.
      k[x] = Math.trunc(v < 0 ? -0.5 + v * (1 << PRECISION_BITS) : 0.5 + v * (1 << PRECISION_BITS));
    }
    bounds.push({ min: xmin, k });
  }
  for (let r = 0; r < rows; r++) {
    const base = r * inN;
    for (let xx = 0; xx < outN; xx++) {
      const { min, k } = bounds[xx];
      let ss = 1 << (PRECISION_BITS - 1);
      for (let x = 0; x < k.length; x++) ss += src[base + min + x] * k[x];
      const v = Math.floor(ss / (1 << PRECISION_BITS));
      out[r * outN + xx] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return out;
}

/** The resized image a preset crops from (RGB bytes in, RGB bytes out). */
export function presetResize(img: ImageBytes, p: PresetSpec): ImageBytes {
  if (p.resize.mode === 'square') return resizeBilinear(img, p.resize.size, p.resize.size);
  // torchvision's Resize(int): the shorter side to size, the longer int(size * long / short).
  const S = p.resize.size, { height: H, width: W } = img;
  const [h, w] = H <= W ? [S, Math.trunc((S * W) / H)] : [Math.trunc((S * H) / W), S];
  return resizeAntialiased(img, h, w);
}

/**
 * A photo (RGB bytes, channels first) as network input [views, 3, crop,
 * crop] under a preset; `crop` defaults to the preset's and follows the
 * network's input size otherwise (the ONNX zoo's Caffe net takes 224).
 */
export function presetInput(img: ImageBytes, preset: Preset, views: 1 | 10, crop = PRESETS[preset].crop, meanImage?: MeanImage): Float32Array {
  if (img.channels !== 3) throw new RangeError(`preset ${preset}: needs an RGB image, got ${img.channels} channel(s)`);
  const p = PRESETS[preset];
  const r = presetResize(img, p);
  const S = crop, { height: H, width: W } = r;
  if (meanImage && (meanImage.shape[1] !== H || meanImage.shape[2] !== W)) {
    throw new RangeError(`preset ${preset}: the mean image is ${meanImage.shape[2]} x ${meanImage.shape[1]}; the resized image it is subtracted from is ${W} x ${H}`);
  }
  if (H < S || W < S) throw new RangeError(`preset ${preset}: the resized image ${W} x ${H} is smaller than the ${S} crop`);
  // torchvision's CenterCrop rounds the offset: int(round((H - S) / 2)); Caffe's classifier truncates.
  const off = (n: number) => (preset === 'torchvision' ? Math.round((n - S) / 2) : Math.floor((n - S) / 2));
  const centre = { top: off(H), left: off(W) };
  const corners = [{ top: 0, left: 0 }, { top: 0, left: W - S }, { top: H - S, left: 0 }, { top: H - S, left: W - S }, centre];
  const list = views === 1 ? [{ ...centre, mirror: false }] : [...corners.map((c) => ({ ...c, mirror: false })), ...corners.map((c) => ({ ...c, mirror: true }))];
  const x = new Float32Array(views * 3 * S * S);
  list.forEach((v, i) => {
    for (let c = 0; c < 3; c++) {
      const src = p.order === 'rgb' ? c : 2 - c; // the input's channel c comes from RGB plane src
      const o = (i * 3 + c) * S * S;
      for (let y = 0; y < S; y++) {
        for (let xx = 0; xx < S; xx++) {
          const sx = v.mirror ? v.left + S - 1 - xx : v.left + xx;
          const pix = r.data[(src * H + v.top + y) * W + sx];
          // A mean image (Caffe's mean_file, in the input's channel order) is subtracted at the source pixel, before mirroring, as Caffe's DataTransformer does.
          const m = meanImage ? meanImage.data[(c * H + v.top + y) * W + sx] : p.mean[c];
          x[o + y * S + xx] = (pix * p.scale - m) / p.std[c];
        }
      }
    }
  });
  return x;
}

/**
 * What training on a preset's convention needs (fine-tuning imported weights,
 * `alexnet train --init-from`): the preset's mean pixel as the mean image of
 * `size` x `size` RGB images (0-255), and the channel order and per-channel
 * scale that make augment.ts's (pixel - mean) * scale equal the preset's
 * (pixel * scale - mean) / std; the colour PCA stays the training set's.
 */
export function presetTraining(preset: Preset, size: number, pca: Pick<DataStats, 'eigenvectors' | 'eigenvalues'>, crop = PRESETS[preset].crop): { stats: DataStats; augment: AugmentOptions } {
  const p = PRESETS[preset], P = size * size;
  const order = p.order === 'rgb' ? [0, 1, 2] : [2, 1, 0];
  const mean = new Float32Array(3 * P);
  // The input's channel c is (pixel[order[c]] - mean[c] / scale) * (scale / std[c]).
  order.forEach((src, c) => mean.fill(p.mean[c] / p.scale, src * P, (src + 1) * P));
  return {
    stats: { mean, eigenvectors: pca.eigenvectors, eigenvalues: pca.eigenvalues },
    augment: { crop, pad: 0, flip: true, pcaSigma: 0.1, scale: 1, channels: { order, scale: order.map((_, c) => p.scale / p.std[c]) } },
  };
}
