// Every file reader of the project, with a valid file to start from and the
// structural boundaries of that file (where a truncation or a huge word hurts
// most). The fuzzer (mutate.ts, child.ts) mutates the valid file and calls the
// reader; each must return or throw an error that names the file.

import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import CRC from 'crc-32';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { decodeWeights } from '../../../src/api/weights.js';
import { gunzipCapped } from '../../../src/cli/datasets.js';
import { encodeIdx } from '../../../src/cli/web.js';
import { cpuBackend } from '../../../src/cpu/backend.js';
import { Rng } from '../../../src/cpu/random.js';
import { readCaffe, readCaffeMean } from '../../../src/io/caffe.js';
import { decodeImage } from '../../../src/io/image.js';
import { readNpy, writeNpy } from '../../../src/io/npy.js';
import { decodeCheckpoint, encodeCheckpoint } from '../../../src/nn/checkpoint.js';
import { tinyConfig } from '../../../src/nn/config.js';
import { parseCifar10, parseIdx } from '../../../src/nn/data/dataset.js';
import { validateGoldenFile } from '../../../src/nn/golden-format.js';
import { runGoldenFile } from '../../../src/nn/golden.js';
import { initParams } from '../../../src/nn/model.js';
import { DEFAULT_TRAIN, initialTrainerState } from '../../../src/nn/trainer.js';

/** A reader under fuzzing. */
export interface Target {
  name: string;
  /** What the reader is, for the report. */
  what: string;
  /** The valid file the mutations start from. */
  seed: () => Uint8Array;
  /** Calls the reader on bytes; `source` is the name every error must carry. */
  read: (bytes: Uint8Array, source: string) => unknown;
  /** Offsets where the file's structure changes (headers, chunks, tensors). */
  boundaries: (bytes: Uint8Array) => number[];
  /** Bytes at the start that identify the format: random-tail mutations keep them. */
  signature: number;
  /** Where the JSON header lies, for mutations of its numbers and nesting; `sign` restores a checksum after a mutation. */
  json?: (bytes: Uint8Array) => { start: number; end: number };
  /** Rewrites the file's own checksum after a mutation (half the cases), so that the checks behind it are reached. */
  sign?: (bytes: Uint8Array) => Uint8Array;
  /** A prefix of nested structure of this format (protobuf groups, pickle lists, prototxt blocks), `depth` deep. */
  nest?: (bytes: Uint8Array, depth: number) => Uint8Array;
}

const u8 = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Offsets of every top-level protobuf field (tag, varint, length-delimited), as far as they parse. */
function protobufFields(b: Uint8Array): number[] {
  const out: number[] = [];
  let at = 0;
  const varint = () => { let v = 0, m = 1; while (at < b.length) { const x = b[at++]; v += (x & 127) * m; m *= 128; if (x < 128) break; } return v; };
  while (at < b.length && out.length < 200) {
    out.push(at);
    const tag = varint(), wire = tag & 7;
    if (wire === 0) varint(); else if (wire === 1) at += 8; else if (wire === 5) at += 4; else if (wire === 2) { const n = varint(); out.push(at); at += n; } else break;
  }
  return out;
}

/** Offsets of every zip record signature (local headers, central directory, end record). */
function zipRecords(b: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i + 4 <= b.length; i++) if (b[i] === 0x50 && b[i + 1] === 0x4b && b[i + 2] < 8 && b[i + 3] < 9) out.push(i, i + 4, i + 18, i + 26, i + 30);
  return out;
}

/** Offsets of every PNG chunk (length, type, data, CRC). */
function pngChunks(b: Uint8Array): number[] {
  const out = [8];
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let at = 8; at + 8 <= b.length;) { const n = dv.getUint32(at); out.push(at, at + 4, at + 8, at + 8 + n); at += 12 + n; }
  return out;
}

/** Offsets of every JPEG marker. */
function jpegMarkers(b: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < b.length && out.length < 100; i++) if (b[i] === 0xff && b[i + 1] !== 0 && b[i + 1] !== 0xff) out.push(i, i + 2, i + 4);
  return out;
}

