// Line charts drawn on any 2-D canvas context: a browser's <canvas> on the
// page, pureimage's pure-JavaScript canvas for the PNG files of
// `alexnet train`. Only the calls below are used, so both draw the same chart.

import { nice, tickStep, ticks } from 'd3-array';
import type { EpochRecord } from '../nn/trainer.js';

/** The part of CanvasRenderingContext2D the charts use (a browser canvas and pureimage both have it). */
export interface Ctx2D {
  fillStyle: string | CanvasGradient | CanvasPattern;
  strokeStyle: string | CanvasGradient | CanvasPattern;
  lineWidth: number;
  font: string;
  fillRect(x: number, y: number, w: number, h: number): void;
  strokeRect(x: number, y: number, w: number, h: number): void;
  beginPath(): void;
  moveTo(x: number, y: number): void;
  lineTo(x: number, y: number): void;
  stroke(): void;
  fillText(s: string, x: number, y: number): void;
}

/** One line of a chart. */
export interface Series {
  name: string;
  color: string;
  values: readonly number[];
}

/** How text is drawn: the font family, or null where no font is available (the chart is drawn without text). */
export interface ChartText {
  family: string | null;
}

function label(ctx: Ctx2D, t: ChartText, s: string, x: number, y: number, size = 13, color = '#222222'): void {
  if (t.family === null) return;
  ctx.fillStyle = color;
  ctx.font = `${size}px ${t.family}`;
  ctx.fillText(s, x, y);
}

/**
 * The value axis of a panel: the data's range widened to round bounds, and
 * about five ticks at round values (1, 2 or 5 times a power of ten: d3-array's
 * nice() and ticks(), rather than a hand-written rule), each with the decimals
 * its step needs (0.05 steps print as 0.20, 0.25, ...; 2 steps as 4, 6, ...).
 */
export function valueAxis(lo: number, hi: number, count = 5): { lo: number; hi: number; ticks: { value: number; text: string }[] } {
  [lo, hi] = nice(lo, hi, count);
  const step = tickStep(lo, hi, count);
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return { lo, hi, ticks: ticks(lo, hi, count).map((value) => ({ value, text: value.toFixed(decimals) })) };
}

/**
 * One panel in the box (x0, y0, w, h): series of values over xs, with a frame,
 * value ticks at round values (valueAxis), x ticks and a legend. Non-finite values are skipped.
 */
export function drawPanel(
  ctx: Ctx2D, t: ChartText, box: { x0: number; y0: number; w: number; h: number }, title: string,
  series: readonly Series[], xs: readonly number[], xLabel: string,
): void {
  const { x0, y0, w, h } = box;
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  if (all.length === 0) {
    ctx.strokeStyle = '#999999';
    ctx.lineWidth = 1;
    ctx.strokeRect(x0 + 50, y0 + 30, w - 60, h - 65);
    label(ctx, t, title, x0 + 50, y0 + 20, 15);
    label(ctx, t, 'no data yet', x0 + w / 2 - 30, y0 + h / 2, 12, '#888888');
    return;
  }
  let lo = Math.min(...all), hi = Math.max(...all);
  if (!(hi > lo)) { lo -= 1; hi += 1; }
  const pad = (hi - lo) * 0.08;
  const axis = valueAxis(lo >= 0 ? Math.max(0, lo - pad) : lo - pad, hi + pad);
  lo = axis.lo; hi = axis.hi;
  const L = x0 + 50, R = x0 + w - 10, T = y0 + 30, B = y0 + h - 35;
  const first = xs.length ? xs[0] : 0, last = xs.length ? xs[xs.length - 1] : 1;
  const px = (e: number) => L + ((e - first) / Math.max(1e-9, last - first)) * (R - L);
  const py = (v: number) => B - ((v - lo) / (hi - lo)) * (B - T);
  ctx.strokeStyle = '#999999';
  ctx.lineWidth = 1;
  ctx.strokeRect(L, T, R - L, B - T);
  label(ctx, t, title, L, y0 + 20, 15);
  for (const tick of axis.ticks) label(ctx, t, tick.text, x0 + 2, py(tick.value) + 4, 11, '#555555');
  // At most ~10 x ticks, at whole numbers.
  const step = Math.max(1, Math.ceil((last - first) / 10));
  for (let e = Math.ceil(first); e <= last; e += step) label(ctx, t, String(e), px(e) - 4, B + 16, 11, '#555555');
  label(ctx, t, xLabel, (L + R) / 2 - 15, B + 31, 12, '#555555');
  series.forEach((s, i) => {
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    let started = false;
    s.values.forEach((v, j) => {
      if (!Number.isFinite(v)) return;
      if (started) ctx.lineTo(px(xs[j]), py(v));
      else { ctx.moveTo(px(xs[j]), py(v)); started = true; }
    });
    ctx.stroke();
    if (s.values.length <= 60) for (let j = 0; j < s.values.length; j++) if (Number.isFinite(s.values[j])) ctx.fillRect(px(xs[j]) - 2, py(s.values[j]) - 2, 5, 5);
    ctx.fillRect(R - 170, T + 10 + 18 * i, 14, 4);
    label(ctx, t, s.name, R - 150, T + 16 + 18 * i, 12);
  });
}

/** One panel of drawPanels: its title, its series over xs, and the x axis's label. */
export interface Panel {
  title: string;
  series: readonly Series[];
  xs: readonly number[];
  xLabel: string;
}

/** Panels side by side, 450 x 360 each under a title line, on a white (450 * panels) x 380 context. */
export function drawPanels(ctx: Ctx2D, t: ChartText, panels: readonly Panel[], title: string): void {
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, 450 * panels.length, 380);
  label(ctx, t, title, 10, 18, 13, '#444444');
  panels.forEach((p, i) => drawPanel(ctx, t, { x0: 450 * i, y0: 20, w: 450, h: 360 }, p.title, p.series, p.xs, p.xLabel));
}

/** Loss and error curves per epoch on a 900 x 380 context: training and validation loss; validation top-1 and top-5 error. */
export function drawEpochCurves(ctx: Ctx2D, t: ChartText, history: readonly EpochRecord[], title: string): void {
  const epochs = history.map((r) => r.epoch);
  drawPanels(ctx, t, [
    { title: 'loss', xs: epochs, xLabel: 'epoch', series: [
      { name: 'training (mean over batches)', color: '#1f77b4', values: history.map((r) => r.trainLoss) },
      { name: 'validation', color: '#d62728', values: history.map((r) => r.valLoss) },
    ] },
    { title: 'validation error (%)', xs: epochs, xLabel: 'epoch', series: [
      { name: 'top-1', color: '#d62728', values: history.map((r) => 100 * (1 - r.valTop1)) },
      { name: 'top-5', color: '#2ca02c', values: history.map((r) => 100 * (1 - r.valTop5)) },
    ] },
  ], title);
}
