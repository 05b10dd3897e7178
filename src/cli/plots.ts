// Pictures people would rather see than read: the training curves, and the
// conv1 kernels grouped by partition (the paper's Figure 3), as PNG files.
// Drawn with pureimage (a pure-JavaScript canvas); text uses DejaVu Sans when
// the system has it (Debian: fonts-dejavu-core) and is left out otherwise.

import { createWriteStream, existsSync } from 'node:fs';
import * as PImage from 'pureimage';
import type { EpochRecord } from '../nn/trainer.js';

const FONT_FILE = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
let fontReady: boolean | undefined;

function font(): boolean {
  if (fontReady === undefined) {
    fontReady = existsSync(FONT_FILE);
    if (fontReady) PImage.registerFont(FONT_FILE, 'DejaVu').loadSync();
  }
  return fontReady;
}

async function save(img: ReturnType<typeof PImage.make>, path: string): Promise<void> {
  await PImage.encodePNGToStream(img, createWriteStream(path));
}

type Ctx = ReturnType<ReturnType<typeof PImage.make>['getContext']>;

function text(ctx: Ctx, s: string, x: number, y: number, size = 13, color = '#222222'): void {
  if (!font()) return;
  ctx.fillStyle = color;
  ctx.font = `${size}px DejaVu`;
  ctx.fillText(s, x, y);
}

/** One panel: series of (epoch, value) lines with axes, ticks and a legend. */
function panel(ctx: Ctx, x0: number, y0: number, w: number, h: number, title: string, series: { name: string; color: string; values: number[] }[], epochs: number[]): void {
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  let lo = Math.min(...all), hi = Math.max(...all);
  if (!(hi > lo)) { lo -= 1; hi += 1; }
  const pad = (hi - lo) * 0.08;
  lo = Math.max(0, lo - pad); hi += pad;
  const L = x0 + 50, R = x0 + w - 10, T = y0 + 30, B = y0 + h - 35;
  const px = (e: number) => L + ((e - epochs[0]) / Math.max(1, epochs[epochs.length - 1] - epochs[0])) * (R - L);
  const py = (v: number) => B - ((v - lo) / (hi - lo)) * (B - T);
  ctx.strokeStyle = '#999999';
  ctx.lineWidth = 1;
  ctx.strokeRect(L, T, R - L, B - T);
  text(ctx, title, L, y0 + 20, 15);
  for (let k = 0; k <= 4; k++) {
    const v = lo + ((hi - lo) * k) / 4;
    text(ctx, v.toPrecision(3), x0 + 2, py(v) + 4, 11, '#555555');
  }
  for (const e of epochs) text(ctx, String(e), px(e) - 4, B + 16, 11, '#555555');
  text(ctx, 'epoch', (L + R) / 2 - 15, B + 31, 12, '#555555');
  series.forEach((s, i) => {
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    s.values.forEach((v, j) => (j === 0 ? ctx.moveTo(px(epochs[j]), py(v)) : ctx.lineTo(px(epochs[j]), py(v))));
    ctx.stroke();
    for (let j = 0; j < s.values.length; j++) ctx.fillRect(px(epochs[j]) - 2, py(s.values[j]) - 2, 5, 5);
    ctx.fillRect(R - 150, T + 10 + 18 * i, 14, 4);
    text(ctx, s.name, R - 130, T + 16 + 18 * i, 12);
  });
}

/** Loss and error curves per epoch: training and validation loss; validation top-1 and top-5 error. */
export async function writeCurvesPng(history: readonly EpochRecord[], path: string, title: string): Promise<void> {
  const img = PImage.make(900, 380);
  const ctx = img.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, 900, 380);
  const epochs = history.map((r) => r.epoch);
  text(ctx, title, 10, 18, 13, '#444444');
  panel(ctx, 0, 20, 450, 360, 'loss', [
    { name: 'training (mean over batches)', color: '#1f77b4', values: history.map((r) => r.trainLoss) },
    { name: 'validation', color: '#d62728', values: history.map((r) => r.valLoss) },
  ], epochs);
  panel(ctx, 450, 20, 450, 360, 'validation error (%)', [
    { name: 'top-1', color: '#d62728', values: history.map((r) => 100 * (1 - r.valTop1)) },
    { name: 'top-5', color: '#2ca02c', values: history.map((r) => 100 * (1 - r.valTop5)) },
  ], epochs);
  await save(img, path);
}

/**
 * The conv1 kernels as images, one row block per partition (the paper's
 * Figure 3: kernels of GPU 1 above those of GPU 2). Each kernel is scaled to
 * the full 0-255 range on its own; 3 input channels draw in colour, 1 in grey.
 */
export async function writeKernelsPng(w: { data: Float32Array; shape: number[] }, partitions: number, path: string): Promise<void> {
  const [Cout, Cin, k] = w.shape;
  const zoom = Math.max(3, Math.floor(48 / k)), cell = k * zoom + 4;
  const perRow = Math.min(16, Math.ceil(Cout / partitions));
  const rowsPer = Math.ceil(Cout / partitions / perRow);
  const gap = 24;
  const W = perRow * cell + 8, H = partitions * (rowsPer * cell + gap) + 8;
  const img = PImage.make(W, H);
  const ctx = img.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, W, H);
  const size = Cin * k * k;
  for (let o = 0; o < Cout; o++) {
    const part = Math.floor(o / (Cout / partitions)), j = o % (Cout / partitions);
    const x0 = 4 + (j % perRow) * cell, y0 = 4 + part * (rowsPer * cell + gap) + gap - 6 + Math.floor(j / perRow) * cell;
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < size; i++) { lo = Math.min(lo, w.data[o * size + i]); hi = Math.max(hi, w.data[o * size + i]); }
    const norm = (v: number) => Math.round(255 * (hi > lo ? (v - lo) / (hi - lo) : 0.5));
    for (let y = 0; y < k; y++) for (let x = 0; x < k; x++) {
      const ch = (c: number) => norm(w.data[o * size + (Math.min(c, Cin - 1) * k + y) * k + x]);
      const [r, g, b] = [ch(0), ch(1), ch(2)];
      for (let dy = 0; dy < zoom; dy++) for (let dx = 0; dx < zoom; dx++) {
        img.setPixelRGBA(x0 + x * zoom + dx, y0 + y * zoom + dy, ((r << 24) | (g << 16) | (b << 8) | 255) >>> 0);
      }
    }
  }
  for (let p = 0; p < partitions; p++) text(ctx, `partition ${p} (conv1 kernels ${p * Cout / partitions}-${(p + 1) * Cout / partitions - 1})`, 6, 4 + p * (rowsPer * cell + gap) + 12, 12);
  await save(img, path);
}
