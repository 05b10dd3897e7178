// Reading PNG and JPEG files (pngjs, jpeg-js) into channels-first bytes at a
// given size, and image folder datasets (one subfolder per class).

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { ImageDataset } from '../nn/data/dataset.js';
import { type ImageBytes, fromRgba, shorterSideAndCentreCrop } from '../nn/data/image.js';

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg']);

/** Decodes a PNG or JPEG file to channels-first bytes (1 channel: grey; 3: RGB); errors name the file. */
export function readImage(file: string, channels: 1 | 3): ImageBytes {
  const bytes = readFileSync(file);
  const ext = extname(file).toLowerCase();
  try {
    if (ext === '.png') {
      const png = PNG.sync.read(bytes);
      return fromRgba(png.data, png.width, png.height, channels);
    }
    if (ext === '.jpg' || ext === '.jpeg') {
      const j = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
      return fromRgba(j.data, j.width, j.height, channels);
    }
  } catch (e) {
    throw new Error(`${file}: cannot decode the image (${(e as Error).message})`);
  }
  throw new Error(`${file}: unsupported image type '${ext}' (PNG and JPEG are)`);
}

/**
 * An image folder tree: one subfolder per class (sorted names are the
 * classes), each image rescaled so its shorter side is `size` and centre
 * cropped to size x size (the paper's preprocessing, with size 256).
 */
export function loadImageFolder(dir: string, size: number, channels: 1 | 3, name: string): ImageDataset {
  const classes = readdirSync(dir).filter((d) => statSync(join(dir, d)).isDirectory()).sort();
  if (classes.length === 0) throw new Error(`${dir}: no class subfolders`);
  const files: { file: string; label: number }[] = [];
  classes.forEach((c, label) => {
    for (const f of readdirSync(join(dir, c)).sort()) if (IMAGE_EXT.has(extname(f).toLowerCase())) files.push({ file: join(dir, c, f), label });
  });
  if (files.length === 0) throw new Error(`${dir}: no PNG or JPEG files in the class subfolders`);
  const per = channels * size * size;
  const images = new Uint8Array(files.length * per), labels = new Uint8Array(files.length);
  files.forEach(({ file, label }, i) => {
    images.set(shorterSideAndCentreCrop(readImage(file, channels), size).data, i * per);
    labels[i] = label;
  });
  return { name, n: files.length, channels, height: size, width: size, images, labels, classes: classes.length, classNames: classes };
}
