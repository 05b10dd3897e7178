import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadDataset } from '../../src/cli/datasets.js';
import { readImage } from '../../src/cli/images.js';
import { imageAt, sliceDataset } from '../../src/nn/data/dataset.js';
import { computeStats, trainingBatch } from '../../src/nn/data/augment.js';
import { Rng } from '../../src/cpu/random.js';
import { resizeBilinear, shorterSideAndCentreCrop } from '../../src/nn/data/image.js';
import { throwsWith } from '../helpers.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Writes a w x h PNG whose red channel is x * 10, green y * 10, blue constant. */
function writePng(file: string, w: number, h: number, blue = 7): void {
  const png = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) png.data.set([x * 10, y * 10, blue, 255], 4 * (y * w + x));
  writeFileSync(file, new Uint8Array(PNG.sync.write(png)));
}

test('readImage decodes PNG into channels-first RGB or grey; resizing and the paper\'s centre crop', () => {
  const dir = mkdtempSync(join(tmpdir(), 'img-'));
  writePng(join(dir, 'a.png'), 6, 4);
  const rgb = readImage(join(dir, 'a.png'), 3);
  assert.equal([rgb.channels, rgb.height, rgb.width], [3, 4, 6]);
  assert.is(rgb.data[5], 50); // red of (0, 5)
  assert.is(rgb.data[24 + 6], 10); // green of (1, 0)
  assert.is(readImage(join(dir, 'a.png'), 1).data[1], Math.round((10 + 0 + 7) / 3));
  assert.equal([...resizeBilinear(rgb, 4, 6).data], [...rgb.data], 'same size is the identity');
  const c = shorterSideAndCentreCrop(rgb, 2);
  assert.equal([c.height, c.width], [2, 2]);
  writeFileSync(join(dir, 'bad.png'), 'not a png');
  throwsWith(() => readImage(join(dir, 'bad.png'), 3), /bad\.png: neither a PNG nor a JPEG file/);
  throwsWith(() => readImage(join(dir, 'a.png').replace('.png', '.gif'), 3), /no such file|ENOENT/);
});

test('an image folder tree (train/ and test/, one subfolder per class) loads at the requested size', () => {
  const dir = mkdtempSync(join(tmpdir(), 'folder-'));
  for (const split of ['train', 'test']) for (const cls of ['cat', 'ant']) {
    mkdirSync(join(dir, split, cls), { recursive: true });
    writePng(join(dir, split, cls, '1.png'), 40, 36, cls === 'cat' ? 200 : 20);
  }
  const d = loadDataset(dir, { size: 32, channels: 3 });
  assert.equal(d.train.classNames, ['ant', 'cat']);
  assert.equal([d.train.n, d.train.channels, d.train.height, d.train.width], [2, 3, 32, 32]);
  const ant = [...d.train.labels].indexOf(0);
  assert.equal([...d.train.labels].sort(), [0, 1]);
  assert.is(imageAt(d.train, ant)[2 * 32 * 32], 20, 'blue channel of the ant image');
});

test('image folders: one class list for train and test; a class missing from one is an error naming it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'folder-classes-'));
  for (const [split, classes] of [['train', ['ant', 'bee', 'cat']], ['test', ['ant', 'cat']]] as const) {
    for (const cls of classes) {
      mkdirSync(join(dir, split, cls), { recursive: true });
      writePng(join(dir, split, cls, '1.png'), 8, 8, cls.charCodeAt(0));
    }
  }
  throwsWith(() => loadDataset(dir, { size: 8, channels: 3 }), /test: no class folder 'bee' \(.*train has it\); train and test must have the same classes/);
  mkdirSync(join(dir, 'test', 'bee'));
  writePng(join(dir, 'test', 'bee', '1.png'), 8, 8, 'b'.charCodeAt(0));
  const d = loadDataset(dir, { size: 8, channels: 3 });
  assert.equal(d.test.classNames, d.train.classNames);
  // Label k is the same class in both: the blue value written for each class is its initial's code.
  for (const set of [d.train, d.test]) {
    for (let i = 0; i < set.n; i++) assert.is(imageAt(set, i)[128], set.classNames![set.labels[i]].charCodeAt(0), `${set.name}[${i}]`);
  }
});

