// The paper's preprocessing and data augmentation (section 4.1), for images
// already at the network's scale (small datasets, or 256 x 256 ImageNet-style
// images after resizing).
//
//  - Mean subtraction: "subtracting the mean activity over the training set
//    from each pixel": a mean image [C, H, W] computed on the training set.
//  - Random crops and horizontal reflections: a crop of the network's input
//    size at a random offset of the (optionally zero-padded) image, mirrored
//    with probability 1/2. At test time the centre crop, or ten crops (the
//    four corners and the centre, and their reflections) whose softmax
//    outputs are averaged.
//  - PCA colour augmentation: to every pixel add P (alpha * lambda), where P
//    and lambda are the eigenvectors and eigenvalues of the C x C covariance
//    of pixel values over the training set, and alpha ~ N(0, sigma^2), sigma
//    = 0.1, drawn once per image each time it is used. The formula is not
//    scale-free (lambda is a variance), and sigma = 0.1 goes with pixel
//    values in [0, 1], as in the reference implementations (ImageNet's
//    eigenvalues are then about 0.22, 0.019, 0.0045: shifts of a few levels
//    out of 255). The covariance is therefore taken on values / 255 and the
//    shift scaled back by 255; on 0-255 values it would swamp the image.
//
// Pixels enter as bytes 0-255 and leave as float32 (value - mean) * scale.

import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import type { Rng } from '../../cpu/random.js';
import { type ImageDataset, imageAt } from './dataset.js';

/** Statistics of a training set: the mean image and the PCA of pixel colours. */
export interface DataStats {
  /** Mean image [C, H, W] in the 0-255 scale. */
  mean: Float32Array;
  /** Eigenvectors of the C x C colour covariance, as columns, row-major [C, C]. */
  eigenvectors: Float64Array;
  /** Eigenvalues of the colour covariance of pixel values scaled to [0, 1]. */
  eigenvalues: Float64Array;
}

/** Computes the mean image and the colour PCA over a dataset (the training set). */
export function computeStats(d: ImageDataset): DataStats {
  const C = d.channels, P = d.height * d.width, size = C * P;
  // Two passes over the images, each image read once per pass (a streamed folder decodes each twice, holding one at a time).
  const sum = new Float64Array(size);
  for (let i = 0; i < d.n; i++) { const img = imageAt(d, i); for (let j = 0; j < size; j++) sum[j] += img[j]; }
  const mean = Float32Array.from(sum, (s) => s / d.n);
  // Covariance of the colour vector of a pixel, over all pixels of all images.
  const m = new Float64Array(C), cov = new Float64Array(C * C);
  for (let c = 0; c < C; c++) { let s = 0; for (let q = 0; q < P; q++) s += sum[c * P + q]; m[c] = s / (d.n * P); }
  for (let i = 0; i < d.n; i++) {
    const img = imageAt(d, i);
    for (let q = 0; q < P; q++) {
      for (let a = 0; a < C; a++) {
        const va = img[a * P + q] - m[a];
        for (let b = a; b < C; b++) cov[a * C + b] += va * (img[b * P + q] - m[b]);
      }
    }
  }
  // Covariance of values / 255 (see the header for why that scale).
  for (let a = 0; a < C; a++) for (let b = a; b < C; b++) { cov[a * C + b] /= (d.n * P - 1) * 255 * 255; cov[b * C + a] = cov[a * C + b]; }
  const e = new EigenvalueDecomposition(new Matrix(Array.from({ length: C }, (_, a) => Array.from(cov.subarray(a * C, a * C + C)))), { assumeSymmetric: true });
  const eigenvalues = Float64Array.from(e.realEigenvalues);
  const V = e.eigenvectorMatrix;
  const eigenvectors = new Float64Array(C * C);
  for (let a = 0; a < C; a++) for (let b = 0; b < C; b++) eigenvectors[a * C + b] = V.get(a, b);
  return { mean, eigenvectors, eigenvalues };
}

