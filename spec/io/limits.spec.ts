// Allocation limits (src/io/limits.ts) and the image checks made before
// decoding (src/io/image.ts): a small file that declares a large size is
// refused before anything of that size exists, and a PNG whose data is
// shorter than its header says is refused instead of decoded as zeros.
// Valid PNGs of every colour type, bit depth and interlacing still decode.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync, gzipSync } from 'node:zlib';
import CRC32 from 'crc-32';
import jpeg from 'jpeg-js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadDataset } from '../../src/cli/datasets.js';
import { checkPng, decodeImage } from '../../src/io/image.js';
import { DEFAULT_LIMITS, limits, setLimits } from '../../src/io/limits.js';
import { throwsWith } from '../helpers.js';

/** A Buffer as a plain Uint8Array view. */
const u8 = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/** A PNG chunk: length, type, data, CRC32 of type and data. */
function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  dv.setUint32(8 + data.length, CRC32.buf(out.subarray(4, 8 + data.length)) >>> 0);
  return out;
}

/**
 * A PNG written by hand, as the specification lays it out (not by pngjs, whose reader is under test): IHDR,
 * an optional palette, and the rows (filter byte 0 then packed samples), per Adam7 pass when interlaced.
 * `sample(x, y, c)` gives each sample; `rawRows` replaces the image data (a forged file).
 */
function png(o: { width: number; height: number; bitDepth: number; colorType: number; interlace?: boolean; sample?: (x: number, y: number, c: number) => number; rawRows?: Uint8Array; palette?: number }): Uint8Array {
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[o.colorType]!;
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, o.width);
  new DataView(ihdr.buffer).setUint32(4, o.height);
  ihdr.set([o.bitDepth, o.colorType, 0, 0, o.interlace ? 1 : 0], 8);
  const passes = o.interlace ? [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] : [[0, 0, 1, 1]];
  const bytes: number[] = [];
  for (const [x0, y0, dx, dy] of o.rawRows ? [] : passes) {
    const w = Math.ceil((o.width - x0) / dx), h = Math.ceil((o.height - y0) / dy);
    if (w <= 0 || h <= 0) continue;
    for (let r = 0; r < h; r++) {
      bytes.push(0);
      const row = new Uint8Array(Math.ceil((w * channels * o.bitDepth) / 8));
      let bit = 0;
      for (let i = 0; i < w; i++) for (let c = 0; c < channels; c++) {
        const v = (o.sample ?? ((x, y, k) => (x * 7 + y * 3 + k * 5)))(x0 + i * dx, y0 + r * dy, c) & (2 ** o.bitDepth - 1);
        if (o.bitDepth === 16) { row[bit / 8] = v >> 8; row[bit / 8 + 1] = v & 255; } else if (o.bitDepth === 8) row[bit / 8] = v;
        else row[bit >> 3] |= v << (8 - o.bitDepth - (bit & 7));
        bit += o.bitDepth;
      }
      bytes.push(...row);
    }
  }
  const parts = [Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr)];
  if (o.colorType === 3) parts.push(chunk('PLTE', Uint8Array.from({ length: 3 * (o.palette ?? 2 ** o.bitDepth) }, (_, i) => (i * 37) & 255)));
  parts.push(chunk('IDAT', u8(deflateSync(o.rawRows ?? Uint8Array.from(bytes)))), chunk('IEND', new Uint8Array(0)));
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

test('valid PNGs of every colour type, bit depth and both interlacings pass the check and decode to their pixels', () => {
  const cases = [
    { colorType: 0, bitDepth: 1 }, { colorType: 0, bitDepth: 2 }, { colorType: 0, bitDepth: 4 }, { colorType: 0, bitDepth: 8 }, { colorType: 0, bitDepth: 16 },
    { colorType: 2, bitDepth: 8 }, { colorType: 2, bitDepth: 16 }, { colorType: 3, bitDepth: 1 }, { colorType: 3, bitDepth: 4 }, { colorType: 3, bitDepth: 8 },
    { colorType: 4, bitDepth: 8 }, { colorType: 6, bitDepth: 8 }, { colorType: 6, bitDepth: 16 },
  ];
  for (const c of cases) for (const interlace of [false, true]) for (const [width, height] of [[1, 1], [5, 3], [13, 9]]) {
    const what = `colour type ${c.colorType}, depth ${c.bitDepth}, ${interlace ? 'Adam7' : 'not interlaced'}, ${width} x ${height}`;
    const file = png({ ...c, width, height, interlace });
    assert.equal(checkPng(file, 'x.png'), { width, height, bitDepth: c.bitDepth, colorType: c.colorType, interlace: interlace ? 1 : 0 }, what);
    const img = decodeImage(file, 'x.png');
    assert.equal([img.width, img.height, img.data.length], [width, height, width * height * 4], what);
    if (c.colorType === 2 && c.bitDepth === 8 && width > 1 && height > 2) assert.is(img.data[4 * (2 * width + 1) + 1], (1 * 7 + 2 * 3 + 5) & 255, `${what}: green of (1, 2)`);
  }
});

