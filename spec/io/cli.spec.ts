// alexnet run, export and summary --weights on the fixtures, through the
// compiled command line: outputs, exit codes (0 done, 1 bad file, 2 usage),
// and nothing the user had overwritten without --overwrite.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PNG } from 'pngjs';
import * as ort from 'onnxruntime-node';
import { alexnet } from '../../src/api/model.js';
import { fixtures, npyAt, relToMax } from './fixtures.js';

const fx = fixtures();
const bin = resolve('bin/alexnet.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

if (fx) {
  const tmp = mkdtempSync(join(tmpdir(), 'alexnet-cli-io-'));
  const at = (f: string) => join(fx.dir, f);

  test('alexnet run writes PyTorch\'s logits as .npy; refuses to replace the output without --overwrite (exit 2)', () => {
    const out = join(tmp, 'y.npy');
    const r = cli('run', '--weights', at('caffe-v2-trainval.caffemodel'), '--prototxt', at('caffe-deploy.prototxt'), '--input', at('caffe-v2.input.npy'), '--output', out, '--batch', '1', '--json');
    assert.is(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.output.shape, [2, 1000]);
    assert.ok(report.peakRssMB > 0);
    const y = npyAt(tmp, 'y.npy'), ref = npyAt(fx.dir, 'caffe-v2.logits.npy');
    assert.ok(relToMax(y.data, ref.data) < 1e-4);
    writeFileSync(out, 'mine');
    const again = cli('run', '--weights', at('torchvision.pth'), '--input', at('torchvision-zip.input.npy'), '--output', out);
    assert.is(again.status, 2, again.stderr);
    assert.match(again.stderr, /exists; pass --overwrite/);
    assert.is(readFileSync(out, 'utf8'), 'mine');
  });

  test('alexnet run: an input of the wrong size names the file and the shape expected (exit 1)', () => {
    const r = cli('run', '--weights', at('torchvision.pth'), '--input', at('caffe-v2.input.npy'), '--output', join(tmp, 'z.npy'));
    assert.is(r.status, 1);
    assert.match(r.stderr, /caffe-v2\.input\.npy: shape \[2, 3, 227, 227\]; the torchvision net of .* takes \[N, 3, 224, 224\]/);
    assert.not.ok(existsSync(join(tmp, 'z.npy')));
  });

  test('alexnet export --onnx and --safetensors; the exports run again to the same logits', () => {
    for (const [flag, file] of [['--onnx', 'e.onnx'], ['--safetensors', 'e.safetensors']]) {
      const out = join(tmp, file);
      const r = cli('export', '--weights', at('zoo-onnx.onnx'), flag, out);
      assert.is(r.status, 0, r.stderr);
      const y = join(tmp, `${file}.npy`);
      const run = cli('run', '--weights', out, '--input', at('zoo-onnx.input.npy'), '--output', y);
      assert.is(run.status, 0, run.stderr);
      assert.ok(relToMax(npyAt(tmp, `${file}.npy`).data, npyAt(fx.dir, 'zoo-onnx.logits.npy').data) < 1e-4, file);
    }
    assert.is(cli('export', '--weights', at('zoo-onnx.onnx')).status, 2, 'no output named: a usage error');
  });

  test('alexnet predict --weights: the top classes of the library\'s classify, as text and --json; --ten-crop, --mean, --top checked', async () => {
    const photo = at('photo.png');
    const png = PNG.sync.read(readFileSync(photo));
    const image = { data: new Uint8Array(png.data), width: png.width, height: png.height };
    const model = await alexnet({ weights: at('torchvision.pth') });
    const want = await model.classify(image, { top: 3 }), wantTen = await model.classify(image, { top: 3, tenCrop: true });
    await model.dispose();
    const text = cli('predict', photo, '--weights', at('torchvision.pth'), '--top', '3');
    assert.is(text.status, 0, text.stderr);
    assert.ok(text.stdout.startsWith(`${photo}: ${want.map((t) => `${t.label} (${t.index}) ${(100 * t.probability).toFixed(1)} %`).join(', ')}`), text.stdout);
    const json = JSON.parse(cli('predict', photo, '--weights', at('torchvision.pth'), '--top', '3', '--ten-crop', '--json').stdout);
    assert.is(json.views, 10);
    assert.equal(json.results[0].top.map((t: { index: number }) => t.index), wantTen.map((t) => t.index));
    json.results[0].top.forEach((t: { probability: number }, i: number) => assert.ok(Math.abs(t.probability - wantTen[i].probability) < 1e-6));
    // Caffe weights: the mean pixel by default; --mean subtracts the mean image instead, which changes the probabilities.
    const caffe = (...extra: string[]) => JSON.parse(cli('predict', photo, '--weights', at('caffe-v2.caffemodel'), '--json', ...extra).stdout).results[0].top as { probability: number }[];
    const pixel = caffe(), image2 = caffe('--mean', at('caffe-mean.binaryproto'));
    assert.ok(Math.abs(pixel[0].probability - image2[0].probability) > 1e-6, 'the mean image changes the input');
    const bad = cli('predict', photo, '--weights', at('torchvision.pth'), '--mean', at('caffe-mean.npy'));
    assert.is(bad.status, 1);
    assert.match(bad.stderr, /a mean image goes with the caffe preset; the preset here is torchvision/);
    const zero = cli('predict', photo, '--weights', at('torchvision.pth'), '--top', '0');
    assert.is(zero.status, 2);
    assert.match(zero.stderr, /--top/);
  });

  test('alexnet summary --weights prints what the file holds and its configuration', () => {
    const r = cli('summary', '--weights', at('caffe-v1.caffemodel'));
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /a Caffe NetParameter 'caffe-v1' \(V1LayerParameter layers\); configuration caffe, input convention caffe/);
    assert.match(r.stdout, /16 kernels 5x5x4, stride 1, pad 2, groups 2/);
  });
}

test('alexnet export --checkpoint: a checkpoint the project wrote exports to ONNX that onnxruntime runs to the model\'s logits', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'alexnet-export-ck-'));
  const model = await alexnet({ config: 'tiny', seed: 6 });
  writeFileSync(join(dir, 'tiny.ckpt'), await model.save());
  const c = model.config, shape = [2, c.inputChannels, c.inputSize, c.inputSize];
  const x = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i));
  const want = await model.forward(x, shape);
  await model.dispose();
  const r = cli('export', '--checkpoint', join(dir, 'tiny.ckpt'), '--onnx', join(dir, 'tiny.onnx'));
  assert.is(r.status, 0, r.stderr);
  const session = await ort.InferenceSession.create(join(dir, 'tiny.onnx'));
  const got = (await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x, shape) }))[session.outputNames[0]].data as Float32Array;
  await session.release();
  // float32 engines on both sides, sums in other orders: the export spec's 1e-4 of the logits' max.
  assert.ok(relToMax(got, want) < 1e-4, String(relToMax(got, want)));
});

test.run();
