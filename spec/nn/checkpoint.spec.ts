// Checkpoints are files, and files are not trusted (src/nn/checkpoint.ts,
// src/nn/checkpoint-header.ts): a flipped bit anywhere fails the CRC32; a
// header forged with a valid CRC32 (a hostile or buggy writer) is checked
// field by field, its tensor table against the configuration and the file,
// and every weight must be finite. Each refusal names the file and the field.

import CRC32 from 'crc-32';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng } from '../../src/cpu/random.js';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/nn/checkpoint.js';
import { fourLayerConfig, tinyConfig } from '../../src/nn/config.js';
import { initParams } from '../../src/nn/model.js';
import { DEFAULT_TRAIN, type TrainOptions, initialTrainerState } from '../../src/nn/trainer.js';
import { throwsWith } from '../helpers.js';

const c = tinyConfig();
const opts: TrainOptions = { ...DEFAULT_TRAIN, epochs: 2, batchSize: 16, augment: { crop: c.inputSize, pad: 0, flip: true, pcaSigma: 0.1, scale: 1 } };
const C = c.inputChannels;
const stats = {
  mean: Float32Array.from({ length: C * c.inputSize * c.inputSize }, (_, i) => i % 7),
  eigenvectors: Float64Array.from({ length: C * C }, (_, i) => (i % (C + 1) === 0 ? 1 : 0)), eigenvalues: Float64Array.from({ length: C }, () => 0.1),
};
const ck = {
  config: c, trainer: { ...initialTrainerState(opts, 5), epoch: 1, lr: 0.01 }, options: opts, stats,
  params: initParams(c, Rng.seeded(3)), velocity: initParams(c, Rng.seeded(4)), meta: {},
};
const good = encodeCheckpoint(ck);

/** The header and the data of a checkpoint's bytes. */
function split(bytes: Uint8Array): { header: any; data: Uint8Array } {
  const L = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  const start = Math.ceil((12 + L) / 4) * 4;
  return { header: JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + L))), data: bytes.slice(start, bytes.length - 4) };
}

/** A checkpoint written from a header and data as a hostile writer would: the layout and a valid CRC32, any content. */
function forge(header: unknown, data: Uint8Array, magic = 'ALEXNET2', trailer = true): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const start = Math.ceil((12 + json.length) / 4) * 4;
  const out = new Uint8Array(start + data.length + (trailer ? 4 : 0));
  out.set(new TextEncoder().encode(magic), 0);
  const dv = new DataView(out.buffer);
  dv.setUint32(8, json.length, true);
  out.set(json, 12);
  out.set(data, start);
  if (trailer) dv.setUint32(out.length - 4, CRC32.buf(out.subarray(0, out.length - 4)) >>> 0, true);
  return out;
}

/** The good checkpoint with its header changed by `edit`, re-signed. */
function edited(edit: (h: any) => void): Uint8Array {
  const { header, data } = split(good);
  edit(header);
  return forge(header, data);
}

test('the forger writes what decodeCheckpoint reads (so the refusals below are about content, not layout)', () => {
  const { header, data } = split(good);
  assert.equal(forge(header, data), good);
  assert.equal(decodeCheckpoint(forge(header, data), 'x').params.get('conv1.weight')!.data, ck.params.get('conv1.weight')!.data);
});

test('a flipped bit anywhere (header, padding, weights, the CRC itself) is a corrupt file', () => {
  const rng = Rng.seeded(11);
  const positions = [0, 9, 12, 40, good.length - 1, good.length - 5, ...Array.from({ length: 60 }, () => rng.int(good.length))];
  for (const at of positions) {
    const bad = good.slice();
    bad[at] ^= 1 << rng.int(8);
    assert.throws(() => decodeCheckpoint(bad, 'ck.bin'), (e: Error) => /^ck\.bin: (corrupt checkpoint|not an alexnet-ts checkpoint)/.test(e.message), `byte ${at}`);
  }
  for (const n of [12, 100, good.length - 4, good.length - 1]) throwsWith(() => decodeCheckpoint(good.subarray(0, n), 'ck.bin'), /^ck\.bin: (corrupt|truncated) checkpoint/);
});

test('a re-signed header missing tensors, config, trainer, stats or options is refused naming the field', () => {
  for (const field of ['tensors', 'config', 'trainer', 'stats', 'options']) {
    throwsWith(() => decodeCheckpoint(edited((h) => { delete h[field]; }), 'ck.bin'), new RegExp(`^ck\\.bin: bad checkpoint: header\\.${field} is missing; expected`));
  }
  throwsWith(() => decodeCheckpoint(edited((h) => { h.trainer.lr = 'abc'; }), 'ck.bin'), /header\.trainer\.lr is "abc"; expected a positive finite number/);
  throwsWith(() => decodeCheckpoint(edited((h) => { h.config.conv[2].kernel = 0; }), 'ck.bin'), /header\.config\.conv\[2\]\.kernel is 0; expected an integer from 1/);
  throwsWith(() => decodeCheckpoint(edited((h) => { h.config.activation = 'gelu'; }), 'ck.bin'), /header\.config\.activation is "gelu"; expected one of "relu", "tanh"/);
  throwsWith(() => decodeCheckpoint(edited((h) => { h.options.augment = null; }), 'ck.bin'), /header\.options\.augment is null; expected an object/);
  throwsWith(() => decodeCheckpoint(edited((h) => { h.stats.eigenvalues = [1, 2]; }), 'ck.bin'), /header\.stats\.eigenvalues is "2 values"; expected 3/);
  throwsWith(() => decodeCheckpoint(edited((h) => { h.format = 'alexnet-ts-checkpoint/9'; }), 'ck.bin'), /checkpoint format "alexnet-ts-checkpoint\/9", expected alexnet-ts-checkpoint\/2/);
});

