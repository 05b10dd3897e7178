// The PNG files of `alexnet train`: the training curves and the conv1
// kernels grouped by partition (the paper's Figure 3). The drawing lives in
// src/viz/ and is shared with the browser page; here it goes onto pureimage
// (a pure-JavaScript canvas). Text uses DejaVu Sans when the system has it
// (Debian: fonts-dejavu-core) and is left out otherwise.

import { createWriteStream, existsSync } from 'node:fs';
import * as PImage from 'pureimage';
import type { EpochRecord } from '../nn/trainer.js';
import { type Ctx2D, type Panel, drawEpochCurves, drawPanels } from '../viz/charts.js';
import { kernelMosaic } from '../viz/kernels.js';
import type { Mosaic } from '../viz/mosaic.js';

const FONT_FILE = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
let fontReady: boolean | undefined;

function fontFamily(): string | null {
  if (fontReady === undefined) {
    fontReady = existsSync(FONT_FILE);
    if (fontReady) PImage.registerFont(FONT_FILE, 'DejaVu').loadSync();
  }
  return fontReady ? 'DejaVu' : null;
}

async function save(img: ReturnType<typeof PImage.make>, path: string): Promise<void> {
  await PImage.encodePNGToStream(img, createWriteStream(path));
}

/** Loss and error curves per epoch: training and validation loss; validation top-1 and top-5 error. */
export async function writeCurvesPng(history: readonly EpochRecord[], path: string, title: string): Promise<void> {
  const img = PImage.make(900, 380);
  drawEpochCurves(img.getContext('2d') as unknown as Ctx2D, { family: fontFamily() }, history, title);
  await save(img, path);
}

/** The conv1 kernels [Cout, Cin, k, k] as a PNG, one block of rows per partition (src/viz/kernels.ts). */
export async function writeKernelsPng(w: { data: Float32Array; shape: number[] }, partitions: number, path: string, order: 'rgb' | 'bgr' = 'rgb'): Promise<void> {
  await writeMosaicPng(kernelMosaic(w, partitions, order), path);
}

/** A picture of src/viz/ (pixels and captions) as a PNG. */
export async function writeMosaicPng(m: Mosaic, path: string): Promise<void> {
  const img = PImage.make(m.width, m.height);
  for (let y = 0; y < m.height; y++) for (let x = 0; x < m.width; x++) {
    const i = (y * m.width + x) * 4;
    img.setPixelRGBA(x, y, ((m.rgba[i] << 24) | (m.rgba[i + 1] << 16) | (m.rgba[i + 2] << 8) | m.rgba[i + 3]) >>> 0);
  }
  const family = fontFamily();
  if (family !== null) {
    const ctx = img.getContext('2d');
    ctx.fillStyle = '#222222';
    ctx.font = `12px ${family}`;
    for (const c of m.captions) ctx.fillText(c.text, c.x, c.y);
  }
  await save(img, path);
}

/** Panels of curves side by side on one PNG (the experiments' plots). */
export async function writePanelsPng(path: string, title: string, panels: readonly Panel[]): Promise<void> {
  const img = PImage.make(450 * panels.length, 380);
  drawPanels(img.getContext('2d') as unknown as Ctx2D, { family: fontFamily() }, panels, title);
  await save(img, path);
}
