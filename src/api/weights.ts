// Weights as the library receives them: bytes (or, in Node, a path) of a
// file, recognised by its signature rather than its name, and read by the
// format's own reader in src/io/. What a file gives the model: a
// configuration (from the file's keys or graph, src/io/architecture.ts), the
// parameters, the input convention the weights expect, and for an
// alexnet-ts checkpoint the whole training state.

import { type Checkpoint, decodeCheckpoint } from '../nn/checkpoint.js';
import { HeaderError, checkConfig } from '../nn/checkpoint-header.js';
import type { AlexNetConfig } from '../nn/config.js';
import type { HostParams } from '../nn/model.js';
import { type Preset, checkParams, fromTorchvisionKeys } from '../io/architecture.js';
import { type CaffeReadOptions, readCaffe } from '../io/caffe.js';
import { type OnnxReadOptions, readOnnx } from '../io/onnx.js';
import { readPth } from '../io/pth.js';
import { readSafetensors } from '../io/safetensors.js';
import { FormatError, firstNonFinite } from '../io/tensors.js';

/** The kinds of weight file recognised by their first bytes. */
export type WeightsFormat = 'checkpoint' | 'pytorch-zip' | 'pytorch-legacy' | 'safetensors' | 'onnx' | 'caffe' | 'unknown';

/**
 * The format of a weights file from its signature: "ALEXNET2" or "ALEXNET1" (a
 * checkpoint), "PK\x03\x04" (a zip: torch.save since 1.6), 0x80 followed by
 * a pickle protocol number (torch.save's legacy format), a little-endian
 * header length followed by '{' (safetensors), or a protobuf whose first
 * field is ONNX's ir_version (field 1, varint: 0x08) or Caffe's name or
 * layers (field 1 or 2, length-delimited: 0x0a, 0x12).
 */
export function sniffWeights(bytes: Uint8Array): WeightsFormat {
  const ascii = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  if (bytes.length >= 8 && (ascii(0, 8) === 'ALEXNET2' || ascii(0, 8) === 'ALEXNET1')) return 'checkpoint';
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 3 && bytes[3] === 4) return 'pytorch-zip';
  if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] >= 2 && bytes[1] <= 5) return 'pytorch-legacy';
  if (bytes.length >= 9 && bytes[8] === 0x7b && bytes[6] === 0 && bytes[7] === 0) return 'safetensors';
  if (bytes.length >= 2 && bytes[0] === 0x08) return 'onnx';
  if (bytes.length >= 2 && (bytes[0] === 0x0a || bytes[0] === 0x12)) return 'caffe';
  return 'unknown';
}

/** Weights read from a file: the configuration they imply, the parameters, and what the file said about itself. */
export interface LoadedWeights {
  format: Exclude<WeightsFormat, 'unknown'>;
  config: AlexNetConfig;
  params: HostParams;
  /** The input convention of the weights' source (for photos), or null for a checkpoint (which carries its own statistics). */
  preset: Preset | null;
  /** For an alexnet-ts checkpoint: the whole training state. */
  checkpoint?: Checkpoint;
  /** What the file held, in words (for `alexnet summary --weights`). */
  found: string;
}

/** Extra inputs of some formats: ONNX external data, Caffe's deploy prototxt. */
export interface DecodeOptions extends OnnxReadOptions, CaffeReadOptions {}

/**
 * Parses weights bytes of any supported format; an error names `source` and
 * what was wrong. Never returns a half-read model. Parameters may be views
 * into `bytes` (no copy): copy them before changing either.
 */
