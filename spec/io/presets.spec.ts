// predict's photo preprocessing under the torchvision preset against
// torchvision 0.14's own transforms (Resize(256) through PIL, CenterCrop(224),
// ToTensor, Normalize) on the same PNG: within one grey level, 1/255 before
// normalisation (PIL rounds in 22-bit fixed point, as resizeAntialiased does;
// the bound allows a rounding step either way). And top-k with ties, as
// Caffe's Accuracy layer counts them.

import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { topKAccuracy } from '../../src/cpu/metrics.js';
import { loadImage } from '../../src/cli/images.js';
import { rgbaToImage } from '../../src/nn/data/preprocess.js';
import { PRESETS, presetInput } from '../../src/nn/data/presets.js';
import { readCaffeMean } from '../../src/io/caffe.js';
import { readFileSync } from 'node:fs';
import { fixtures, npyAt } from './fixtures.js';

const fx = fixtures();

if (fx) {
  test('the torchvision preset gives torchvision\'s transforms within 1/255 (before normalisation)', () => {
    const img = rgbaToImage(loadImage(join(fx.dir, 'photo.png')), 3);
    const ours = presetInput(img, 'torchvision', 1);
    const ref = npyAt(fx.dir, 'photo.torchvision.npy');
    assert.equal(ref.shape, [1, 3, 224, 224]);
    const { std } = PRESETS.torchvision;
    let worst = 0;
    for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - ref.data[i]) * std[Math.floor(i / (224 * 224))]);
    assert.ok(worst <= 1 / 255 + 1e-6, `largest difference ${(worst * 255).toFixed(3)} grey levels`);
  });

  test('the torchvision preset\'s ten views are torchvision\'s TenCrop within 1/255', () => {
    const img = rgbaToImage(loadImage(join(fx.dir, 'photo.png')), 3);
    const ours = presetInput(img, 'torchvision', 10);
    const ref = npyAt(fx.dir, 'photo.torchvision-tencrop.npy');
    assert.equal(ref.shape, [10, 3, 224, 224]);
    // Ours: corners tl, tr, bl, br, centre, then each mirrored. TenCrop's second five are the corners of the mirrored
    // image, so its tl is the mirror of our tr: the same ten views in another order.
    const theirs = [0, 1, 2, 3, 4, 6, 5, 8, 7, 9];
    const V = 3 * 224 * 224, { std } = PRESETS.torchvision;
    for (let v = 0; v < 10; v++) {
      let worst = 0;
      for (let i = 0; i < V; i++) worst = Math.max(worst, Math.abs(ours[v * V + i] - ref.data[theirs[v] * V + i]) * std[Math.floor(i / (224 * 224))]);
      assert.ok(worst <= 1 / 255 + 1e-6, `view ${v}: largest difference ${(worst * 255).toFixed(3)} grey levels`);
    }
  });

  test('a Caffe mean file (BlobProto written by protobuf, and its .npy) is subtracted pixel by pixel before mirroring', () => {
    const read = (f: string) => new Uint8Array(readFileSync(join(fx.dir, f)));
    const mean = readCaffeMean(read('caffe-mean.binaryproto'), 'caffe-mean.binaryproto');
    assert.equal(mean.shape, [3, 256, 256]);
    assert.equal(Array.from(readCaffeMean(read('caffe-mean.npy'), 'caffe-mean.npy').data), Array.from(mean.data));
    const img = rgbaToImage(loadImage(join(fx.dir, 'photo.png')), 3);
    const plain = presetInput(img, 'caffe', 10), withMean = presetInput(img, 'caffe', 10, 227, mean);
    // Views start at (0, 0), (0, 29), (29, 0), (29, 29), (14, 14) of the 256 x 256 image; views 5-9 mirror them.
    const starts = [[0, 0], [0, 29], [29, 0], [29, 29], [14, 14]], S = 227, pixel = PRESETS.caffe.mean;
    let worst = 0;
    for (let v = 0; v < 10; v++) {
      const [top, left] = starts[v % 5];
      for (let c = 0; c < 3; c++) for (let y = 0; y < S; y += 7) for (let x = 0; x < S; x += 5) {
        const sx = v < 5 ? left + x : left + S - 1 - x;
        const i = ((v * 3 + c) * S + y) * S + x;
        worst = Math.max(worst, Math.abs(withMean[i] - (plain[i] + pixel[c] - mean.data[(c * 256 + top + y) * 256 + sx])));
      }
    }
    assert.ok(worst < 1e-4, `largest difference ${worst}`);
    assert.throws(() => readCaffeMean(read('caffe-v2.input.npy'), 'caffe-v2.input.npy'), /caffe-v2\.input\.npy: a mean image of shape \[2, 3, 227, 227\]; expected \[3, H, W\]/);
  });
}

test('the caffe preset: BGR order, the mean pixel subtracted, 227 crop of the 256 x 256 image', () => {
  // A flat colour: every input value is the channel's byte less the mean pixel, in B, G, R order.
  const W = 300, H = 280, rgba = new Uint8Array(4 * W * H);
  for (let q = 0; q < W * H; q++) rgba.set([200, 100, 50, 255], 4 * q);
  const x = presetInput(rgbaToImage({ data: rgba, width: W, height: H }, 3), 'caffe', 1);
  assert.is(x.length, 3 * 227 * 227);
  const at = (c: number) => x[c * 227 * 227 + 1000];
  assert.ok(Math.abs(at(0) - (50 - 104.007)) < 1e-4 && Math.abs(at(1) - (100 - 116.669)) < 1e-4 && Math.abs(at(2) - (200 - 122.679)) < 1e-4, `${at(0)} ${at(1)} ${at(2)}`);
});

test('top-k counts ties against the label: a net that scores every class the same is 0 % right, not 100 %', () => {
  const N = 4, C = 1000;
  const flat = { data: new Float32Array(N * C).fill(0.25), shape: [N, C] };
  const labels = [0, 1, 500, 999];
  assert.is(topKAccuracy(flat, labels, 1), 0);
  assert.is(topKAccuracy(flat, labels, 5), 0);
  // Labels past 255 (ImageNet's 1000 classes) are counted at their own index.
  const one = { data: new Float32Array(C), shape: [1, C] };
  one.data[999] = 1;
  assert.is(topKAccuracy(one, [999], 1), 1);
  // A tie with four others still fits in the top 5; with five it does not.
  const tie = { data: new Float32Array(C), shape: [1, C] };
  for (const k of [3, 4, 5, 6, 7]) tie.data[k] = 1;
  assert.is(topKAccuracy(tie, [3], 5), 1);
  tie.data[8] = 1;
  assert.is(topKAccuracy(tie, [3], 5), 0);
});

test.run();
