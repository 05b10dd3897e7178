// PNG and JPEG files to RGBA pixels (Node; a page decodes with the
// browser's own createImageBitmap). The decoding is npm's pngjs and jpeg-js;
// this file checks what they do not, before they allocate anything:
//
// - PNG: the chunk structure is walked (every length inside the file), the
//   IHDR's width and height are held to the limits (src/io/limits.ts), and
//   the image data is inflated with a cap of exactly the size the header
//   implies. A file whose data is shorter is refused: pngjs would return an
//   image of zeros at the declared size (a 69-byte file that claims
//   20000 x 20000 decodes to 1.6 GB of black pixels and is classified).
// - JPEG: jpeg-js's own resolution and memory limits, set from ours, and
//   strict decoding (its tolerant mode fills a truncated scan with grey).

import { inflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { RgbaImage } from '../nn/data/preprocess.js';
import { limits } from './limits.js';
import { FormatError, check, decoderCause } from './tensors.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Samples per pixel of each PNG colour type (PNG spec, 11.2.2). */
const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** Adam7's passes: x start, y start, x step, y step (PNG spec, 8.2). */
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];

/** Whether bytes start like a PNG or a JPEG file. */
export function imageKind(bytes: Uint8Array): 'png' | 'jpeg' | undefined {
  if (PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return undefined;
}

/** Holds a declared width and height to the limits. */
function checkSize(width: number, height: number, source: string): void {
  const l = limits();
  check(width >= 1 && height >= 1, source, `the image declares ${width} x ${height} pixels`);
  check(width <= l.maxImageSide && height <= l.maxImageSide && width * height <= l.maxImagePixels, source,
    `the image declares ${width} x ${height} pixels; at most ${l.maxImageSide} a side and ${l.maxImagePixels / 1e6} megapixels are read (limits: src/io/limits.ts)`);
}

/** The bytes of a PNG's image data once inflated: per row, a filter byte and the row's packed samples; per Adam7 pass when interlaced. */
function pngDataSize(width: number, height: number, bitDepth: number, channels: number, interlaced: boolean): number {
  const rows = (w: number, h: number) => (w > 0 && h > 0 ? h * (1 + Math.ceil((w * channels * bitDepth) / 8)) : 0);
  if (!interlaced) return rows(width, height);
  return ADAM7.reduce((s, [x0, y0, dx, dy]) => s + rows(Math.ceil((width - x0) / dx), Math.ceil((height - y0) / dy)), 0);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** Walks a PNG's chunks and checks its header and the size of its image data before pngjs decodes it. */
export function checkPng(bytes: Uint8Array, source: string): { width: number; height: number } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const idat: Uint8Array[] = [];
  let header: { width: number; height: number; bitDepth: number; colorType: number; interlace: number } | undefined;
  let at = 8, ended = false;
  while (at < bytes.length && !ended) {
    check(at + 12 <= bytes.length, source, `truncated PNG: a chunk header at byte ${at} runs past the end (${bytes.length} bytes)`);
    const length = dv.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    check(length <= bytes.length - at - 12, source, `truncated PNG: chunk ${JSON.stringify(type)} at byte ${at} declares ${length} bytes, ${bytes.length - at - 12} remain`);
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (header === undefined) {
      check(type === 'IHDR' && length === 13, source, `a PNG whose first chunk is ${JSON.stringify(type)} (${length} bytes), not the 13-byte IHDR`);
      const h = new DataView(data.buffer, data.byteOffset, 13);
      header = { width: h.getUint32(0), height: h.getUint32(4), bitDepth: data[8], colorType: data[9], interlace: data[12] };
      checkSize(header.width, header.height, source);
      check(PNG_CHANNELS[header.colorType] !== undefined && [1, 2, 4, 8, 16].includes(header.bitDepth), source,
        `a PNG of colour type ${header.colorType} and bit depth ${header.bitDepth}, which the PNG specification does not define`);
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') ended = true;
    at += 12 + length;
  }
  check(header, source, 'a PNG signature and no IHDR chunk');
  check(idat.length > 0, source, 'a PNG with no image data (IDAT chunk)');
  const want = pngDataSize(header.width, header.height, header.bitDepth, PNG_CHANNELS[header.colorType], header.interlace === 1);
  let got: number;
  try {
    // Capped at one byte past what the header implies: more is as wrong as less, and never allocated beyond.
    got = inflateSync(concat(idat), { maxOutputLength: want + 1 }).length;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') got = want + 1;
    else throw new FormatError(`${source}: corrupt PNG image data (${(e as Error).message})`);
  }
  check(got === want, source, `the PNG's image data inflates to ${got > want ? `more than ${want}` : got} bytes; its ${header.width} x ${header.height} header needs ${want}` +
    (got < want ? ' (a truncated or forged file)' : ''));
  return header;
}

/** Decodes PNG or JPEG bytes to interleaved RGBA (ImageData's shape); errors name `source`. */
export function decodeImage(bytes: Uint8Array, source: string): RgbaImage {
  const kind = imageKind(bytes);
  check(kind, source, 'neither a PNG nor a JPEG file (no PNG or JPEG signature)');
  if (kind === 'png') {
    checkPng(bytes, source);
    try {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { data: png.data, width: png.width, height: png.height };
    } catch (e) {
      throw new FormatError(`${source}: cannot decode the PNG (${decoderCause(e)})`);
    }
  }
  const l = limits();
  try {
    const j = jpeg.decode(bytes, {
      useTArray: true, formatAsRGBA: true, tolerantDecoding: false,
      maxResolutionInMP: l.maxImagePixels / 1e6,
      // jpeg-js counts its own buffers: the RGBA output and one plane per component, with room for the tables.
      maxMemoryUsageInMB: Math.ceil((l.maxImagePixels * 8) / 2 ** 20) + 64,
    });
    checkSize(j.width, j.height, source);
    return { data: j.data, width: j.width, height: j.height };
  } catch (e) {
    if (e instanceof FormatError) throw e;
    throw new FormatError(`${source}: cannot decode the JPEG (${decoderCause(e)})`);
  }
}
