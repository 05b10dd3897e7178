// Bad weights files: each gives a FormatError naming the file and what was
// expected, and `alexnet run` exits 1 with that message, never a stack trace.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeWeights, readWeightsFile } from '../../src/api/weights.js';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors.js';
import { FormatError } from '../../src/io/tensors.js';
import { fixtures } from './fixtures.js';

const fx = fixtures();
const tmp = mkdtempSync(join(tmpdir(), 'alexnet-bad-'));

const latin1 = (s: string) => Uint8Array.from(s, (ch) => ch.charCodeAt(0));

function refuses(bytes: Uint8Array, name: string, pattern: RegExp): void {
  let err: unknown;
  try { decodeWeights(bytes, name); } catch (e) { err = e; }
  assert.instance(err, FormatError, `${name}: expected a FormatError, got ${String(err)}`);
  const msg = (err as Error).message;
  assert.ok(msg.startsWith(`${name}: `), `the message names the file: ${msg}`);
  assert.match(msg, pattern);
}

if (fx) {
  const read = (f: string) => new Uint8Array(readFileSync(join(fx.dir, f)));
  const cut = (b: Uint8Array, n: number) => b.slice(0, n);

  test('ONNX external data that points outside the model\'s folder is refused, never read', async () => {
    try {
      await readWeightsFile(join(fx.dir, 'bad-external.onnx'));
      assert.unreachable('bad-external.onnx was read');
    } catch (e) {
      assert.instance(e, FormatError);
      assert.match((e as Error).message, /bad-external\.onnx: external data location '\.\.\/outside\.data' points outside the model's folder/);
    }
    // Bytes without a folder (a page): external data cannot be read, and the error says so.
    refuses(read('zoo-onnx-external.onnx'), 'zoo-onnx-external.onnx', /is stored in the external file 'zoo-onnx-external\.data'; pass that file's bytes too/);
  });

  test('a legacy .pth whose storage list names a storage the pickle does not: refused (its element size would be a guess)', () => {
    const bytes = read('torchvision-legacy.pth');
    // The first storage's key appears in its persistent id and again in the storage list after the pickle: change the last one.
    const text = new TextDecoder('latin1').decode(bytes);
    // The key's length byte may itself be 0x0a (a ten-digit key): [\s\S], not '.'.
    const key = /FloatStorage\nq\x05X[\s\S]\x00\x00\x00(\d+)q/.exec(text)![1];
    const at = text.lastIndexOf(key);
    assert.ok(at > text.indexOf(key));
    const forged = bytes.slice();
    forged[at] = forged[at] === 0x31 ? 0x32 : 0x31;
    refuses(forged, 'forged-legacy.pth', /storage \d+ is in the file's storage list but the pickle never names it/);
  });

  test('truncated files of every format are refused', () => {
    refuses(cut(read('torchvision.pth'), 100_000), 'cut.pth', /zip|truncated|missing/);
    refuses(cut(read('torchvision-legacy.pth'), 100_000), 'cut-legacy.pth', /truncated|corrupt/);
    refuses(cut(read('torchvision.safetensors'), 100_000), 'cut.safetensors', /outside|does not fit/);
    refuses(cut(read('torchvision.onnx'), 100_000), 'cut.onnx', /not a readable ONNX/);
    refuses(cut(read('caffe-v2.caffemodel'), 100_000), 'cut.caffemodel', /not a readable Caffe/);
  });

  test('another format under the extension, another architecture, NaN weights, a forbidden pickle global', () => {
    refuses(read('photo.png'), 'photo.pth', /not a weights file alexnet-ts recognises/);
    refuses(read('bad-arch.pth'), 'bad-arch.pth', /not AlexNet's; expected torchvision AlexNet keys/);
    refuses(read('bad-nan.pth'), 'bad-nan.pth', /fc7\.weight\[\d+\] = NaN is not finite/);
    refuses(read('bad-global.pth'), 'bad-global.pth', /calls posix\.system|calls os\.system|calls nt\.system/);
    assert.not.ok(existsSync(join(fx.dir, 'pwned')), 'the pickle\'s os.system was never called');
  });

  test('a corrupted byte inside a zip entry header or a graph is refused, not half-loaded', () => {
    const b = read('torchvision.onnx');
    b[20] ^= 0xff; b[21] ^= 0xff;
    let err: unknown;
    try { decodeWeights(b, 'flipped.onnx'); } catch (e) { err = e; }
    assert.instance(err, FormatError, String(err));
  });

  test('alexnet run on a bad file exits 1 with the message and no stack trace', () => {
    const bin = resolve('bin/alexnet.js');
    const x = join(tmp, 'x.npy');
    writeFileSync(x, writeNpy({ data: new Float32Array(3 * 224 * 224), shape: [1, 3, 224, 224] }));
    const r = spawnSync(process.execPath, [bin, 'run', '--weights', join(fx.dir, 'bad-arch.pth'), '--input', x, '--output', join(tmp, 'y.npy')], { encoding: 'utf8' });
    assert.is(r.status, 1, r.stderr);
    assert.match(r.stderr, /bad-arch\.pth: found 2 tensors/);
    assert.not.match(r.stderr, /\n\s+at /);
    assert.not.ok(existsSync(join(tmp, 'y.npy')));
  });
}

test('safetensors: tensors whose data_offsets overlap are refused (their values would alias each other)', () => {
  const st = writeSafetensors(new Map([['a', { data: new Float32Array(4), shape: [4] }], ['b', { data: new Float32Array(4), shape: [4] }]]));
  const N = Number(new DataView(st.buffer).getBigUint64(0, true));
  const text = new TextDecoder().decode(st.subarray(8, 8 + N)).replace('"data_offsets":[16,32]', '"data_offsets":[8,24]');
  const forged = st.slice();
  forged.set(new TextEncoder().encode(text), 8);
  assert.throws(() => readSafetensors(forged, 'overlap.safetensors'), /overlap\.safetensors: tensors 'a' and 'b' have overlapping data_offsets/);
  assert.is(readSafetensors(st, 'fine.safetensors').tensors.size, 2);
});

test('headers that declare more than the file holds are refused before anything is allocated', () => {
  // safetensors: a tensor of 10^12 floats in a file of a few hundred bytes.
  const st = writeSafetensors(new Map([['w', { data: new Float32Array(4), shape: [4] }]]));
  const text = new TextDecoder().decode(st.subarray(8, 8 + Number(new DataView(st.buffer).getBigUint64(0, true))));
  const huge = new TextEncoder().encode(text.replace('"shape":[4]', '"shape":[1000000,1000000]'));
  const forged = new Uint8Array(8 + huge.length + 16);
  new DataView(forged.buffer).setBigUint64(0, BigInt(huge.length), true);
  forged.set(huge, 8);
  assert.throws(() => readSafetensors(forged, 'huge.safetensors'), /more elements than the file holds/);
  // A header length past the end of the file.
  const long = new Uint8Array(16);
  new DataView(long.buffer).setBigUint64(0, 1n << 40n, true);
  assert.throws(() => readSafetensors(long, 'long.safetensors'), /header length 1099511627776 does not fit/);
  // .npy: a shape of 10^12 elements over 16 bytes of data.
  const header = latin1(`{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }`.padEnd(117) + '\n');
  const npy = new Uint8Array(10 + header.length + 16);
  npy.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length, 0]);
  npy.set(header, 10);
  assert.throws(() => readNpy(npy, 'huge.npy'), /more elements than the file holds/);
});

test('.npy: float32 round trip; Fortran order, big-endian and integer arrays are named and refused', () => {
  const t = { data: Float32Array.from({ length: 24 }, (_, i) => i / 7), shape: [2, 3, 4] };
  const back = readNpy(writeNpy(t), 'x.npy');
  assert.equal(back.shape, t.shape);
  assert.equal(Array.from(back.data), Array.from(t.data));
  // The same file with its header edited in place (same lengths): another dtype, or Fortran order.
  const text = (s: string) => {
    const b = writeNpy(t);
    const h = String.fromCharCode(...b.subarray(0, 128)).replace("'<f4'", s).replace('False', s === "'<f4'" ? 'True ' : 'False');
    const o = b.slice(); o.set(latin1(h), 0); return o;
  };
  assert.throws(() => readNpy(text("'>f4'"), 'be.npy'), /be\.npy: dtype '>f4'/);
  assert.throws(() => readNpy(text("'<i4'"), 'int.npy'), /int\.npy: dtype '<i4'/);
  assert.throws(() => readNpy(text("'<f4'"), 'f.npy'), /f\.npy: array in Fortran order/);
  if (spawnSync('/usr/bin/python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0) {
    // NumPy reads what writeNpy writes.
    const f = join(tmp, 'w.npy');
    writeFileSync(f, writeNpy(t));
    const out = execFileSync('/usr/bin/python3', ['-c', `import numpy as np; a = np.load('${f}'); print(a.dtype, a.shape, float(a[1, 2, 3]))`], { encoding: 'utf8' }).trim();
    assert.is(out, `float32 (2, 3, 4) ${Math.fround(23 / 7)}`);
  }
});

test.run();
