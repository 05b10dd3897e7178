// dw of the 2-D convolution on the GPU (conv2d-backward.ts dispatches to it;
// the equations are in conv2d.ts): the weight gradient
//   dw[o, c, u, v] = sum_{n, i, j} dy[n, o, i, j] x[n, g Cg + c, i stride - pad + u, j stride - pad + v]
// as the forward pass's 2 x 2 tile kernel with the images in the role of the
// input channels ('tile', at stride 1), or four output channels a thread
// ('x4'); both over slices of the images, whose partial sums the unpacking
// kernel adds in slice order, so that so small an output still keeps
// llvmpipe's cores busy.

import { type Conv2dParams, conv2dGeometry } from '../cpu/conv2d.js';
import { type GpuTensor, idiv } from './context.js';
import { conv2dForwardTile } from './conv2d.js';
import { packByChannel, unpack4 } from './pack.js';

/**
 * How many threads dw's kernel should have at least. dw is small (conv1 of
 * the small net: 16 x 1 x 5 x 5 values, 100 threads of four) and each of its
 * threads sums over every image and output pixel (128 x 28 x 28 terms): so few
 * threads fill one 64 x 64 tile of llvmpipe's rasteriser, which one core
 * renders while the others wait (a real GPU idles likewise). So the images are
 * cut into slices, one partial sum per slice and thread, summed by the unpacking
 * kernel: N slices of one image at most. Measured (tmp profile of the small
 * net's step, 2026-12-03): the dw kernels were 26 % of the step. Specs lower
 * it to force uneven slices.
 */
export const conv2dTuning = { dwThreads: 16384 };

/** Slices of the N images for dw: `count` slices of `chunk` images (the last may have fewer). */
export function dwSlices(N: number, threads: number, target = conv2dTuning.dwThreads): { count: number; chunk: number } {
  const want = Math.min(N, Math.max(1, Math.floor(target / threads)));
  const chunk = Math.ceil(N / want);
  return { count: Math.ceil(N / chunk), chunk };
}

/**
 * Whether dw of a convolution with weights of this shape runs through the tile kernel (kernel 'tile'):
 * stride 1, Cout / groups even, at least 4 input channels per group. A first layer (1 or 3 channels) has too
 * few threads even in slices of four images (measured: the small net's conv1 dw 45 ms a step with x4, 64 with the tile).
 */
export function dwAsTile(p: Conv2dParams, wShape: readonly number[]): boolean {
  return p.stride === 1 && (wShape[0] / p.groups) % 2 === 0 && wShape[1] >= 4;
}

/**
 * Slices of the N images for dw through the tile kernel, given the tile
 * kernel's threads for one slice: enough slices for `target` threads (as
 * dwSlices), each a multiple of 4 images (one texel of the packed images),
 * the last padded with zero images.
 */
export function dwTileSlices(N: number, threads: number, target = conv2dTuning.dwThreads): { count: number; chunk: number } {
  const want = Math.min(Math.ceil(N / 4), Math.max(1, Math.ceil(target / threads)));
  const chunk = 4 * Math.ceil(N / (4 * want));
  return { count: Math.ceil(N / chunk), chunk };
}

/**
 * dw at stride 1 as a forward convolution in which the images play the input
 * channels: per group g and slice s of Nc images (dwTileSlices),
 *   part[c, (g S + s) Coutg + o, u, v] = sum_{m, i, j} dy[s Nc + m, g Coutg + o, i, j] * x[s Nc + m, g Cg + c, i - pad + u, j - pad + v]
 * which is conv(xs, ds) with xs[c, (g S + s) Nc + m] = x[s Nc + m, g Cg + c] (input channels: the images),
 * ds[(g S + s) Coutg + o, m] = dy[s Nc + m, g Coutg + o] (filters: dy's planes, Ho x Wo) and groups G S;
 * its output is kH x kW, as H + 2 pad - Ho + 1 = kH at stride 1. The forward 2 x 2 tile kernel then reads
 * 0.25 texels per multiply-add (four images a texel), against 0.5 for the x4 kernel below. The slices'
 * sums are added in slice order, then acc. Sums run over four images at a time (agreement to float32 rounding).
 */
