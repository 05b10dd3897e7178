// Tensor helpers of the GPU backend: the twins of reshape() and zeros() in
// src/cpu/tensor.ts.

import { fmtShape, sizeOf } from '../cpu/tensor.js';
import { type GpuContext, type GpuTensor, idiv, texDims } from './context.js';

/** The flat row-major index of the current thread's element, as kernel source, for a tensor of this shape. */
export function flatIndex(shape: readonly number[]): string {
  const d = texDims(shape);
  if (d.length === 1) return 'this.thread.x';
  if (d.length === 2) return `(this.thread.y * ${d[0]} + this.thread.x)`;
  return `((this.thread.z * ${d[1]} + this.thread.y) * ${d[0]} + this.thread.x)`;
}

/** Kernel source reading element `flat` (an expression) of a tensor of this shape. */
function readFlat(name: string, shape: readonly number[], flat: string): string {
  const d = texDims(shape);
  if (d.length === 1) return `${name}[${flat}]`;
  if (d.length === 2) {
    return `${name}[${idiv(flat, d[0])}][${flat} - ${idiv(flat, d[0])} * ${d[0]}]`;
  }
  const plane = d[0] * d[1];
  return `${name}[${idiv(flat, plane)}][${idiv(`${flat} - ${idiv(flat, plane)} * ${plane}`, d[0])}][${flat} - ${idiv(flat, d[0])} * ${d[0]}]`;
}

/**
 * The same values with another shape of equal size. Textures of different
 * rank are addressed differently, so this copies (flatten before fc6 and its
 * backward: [N, 256, 6, 6] <-> [N, 9216], small). Flat indices here stay far below 2^24.
 */
export function reshape(t: GpuTensor, shape: readonly number[]): GpuTensor {
  if (sizeOf(shape) !== sizeOf(t.shape)) {
    throw new RangeError(`reshape: cannot view ${fmtShape(t.shape)} (${sizeOf(t.shape)} elements) as ${fmtShape(shape)}`);
  }
  if (sizeOf(shape) >= 2 ** 24) throw new RangeError(`reshape: ${fmtShape(shape)} has 2^24 or more elements; flat indices would be inexact`);
  const src = `function (a) { const f = ${flatIndex(shape)}; return ${readFlat('a', t.shape, 'f')}; }`;
  return t.ctx.run(src, shape, t.tex);
}

/** A zero tensor of the given shape in this context. */
export function zeros(ctx: GpuContext, shape: readonly number[]): GpuTensor {
  return ctx.run('function () { return 0; }', shape);
}