test('a PNG that declares more pixels than its data holds (69 bytes claiming 20000 x 20000) is refused before decoding', () => {
  const forged = png({ width: 20000, height: 20000, bitDepth: 8, colorType: 6, rawRows: new Uint8Array(8 * 33) });
  assert.ok(forged.length < 120, `${forged.length} bytes`);
  const before = process.memoryUsage().arrayBuffers;
  throwsWith(() => decodeImage(forged, 'forged.png'), /^forged\.png: the image declares 20000 x 20000 pixels; at most 32768 a side and 64 megapixels are read/);
  const saved = setLimits({ maxImagePixels: 1e9 });
  try {
    throwsWith(() => decodeImage(forged, 'forged.png'), /^forged\.png: the PNG's image data inflates to 264 bytes; its 20000 x 20000 header needs 1600020000 \(a truncated or forged file\)/);
  } finally {
    setLimits(saved);
  }
  assert.ok(process.memoryUsage().arrayBuffers - before < 50e6, 'nothing of the declared size was allocated');
  // Data longer than the header implies, a chunk that runs past the end, a first chunk that is not IHDR, no IDAT.
  throwsWith(() => decodeImage(png({ width: 4, height: 4, bitDepth: 8, colorType: 0, rawRows: new Uint8Array(100) }), 'long.png'), /inflates to more than 20 bytes; its 4 x 4 header needs 20$/);
  const ok = png({ width: 4, height: 4, bitDepth: 8, colorType: 0 });
  throwsWith(() => decodeImage(ok.subarray(0, 40), 'cut.png'), /^cut\.png: truncated PNG: a chunk header at byte 33 runs past the end \(40 bytes\)/);
  throwsWith(() => decodeImage(ok.subarray(0, 50), 'cut.png'), /^cut\.png: truncated PNG: chunk "IDAT" at byte 33 declares \d+ bytes, 5 remain/);
  const noHeader = ok.slice();
  noHeader.set(new TextEncoder().encode('IHDX'), 12);
  throwsWith(() => decodeImage(noHeader, 'h.png'), /^h\.png: a PNG whose first chunk is "IHDX"/);
  throwsWith(() => decodeImage(Uint8Array.from([...ok.subarray(0, 33), ...chunk('IEND', new Uint8Array(0))]), 'e.png'), /^e\.png: a PNG with no image data/);
  throwsWith(() => decodeImage(new TextEncoder().encode('GIF89a....'), 'x.gif'), /^x\.gif: neither a PNG nor a JPEG file/);
});

test('JPEG: a header that declares more than the pixel limit and a truncated scan are refused, naming the file', () => {
  const w = 64, h = 48;
  const good = u8(jpeg.encode({ data: Uint8Array.from({ length: w * h * 4 }, (_, i) => (i * 11) & 255), width: w, height: h }, 90).data);
  
  const img = decodeImage(good, 'a.jpg');
  assert.equal([img.width, img.height], [w, h]);
  const saved = setLimits({ maxImagePixels: 1000 });
  try {
    throwsWith(() => decodeImage(good, 'a.jpg'), /^a\.jpg: cannot decode the JPEG \(maxResolutionInMP limit exceeded by \d+MP\)/);
  } finally {
    setLimits(saved);
  }
  throwsWith(() => decodeImage(good.subarray(0, Math.floor(good.length * 0.6)), 'cut.jpg'), /^cut\.jpg: cannot decode the JPEG/);
});

test('a gzip that inflates past the limit is refused at the limit, naming the file; limits are checked positive integers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bomb-'));
  // 64 MB of zeros in 62 kB: with the limit at 8 MB, refused when the output reaches 8 MB.
  const bomb = gzipSync(new Uint8Array(64 * 2 ** 20), { level: 9 });
  writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), u8(bomb));
  writeFileSync(join(dir, 'train-labels-idx1-ubyte'), new Uint8Array(8));
  const saved = setLimits({ maxInflatedBytes: 8 * 2 ** 20 });
  try {
    throwsWith(() => loadDataset(dir), /train-images-idx3-ubyte\.gz: inflates to more than 8388608 bytes, the limit \(ALEXNET_MAX_INFLATED_BYTES/);
  } finally {
    setLimits(saved);
  }
  assert.equal(limits(), DEFAULT_LIMITS, 'restored');
  throwsWith(() => setLimits({ maxImageSide: 0 }), /setLimits: maxImageSide must be a positive integer, got 0/);
  throwsWith(() => setLimits({ maxInflatedBytes: 1.5 }), /must be a positive integer, got 1\.5/);
});

test.run();
