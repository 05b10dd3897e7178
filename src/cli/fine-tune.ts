// Fine-tuning imported weights (`alexnet train --init-from FILE`): the
// recipe, the network with a new fc8 where the class count differs, and the
// input convention the pretrained features were trained with.

import { Rng } from '../cpu/random.js';
import type { AlexNetConfig } from '../nn/config.js';
import { type AugmentOptions, type DataStats, computeStats } from '../nn/data/augment.js';
import type { ImageDataset } from '../nn/data/dataset.js';
import { datasetImageSize } from '../nn/data/preprocess.js';
import { presetTraining } from '../nn/data/presets.js';
import { type HostParams, initParams } from '../nn/model.js';
import type { LoadedWeights } from '../api/weights.js';
import { UsageError } from './options.js';

/**
 * The recipe of `alexnet train --init-from` (fine-tuning imported weights):
 * a tenth of section 5's initial rate, so that the pretrained features move
 * little while the (possibly new) fc8 learns, as Caffe's fine-tuning
 * example and torchvision's transfer-learning tutorial do (lr 0.001); ten
 * epochs, lr / 10 after one without gain, batch 32 (a full-size net on a CPU).
 */
export const FINE_TUNE_RECIPE = { epochs: 10, lr: 0.001, patience: 1, minDelta: 0, pad: 0, batch: 32 };

/**
 * The network of `train --init-from`: the file's, with the dataset's class
 * count (or --classes). All weights come from the file, except fc8 when the
 * count differs: a new fc8, drawn with the configuration's initialisation
 * (seeded), as in the usual transfer learning.
 */
export function fineTuned(w: LoadedWeights, file: string, train: ImageDataset, classesFlag: number | undefined, seed: number): { config: AlexNetConfig; params: HostParams } {
  const c = w.config;
  if (train.channels !== c.inputChannels || train.height < c.inputSize || train.width < c.inputSize) {
    throw new Error(`--init-from ${file}: the ${c.name} net takes ${c.inputChannels} x ${c.inputSize} x ${c.inputSize} input, but ${train.name} holds ${train.channels} x ${train.height} x ${train.width} images ` +
      `(image folders are resized to ${datasetImageSize(c)} x ${datasetImageSize(c)}; IDX and CIFAR-10 files keep their size): use an image folder`);
  }
  const classes = classesFlag ?? train.classes;
  if (classes < train.classes) throw new UsageError(`--classes ${classes} is fewer than the ${train.classes} classes of ${train.name}`);
  if (classes === c.classes) return { config: c, params: w.params };
  const config = { ...c, classes };
  const params: HostParams = new Map([...w.params].filter(([k]) => !k.startsWith('fc8.')));
  for (const [k, t] of initParams(config, Rng.seeded(seed), (k) => k.startsWith('fc8.'))) params.set(k, t);
  return { config, params };
}

/**
 * The input convention fine-tuning keeps: the preset of the weights' source
 * (torchvision's or Caffe's normalisation, so the pretrained features see
 * what they were trained on), with the training set's colour PCA; or a
 * checkpoint's own statistics and augmentation.
 */
export function importedInput(w: LoadedWeights, c: AlexNetConfig, all: ImageDataset, trainSet: ImageDataset): { stats: DataStats; augment: AugmentOptions } {
  if (w.preset) return presetTraining(w.preset, all.height, computeStats(trainSet), c.inputSize);
  const ck = w.checkpoint!;
  if (ck.stats.mean.length !== all.channels * all.height * all.width) {
    throw new Error(`--init-from: the checkpoint's mean image is for other images (${ck.stats.mean.length} values) than the ${all.channels} x ${all.height} x ${all.width} of ${all.name}`);
  }
  return { stats: ck.stats, augment: ck.options.augment };
}
