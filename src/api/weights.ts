// Weights as the library receives them: bytes (or, in Node, a path) of a
// file, recognised by its signature rather than its name. What a file gives
// the model: a configuration, parameters, and where the file knows them the
// training statistics and state (an alexnet-ts checkpoint).

import { type Checkpoint, decodeCheckpoint } from '../nn/checkpoint.js';

/** The kinds of weight file recognised by their first bytes. */
export type WeightsFormat = 'checkpoint' | 'pytorch-zip' | 'pytorch-legacy' | 'safetensors' | 'onnx' | 'caffe' | 'unknown';

/**
 * The format of a weights file from its signature: "ALEXNET1" (a
 * checkpoint), "PK\x03\x04" (a zip: torch.save since 1.6), 0x80 followed by
 * a pickle protocol number (torch.save's legacy format), a little-endian
 * header length followed by '{' (safetensors), or a protobuf whose first
 * field is ONNX's ir_version (field 1, varint: 0x08) or Caffe's name or
 * layers (field 1 or 2, length-delimited: 0x0a, 0x12).
 */
export function sniffWeights(bytes: Uint8Array): WeightsFormat {
  const ascii = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  if (bytes.length >= 8 && ascii(0, 8) === 'ALEXNET1') return 'checkpoint';
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 3 && bytes[3] === 4) return 'pytorch-zip';
  if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] >= 2 && bytes[1] <= 5) return 'pytorch-legacy';
  if (bytes.length >= 9 && bytes[8] === 0x7b && bytes[6] === 0 && bytes[7] === 0) return 'safetensors';
  if (bytes.length >= 2 && bytes[0] === 0x08) return 'onnx';
  if (bytes.length >= 2 && (bytes[0] === 0x0a || bytes[0] === 0x12)) return 'caffe';
  return 'unknown';
}

/** Parses weights bytes into what the model needs; an error names `source` and what the bytes were. */
export function decodeWeights(bytes: Uint8Array, source: string): Checkpoint {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${source}: weights must be a Uint8Array (or, in Node, a file path)`);
  const format = sniffWeights(bytes);
  if (format === 'checkpoint') return decodeCheckpoint(bytes, source);
  if (format === 'unknown') throw new Error(`${source}: not a weights file this library recognises (expected an alexnet-ts checkpoint, which starts with ALEXNET1)`);
  throw new Error(`${source}: looks like a ${format} file; this version of alexnet-ts reads its own checkpoints only`);
}

/** Reads a weights file in Node (the library's `weights: path`); node:fs is loaded only here, so a page never needs it. */
export async function readWeightsFile(path: string): Promise<Checkpoint> {
  const { readFile } = await import('node:fs/promises');
  let b: Uint8Array;
  try {
    const buf = await readFile(path);
    b = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    throw new Error(`${path}: cannot read the weights file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return decodeWeights(b, path);
}
