// PyTorch's torch.save files: the state_dicts torchvision publishes.
//
// Zip format (torch >= 1.6; torch/serialization.py): one folder <archive>/ holding
//   data.pkl      the object, pickled (protocol 2); every tensor is a call
//                 torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)
//                 whose storage is a persistent id ('storage', torch.FloatStorage, key, location, numel)
//   data/<key>    each storage's raw little-endian bytes (stored uncompressed)
//   byteorder     "little" (absent in files older than torch 1.10: little-endian)
// Legacy format (torch.save(..., _use_new_zipfile_serialization=False)): a
// sequence of pickles in one stream: a magic number, the protocol version
// 1001, a sys_info dict, the object (its storage ids carry one more field),
// the list of storage keys, then for each key in that order an int64 element
// count and the storage's bytes.
//
// Safety: a pickle can name any Python callable. This reader resolves an
// allow-list of the globals a state_dict needs (OrderedDict, the tensor and
// parameter rebuilders, the storage types) and refuses every other name, so
// a file can build tensors in dicts and nothing else.
// Unpickling is npm's pickleparser, unzipping fflate.

import { unzipSync } from 'fflate';
import { BufferReader, NameRegistry, Parser } from 'pickleparser';
import {
  type TensorMap, FormatError, bfloat16From, check, checkedSize, decoderCause, float16From, float32From, float64From, shown,
} from './tensors.js';

/** Bytes per element of the storage types a weights file holds, and their conversion to float32. */
const STORAGES: Record<string, { item: number; convert: (b: Uint8Array) => Float32Array } | { item: number; convert: null }> = {
  FloatStorage: { item: 4, convert: (b) => float32From(b) },
  HalfStorage: { item: 2, convert: float16From },
  BFloat16Storage: { item: 2, convert: bfloat16From },
  DoubleStorage: { item: 8, convert: float64From },
  // Integer storages (a BatchNorm's num_batches_tracked): recognised so that such a file is named for what it is.
  LongStorage: { item: 8, convert: null },
  IntStorage: { item: 4, convert: null },
  ByteStorage: { item: 1, convert: null },
  BoolStorage: { item: 1, convert: null },
};

interface StorageType { storageType: string }
interface StorageRef { type: string; key: string; numel: number }
interface TensorRef { tensor: true; storage: StorageRef; offset: number; size: number[]; stride: number[] }

/** What readPth found: float tensors by name, and the names of tensors of other dtypes. */
export interface PthContents {
  tensors: TensorMap;
  /** Non-float tensors (integer buffers), by name with their storage type; never loaded. */
  skipped: Map<string, string>;
}

const GLOBALS: Record<string, (...a: any[]) => unknown> = {
  'collections.OrderedDict': () => new Map(),
  'torch._utils._rebuild_tensor_v2': (storage: StorageRef, offset: number, size: number[], stride: number[]): TensorRef =>
    ({ tensor: true, storage, offset, size: [...size], stride: [...stride] }),
  'torch._utils._rebuild_parameter': (data: TensorRef) => data,
};

/** pickleparser's name registry, closed: a name outside the allow-list is an error, never an object. */
class AllowList extends NameRegistry {
  constructor(private readonly source: string) {
    super();
    for (const [fqn, f] of Object.entries(GLOBALS)) { const i = fqn.lastIndexOf('.'); this.register(fqn.slice(0, i), fqn.slice(i + 1), f); }
    for (const t of Object.keys(STORAGES)) this.register('torch', t, function storageType(): StorageType { return { storageType: t }; });
  }
  override onMissingName(module: string, name: string): never {
    // STACK_GLOBAL takes its module and name from the stack: in a corrupt pickle they can be anything.
    if (typeof module !== 'string' || typeof name !== 'string') {
      throw new FormatError(`${this.source}: corrupt pickle (a global named by ${shown(module)} and ${shown(name)}, which are not strings)`);
    }
    throw new FormatError(`${this.source}: the pickle calls ${module}.${name}, which a state_dict does not need; alexnet-ts unpickles only tensors in dicts ` +
      `(a whole pickled model, torch.save(model), must be saved as torch.save(model.state_dict()))`);
  }
}

/** The storage type's name from the global a persistent id names (the registered function itself). */
function storageName(t: unknown, source: string): string {
  const name = typeof t === 'function' ? (t as () => StorageType)().storageType : undefined;
  check(name !== undefined, source, `a storage of unknown type ${String(t)}`);
  return name;
}