test('image folders are streamed: no image is held or decoded until a batch reads it; a corrupt file is named when it is read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'folder-stream-'));
  for (const split of ['train', 'test']) for (const cls of ['a', 'b']) {
    mkdirSync(join(dir, split, cls), { recursive: true });
    for (let k = 0; k < 4; k++) writePng(join(dir, split, cls, `${k}.png`), 12, 10, 10 * k + (cls === 'a' ? 1 : 2));
  }
  writeFileSync(join(dir, 'train', 'b', 'broken.png'), 'not a png at all');
  // Listing the folder reads no image: the corrupt file does not stop it.
  const d = loadDataset(dir, { size: 8, channels: 3 });
  assert.is(d.train.images, undefined, 'no array of every image');
  assert.is(d.train.n, 9);
  const bad: number[] = [];
  for (let i = 0; i < d.train.n; i++) {
    try { assert.is(imageAt(d.train, i).length, 3 * 8 * 8); } catch (e) { assert.match((e as Error).message, /broken\.png: neither a PNG nor a JPEG file/); bad.push(i); }
  }
  assert.is(bad.length, 1, 'exactly the corrupt file fails, when read');
  // A window of 3 without the corrupt file: a slice reads through the same loader, shifted.
  const from = bad[0] >= 3 ? 0 : 4, win = sliceDataset(d.train, from, from + 3);
  for (let j = 0; j < 3; j++) assert.equal([...imageAt(win, j)], [...imageAt(d.train, from + j)]);
  const stats = computeStats(win);
  const o = { crop: 8, pad: 0, flip: true, pcaSigma: 0.1, scale: 1 };
  const good = Array.from({ length: d.train.n }, (_, i) => i).filter((i) => i !== bad[0]);
  assert.is(trainingBatch(d.train, good.slice(0, 4), stats, o, Rng.seeded(1)).x.length, 4 * 3 * 64);
  throwsWith(() => trainingBatch(d.train, [good[0], bad[0]], stats, o, Rng.seeded(1)), /broken\.png: neither a PNG nor a JPEG file/);
});

test('image folders are stored in a seeded random order, so the last N (the validation split) span the classes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'folder-order-'));
  for (const split of ['train', 'test']) for (const cls of ['a', 'b', 'c', 'd']) {
    mkdirSync(join(dir, split, cls), { recursive: true });
    for (let k = 0; k < 6; k++) writePng(join(dir, split, cls, `${k}.png`), 4, 4);
  }
  const d = loadDataset(dir, { size: 4, channels: 3 });
  const last8 = new Set([...d.train.labels.subarray(d.train.n - 8)]);
  assert.ok(last8.size >= 3, `the last 8 of 24 images hold classes ${[...last8]}`);
  assert.equal([...loadDataset(dir, { size: 4, channels: 3 }).train.labels], [...d.train.labels], 'the same order every time');
});

test('alexnet predict names the most probable classes of an image with a trained checkpoint', () => {
  const out = mkdtempSync(join(tmpdir(), 'predict-'));
  const t = spawnSync(process.execPath, [join(root, 'bin/alexnet.js'), 'train', '--backend', 'cpu', '--partitions', '1', '--epochs', '1',
    '--limit', '128', '--val', '64', '--test-limit', '64', '--batch', '64', '--no-progress', '--out', out], { encoding: 'utf8', cwd: root });
  assert.is(t.status, 0, t.stdout + t.stderr);
  writePng(join(out, 'shoe.png'), 56, 56);
  const p = spawnSync(process.execPath, [join(root, 'bin/alexnet.js'), 'predict', join(out, 'shoe.png'), '--checkpoint', join(out, 'checkpoint.bin'), '--top', '3'], { encoding: 'utf8', cwd: root });
  assert.is(p.status, 0, p.stdout + p.stderr);
  assert.match(p.stdout, /shoe\.png: (([A-Za-z/ -]+) \(\d\) [\d.]+ %(, )?){3}\n/);
  // The image limits from the environment (src/io/limits.ts): an image over them, and a value that is not a limit.
  const predict = (env: Record<string, string>) => spawnSync(process.execPath, [join(root, 'bin/alexnet.js'), 'predict', join(out, 'shoe.png'), '--checkpoint', join(out, 'checkpoint.bin')],
    { encoding: 'utf8', cwd: root, env: { ...process.env, ...env } });
  const over = predict({ ALEXNET_MAX_IMAGE_PIXELS: '1000' });
  assert.is(over.status, 1, over.stderr);
  assert.match(over.stderr, /shoe\.png: the image declares 56 x 56 pixels; at most 32768 a side and 0\.001 megapixels are read/);
  const bad = predict({ ALEXNET_MAX_IMAGE_PIXELS: 'lots' });
  assert.is(bad.status, 1, bad.stderr);
  assert.match(bad.stderr, /ALEXNET_MAX_IMAGE_PIXELS must be a positive integer, got 'lots'/);
  assert.not.match(over.stderr + bad.stderr, /\n\s+at /, 'no stack trace');
  const e = spawnSync(process.execPath, [join(root, 'bin/alexnet.js'), 'eval', '--checkpoint', join(out, 'checkpoint.bin'), '--test-limit', '32', '--ten-crop'], { encoding: 'utf8', cwd: root });
  assert.is(e.status, 0, e.stdout + e.stderr);
  assert.match(e.stdout, /fashion-mnist-test\[0:32\], 32 images, ten crops .*: top-1 [\d.]+ %, top-5 [\d.]+ %/);
});

test.run();
