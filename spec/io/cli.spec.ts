// alexnet run, export and summary --weights on the fixtures, through the
// compiled command line: outputs, exit codes (0 done, 1 bad file, 2 usage),
// and nothing the user had overwritten without --overwrite.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
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

  test('alexnet summary --weights prints what the file holds and its configuration', () => {
    const r = cli('summary', '--weights', at('caffe-v1.caffemodel'));
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /a Caffe NetParameter 'caffe-v1' \(V1LayerParameter layers\); configuration caffe, input convention caffe/);
    assert.match(r.stdout, /16 kernels 5x5x4, stride 1, pad 2, groups 2/);
  });
}

test.run();
