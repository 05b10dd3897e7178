// Checkpoints: the whole state of a training run in one binary blob, the same
// in Node and in a browser.
//
//   bytes 0-7    "ALEXNET1"
//   bytes 8-11   header length L, uint32 little-endian
//   L bytes      JSON header (UTF-8): format, configuration, trainer state
//                (epoch, learning rate, RNG state, history), training
//                options, data statistics, and a table of tensors
//   padding      to a multiple of 4 bytes
//   data         float32 little-endian: every tensor at its table offset
//
// Tensors: every parameter (params/conv1.weight, ...), its momentum
// (velocity/...), and the training set's mean image (stats/mean).

import type { AlexNetConfig } from './config.js';
import type { DataStats } from './data/augment.js';
import type { HostParams } from './model.js';
import type { TrainOptions, TrainerState } from './trainer.js';

/** The format name written into every checkpoint's header. */
export const CHECKPOINT_FORMAT = 'alexnet-ts-checkpoint/1';
const MAGIC = 'ALEXNET1';

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

interface TensorEntry { name: string; shape: number[]; offset: number; length: number }

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
  const out = new Uint8Array(start + offset * 4);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  const view = new DataView(out.buffer, start);
  let at = 0;
  for (const b of blobs) for (let i = 0; i < b.length; i++, at++) view.setFloat32(at * 4, b[i], true);
  return out;
}

/** Parses checkpoint bytes; an error names what is wrong (and `source`, a file name or URL). */
export function decodeCheckpoint(bytes: Uint8Array, source: string): Checkpoint {
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    throw new Error(`${source}: not an alexnet-ts checkpoint (no ${MAGIC} signature)`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const L = dv.getUint32(8, true);
  if (12 + L > bytes.length) throw new Error(`${source}: truncated checkpoint (header of ${L} bytes, file of ${bytes.length})`);
  let h: {
    format: string; config: AlexNetConfig; trainer: TrainerState; options: TrainOptions; meta: Record<string, unknown>;
    stats: { eigenvectors: number[]; eigenvalues: number[] }; tensors: TensorEntry[];
  };
  try {
    h = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + L)));
  } catch (e) {
    throw new Error(`${source}: corrupt checkpoint header (${(e as Error).message})`);
  }
  if (h.format !== CHECKPOINT_FORMAT) throw new Error(`${source}: checkpoint format ${h.format}, expected ${CHECKPOINT_FORMAT}`);
  const start = Math.ceil((12 + L) / 4) * 4;
  const total = h.tensors.reduce((s, t) => Math.max(s, t.offset + t.length), 0);
  if (start + total * 4 > bytes.length) throw new Error(`${source}: truncated checkpoint (data needs ${start + total * 4} bytes, file has ${bytes.length})`);
  const read = (t: TensorEntry) => {
    const a = new Float32Array(t.length);
    for (let i = 0; i < t.length; i++) a[i] = dv.getFloat32(start + (t.offset + i) * 4, true);
    return a;
  };
  const params: HostParams = new Map(), velocity: HostParams = new Map();
  let mean: Float32Array | undefined;
  for (const t of h.tensors) {
    if (t.name.startsWith('params/')) params.set(t.name.slice(7), { data: read(t), shape: t.shape });
    else if (t.name.startsWith('velocity/')) velocity.set(t.name.slice(9), { data: read(t), shape: t.shape });
    else if (t.name === 'stats/mean') mean = read(t);
  }
  if (!mean) throw new Error(`${source}: checkpoint has no stats/mean tensor`);
  return {
    config: h.config, trainer: { ...h.trainer, bestValError: h.trainer.bestValError ?? Infinity }, options: h.options, meta: h.meta ?? {}, params, velocity,
    stats: { mean, eigenvectors: Float64Array.from(h.stats.eigenvectors), eigenvalues: Float64Array.from(h.stats.eigenvalues) },
  };
}
