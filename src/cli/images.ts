// Reading PNG and JPEG files (src/io/image.ts) into channels-first bytes at a
// given size, and image folder datasets (one subfolder per class).

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { Rng } from '../cpu/random.js';
import { decodeImage } from '../io/image.js';
import type { ImageDataset } from '../nn/data/dataset.js';
import { type ImageBytes, fromRgba, shorterSideAndCentreCrop } from '../nn/data/image.js';
import type { RgbaImage } from '../nn/data/preprocess.js';

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg']);

/** Decodes a PNG or JPEG file to interleaved RGBA bytes (ImageData's shape), header and size checked first (src/io/image.ts); errors name the file. */
export function loadImage(file: string): RgbaImage {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new Error(`${file}: cannot read the image (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return decodeImage(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), file);
}

/** Decodes a PNG or JPEG file to channels-first bytes (1 channel: grey; 3: RGB); errors name the file. */
export function readImage(file: string, channels: 1 | 3): ImageBytes {
  const img = loadImage(file);
  return fromRgba(img.data, img.width, img.height, channels);
}

function classFolders(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((d) => statSync(join(dir, d)).isDirectory()).sort();
  } catch (e) {
    throw new Error(`${dir}: cannot read the image folder (${(e as Error).message})`);
  }
  if (names.length === 0) throw new Error(`${dir}: no class subfolders`);
  return names;
}

/**
 * An image folder tree: one subfolder per class (sorted names are the
 * classes), each image rescaled so its shorter side is `size` and centre
 * cropped to size x size (the paper's preprocessing, with size 256). The
 * examples are put in a seeded random order (seed 0), so that a validation
 * split taken from the end, or a --limit taken from the start, holds every
 * class rather than the last or first one or two.
 *
 * Streamed: only the file list is held; each image is read, decoded and
 * resized when a batch asks for it (imageAt), so a folder of a million
 * photos needs the memory of a batch, not of the folder. The price is a
 * decode per image per epoch (and two for the statistics).
 */
export function loadImageFolder(dir: string, size: number, channels: 1 | 3, name: string, classes = classFolders(dir)): ImageDataset {
  const files: { file: string; label: number }[] = [];
  classes.forEach((c, label) => {
    for (const f of readdirSync(join(dir, c)).sort()) if (IMAGE_EXT.has(extname(f).toLowerCase())) files.push({ file: join(dir, c, f), label });
  });
  if (files.length === 0) throw new Error(`${dir}: no PNG or JPEG files in the class subfolders`);
  if (classes.length > 65536) throw new Error(`${dir}: ${classes.length} classes; labels hold at most 65,536`);
  Rng.seeded(0).shuffle(files);
  const labels = Uint16Array.from(files, (f) => f.label);
  const load = (i: number): Uint8Array => shorterSideAndCentreCrop(readImage(files[i].file, channels), size).data;
  return { name, n: files.length, channels, height: size, width: size, load, labels, classes: classes.length, classNames: classes };
}

/**
 * Several image folder trees (train and test) with one class list: the
 * same subfolder names in each, so that label k means the same class in
 * both. A class present in one and missing from another is an error naming it
 * (it would otherwise shift every later label).
 */
export function loadImageFolders(dirs: string[], size: number, channels: 1 | 3, names: string[]): ImageDataset[] {
  const lists = dirs.map(classFolders);
  const all = [...new Set(lists.flat())].sort();
  lists.forEach((l, i) => {
    const missing = all.filter((c) => !l.includes(c));
    if (missing.length) {
      const where = dirs.filter((_, j) => lists[j].some((c) => missing.includes(c)));
      throw new Error(`${dirs[i]}: no class folder ${missing.map((m) => `'${m}'`).join(', ')} (${where.join(', ')} ${where.length > 1 ? 'have' : 'has'} it); train and test must have the same classes`);
    }
  });
  return dirs.map((d, i) => loadImageFolder(d, size, channels, names[i], lists[0]));
}
