// Checkpoints: the whole state of a training run in one binary blob, the same
// in Node and in a browser.
//
//   bytes 0-7    "ALEXNET2"
//   bytes 8-11   header length L, uint32 little-endian
//   L bytes      JSON header (UTF-8): format, configuration, trainer state
//                (epoch, learning rate, RNG state, history), training
//                options, data statistics, and a table of tensors
//   padding      to a multiple of 4 bytes
//   data         float32 little-endian: every tensor at its table offset
//   last 4 bytes CRC32 (IEEE, as zip and PNG use) of every byte before them,
//                uint32 little-endian
//
// Tensors: every parameter (params/conv1.weight, ...), its momentum
// (velocity/...), and the training set's mean image (stats/mean).
//
// Reading trusts nothing: the checksum first (a flipped bit anywhere, header
// or weights, is a corrupt file), then every header field and the tensor table
// (src/nn/checkpoint-header.ts), then every value (a weight that is NaN or
// infinite is refused with the tensor's name). Files of the first format
// ("ALEXNET1", alexnet-ts-checkpoint/1, written before the checksum existed)
// are still read, with every check but the checksum.

import CRC32 from 'crc-32';
import { type CheckpointHeader, HeaderError, type TensorEntry, checkHeader } from './checkpoint-header.js';
import { shown } from '../io/tensors.js';
import type { AlexNetConfig } from './config.js';
import type { DataStats } from './data/augment.js';
import type { HostParams } from './model.js';
import type { TrainOptions, TrainerState } from './trainer.js';

/** The format name written into every checkpoint's header. */
export const CHECKPOINT_FORMAT = 'alexnet-ts-checkpoint/2';
const MAGIC = 'ALEXNET2';
/** The first format: the same layout without the trailing CRC32. */
const V1 = { magic: 'ALEXNET1', format: 'alexnet-ts-checkpoint/1' };

/** What a checkpoint holds. */
export interface Checkpoint {
  config: AlexNetConfig;
  trainer: TrainerState;
  options: TrainOptions;
  stats: DataStats;
  params: HostParams;
  velocity: HostParams;
  /** Free-form facts about the run (dataset, backend, partitions). */
  meta: Record<string, unknown>;
}

/** The CRC32 of bytes, as an unsigned 32-bit integer (crc-32 returns it signed). */
function crc32(b: Uint8Array): number {
  return CRC32.buf(b) >>> 0;
}

/** Serialises a checkpoint to bytes. */
export function encodeCheckpoint(c: Checkpoint): Uint8Array {
  const tensors: TensorEntry[] = [];
  const blobs: Float32Array[] = [];
  let offset = 0;
  const add = (name: string, data: Float32Array, shape: number[]) => {
    tensors.push({ name, shape, offset, length: data.length });
    blobs.push(data);
    offset += data.length;
  };
  for (const [k, v] of c.params) add(`params/${k}`, v.data, v.shape);
  for (const [k, v] of c.velocity) add(`velocity/${k}`, v.data, v.shape);
  add('stats/mean', c.stats.mean, [c.stats.mean.length]);
  const header = {
    // JSON has no Infinity: a run with no validation result yet stores its best error as null.
    format: CHECKPOINT_FORMAT, config: c.config, trainer: { ...c.trainer, bestValError: Number.isFinite(c.trainer.bestValError) ? c.trainer.bestValError : null }, options: c.options, meta: c.meta,
    stats: { eigenvectors: [...c.stats.eigenvectors], eigenvalues: [...c.stats.eigenvalues] },
    tensors,
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const start = Math.ceil((12 + json.length) / 4) * 4;
  const out = new Uint8Array(start + offset * 4 + 4);
  out.set(new TextEncoder().encode(MAGIC), 0);
  const dv = new DataView(out.buffer);
  dv.setUint32(8, json.length, true);
  out.set(json, 12);
  let at = start;
  for (const b of blobs) for (let i = 0; i < b.length; i++, at += 4) dv.setFloat32(at, b[i], true);
  dv.setUint32(at, crc32(out.subarray(0, at)), true);
  return out;
}

/** Parses checkpoint bytes; an error names what is wrong (and `source`, a file name or URL). */
export function decodeCheckpoint(bytes: Uint8Array, source: string): Checkpoint {
  const magic = bytes.length >= 12 ? new TextDecoder().decode(bytes.subarray(0, 8)) : '';
  if (magic !== MAGIC && magic !== V1.magic) throw new Error(`${source}: not an alexnet-ts checkpoint (no ${MAGIC} signature)`);
  const v1 = magic === V1.magic;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = v1 ? bytes.length : bytes.length - 4;
  if (!v1) {
    if (end < 12) throw new Error(`${source}: truncated checkpoint (${bytes.length} bytes)`);
    const stored = dv.getUint32(end, true), computed = crc32(bytes.subarray(0, end));
    if (stored !== computed) {
      throw new Error(`${source}: corrupt checkpoint: its CRC32 is 0x${computed.toString(16).padStart(8, '0')}, the file says 0x${stored.toString(16).padStart(8, '0')} ` +
        '(a changed or truncated byte; the file cannot be trusted)');
    }
  }
  const L = dv.getUint32(8, true);
  if (12 + L > end) throw new Error(`${source}: truncated checkpoint (header of ${L} bytes, file of ${bytes.length})`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(12, 12 + L)));
  } catch (e) {
    throw new Error(`${source}: corrupt checkpoint header (${(e as Error).message})`);
  }
  const format = (parsed as { format?: unknown } | null)?.format;
  const want = v1 ? V1.format : CHECKPOINT_FORMAT;
  if (format !== want) throw new Error(`${source}: checkpoint format ${shown(format)}, expected ${want}`);
  const start = Math.ceil((12 + L) / 4) * 4;
  if ((end - start) % 4 !== 0 || start > end) throw new Error(`${source}: truncated checkpoint (${end - start} bytes of data, not a whole number of float32 values)`);
  let h: CheckpointHeader;
  try {
    h = checkHeader(parsed, (end - start) / 4, true);
  } catch (e) {
    if (e instanceof HeaderError) throw new Error(`${source}: bad checkpoint: ${e.message}`);
    throw e;
  }
  const read = (t: TensorEntry) => {
    const a = new Float32Array(t.length);
    for (let i = 0; i < t.length; i++) {
      const x = dv.getFloat32(start + (t.offset + i) * 4, true);
      if (!Number.isFinite(x)) throw new Error(`${source}: bad checkpoint: tensor ${t.name} holds ${x} at element ${i}; a checkpoint holds finite values only`);
      a[i] = x;
    }
    return a;
  };
  const params: HostParams = new Map(), velocity: HostParams = new Map();
  let mean: Float32Array | undefined;
  for (const t of h.tensors) {
    if (t.name.startsWith('params/')) params.set(t.name.slice(7), { data: read(t), shape: t.shape });
    else if (t.name.startsWith('velocity/')) velocity.set(t.name.slice(9), { data: read(t), shape: t.shape });
    else mean = read(t);
  }
  return {
    config: h.config, trainer: { ...h.trainer, bestValError: h.trainer.bestValError ?? Infinity }, options: h.options, meta: h.meta ?? {}, params, velocity,
    stats: { mean: mean!, eigenvectors: Float64Array.from(h.stats.eigenvectors), eigenvalues: Float64Array.from(h.stats.eigenvalues) },
  };
}
