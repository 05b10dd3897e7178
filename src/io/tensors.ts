// What every reader in src/io/ returns: float32 tensors by name, and the
// checks they all share. Each format has its own file (npy.ts,
// safetensors.ts, pth.ts, onnx.ts, caffe.ts); nothing here knows a format.

/** One tensor on the host: float32 data in C (row-major) order and its shape. */
export interface HostTensor {
  data: Float32Array;
  shape: number[];
}

/** Tensors by name, in the order the file lists them. */
export type TensorMap = Map<string, HostTensor>;

/** A file that cannot be read as what it claims to be; the message names the file and what was expected. */
export class FormatError extends Error {
  override name = 'FormatError';
}

/**
 * What a third-party decoder (protobufjs, pickleparser, fflate, pngjs,
 * jpeg-js) said when it gave up on malformed bytes, for the parenthesis of
 * our error: its own message when it raised one, but not the engine's
 * TypeError or RangeError from its internals ("Cannot read properties of
 * undefined"), which says nothing about the file.
 */
export function decoderCause(e: unknown): string {
  if (e instanceof TypeError || e instanceof RangeError || !(e instanceof Error)) return 'malformed data: the decoder failed inside';
  return e.message;
}

/**
 * A value read from a file, shown in an error: JSON, cut to 60 characters. A
 * value nested thousands deep (JSON.parse reads it; JSON.stringify and
 * String recurse and overflow the stack) is named for what it is.
 */
export function shown(v: unknown): string {
  let s: string;
  try {
    s = v === undefined ? 'missing' : JSON.stringify(v) ?? String(v);
  } catch {
    s = Array.isArray(v) ? 'a deeply nested list' : 'a deeply nested object';
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Throws a FormatError naming `source` unless `ok`. */
export function check(ok: unknown, source: string, message: string): asserts ok {
  if (!ok) throw new FormatError(`${source}: ${message}`);
}

/**
 * The element count of a shape read from a file, checked before anything is
 * allocated from it: every dimension a non-negative safe integer and the
 * product no larger than `limit` elements (what the bytes at hand can hold).
 */
export function checkedSize(shape: readonly unknown[], limit: number, source: string, what: string): number {
  let n = 1;
  for (const d of shape) {
    check(typeof d === 'number' && Number.isSafeInteger(d) && d >= 0, source, `${what} has a dimension ${shown(d)}; expected non-negative integers`);
    n *= d;
    check(n <= limit, source, `${what} declares shape ${shown(shape)}, more elements than the file holds`);
  }
  return n;
}

/** Little-endian bytes as float32 values (a view when aligned, else a copy). */
export function float32From(bytes: Uint8Array): Float32Array {
  const n = bytes.byteLength >> 2;
  if (bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, n);
  // Uint8Array.prototype.slice copies even when bytes is a Node Buffer (whose own slice is a view).
  return new Float32Array(Uint8Array.prototype.slice.call(bytes, 0, n * 4).buffer);
}

/** IEEE half precision to float32 (safetensors F16, torch HalfStorage). */
export function float16From(bytes: Uint8Array): Float32Array {
  const n = bytes.byteLength >> 1, out = new Float32Array(n);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) {
    const h = dv.getUint16(2 * i, true);
    const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
    out[i] = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
  }
  return out;
}

/** bfloat16 to float32: the upper half of a float32's bits. */
export function bfloat16From(bytes: Uint8Array): Float32Array {
  const n = bytes.byteLength >> 1, bits = new Uint32Array(n);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) bits[i] = dv.getUint16(2 * i, true) << 16;
  return new Float32Array(bits.buffer);
}

/** float64 little-endian to float32 (rounded to nearest). */
export function float64From(bytes: Uint8Array): Float32Array {
  const n = bytes.byteLength >> 3, out = new Float32Array(n);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) out[i] = dv.getFloat64(8 * i, true);
  return out;
}

/** The first non-finite value of a tensor map, as "name[index] = value", or null. */
export function firstNonFinite(tensors: TensorMap): string | null {
  for (const [name, t] of tensors) {
    for (let i = 0; i < t.data.length; i++) if (!Number.isFinite(t.data[i])) return `${name}[${i}] = ${t.data[i]}`;
  }
  return null;
}

/** A [R, C] matrix transposed to [C, R] (Gemm with transB = 0, Caffe's InnerProduct with transpose). */
export function transpose2d(data: Float32Array, R: number, C: number): HostTensor {
  const out = new Float32Array(R * C);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) out[c * R + r] = data[r * C + c];
  return { data: out, shape: [C, R] };
}
