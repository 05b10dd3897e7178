// Reading datasets from disk for the command line: IDX (MNIST, Fashion-MNIST;
// gzip or raw) and CIFAR-10 binary batches. The parsers live in
// src/nn/data/dataset.ts; this file finds the files, decompresses them and
// says clearly what is missing.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { limits } from '../io/limits.js';
import type { AlexNetConfig } from '../nn/config.js';
import { datasetImageSize } from '../nn/data/preprocess.js';
import { loadImageFolders } from './images.js';
import { FASHION_MNIST_CLASSES, type ImageDataset, idxDataset, parseCifar10, parseIdx } from '../nn/data/dataset.js';

/** Where Debian's dataset-fashion-mnist package installs Fashion-MNIST. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** A training and a test set. */
export interface DataSplit {
  train: ImageDataset;
  test: ImageDataset;
  source: string;
}

/** Inflates a gzip file's bytes with the inflated-size limit (src/io/limits.ts); errors name `file`. */
export function gunzipCapped(raw: Uint8Array, file: string): Uint8Array {
  const cap = limits().maxInflatedBytes;
  try {
    // Inflated with a cap: a small file that claims (or inflates to) more is refused at the cap, not after.
    const b = gunzipSync(raw, { maxOutputLength: cap });
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new Error(`${file}: inflates to more than ${cap} bytes, the limit (ALEXNET_MAX_INFLATED_BYTES; src/io/limits.ts)`);
    }
    throw new Error(`${file}: corrupt or truncated gzip data (${(e as Error).message})`);
  }
}

function readMaybeGz(dir: string, base: string): { file: string; bytes: Uint8Array } | undefined {
  for (const name of [`${base}.gz`, base]) {
    const file = join(dir, name);
    if (!existsSync(file)) continue;
    const raw = readFileSync(file);
    const bytes = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
    return { file, bytes: name.endsWith('.gz') ? gunzipCapped(bytes, file) : bytes };
  }
  return undefined;
}

function loadIdx(dir: string, prefix: 'train' | 't10k', name: string): ImageDataset {
  const img = readMaybeGz(dir, `${prefix}-images-idx3-ubyte`);
  const lab = readMaybeGz(dir, `${prefix}-labels-idx1-ubyte`);
  if (!img || !lab) throw new Error(`${dir}: missing ${prefix}-images-idx3-ubyte(.gz) or ${prefix}-labels-idx1-ubyte(.gz)`);
  const isFashion = dir.includes('fashion');
  return idxDataset(name, parseIdx(img.bytes, img.file), parseIdx(lab.bytes, lab.file), [img.file, lab.file], isFashion ? FASHION_MNIST_CLASSES : undefined);
}

/** How to read an image folder tree: the square size images are brought to, and their channels. */
export interface FolderOptions {
  size: number;
  channels: 1 | 3;
}

/**
 * How image folders are read for a configuration: at datasetImageSize (the
 * input size for small nets, 256 for the ImageNet-sized ones), in colour
 * unless the net takes one channel; the small configuration, whose input
 * adapts to its data, reads image folders as small-32 does (32 x 32 RGB).
 * Training, evaluation and prediction all read folders through this.
 */
export function folderOptions(c: AlexNetConfig): FolderOptions {
  if (c.name === 'small' && c.inputSize === 28 && c.inputChannels === 1) return { size: 32, channels: 3 };
  return { size: datasetImageSize(c), channels: c.inputChannels === 1 ? 1 : 3 };
}

/**
 * Loads a dataset folder: IDX files (MNIST layout), CIFAR-10 binary batches,
 * or an image folder tree with train/ and test/ (or val/), each holding one
 * subfolder per class; the default is Fashion-MNIST from Debian.
 */
export function loadDataset(dir?: string, folder: FolderOptions = { size: 256, channels: 3 }): DataSplit {
  const where = dir ?? FASHION_MNIST_DIR;
  if (!existsSync(where) || !statSync(where).isDirectory()) {
    if (dir === undefined) {
      throw new Error(`Fashion-MNIST is not installed at ${FASHION_MNIST_DIR}: install Debian's package (apt-get install dataset-fashion-mnist) or pass --data DIR`);
    }
    throw new Error(`--data ${dir}: no such folder`);
  }
  if (existsSync(join(where, 'train-images-idx3-ubyte.gz')) || existsSync(join(where, 'train-images-idx3-ubyte'))) {
    const name = where.includes('fashion') ? 'fashion-mnist' : 'mnist';
    return { train: loadIdx(where, 'train', `${name}-train`), test: loadIdx(where, 't10k', `${name}-test`), source: where };
  }
  if (existsSync(join(where, 'data_batch_1.bin'))) {
    const read = (f: string) => {
      const file = join(where, f);
      if (!existsSync(file)) throw new Error(`${where}: missing ${f} of the CIFAR-10 binary batches`);
      const b = readFileSync(file);
      return { file, bytes: new Uint8Array(b.buffer, b.byteOffset, b.byteLength) };
    };
    return {
      train: parseCifar10([1, 2, 3, 4, 5].map((i) => read(`data_batch_${i}.bin`)), 'cifar-10-train'),
      test: parseCifar10([read('test_batch.bin')], 'cifar-10-test'),
      source: where,
    };
  }
  const testDir = ['test', 'val'].map((d) => join(where, d)).find((d) => existsSync(d));
  if (existsSync(join(where, 'train')) && testDir) {
    const [train, test] = loadImageFolders([join(where, 'train'), testDir], folder.size, folder.channels, ['folder-train', 'folder-test']);
    return { train, test, source: where };
  }
  throw new Error(`--data ${where}: found neither train/ and test/ image folders nor IDX files (train-images-idx3-ubyte[.gz], ...) nor CIFAR-10 batches (data_batch_1.bin, ...)`);
}
