// safetensors (huggingface/safetensors' format description):
//
//   8 bytes   N, the header length, uint64 little-endian
//   N bytes   UTF-8 JSON: { name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": { string: string } }
//   rest      the tensors' bytes, little-endian, C order; offsets count from the end of the header
//
// Read: F32, F16, BF16 and F64, all converted to float32. Written: F32.
// Written by hand: the format is a JSON header and raw bytes, and the npm
// packages for it wrap native code or a tensor library.

import {
  type TensorMap, FormatError, bfloat16From, check, checkedSize, decoderCause, float16From, float32From, float64From, shown,
} from './tensors.js';

const ITEM: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };
/** Largest header accepted: 100 MB, as the format's own reference implementation limits it. */
const MAX_HEADER = 100_000_000;

/** A safetensors file's tensors (as float32) and its string metadata. */
export function readSafetensors(bytes: Uint8Array, source: string): { tensors: TensorMap; metadata: Record<string, string> } {
  check(bytes.length >= 8, source, `truncated safetensors file (${bytes.length} bytes, no header length)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const N = Number(dv.getBigUint64(0, true));
  check(N <= MAX_HEADER && 8 + N <= bytes.length, source, `safetensors header length ${N} does not fit the file of ${bytes.length} bytes`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + N)));
  } catch (e) {
    throw new FormatError(`${source}: corrupt safetensors header (${decoderCause(e)})`);
  }
  check(header !== null && typeof header === 'object' && !Array.isArray(header), source, 'safetensors header is not a JSON object');
  const dataLen = bytes.length - 8 - N;
  const tensors: TensorMap = new Map();
  let metadata: Record<string, string> = {};
  const ranges: [number, number, string][] = [];
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') {
      check(e !== null && typeof e === 'object' && !Array.isArray(e) && Object.values(e).every((x) => typeof x === 'string'), source,
        `__metadata__ is ${shown(e)}; expected an object of strings (the safetensors format)`);
      metadata = e as Record<string, string>;
      continue;
    }
    const entry = e as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const what = `tensor '${name}'`;
    check(entry && typeof entry.dtype === 'string' && Array.isArray(entry.shape) && Array.isArray(entry.data_offsets) && entry.data_offsets.length === 2,
      source, `${what} lacks dtype, shape or data_offsets`);
    const item = ITEM[entry.dtype as string];
    check(item !== undefined, source, `${what} has dtype ${shown(entry.dtype)}; expected one of ${Object.keys(ITEM).join(', ')}`);
    const [begin, end] = entry.data_offsets as unknown[];
    check(Number.isSafeInteger(begin) && Number.isSafeInteger(end) && (begin as number) >= 0 && (begin as number) <= (end as number) && (end as number) <= dataLen,
      source, `${what} has data_offsets ${shown(entry.data_offsets)} outside the ${dataLen} data bytes`);
    const n = checkedSize(entry.shape as unknown[], dataLen, source, what);
    check((end as number) - (begin as number) === n * item, source, `${what}: shape [${(entry.shape as number[]).join(', ')}] of ${entry.dtype} needs ${n * item} bytes, offsets give ${(end as number) - (begin as number)}`);
    const raw = bytes.subarray(8 + N + (begin as number), 8 + N + (end as number));
    ranges.push([begin as number, end as number, name]);
    // F32 data is a view into the file's bytes where aligned (one copy of the weights in memory, not two); the ranges must not overlap.
    const data = entry.dtype === 'F32' ? float32From(raw) : entry.dtype === 'F16' ? float16From(raw) : entry.dtype === 'BF16' ? bfloat16From(raw) : float64From(raw);
    tensors.set(name, { data, shape: [...(entry.shape as number[])] });
  }
  ranges.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < ranges.length; i++) {
    check(ranges[i][0] >= ranges[i - 1][1] || ranges[i][0] === ranges[i][1], source, `tensors '${ranges[i - 1][2]}' and '${ranges[i][2]}' have overlapping data_offsets`);
  }
  return { tensors, metadata };
}

/** Encodes float32 tensors (in map order) and string metadata as a safetensors file. */
export function writeSafetensors(tensors: TensorMap, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let at = 0;
  for (const [name, t] of tensors) {
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [at, at + t.data.length * 4] };
    at += t.data.length * 4;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  // The data starts 8-aligned, as the reference writer pads the header with spaces.
  const h = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat((8 - ((8 + json.length) % 8)) % 8));
  const out = new Uint8Array(8 + h.length + at);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  const dv = new DataView(out.buffer, 8 + h.length);
  let o = 0;
  for (const t of tensors.values()) for (let i = 0; i < t.data.length; i++, o += 4) dv.setFloat32(o, t.data[i], true);
  return out;
}