/** An unpickler for torch.save's pickles; every storage a persistent id names is recorded in `seen` (by key). */
function parser(source: string, legacy: boolean, seen: Map<string, StorageRef> = new Map()): Parser {
  return new Parser({
    nameResolver: new AllowList(source),
    unpicklingTypeOfDictionary: 'Map',
    persistentResolver: {
      resolve(pid: unknown): StorageRef {
        const p = pid as unknown[];
        check(Array.isArray(p) && p[0] === 'storage' && p.length >= 5, source, `unexpected persistent id ${JSON.stringify(String(pid))}; expected ('storage', type, key, location, numel)`);
        check(!legacy || p[5] === null || p[5] === undefined, source, 'a storage view (legacy torch.save of a tensor view) is not supported');
        const numel = Number(p[4]);
        check(Number.isSafeInteger(numel) && numel >= 0, source, `storage ${String(p[2])} declares ${String(p[4])} elements`);
        const ref = { type: storageName(p[1], source), key: String(p[2]), numel };
        const before = seen.get(ref.key);
        check(!before || (before.type === ref.type && before.numel === ref.numel), source, `storage ${ref.key} is named twice with different types or sizes`);
        seen.set(ref.key, ref);
        return ref;
      },
    },
  });
}

function unpickle<T>(run: () => T, source: string): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof FormatError) throw e;
    throw new FormatError(`${source}: corrupt pickle (${decoderCause(e)})`);
  }
}

/** The tensors of a state_dict, found in the unpickled object (a dict of tensors, or a dict holding one under 'state_dict' or 'model'). */
function stateDict(obj: unknown, source: string): Map<string, TensorRef> {
  const isTensor = (v: unknown): v is TensorRef => typeof v === 'object' && v !== null && (v as TensorRef).tensor === true;
  check(obj instanceof Map, source, `the pickle holds ${obj === null ? 'None' : typeof obj}, not a state_dict (a dict of tensors)`);
  for (const k of ['state_dict', 'model']) if (obj.get(k) instanceof Map) return stateDict(obj.get(k), source);
  const out = new Map<string, TensorRef>();
  for (const [k, v] of obj) if (isTensor(v)) out.set(String(k), v);
  check(out.size > 0, source, `a dict with no tensors (keys: ${[...obj.keys()].slice(0, 8).join(', ')})`);
  return out;
}

/** A tensor's values from its storage's bytes, checked to be a contiguous C-order view inside the storage. */
function tensorData(name: string, t: TensorRef, storage: Uint8Array, source: string): Float32Array {
  const info = STORAGES[t.storage.type];
  const n = checkedSize(t.size, t.storage.numel, source, `tensor '${name}'`);
  let expect = 1;
  for (let d = t.size.length - 1; d >= 0; d--) {
    check(t.size[d] === 1 || t.stride[d] === expect, source, `tensor '${name}' is not contiguous (size [${t.size.join(', ')}], stride [${t.stride.join(', ')}])`);
    expect *= t.size[d];
  }
  check(Number.isSafeInteger(t.offset) && t.offset >= 0 && t.offset + n <= t.storage.numel, source, `tensor '${name}' (offset ${t.offset}, ${n} elements) runs past its storage of ${t.storage.numel}`);
  const bytes = storage.subarray(t.offset * info.item, (t.offset + n) * info.item);
  // A view into the storage when possible (float32, aligned); a copy otherwise, so that no tensor aliases another.
  const data = info.convert!(bytes);
  return data.buffer === storage.buffer && n !== t.storage.numel ? Float32Array.from(data) : data;
}

function collect(refs: Map<string, TensorRef>, storageBytes: (s: StorageRef) => Uint8Array, source: string): PthContents {
  const tensors: TensorMap = new Map(), skipped = new Map<string, string>();
  for (const [name, t] of refs) {
    if (STORAGES[t.storage.type].convert === null) { skipped.set(name, t.storage.type); continue; }
    tensors.set(name, { data: tensorData(name, t, storageBytes(t.storage), source), shape: t.size });
  }
  return { tensors, skipped };
}

/** Whether bytes are torch.save's zip format (a zip archive) rather than its legacy pickle stream. */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 3 && bytes[3] === 4;
}

/** Reads a torch.save state_dict (zip or legacy format); `source` names the file in errors. */
export function readPth(bytes: Uint8Array, source: string): PthContents {
  return isZip(bytes) ? readZip(bytes, source) : readLegacy(bytes, source);
}