test('tensor tables that point outside the data, overlap, miss a parameter or disagree with the configuration are refused', () => {
  const t = (h: any, name: string) => h.tensors.find((x: any) => x.name === name);
  throwsWith(() => decodeCheckpoint(edited((h) => { t(h, 'params/conv1.weight').offset = -1000; }), 'ck.bin'), /params\/conv1\.weight\)\.offset is -1000; expected an integer from 0/);
  throwsWith(() => decodeCheckpoint(edited((h) => { t(h, 'stats/mean').offset += 10 ** 6; }), 'ck.bin'), /\(stats\/mean\) is "offset \d+ and length \d+"; expected a range inside the file's \d+ values/);
  throwsWith(() => decodeCheckpoint(edited((h) => { t(h, 'params/conv1.bias').offset = t(h, 'params/conv1.weight').offset; }), 'ck.bin'), /no overlap with the tensor before it/);
  throwsWith(() => decodeCheckpoint(edited((h) => { h.tensors = h.tensors.filter((x: any) => x.name !== 'params/fc8.bias'); }), 'ck.bin'), /header\.tensors is "without params\/fc8\.bias"; expected every parameter/);
  throwsWith(() => decodeCheckpoint(edited((h) => { const w = t(h, 'params/fc8.weight'); w.shape = [...w.shape].reverse(); }), 'ck.bin'), /params\/fc8\.weight\)\.shape is \[\d+,\d+\]; expected \[\d+, \d+\] for configuration tiny/);
  throwsWith(() => decodeCheckpoint(edited((h) => { t(h, 'params/conv1.bias').length += 1; }), 'ck.bin'), /\(params\/conv1\.bias\)\.length is \d+; expected \d+, the product of its shape/);
  throwsWith(() => decodeCheckpoint(edited((h) => { t(h, 'stats/mean').name = 'stats/other'; }), 'ck.bin'), /\(stats\/other\) is "stats\/other"; expected params\/NAME, velocity\/NAME or stats\/mean/);
  throwsWith(() => decodeCheckpoint(edited((h) => { h.tensors.push({ ...t(h, 'params/conv1.bias') }); }), 'ck.bin'), /expected each tensor named once/);
});

test('a net of another depth (Figure 1\'s three conv layers, no hidden FC) round-trips; depths past the limits are refused', () => {
  const f = fourLayerConfig();
  const bytes = encodeCheckpoint({ ...ck, config: f, params: initParams(f, Rng.seeded(3)), velocity: initParams(f, Rng.seeded(4)), stats: { mean: new Float32Array(f.inputSize ** 2), eigenvectors: Float64Array.of(1), eigenvalues: Float64Array.of(0.1) } });
  const back = decodeCheckpoint(bytes, 'four.bin');
  assert.equal(back.config, f);
  assert.equal([...back.params.keys()], ['conv1.weight', 'conv1.bias', 'conv2.weight', 'conv2.bias', 'conv3.weight', 'conv3.bias', 'fc4.weight', 'fc4.bias']);
  throwsWith(() => decodeCheckpoint(edited((h) => { h.config.conv = Array(17).fill(h.config.conv[0]); }), 'ck.bin'), /header\.config\.conv is .*; expected an array of 1 to 16/);
  throwsWith(() => decodeCheckpoint(edited((h) => { h.config.fc = Array(9).fill(8); }), 'ck.bin'), /header\.config\.fc is .*; expected an array of 0 to 8/);
});

test('a NaN or infinite weight (a flipped exponent written with a valid CRC32) is refused with the tensor\'s name', () => {
  for (const [value, shown] of [[NaN, 'NaN'], [Infinity, 'Infinity']] as const) {
    const { header, data } = split(good);
    const w = header.tensors.find((x: any) => x.name === 'params/conv2.weight');
    new DataView(data.buffer).setFloat32((w.offset + 3) * 4, value, true);
    throwsWith(() => decodeCheckpoint(forge(header, data), 'ck.bin'), new RegExp(`tensor params/conv2\\.weight holds ${shown} at element 3; a checkpoint holds finite values only`));
  }
});

test('a checkpoint of the first format (ALEXNET1, no CRC32) still loads, with every check but the checksum', () => {
  const { header, data } = split(good);
  const v1 = forge({ ...header, format: 'alexnet-ts-checkpoint/1' }, data, 'ALEXNET1', false);
  assert.equal(decodeCheckpoint(v1, 'old.bin').params.get('fc8.weight')!.data, ck.params.get('fc8.weight')!.data);
  throwsWith(() => decodeCheckpoint(forge({ ...header, format: 'alexnet-ts-checkpoint/1' }, data, 'ALEXNET1', true), 'old.bin'), /header\.tensors is "\d+ values in all"; expected the \d+ the file holds/);
  throwsWith(() => decodeCheckpoint(forge(header, data, 'ALEXNET1', false), 'old.bin'), /checkpoint format "alexnet-ts-checkpoint\/2", expected alexnet-ts-checkpoint\/1/);
});

test.run();
