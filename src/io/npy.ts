// NumPy's .npy format (numpy.lib.format, versions 1.0-3.0), the input and
// output of `alexnet run`:
//
//   "\x93NUMPY" major minor | header length (uint16 in 1.0, uint32 in 2.0/3.0)
//   header: a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (N, 3, H, W), }
//           padded with spaces and a newline so that the data starts on a multiple of 64
//   data:   the array in C order
//
// Read: little-endian float32 ('<f4') or float64 ('<f8', rounded to
// float32), C order. Written: float32, version 1.0. Written by hand because
// the format is one header line; no npm package reads it without pulling in
// a tensor library.

import { type HostTensor, FormatError, check, checkedSize, float32From, float64From } from './tensors.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Parses a .npy file into float32 data and its shape; `source` names it in errors. */
export function readNpy(bytes: Uint8Array, source: string): HostTensor {
  check(bytes.length >= 10 && MAGIC.every((b, i) => bytes[i] === b), source, 'not a NumPy .npy file (no \\x93NUMPY signature)');
  const major = bytes[6];
  check(major >= 1 && major <= 3, source, `.npy version ${major}.${bytes[7]}; expected 1.0, 2.0 or 3.0`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? dv.getUint16(8, true) : bytes.length >= 12 ? dv.getUint32(8, true) : Infinity;
  const start = (major === 1 ? 10 : 12) + headerLen;
  check(start <= bytes.length, source, `truncated .npy file (header of ${headerLen} bytes, file of ${bytes.length})`);
  const header = new TextDecoder().decode(bytes.subarray(major === 1 ? 10 : 12, start));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  check(descr !== undefined && fortran !== undefined && shapeText !== undefined, source, `unreadable .npy header ${JSON.stringify(header.trim())}`);
  check(descr === '<f4' || descr === '<f8', source, `dtype '${descr}'; expected little-endian float32 ('<f4') or float64 ('<f8'): save with x.astype('<f4')`);
  check(fortran === 'False', source, 'array in Fortran order; expected C order (save np.ascontiguousarray(x))');
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  const item = descr === '<f4' ? 4 : 8;
  const n = checkedSize(shape, Math.floor((bytes.length - start) / item), source, 'the array');
  check(bytes.length - start === n * item, source, `data of ${bytes.length - start} bytes; shape [${shape.join(', ')}] of ${descr} needs ${n * item}`);
  const body = bytes.subarray(start, start + n * item);
  return { data: item === 4 ? Float32Array.from(float32From(body)) : float64From(body), shape };
}

/** Encodes float32 data of the given shape as a version 1.0 .npy file. */
export function writeNpy(t: HostTensor): Uint8Array {
  const n = t.shape.reduce((a, b) => a * b, 1);
  if (n !== t.data.length) throw new FormatError(`writeNpy: shape [${t.shape.join(', ')}] has ${n} elements, data has ${t.data.length}`);
  const shape = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
  header += ' '.repeat(64 - ((10 + header.length + 1) % 64 || 64)) + '\n';
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(10 + h.length + n * 4);
  out.set(MAGIC, 0);
  out[6] = 1; out[7] = 0;
  new DataView(out.buffer).setUint16(8, h.length, true);
  out.set(h, 10);
  const dv = new DataView(out.buffer, 10 + h.length);
  for (let i = 0; i < n; i++) dv.setFloat32(4 * i, t.data[i], true);
  return out;
}