/** How examples are turned into network input. */
export interface AugmentOptions {
  /** Network input size (square); a crop of this size is taken from the padded image. */
  crop: number;
  /** Zero padding around each image before cropping (small images: e.g. 2 for 28 -> 32 -> crops of 28). */
  pad: number;
  /** Mirror with probability 1/2 (training). */
  flip: boolean;
  /** Standard deviation of the PCA colour alphas (paper: 0.1); 0 turns it off. */
  pcaSigma: number;
  /** Multiplies (pixel - mean): 1 keeps the paper's 0-255 scale; 1/255 gives unit range. */
  scale: number;
  /**
   * Imported weights' input convention, for fine-tuning them (`train
   * --init-from`, src/nn/data/presets.ts): the network's input channel c
   * reads the image's channel order[c] (Caffe's BGR: [2, 1, 0]) and is
   * multiplied by scale[c] instead of `scale` (torchvision's 1 / (255 std)).
   * Absent: channels as stored, one scale.
   */
  channels?: { readonly order: readonly number[]; readonly scale: readonly number[] };
}

/**
 * The augmentation `alexnet train` and the browser page use for a network
 * with the given input size (section 4.1): big nets take random crops of the
 * 256 x 256 images; small images (64 or less) are padded by 2 and cropped
 * back to their size. Flips and PCA colour (sigma 0.1) always. Pixels minus
 * the mean stay in the paper's 0-255 scale for the paper's initialisation;
 * He's initialisation assumes unit-scale inputs, so with it they are divided
 * by 255, unless `scale` says otherwise.
 */
export function defaultAugment(c: { inputSize: number; initStd: number | 'he' }, scale?: number): AugmentOptions {
  return { crop: c.inputSize, pad: c.inputSize <= 64 ? 2 : 0, flip: true, pcaSigma: 0.1, scale: scale ?? (c.initStd === 'he' ? 1 / 255 : 1) };
}

/** A crop position and mirroring, and the colour shift of one example. */
interface View {
  top: number;
  left: number;
  mirror: boolean;
  shift: Float64Array;
}

/** Writes one example (its bytes `img`, of d's size), cropped, mirrored and colour-shifted, as (value - mean) * scale into out at offset. */
function writeView(d: ImageDataset, img: Uint8Array, stats: DataStats, o: AugmentOptions, v: View, out: Float32Array, offset: number): void {
  const C = d.channels, H = d.height, W = d.width, S = o.crop;
  for (let c = 0; c < C; c++) {
    const src = o.channels ? o.channels.order[c] : c, scale = o.channels ? o.channels.scale[c] : o.scale;
    for (let y = 0; y < S; y++) {
      const sy = v.top + y - o.pad;
      for (let x = 0; x < S; x++) {
        const sx = v.left + (v.mirror ? S - 1 - x : x) - o.pad;
        // Padding is zero after mean subtraction (the mean image's own value), as for an average pixel.
        let val = 0;
        if (sy >= 0 && sy < H && sx >= 0 && sx < W) {
          const at = src * H * W + sy * W + sx;
          val = img[at] + v.shift[src] - stats.mean[at];
        }
        out[offset + (c * S + y) * S + x] = val * scale;
      }
    }
  }
}

function checkCrop(d: ImageDataset, stats: DataStats, o: AugmentOptions): void {
  // The mean image is indexed by [c, y, x] of the dataset's own images: images of another size or channel
  // count than the training set's would read the wrong mean pixels, and accuracy would be silently wrong.
  if (stats.mean.length !== d.channels * d.height * d.width) {
    throw new RangeError(`augment: ${d.name} holds ${d.channels} x ${d.height} x ${d.width} images, but the training set's mean image has ${stats.mean.length} values; ` +
      'the images must have the size and channels of the training images');
  }
  if (o.channels && (o.channels.order.length !== d.channels || o.channels.scale.length !== d.channels || o.channels.order.some((k) => !(k >= 0 && k < d.channels)))) {
    throw new RangeError(`augment: the channel order [${o.channels.order.join(', ')}] and scales do not fit the ${d.channels} channels of ${d.name}`);
  }
  if (o.crop > d.height + 2 * o.pad || o.crop > d.width + 2 * o.pad) {
    throw new RangeError(`augment: crop ${o.crop} is larger than the ${d.height} x ${d.width} images of ${d.name} padded by ${o.pad}`);
  }
}

