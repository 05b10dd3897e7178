// The column kernels of a convolution (conv2d.ts): im2col gathers every
// receptive field of a chunk of images into a column of a matrix, so that the
// convolution of a group becomes one matrix product, W_g [Coutg, Cg kH kW]
// times col [Cg kH kW, images x Ho Wo]; col2im, its adjoint, adds each column
// entry of the backward product back onto the pixel it came from. These plain
// loops are the definitions; im2col-wasm.ts holds the same kernels in
// WebAssembly (spec/cpu/im2col-wasm.spec.ts checks them against these), and
// the *For functions pick between them.

import type { Conv2dDims, Conv2dParams } from './conv2d.js';
import { COL2IM_WASM, IM2COL_WASM, im2colWasmFor } from './im2col-wasm.js';
import type { RangeKernel } from './parallel.js';
import type { FloatArray } from './tensor.js';

/** The geometry the column kernels need, as their nums: [C, H, W, Cg, kH, kW, Ho, Wo, stride, pad]. */
export function geometryNums(d: Conv2dDims, p: Conv2dParams): number[] {
  return [d.C, d.H, d.W, d.Cg, d.kH, d.kW, d.Ho, d.Wo, p.stride, p.pad];
}

// The output columns j whose input pixel xx = j stride - pad + v lies inside the image ([0, W)) for kernel column v:
// jLo <= j < jHi, found once per row so that the loops over j test no bounds.
/** The first output column whose pixel for kernel column v is inside the image (at most Wo). */
function firstInside(v: number, stride: number, pad: number, Wo: number): number {
  return Math.min(Wo, Math.max(0, Math.ceil((pad - v) / stride)));
}

/** One past the last output column whose pixel for kernel column v is inside a W-wide image, at least jLo, at most Wo. */
function endInside(v: number, stride: number, pad: number, W: number, Wo: number, jLo: number): number {
  return Math.max(jLo, Math.min(Wo, Math.floor((W - 1 + pad - v) / stride) + 1));
}

/**
 * im2col over items from..to - 1 of a chunk of m images n0.. and group g, an
 * item being one row r = (c kH + u) kW + v of one image i (item = r m + i,
 * so that a range writes along col's rows; ld = m Ho Wo):
 * col[r][i Ho Wo + (i' Wo + j)] is the input pixel that weight (c, u, v)
 * meets at output position (i', j), or 0 in the padding. The convolution of
 * the group is then W_g [Coutg, Cg kH kW] times col [Cg kH kW, images x Ho Wo]:
 * the chunk's images side by side make one wider product. Arrays [x, col],
 * nums geometryNums then [n0, g, ld] (ld: the length of col's rows).
 */
export const IM2COL: RangeKernel = {
  name: 'conv2d.im2col',
  run([x, col], [C, H, W, Cg, kH, kW, Ho, Wo, stride, pad, n0, g, ld], from, to) {
    const P = Ho * Wo, m = ld / P;
    for (let t = from; t < to; t++) {
      const r = Math.floor(t / m), i = t - r * m;
      const c = Math.floor(r / (kH * kW)), u = Math.floor(r / kW) % kH, v = r % kW;
      const plane = ((n0 + i) * C + g * Cg + c) * H * W;
      const jLo = firstInside(v, stride, pad, Wo), jHi = endInside(v, stride, pad, W, Wo, jLo);
      const row = r * ld + i * P;
      // Plain loops, not fill(): the rows of a small image are a few values long, where a call costs more.
      for (let ii = 0; ii < Ho; ii++) {
        const yy = ii * stride - pad + u;
        const out = row + ii * Wo;
        if (yy < 0 || yy >= H) {
          for (let j = 0; j < Wo; j++) col[out + j] = 0;
          continue;
        }
        const line = plane + yy * W - pad + v;
        for (let j = 0; j < jLo; j++) col[out + j] = 0;
        for (let j = jLo; j < jHi; j++) col[out + j] = x[line + j * stride];
        for (let j = jHi; j < Wo; j++) col[out + j] = 0;
      }
    }
  },
};

/** The im2col kernel for these tensors: IM2COL_WASM (the same columns, about 3x faster) for float32 data, else IM2COL. */
export function im2colFor(data: FloatArray): RangeKernel {
  return im2colWasmFor(data) ? IM2COL_WASM : IM2COL;
}

/**
 * col2im, the adjoint of im2col: adds every column entry back onto the input
 * pixel it came from, over items from..to - 1 of a chunk, an item being one
 * input channel c of one image i (item = i Cg + c), whose plane only its own
 * rows reach. Arrays [dcol, dx], nums as IM2COL's.
 */
export const COL2IM: RangeKernel = {
  name: 'conv2d.col2im',
  run([col, dx], [C, H, W, Cg, kH, kW, Ho, Wo, stride, pad, n0, g, ld], from, to) {
    const P = Ho * Wo;
    for (let t = from; t < to; t++) {
      const i = Math.floor(t / Cg), c = t - i * Cg;
      const plane = ((n0 + i) * C + g * Cg + c) * H * W;
      for (let u = 0; u < kH; u++)
        for (let v = 0; v < kW; v++) {
          const row = ((c * kH + u) * kW + v) * ld + i * P;
          const jLo = firstInside(v, stride, pad, Wo), jHi = endInside(v, stride, pad, W, Wo, jLo);
          for (let ii = 0; ii < Ho; ii++) {
            const yy = ii * stride - pad + u;
            if (yy < 0 || yy >= H) continue;
            const line = plane + yy * W - pad + v, out = row + ii * Wo;
            for (let j = jLo; j < jHi; j++) dx[line + j * stride] += col[out + j];
          }
        }
    }
  },
};

/** The col2im kernel for these tensors: COL2IM_WASM for float32 data, else COL2IM. */
export function col2imFor(data: FloatArray): RangeKernel {
  return im2colWasmFor(data) ? COL2IM_WASM : COL2IM;
}