function readZip(bytes: Uint8Array, source: string): PthContents {
  const unzip = (filter: (f: { name: string; size: number; originalSize: number; compression: number }) => boolean) => {
    try {
      return unzipSync(bytes, { filter });
    } catch (e) {
      throw new FormatError(`${source}: corrupt zip archive (${decoderCause(e)})`);
    }
  };
  // First pass lists the entries without extracting any, so that every declared size is checked before it is allocated.
  const entries = new Map<string, { size: number; originalSize: number; compression: number }>();
  unzip((f) => { entries.set(f.name, f); return false; });
  const pkl = [...entries.keys()].find((n) => n.endsWith('/data.pkl') && n.split('/').length === 2);
  check(pkl, source, `a zip archive without <archive>/data.pkl (entries: ${[...entries.keys()].slice(0, 6).join(', ')}); not a torch.save file`);
  const prefix = pkl.slice(0, -'data.pkl'.length);
  const extract = (name: string): Uint8Array => {
    const e = entries.get(name);
    check(e, source, `missing entry ${name}`);
    // Stored entries are copied as they are; a deflated one may expand at most 1032 times (deflate's limit).
    check(e.compression === 0 ? e.size === e.originalSize : e.originalSize <= e.size * 1032 + 1024, source, `entry ${name} declares ${e.originalSize} bytes from ${e.size}`);
    const out = unzip((f) => f.name === name)[name];
    check(out && out.length === e.originalSize, source, `entry ${name} is truncated (${out?.length ?? 0} of ${e.originalSize} bytes)`);
    return out;
  };
  const order = entries.has(`${prefix}byteorder`) ? new TextDecoder().decode(extract(`${prefix}byteorder`)) : 'little';
  check(order === 'little', source, `byteorder '${order}'; only little-endian files are read`);
  const refs = stateDict(unpickle(() => parser(source, false).parse(extract(pkl)), source), source);
  const cache = new Map<string, Uint8Array>();
  return collect(refs, (s) => {
    let b = cache.get(s.key);
    if (!b) {
      b = extract(`${prefix}data/${s.key}`);
      check(b.length === s.numel * STORAGES[s.type].item, source, `storage data/${s.key} has ${b.length} bytes; ${s.numel} elements of ${s.type} need ${s.numel * STORAGES[s.type].item}`);
      cache.set(s.key, b);
    }
    return b;
  }, source);
}

function readLegacy(bytes: Uint8Array, source: string): PthContents {
  check(bytes.length >= 2 && bytes[0] === 0x80, source, 'neither a zip archive nor a pickle stream: not a torch.save file');
  // The magic number, pickled by torch as PROTO 2, LONG1 of 10 bytes, STOP: compared as bytes, since the
  // unpickler does not hold integers past 2^53.
  const MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e];
  check(MAGIC.every((b, i) => bytes[i] === b), source, 'a pickle, but not torch.save\'s legacy format (no magic number 0x1950a86a20f9469cfc6c)');
  const reader = new BufferReader(bytes);
  reader.skip(MAGIC.length);
  const byKey = new Map<string, StorageRef>();
  const p = parser(source, true, byKey);
  const next = <T>(): T => unpickle(() => p.read<T>(reader), source);
  const protocol = next<unknown>();
  check(protocol === 1001, source, `legacy torch.save protocol ${String(protocol)}; expected 1001`);
  const sysInfo = next<Map<string, unknown>>();
  check(!(sysInfo instanceof Map) || sysInfo.get('little_endian') !== false, source, 'a big-endian file; only little-endian files are read');
  const refs = stateDict(next<unknown>(), source);
  const keys = next<unknown[]>();
  check(Array.isArray(keys), source, 'the storage key list is missing');
  const data = new Map<string, Uint8Array>();
  let at = reader.position;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const k of keys.map(String)) {
    check(at + 8 <= bytes.length, source, `truncated: storage ${k} is missing`);
    const numel = Number(dv.getBigInt64(at, true));
    // Every storage's element size comes from the persistent id that named it in the pickle: never guessed.
    const s = byKey.get(k);
    check(s, source, `storage ${k} is in the file's storage list but the pickle never names it, so its element size is unknown`);
    const item = STORAGES[s.type].item;
    check(numel === s.numel, source, `storage ${k} holds ${numel} elements; its tensors declared ${s.numel}`);
    check(numel >= 0 && at + 8 + numel * item <= bytes.length, source, `truncated: storage ${k} needs ${numel * item} bytes, ${bytes.length - at - 8} remain`);
    data.set(k, Uint8Array.prototype.slice.call(bytes, at + 8, at + 8 + numel * item));
    at += 8 + numel * item;
  }
  return collect(refs, (s) => {
    const b = data.get(s.key);
    check(b, source, `storage ${s.key} is not in the file`);
    return b;
  }, source);
}
