import { existsSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng } from '../../src/cpu/random.js';
import { computeStats, testBatch, trainingBatch } from '../../src/nn/data/augment.js';
import { type ImageDataset, idxDataset, parseCifar10, parseIdx } from '../../src/nn/data/dataset.js';
import { FASHION_MNIST_DIR, loadDataset } from '../../src/cli/datasets.js';
import { throwsWith } from '../helpers.js';

/** An IDX file of unsigned bytes with the given dimensions and data. */
function idx(dims: number[], data: number[]): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  out.set([0, 0, 8, dims.length]);
  const dv = new DataView(out.buffer);
  dims.forEach((d, i) => dv.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

test('parseIdx reads dimensions and bytes; bad magic, type, truncation and trailing bytes name the file', () => {
  const a = parseIdx(idx([2, 3], [1, 2, 3, 4, 5, 6]), 'a.idx');
  assert.equal(a.dims, [2, 3]);
  assert.equal([...a.data], [1, 2, 3, 4, 5, 6]);
  throwsWith(() => parseIdx(new Uint8Array([1, 0, 8, 1]), 'x.idx'), /x\.idx: not an IDX file/);
  throwsWith(() => parseIdx(Uint8Array.from([0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0]), 'f.idx'), /f\.idx: IDX element type 0xd is not supported/);
  throwsWith(() => parseIdx(idx([2, 3], [1, 2, 3, 4, 5, 6]).subarray(0, 15), 't.idx'), /t\.idx: truncated: the header \[2, 3\] needs 6 bytes of data, the file has 3/);
  throwsWith(() => parseIdx(idx([2], [1, 2, 3]), 'l.idx'), /l\.idx: trailing bytes/);
  throwsWith(() => idxDataset('d', parseIdx(idx([2, 2, 2], [0, 0, 0, 0, 0, 0, 0, 0]), 'i'), parseIdx(idx([3], [0, 1, 2]), 'l'), ['i', 'l']), /l: 3 labels for the 2 images of i/);
});

test('parseCifar10 splits records into NCHW images and labels; a partial record is an error', () => {
  const rec = new Uint8Array(2 * 3073);
  rec[0] = 3; rec[1] = 200; rec[3073] = 9; rec[3073 + 3072] = 7;
  const d = parseCifar10([{ file: 'b.bin', bytes: rec }]);
  assert.is(d.n, 2);
  assert.equal([...d.labels], [3, 9]);
  assert.is(d.images![0], 200);
  assert.is(d.images![3072 + 3071], 7);
  throwsWith(() => parseCifar10([{ file: 'c.bin', bytes: new Uint8Array(3000) }]), /c\.bin: 3000 bytes is not a whole number of CIFAR-10 records/);
});

/** A synthetic 3-channel dataset whose colour covariance is known: green = red, blue constant. */
function synthetic(n: number, size: number): ImageDataset {
  const rng = Rng.seeded(9);
  const P = size * size, images = new Uint8Array(n * 3 * P);
  for (let i = 0; i < n; i++) for (let q = 0; q < P; q++) {
    const v = rng.int(256);
    images[i * 3 * P + q] = v; images[i * 3 * P + P + q] = v; images[i * 3 * P + 2 * P + q] = 100;
  }
  return { name: 'synthetic', n, channels: 3, height: size, width: size, images, labels: new Uint16Array(n).map((_, i) => i % 3), classes: 3 };
}

test('statistics: the mean image, and a colour PCA with one direction (1, 1, 0) / sqrt 2 of variance 2 var(red)', () => {
  const d = synthetic(50, 4);
  const s = computeStats(d);
  let m0 = 0;
  for (let i = 0; i < d.n; i++) m0 += d.images![i * 48];
  assert.ok(Math.abs(s.mean[0] - m0 / d.n) < 1e-4);
  assert.ok(Math.abs(s.mean[32] - 100) < 1e-4);
  const top = s.eigenvalues.indexOf(Math.max(...s.eigenvalues));
  const v = [0, 1, 2].map((c) => s.eigenvectors[c * 3 + top]);
  assert.ok(Math.abs(Math.abs(v[0]) - Math.SQRT1_2) < 1e-6 && Math.abs(v[0] - v[1]) < 1e-6 && Math.abs(v[2]) < 1e-6, `eigenvector ${v}`);
  // Pixel variance of values / 255: about (256^2 - 1) / 12 / 255^2 for uniform bytes; doubled along (1, 1, 0).
  assert.ok(Math.abs(s.eigenvalues[top] - 2 * (65535 / 12) / 65025) < 0.03, `eigenvalue ${s.eigenvalues[top]}`);
});

test('batches: no-augmentation crops are (pixel - mean) * scale; flips mirror; ten crops are four corners, centre and mirrors', () => {
  const d = synthetic(4, 6);
  const s = computeStats(d);
  const plain = { crop: 6, pad: 0, flip: false, pcaSigma: 0, scale: 0.5 };
  const b = trainingBatch(d, [2], s, plain, Rng.seeded(1));
  for (let j = 0; j < 3 * 36; j++) assert.ok(Math.abs(b.x[j] - (d.images![2 * 108 + j] - s.mean[j]) * 0.5) < 1e-4);
  assert.equal([...b.labels], [2]);
  const t = testBatch(d, [1], s, { ...plain, crop: 4 }, 10);
  assert.is(t.x.length, 10 * 3 * 16);
  // View 0 is the top-left corner; view 9 the mirrored centre: its first pixel is the centre crop's last column.
  assert.ok(Math.abs(t.x[0] - (d.images![108] - s.mean[0]) * 0.5) < 1e-4);
  const centreLastCol = (d.images![108 + 1 * 6 + 4] - s.mean[1 * 6 + 4]) * 0.5;
  assert.ok(Math.abs(t.x[9 * 48] - centreLastCol) < 1e-4);
  throwsWith(() => trainingBatch(d, [0], s, { ...plain, crop: 9 }, Rng.seeded(1)), /crop 9 is larger than the 6 x 6 images of synthetic padded by 0/);
});

test('test images of another size than the training images are an error, not a misindexed mean image', () => {
  const mk = (n: number, h: number): ImageDataset => ({ name: `set${h}`, n, channels: 1, height: h, width: h, images: new Uint8Array(n * h * h).fill(9), labels: new Uint16Array(n), classes: 2 });
  const stats = computeStats(mk(4, 28));
  const o = { crop: 24, pad: 0, flip: false, pcaSigma: 0, scale: 1 };
  testBatch(mk(2, 28), [0, 1], stats, o, 1);
  throwsWith(() => testBatch(mk(2, 32), [0, 1], stats, o, 1), /set32 holds 1 x 32 x 32 images, but the training set's mean image has 784 values/);
  throwsWith(() => trainingBatch(mk(2, 32), [0], stats, o, Rng.seeded(1)), /set32 holds 1 x 32 x 32 images/);
});

test('Fashion-MNIST from Debian: 60000 + 10000 images of 28 x 28, 10 classes', () => {
  assert.ok(existsSync(FASHION_MNIST_DIR), `${FASHION_MNIST_DIR} is missing: apt-get install dataset-fashion-mnist (.ci/run does)`);
  const d = loadDataset();
  assert.is(d.train.n, 60000);
  assert.is(d.test.n, 10000);
  assert.equal([d.train.channels, d.train.height, d.train.width, d.train.classes], [1, 28, 28, 10]);
  assert.is(d.train.classNames![9], 'Ankle boot');
  throwsWith(() => loadDataset('/nonexistent'), /--data \/nonexistent: no such folder/);
});

test.run();