/** A training batch: random crops, flips and PCA colour shifts of the given examples; returns [B, C, crop, crop] and labels. */
export function trainingBatch(d: ImageDataset, idx: ArrayLike<number>, stats: DataStats, o: AugmentOptions, rng: Rng): { x: Float32Array; labels: Int32Array } {
  checkCrop(d, stats, o);
  const C = d.channels, S = o.crop, B = idx.length;
  const x = new Float32Array(B * C * S * S), labels = new Int32Array(B);
  const room = d.height + 2 * o.pad - S + 1, roomW = d.width + 2 * o.pad - S + 1;
  for (let b = 0; b < B; b++) {
    const i = idx[b];
    const shift = new Float64Array(C);
    if (o.pcaSigma > 0) {
      // P (alpha * lambda): one alpha per eigenvector, drawn per image per use (section 4.1), in 0-255 units.
      const alpha = Array.from({ length: C }, () => rng.normal(0, o.pcaSigma));
      for (let c = 0; c < C; c++) for (let e = 0; e < C; e++) shift[c] += 255 * stats.eigenvectors[c * C + e] * alpha[e] * stats.eigenvalues[e];
    }
    const view = { top: rng.int(room), left: rng.int(roomW), mirror: o.flip && rng.uniform() < 0.5, shift };
    writeView(d, imageAt(d, i), stats, o, view, x, b * C * S * S);
    labels[b] = d.labels[i];
  }
  return { x, labels };
}

/** The test views of each example: the centre crop (views 1) or the paper's ten crops (views 10), [B * views, C, crop, crop]. */
export function testBatch(d: ImageDataset, idx: ArrayLike<number>, stats: DataStats, o: AugmentOptions, views: 1 | 10): { x: Float32Array; labels: Int32Array } {
  checkCrop(d, stats, o);
  const C = d.channels, S = o.crop, B = idx.length;
  const x = new Float32Array(B * views * C * S * S), labels = new Int32Array(B);
  const maxTop = d.height + 2 * o.pad - S, maxLeft = d.width + 2 * o.pad - S;
  const centre = { top: Math.floor(maxTop / 2), left: Math.floor(maxLeft / 2) };
  const corners = [{ top: 0, left: 0 }, { top: 0, left: maxLeft }, { top: maxTop, left: 0 }, { top: maxTop, left: maxLeft }, centre];
  const none = new Float64Array(C);
  for (let b = 0; b < B; b++) {
    const list = views === 1 ? [{ ...centre, mirror: false }] : [...corners.map((p) => ({ ...p, mirror: false })), ...corners.map((p) => ({ ...p, mirror: true }))];
    const img = imageAt(d, idx[b]);
    list.forEach((p, v) => writeView(d, img, stats, o, { ...p, shift: none }, x, (b * views + v) * C * S * S));
    labels[b] = d.labels[idx[b]];
  }
  return { x, labels };
}

/**
 * The paper's test-time averaging (section 4.1): "averaging the predictions
 * made by the network's softmax layer on the ten patches". probs holds
 * [n * views, classes] rows, the views of each example together (testBatch's
 * order); returns [n, classes].
 */
export function averageViews(probs: ArrayLike<number>, n: number, views: number, classes: number): Float32Array {
  if (probs.length !== n * views * classes) throw new RangeError(`averageViews: ${probs.length} values for ${n} examples x ${views} views x ${classes} classes`);
  if (views === 1) return Float32Array.from(probs);
  const avg = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < classes; k++) {
      let s = 0;
      for (let v = 0; v < views; v++) s += probs[(i * views + v) * classes + k];
      avg[i * classes + k] = s / views;
    }
  }
  return avg;
}
