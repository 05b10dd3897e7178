// From one decoded image to network input, the same way for the command line
// (`alexnet predict`), the library (model.classify) and the page: shorter
// side to the dataset's size and the central square (section 2), then the
// test views of src/nn/data/augment.ts (centre crop, or the ten crops of
// section 4.1) with the training set's mean image subtracted.

import type { AlexNetConfig } from '../config.js';
import { type AugmentOptions, type DataStats, defaultAugment, testBatch } from './augment.js';
import type { ImageDataset } from './dataset.js';
import { type ImageBytes, fromRgba, shorterSideAndCentreCrop } from './image.js';
import { type MeanImage, type Preset, presetInput } from './presets.js';

/**
 * The square size images are stored at for a configuration: the input size
 * itself for small nets (28 or 32: no rescaling, crops of the whole image),
 * 256 for ImageNet-sized nets (section 2: "rescaled the image such that the
 * shorter side was of length 256"), from which crops of 224 or 227 are taken.
 * Training, evaluation and prediction all use this one rule.
 */
export function datasetImageSize(c: { inputSize: number }): number {
  return c.inputSize <= 64 ? c.inputSize : 256;
}

/**
 * How a model turns images into input: the training set's statistics and the
 * augmentation's crop, pad and scale; or, for imported weights, the input
 * convention of their source (src/nn/data/presets.ts), which then applies instead.
 */
export interface Preprocessing {
  stats: DataStats;
  augment: AugmentOptions;
  preset?: Preset;
  /** With a preset: a mean image to subtract instead of its mean pixel (Caffe's ilsvrc_2012_mean). */
  meanImage?: MeanImage;
}

/**
 * Preprocessing for a model with no training statistics (new weights): a
 * zero mean image and no colour PCA, the configuration's default crop and
 * scale, and no padding (test views of a padded image would be shifted).
 */
export function neutralPreprocessing(c: AlexNetConfig): Preprocessing {
  const S = datasetImageSize(c), C = c.inputChannels;
  return {
    stats: { mean: new Float32Array(C * S * S), eigenvectors: new Float64Array(C * C), eigenvalues: new Float64Array(C) },
    augment: { ...defaultAugment(c), pad: 0 },
  };
}

/** An image of any size in interleaved RGBA bytes (the shape of the DOM's ImageData). */
export interface RgbaImage {
  readonly data: ArrayLike<number>;
  readonly width: number;
  readonly height: number;
}

/** Checks an RGBA image's fields and converts it to channels-first bytes with the configuration's channels. */
export function rgbaToImage(img: RgbaImage, channels: number, what = 'image'): ImageBytes {
  const { width, height, data } = img ?? ({} as RgbaImage);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`${what}: width and height must be positive integers, got ${String(width)} x ${String(height)}`);
  }
  if (!data || data.length !== 4 * width * height) {
    throw new RangeError(`${what}: data must hold 4 * width * height = ${4 * width * height} RGBA bytes, got ${data?.length ?? 'none'}`);
  }
  if (channels !== 1 && channels !== 3) throw new RangeError(`${what}: the network takes ${channels} channels; images give 1 (grey) or 3 (RGB)`);
  return fromRgba(data, width, height, channels);
}

/** One image's test views as network input [views, C, S, S]: resized and centre-cropped, mean subtracted. */
export function imageInput(img: ImageBytes, c: AlexNetConfig, prep: Preprocessing, views: 1 | 10, name = 'image'): Float32Array {
  if (prep.preset) return presetInput(img, prep.preset, views, c.inputSize, prep.meanImage);
  const size = datasetImageSize(c);
  const square = shorterSideAndCentreCrop(img, size);
  const d: ImageDataset = { name, n: 1, channels: square.channels, height: size, width: size, images: square.data, labels: new Uint16Array(1), classes: c.classes };
  return testBatch(d, [0], prep.stats, prep.augment, views).x;
}