export function conv2dBackwardDwTile(dy: GpuTensor, x: GpuTensor, wShape: readonly number[], p: Conv2dParams, acc?: GpuTensor): GpuTensor {
  const ctx = dy.ctx;
  const { N, C, H, W, Cout, Cg, kH, kW, Ho, Wo, Coutg, G } = conv2dGeometry('conv2dBackward', x.shape, wShape, p);
  const { count: S, chunk: Nc } = dwTileSlices(N, Math.ceil(kW / 2) * kH * Cg * Cout / 2);
  const image = (q: string) => `const gs = ${idiv(q, Nc)};
    const m = ${q} - gs * ${Nc};
    const g = ${idiv('gs', S)};
    const n = (gs - g * ${S}) * ${Nc} + m;`;
  const xs = ctx.run(`function (x) {
    const c = ${idiv('this.thread.z', G * S * Nc)};
    const q = this.thread.z - c * ${G * S * Nc};
    ${image('q')}
    let v = 0;
    if (n < ${N}) v = x[n * ${C} + g * ${Cg} + c][this.thread.y][this.thread.x];
    return v;
  }`, [Cg, G * S * Nc, H, W], x.tex);
  const ds = ctx.run(`function (dy) {
    const f = ${idiv('this.thread.z', Nc)};
    const h = ${idiv('f', Coutg)};
    const o = f - h * ${Coutg};
    const q = h * ${Nc} + this.thread.z - f * ${Nc};
    ${image('q')}
    let v = 0;
    if (n < ${N}) v = dy[n * ${Cout} + g * ${Coutg} + o][this.thread.y][this.thread.x];
    return v;
  }`, [G * S * Coutg, Nc, Ho, Wo], dy.tex);
  const zero = ctx.run('function () { return 0; }', [G * S * Coutg]);
  const part = conv2dForwardTile(xs, ds, zero, { stride: 1, pad: p.pad, groups: G * S });
  ctx.dispose(xs);
  ctx.dispose(ds);
  ctx.dispose(zero);
  const dw = ctx.run(`function (part${acc ? ', acc' : ''}) {
    const of = ${idiv('this.thread.z', Cg)};
    const c = this.thread.z - of * ${Cg};
    const g = ${idiv('of', Coutg)};
    const o = of - g * ${Coutg};
    let r = 0;
    for (let s = 0; s < ${S}; s++) {
      r += part[c * ${G * S * Coutg} + (g * ${S} + s) * ${Coutg} + o][this.thread.y][this.thread.x];
    }
    return r${acc ? ' + acc[this.thread.z][this.thread.y][this.thread.x]' : ''};
  }`, wShape, part.tex, ...(acc ? [acc.tex] : []));
  ctx.dispose(part);
  return dw;
}

/**
 * dw with four output channels o .. o + 3 per thread, dy of those channels
 * packed into one texel: two texture reads (an input value and four dy
 * values) per four multiply-adds. Needs Coutg % 4 == 0. Each thread sums one
 * slice of the images (dwSlices); the unpacking kernel adds the slices' sums
 * in slice order (then acc): float32 sums over fewer terms each.
 */
export function conv2dBackwardDwX4(dy: GpuTensor, x: GpuTensor, wShape: readonly number[], p: Conv2dParams, acc?: GpuTensor): GpuTensor {
  const ctx = dy.ctx;
  const { N, C, H, W, Cout, Cg, kH, kW, Ho, Wo, Coutg } = conv2dGeometry('conv2dBackward', x.shape, wShape, p);
  const s = p.stride, pad = p.pad;
  const P = (Cout / 4) * Cg;
  const slices = dwSlices(N, kW * kH * P);
  const dy4 = packByChannel(ctx, dy.tex, dy.shape);
  // Packed plane sl * P + q * Cg + c holds slice sl's sum of dw[4q + k, c] in component k.
  const packed = `function (dy4, x) {
    const sl = ${idiv('this.thread.z', P)};
    const pz = this.thread.z - sl * ${P};
    const q = ${idiv('pz', Cg)};
    const c = pz - q * ${Cg};
    const o = q * 4;
    const g = ${idiv('o', Coutg)};
    const u = this.thread.y;
    const v = this.thread.x;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let nn = 0; nn < ${slices.chunk}; nn++) {
      const n = sl * ${slices.chunk} + nn;
      if (n < ${N}) {
        for (let i = 0; i < ${Ho}; i++) {
          const yy = i * ${s} - ${pad} + u;
          if (yy >= 0 && yy < ${H}) {
            for (let j = 0; j < ${Wo}; j++) {
              const xx = j * ${s} - ${pad} + v;
              if (xx >= 0 && xx < ${W}) {
                const xv = x[n * ${C} + g * ${Cg} + c][yy][xx];
                const d = dy4[n * ${Cout / 4} + q][i][j];
                s0 += d[0] * xv;
                s1 += d[1] * xv;
                s2 += d[2] * xv;
                s3 += d[3] * xv;
              }
            }
          }
        }
      }
    }
    return [s0, s1, s2, s3];
  }`;
  const tex = ctx.runPacked(packed, [kW, kH, P * slices.count], dy4, x.tex);
  ctx.release(dy4);
  const out = unpack4(ctx, tex, wShape, `
    const o = ${idiv('this.thread.z', Cg)};
    const c = this.thread.z - o * ${Cg};
    const q = ${idiv('o', 4)};
    const k = o - q * 4;
    const pz = q * ${Cg} + c;
    const px = this.thread.x;`, acc, { count: slices.count, planes: P });
  return out;
}
