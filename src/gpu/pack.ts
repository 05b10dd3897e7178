// Packing four values to an RGBA texel and back, shared by the kernels that
// read packed operands (conv2d.ts, lrn.ts): texture reads, not arithmetic,
// bound a software renderer, and one read of a packed texel brings four values.

import type { Texture } from 'gpu.js';
import { type GpuContext, type GpuTensor, idiv } from './context.js';

/** Kernel source for the dot product of two four-value texels a and v. */
export const dot4 = (a: string, v: string) => `${a}[0] * ${v}[0] + ${a}[1] * ${v}[1] + ${a}[2] * ${v}[2] + ${a}[3] * ${v}[3]`;

/** Kernel source setting variable r to component k of texel v (GLSL ES 1.0 has no dynamic component index). */
export const select = (v: string, r: string) => `${r} = ${v}[3];
    if (k == 0) ${r} = ${v}[0];
    if (k == 1) ${r} = ${v}[1];
    if (k == 2) ${r} = ${v}[2];`;

/** t [N, C, H, W] (C a multiple of 4) as an Array(4) texture [W, H, N C / 4] whose texel (n C / 4 + q, i, j) holds t[n, 4q + k, i, j] for k = 0..3. */
export function packByChannel(ctx: GpuContext, t: Texture, shape: readonly number[]): Texture {
  const [N, C, H, W] = shape;
  const Q = C / 4;
  return ctx.runPacked(`function (t) {
    const n = ${idiv('this.thread.z', Q)};
    const z = n * ${C} + (this.thread.z - n * ${Q}) * 4;
    return [t[z][this.thread.y][this.thread.x], t[z + 1][this.thread.y][this.thread.x], t[z + 2][this.thread.y][this.thread.x], t[z + 3][this.thread.y][this.thread.x]];
  }`, [W, H, N * Q], t);
}

/**
 * Turns an Array(4) texture into a tensor of the usual layout and releases
 * it. `locate` is kernel source that sets pz (the packed plane), px (the
 * packed column) and k (the component) of output element this.thread; with
 * `slices`, the texture holds `count` stacks of `planes` planes, partial sums
 * added here in stack order; with acc, acc's value is added last; with
 * keep, the texture is not released.
 */
export function unpack4(ctx: GpuContext, tex: Texture, shape: readonly number[], locate: string, acc?: GpuTensor, slices = { count: 1, planes: 0 }, keep = false): GpuTensor {
  const sum = slices.count === 1 ? `const v = t[pz][this.thread.y][px];
    let r = 0;
    ${select('v', 'r')}` : `let r = 0;
    for (let sl = 0; sl < ${slices.count}; sl++) {
      const v = t[sl * ${slices.planes} + pz][this.thread.y][px];
      let e = 0;
      ${select('v', 'e')}
      r += e;
    }`;
  const src = `function (t${acc ? ', acc' : ''}) {
    ${locate}
    ${sum}
    return r${acc ? ' + acc[this.thread.z][this.thread.y][this.thread.x]' : ''};
  }`;
  const out = ctx.run(src, shape, tex, ...(acc ? [acc.tex] : []));
  if (!keep) ctx.release(tex);
  return out;
}


/** Unpacks a texture in packByChannel's layout ([W, H, N C / 4], channel 4q + k in component k of plane n C / 4 + q) to a tensor [N, C, H, W], releasing it unless `keep`. */
export function unpackByChannel(ctx: GpuContext, tex: Texture, shape: readonly number[], keep = false): GpuTensor {
  const C = shape[1];
  return unpack4(ctx, tex, shape, `
    const n = ${idiv('this.thread.z', C)};
    const c = this.thread.z - n * ${C};
    const q = ${idiv('c', 4)};
    const k = c - q * 4;
    const pz = n * ${C / 4} + q;
    const px = this.thread.x;`, undefined, undefined, keep);
}