const fixture = (dir: string, f: string) => () => u8(readFileSync(join(dir, f)));
const weights = (bytes: Uint8Array, source: string) => decodeWeights(bytes, source);
/** Protobuf nesting: `depth` start-group tags of an unknown field (19, wire type 3) before the message. */
const protoNest = (b: Uint8Array, depth: number) => {
  const out = new Uint8Array(2 * depth + b.length);
  for (let i = 0; i < depth; i++) out.set([0x9b, 0x01], 2 * i);
  out.set(b, 2 * depth);
  return out;
};

function checkpointSeed(): Uint8Array {
  const c = tinyConfig(), C = c.inputChannels;
  const options = { ...DEFAULT_TRAIN, augment: { crop: c.inputSize, pad: 0, flip: true, pcaSigma: 0.1, scale: 1 } };
  return encodeCheckpoint({
    config: c, trainer: initialTrainerState(options, 1), options, meta: {},
    stats: { mean: new Float32Array(C * c.inputSize * c.inputSize).fill(3), eigenvectors: new Float64Array(C * C), eigenvalues: new Float64Array(C) },
    params: initParams(c, Rng.seeded(1)), velocity: new Map(),
  });
}

/** The readers and their seeds; `dir` is a folder of scripts/fixtures.py's files (PyTorch, ONNX, Caffe). */
export function targets(dir: string): Target[] {
  const ckHeader = (b: Uint8Array) => ({ start: 12, end: 12 + new DataView(b.buffer, b.byteOffset).getUint32(8, true) });
  const stHeader = (b: Uint8Array) => ({ start: 8, end: 8 + Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true)) });
  return [
    {
      name: 'idx', what: 'IDX images (MNIST layout), parseIdx', signature: 4,
      seed: () => encodeIdx([6, 28, 28], Uint8Array.from({ length: 6 * 784 }, (_, i) => i & 255)), read: parseIdx, boundaries: () => [0, 2, 3, 4, 8, 12, 16],
    },
    {
      name: 'idx-gzip', what: 'gzip IDX (capped inflation, then parseIdx)', signature: 2,
      seed: () => u8(gzipSync(encodeIdx([6, 28, 28], Uint8Array.from({ length: 6 * 784 }, (_, i) => (i * 7) & 255)))),
      read: (b, s) => parseIdx(gunzipCapped(b, s), s), boundaries: (b) => [0, 2, 3, 4, 10, b.length - 8, b.length - 4],
    },
    {
      name: 'cifar-10', what: 'CIFAR-10 binary batch, parseCifar10', signature: 0,
      seed: () => Uint8Array.from({ length: 3 * 3073 }, (_, i) => (i % 3073 === 0 ? i % 10 : (i * 13) & 255)),
      read: (b, s) => parseCifar10([{ file: s, bytes: b }]), boundaries: () => [1, 3073, 3074, 6146],
    },
    {
      name: 'checkpoint', what: 'alexnet-ts checkpoint, decodeCheckpoint', signature: 8, seed: checkpointSeed, read: decodeCheckpoint, json: ckHeader,
      boundaries: (b) => { const { end } = ckHeader(b); const s = Math.ceil(end / 4) * 4; return [8, 12, end - 1, end, s, s + 4, b.length - 4]; },
      sign: (b) => {
        const out = b.slice();
        if (out.length >= 16) new DataView(out.buffer).setUint32(out.length - 4, (CRC.buf(out.subarray(0, out.length - 4)) >>> 0), true);
        return out;
      },
    },
    {
      name: 'png', what: 'PNG image, decodeImage (pngjs behind checkPng)', signature: 8, boundaries: pngChunks, read: decodeImage,
      seed: () => { const p = new PNG({ width: 16, height: 12 }); p.data.forEach((_, i) => { p.data[i] = (i * 29) & 255; }); return u8(PNG.sync.write(p)); },
    },
    {
      name: 'jpeg', what: 'JPEG image, decodeImage (jpeg-js, strict)', signature: 3, boundaries: jpegMarkers, read: decodeImage,
      seed: () => Uint8Array.from(jpeg.encode({ data: Uint8Array.from({ length: 16 * 12 * 4 }, (_, i) => (i * 29) & 255), width: 16, height: 12 }, 80).data),
    },
    {
      name: 'npy', what: 'NumPy .npy, readNpy', signature: 6, read: readNpy, boundaries: () => [6, 7, 8, 10, 20, 64, 127, 128],
      seed: () => writeNpy({ data: Float32Array.from({ length: 60 }, (_, i) => i / 7), shape: [3, 4, 5] }),
    },
    {
      name: 'golden', what: 'PyTorch golden JSON (parse, validateGoldenFile, every case run on the CPU)', signature: 0, json: (b) => ({ start: 0, end: b.length }),
      seed: fixture(join(root, 'goldens'), 'relu.json'), boundaries: (b) => [1, 2, 10, b.length - 1],
      read: (b, s) => {
        let parsed: unknown;
        try { parsed = JSON.parse(new TextDecoder().decode(b)); } catch (e) { throw new Error(`${s} is not valid JSON (${(e as Error).message})`); }
        return runGoldenFile(cpuBackend('float64'), validateGoldenFile(parsed, s), undefined, s);
      },
    },
    { name: 'pth-zip', what: 'torch.save zip (fflate, pickleparser), decodeWeights', signature: 4, seed: fixture(dir, 'torchvision.pth'), read: weights, boundaries: zipRecords },
    {
      name: 'pth-legacy', what: 'torch.save legacy pickle stream, decodeWeights', signature: 2, seed: fixture(dir, 'torchvision-legacy.pth'), read: weights,
      boundaries: () => [2, 15, 16, 20, 40, 80],
      // Pickle nesting: EMPTY_LIST then APPEND, `depth` lists deep, in front of the stream's magic number.
      nest: (b, depth) => Uint8Array.from([0x80, 0x02, ...new Uint8Array(depth).fill(0x5d), ...b.subarray(2)]),
    },
    { name: 'safetensors', what: 'safetensors, decodeWeights', signature: 8, seed: fixture(dir, 'torchvision.safetensors'), read: weights, json: stHeader, boundaries: (b) => [8, stHeader(b).end - 1, stHeader(b).end] },
    { name: 'onnx', what: 'ONNX (protobufjs), decodeWeights', signature: 2, seed: fixture(dir, 'torchvision.onnx'), read: weights, boundaries: protobufFields, nest: protoNest },
    { name: 'caffe', what: 'Caffe NetParameter, V2 layers (protobufjs), decodeWeights', signature: 2, seed: fixture(dir, 'caffe-v2.caffemodel'), read: weights, boundaries: protobufFields, nest: protoNest },
    { name: 'caffe-v1', what: 'Caffe NetParameter, V1 layers, decodeWeights', signature: 2, seed: fixture(dir, 'caffe-v1.caffemodel'), read: weights, boundaries: protobufFields, nest: protoNest },
    { name: 'caffe-mean', what: 'Caffe mean BlobProto (.binaryproto), readCaffeMean', signature: 0, seed: fixture(dir, 'caffe-mean.binaryproto'), read: readCaffeMean, boundaries: protobufFields, nest: protoNest },
    {
      name: 'prototxt', what: 'Caffe deploy prototxt (text format) with a train_val caffemodel, readCaffe', signature: 0, seed: fixture(dir, 'caffe-deploy.prototxt'),
      read: (b, s) => readCaffe(fixture(dir, 'caffe-v2-trainval.caffemodel')(), 'trainval.caffemodel', { prototxt: new TextDecoder().decode(b), prototxtSource: s }),
      boundaries: (b) => [...new TextDecoder().decode(b).matchAll(/[{}:\n]/g)].map((m) => m.index!).slice(0, 100),
      nest: (b, depth) => Uint8Array.from([...new TextEncoder().encode('layer { '.repeat(depth)), ...b]),
    },
  ];
}