export function decodeWeights(bytes: Uint8Array, source: string, o: DecodeOptions = {}): LoadedWeights {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${source}: weights must be a Uint8Array (or, in Node, a file path)`);
  const format = sniffWeights(bytes);
  let w: LoadedWeights;
  switch (format) {
    case 'checkpoint': {
      const ck = decodeCheckpoint(bytes, source);
      checkParams(ck.config, ck.params, source);
      w = { format, config: ck.config, params: ck.params, preset: null, checkpoint: ck, found: `an alexnet-ts checkpoint (${ck.config.name}, epoch ${ck.trainer.epoch})` };
      break;
    }
    case 'pytorch-zip': case 'pytorch-legacy': {
      const { tensors, skipped } = readPth(bytes, source);
      w = { format, ...fromTorchvisionKeys(tensors, source, skipped), preset: 'torchvision', found: `a torch.save state_dict (${format === 'pytorch-zip' ? 'zip' : 'legacy'} format) with torchvision's AlexNet keys` };
      break;
    }
    case 'safetensors': {
      const { tensors, metadata } = readSafetensors(bytes, source);
      w = { format, ...fromSafetensors(tensors, metadata, source), found: 'a safetensors file' };
      break;
    }
    case 'onnx': {
      const r = readOnnx(bytes, source, o);
      w = { format, config: r.config, params: r.params, preset: r.preset, found: `an ONNX graph (opset ${r.opset}${r.producer ? `, from ${r.producer}` : ''})` };
      break;
    }
    case 'caffe': {
      const r = readCaffe(bytes, source, o);
      w = { format, config: r.config, params: r.params, preset: 'caffe', found: `a Caffe NetParameter '${r.name}' (${r.layout} layers${o.prototxt ? ', with a deploy prototxt' : ''})` };
      break;
    }
    default:
      throw new FormatError(`${source}: not a weights file alexnet-ts recognises (expected a torch.save .pth, .safetensors, .onnx, .caffemodel or an alexnet-ts checkpoint; the first bytes are ${[...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ')})`);
  }
  const bad = firstNonFinite(w.params);
  if (bad) throw new FormatError(`${source}: parameter ${bad} is not finite; a weights file holds finite numbers`);
  return w;
}

/** Metadata keys of safetensors files that alexnet-ts writes: the configuration and the input convention. */
export const SAFETENSORS_CONFIG_KEY = 'alexnet-ts.config', SAFETENSORS_PRESET_KEY = 'alexnet-ts.preset';

function fromSafetensors(tensors: HostParams, metadata: Record<string, string>, source: string): { config: AlexNetConfig; params: HostParams; preset: Preset | null } {
  const saved = metadata[SAFETENSORS_CONFIG_KEY];
  if (saved === undefined) return { ...fromTorchvisionKeys(tensors, source), preset: 'torchvision' };
  let config: AlexNetConfig;
  try { config = checkConfig(JSON.parse(saved), `metadata ${SAFETENSORS_CONFIG_KEY}`); } catch (e) {
    throw new FormatError(`${source}: ${e instanceof HeaderError ? e.message : `metadata ${SAFETENSORS_CONFIG_KEY} is not JSON`}`);
  }
  checkParams(config, tensors, source);
  const preset = metadata[SAFETENSORS_PRESET_KEY];
  return { config, params: tensors, preset: preset === 'torchvision' || preset === 'caffe' ? preset : null };
}

/** A file's bytes in Node (node:fs loaded on demand, so a page never needs it); a failure names the file and what it was for. */
export async function readFileBytes(p: string, what: string): Promise<Uint8Array> {
  const { readFile } = await import('node:fs/promises');
  try {
    const buf = await readFile(p);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    throw new FormatError(`${p}: cannot read the ${what} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Reads a weights file in Node (the library's `weights: path`). */
export async function readWeightsFile(path: string, o: { prototxt?: string; prototxtText?: string } = {}): Promise<LoadedWeights> {
  const { readFileSync } = await import('node:fs');
  const { dirname, join, isAbsolute, normalize } = await import('node:path');
  const read = readFileBytes;
  const bytes = await read(path, 'weights file');
  const prototxt = o.prototxt === undefined ? o.prototxtText : new TextDecoder().decode(await read(o.prototxt, 'prototxt'));
  return decodeWeights(bytes, path, {
    prototxt, prototxtSource: o.prototxt,
    // ONNX external data: files beside the model, named relative to it and never outside its folder.
    external: (location) => {
      const rel = normalize(location);
      if (isAbsolute(rel) || rel.startsWith('..')) throw new FormatError(`${path}: external data location '${location}' points outside the model's folder`);
      try { const b = readFileSync(join(dirname(path), rel)); return new Uint8Array(b.buffer, b.byteOffset, b.byteLength); } catch (e) {
        throw new FormatError(`${path}: cannot read its external data file '${location}' (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
    },
  });
}
