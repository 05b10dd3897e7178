// Fine-tuning imported weights: `alexnet train --init-from FILE [--classes N]`.
// The net starts from the file's weights (all of them, or all but a new fc8
// when the class count differs) and trains on the file's input convention.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readWeightsFile } from '../../src/api/weights.js';
import { Rng } from '../../src/cpu/random.js';
import { decodeCheckpoint } from '../../src/nn/checkpoint.js';
import { testBatch } from '../../src/nn/data/augment.js';
import { presetInput, presetTraining } from '../../src/nn/data/presets.js';
import { fixtures, relToMax } from './fixtures.js';

test('presetTraining: the training pipeline gives the preset\'s input (torchvision /255 mean/std RGB, Caffe BGR mean pixel) on a 256 x 256 image', () => {
  const rng = Rng.seeded(3), S = 256;
  const data = Uint8Array.from({ length: 3 * S * S }, () => rng.int(256));
  const d = { name: 'img', n: 1, channels: 3, height: S, width: S, images: data, labels: new Uint16Array(1), classes: 1 };
  const pca = { eigenvectors: new Float64Array(9), eigenvalues: new Float64Array(3) };
  for (const preset of ['torchvision', 'caffe'] as const) {
    const { stats, augment } = presetTraining(preset, S, pca);
    for (const views of [1, 10] as const) {
      const ours = testBatch(d, [0], stats, augment, views).x;
      // At 256 x 256 both presets' resizes are the identity, so the two paths see the same pixels.
      const ref = presetInput({ channels: 3, height: S, width: S, data }, preset, views);
      assert.is(ours.length, ref.length);
      // float32 of (p - m) * s against (p * s - m') / std: a few ulps of values up to about 2.7 (torchvision) or 150 (Caffe).
      assert.ok(relToMax(ours, ref) < 1e-6, `${preset}, ${views} views: ${relToMax(ours, ref)}`);
    }
  }
});

const fx = fixtures();
if (fx) {
  const tmp = mkdtempSync(join(tmpdir(), 'alexnet-finetune-'));
  const bin = resolve('bin/alexnet.js');
  const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  // Three classes told apart by colour; 5 training and 1 test image each, 300 x 260, resized to 256 by the loader.
  const data = join(tmp, 'data');
  const rng = Rng.seeded(9);
  for (const [split, n] of [['train', 5], ['test', 1]] as const) {
    ['red', 'green', 'blue'].forEach((cls, k) => {
      mkdirSync(join(data, split, cls), { recursive: true });
      for (let i = 0; i < n; i++) {
        const png = new PNG({ width: 300, height: 260 });
        for (let p = 0; p < 300 * 260; p++) for (let c = 0; c < 4; c++) png.data[4 * p + c] = c === 3 ? 255 : c === k ? 150 + rng.int(100) : rng.int(100);
        writeFileSync(join(data, split, cls, `${i}.png`), new Uint8Array(PNG.sync.write(png)));
      }
    });
  }
  const pth = join(fx.dir, 'torchvision.pth');
  const train = (out: string, ...extra: string[]) =>
    cli('train', '--init-from', pth, '--data', data, '--backend', 'cpu', '--epochs', '1', '--batch', '4', '--val', '3', '--out', join(tmp, out), '--no-progress', ...extra);
  const checkpoint = (out: string) => {
    const b = readFileSync(join(tmp, out, 'checkpoint.bin'));
    return decodeCheckpoint(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), out);
  };

  test('train --init-from: every weight comes from the file and a new fc8 has the dataset\'s 3 classes; the torchvision convention is kept', async () => {
    // A learning rate of 1e-9 leaves the weights where they started, to within float32 rounding.
    const r = train('three', '--lr', '1e-9');
    assert.is(r.status, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /recipe for fine-tuning .*torchvision\.pth \(a torch\.save state_dict .*, torchvision\)/);
    const ck = checkpoint('three'), file = await readWeightsFile(pth);
    assert.is(ck.config.classes, 3);
    assert.is(ck.config.name, 'torchvision');
    assert.equal(ck.params.get('fc8.weight')!.shape, [3, 32]);
    for (const [k, t] of file.params) {
      if (k.startsWith('fc8.')) continue;
      assert.ok(relToMax(ck.params.get(k)!.data, t.data) < 1e-6, k);
    }
    assert.equal(ck.options.augment.channels!.order, [0, 1, 2]);
    assert.ok(Math.abs(ck.options.augment.channels!.scale[0] - 1 / (255 * 0.229)) < 1e-12);
    assert.ok(Math.abs(ck.stats.mean[0] - 0.485 * 255) < 1e-4);
    assert.is(ck.meta.initFrom, pth);
  });

  test('train --init-from --classes 1000 keeps the file\'s fc8 too; a real learning rate moves the weights', async () => {
    const r = train('same', '--classes', '1000');
    assert.is(r.status, 0, r.stderr + r.stdout);
    const ck = checkpoint('same'), file = await readWeightsFile(pth);
    assert.equal(ck.params.get('fc8.weight')!.shape, [1000, 32]);
    // Trained at lr 0.001 for 3 steps: near the file's fc8 (its scale is about 0.2), but not equal to it.
    const e = relToMax(ck.params.get('fc8.weight')!.data, file.params.get('fc8.weight')!.data);
    assert.ok(e > 0 && e < 0.1, String(e));
  });

  test('train --init-from refuses what contradicts the file (exit 2) and data that does not fit the net (exit 1)', () => {
    const w = train('bad1', '--widths', '8,16,24,16,16');
    assert.is(w.status, 2);
    assert.match(w.stderr, /--widths contradicts --init-from .*torchvision\.pth: the network and its input convention come from the file/);
    const c = train('bad2', '--classes', '2');
    assert.is(c.status, 2);
    assert.match(c.stderr, /--classes 2 is fewer than the 3 classes/);
    const fm = cli('train', '--init-from', pth, '--backend', 'cpu', '--out', join(tmp, 'bad3'));
    assert.is(fm.status, 1);
    assert.match(fm.stderr, /the torchvision net takes 3 x 224 x 224 input, but fashion-mnist-train holds 1 x 28 x 28 images .*use an image folder/);
    const lone = cli('train', '--classes', '5', '--out', join(tmp, 'bad4'));
    assert.is(lone.status, 2);
    assert.match(lone.stderr, /--classes goes with --init-from FILE/);
  });
}

test.run();
