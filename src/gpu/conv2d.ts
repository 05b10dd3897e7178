// 2-D convolution with stride, zero padding and groups: the GPU twin of
// src/cpu/conv2d.ts (same names, same shapes, same equation):
//
//   x [N, C, H, W]   w [Cout, C / groups, kH, kW]   b [Cout]   ->   y [N, Cout, Ho, Wo]
//   y[n, o, i, j] = b[o] + sum_{c, u, v} w[o, c, u, v] * x[n, g * Cg + c, i * stride - pad + u, j * stride - pad + v]
//
// The simple kernel gives each thread one output, summed in float32 in the
// order c, u, v; the tiled ones (below) four outputs a thread from operands
// packed four channels to a texel, summed four channels at a time (the CPU
// reference sums in double precision, hence the stated tolerance in
// spec/gpu/). Backward (conv2d-backward.ts):
//   dx[n, g Cg + c, y, x] = sum over o in group g, u, v with (y + pad - u) = i stride, (x + pad - v) = j stride
//                            of dy[n, o, i, j] * w[o, c, u, v]
//   dw[o, c, u, v]        = sum_{n, i, j} dy[n, o, i, j] * x[n, g Cg + c, i stride - pad + u, j stride - pad + v]
//   db[o]                 = sum_{n, i, j} dy[n, o, i, j]

import { type Conv2dParams, conv2dGeometry } from '../cpu/conv2d.js';
import { fmtShape } from '../cpu/tensor.js';
import type { Texture } from 'gpu.js';
import { type GpuContext, type GpuTensor, idiv, sameContext } from './context.js';
import { dot4, unpack4 } from './pack.js';


/** Throws a RangeError naming fn and the tensor when t's shape is not `shape`. */
export function expectShape(fn: string, name: string, t: GpuTensor, shape: readonly number[]): void {
  if (t.shape.join() !== shape.join()) throw new RangeError(`${fn}: ${name} has shape ${fmtShape(t.shape)}, expected ${fmtShape(shape)}`);
}

/**
 * How the forward pass spreads work over threads: one output each
 * ('simple', the equation as written), or a 2 x 2 tile of two channels at two
 * columns from operands packed four to a texel, by input channel ('tile') or
 * by column ('cols', for layers with fewer than four input channels per group).
 */
export type ConvForwardKernel = 'simple' | 'tile' | 'cols';


/**
 * Forward convolution on the GPU: y = conv(x, w) + b. By default a 2 x 2
 * output tile per thread when the group's output channel count is even
 * (bench/gpu-kernels.ts measures the ratio against the simple kernel), by
 * column for a first layer, else one output per thread.
 */
export function conv2dForward(x: GpuTensor, w: GpuTensor, b: GpuTensor, p: Conv2dParams, kernel?: ConvForwardKernel): GpuTensor {
  const { Cg, Coutg } = conv2dGeometry('conv2dForward', x.shape, w.shape, p);
  const k = kernel ?? (Coutg % 2 !== 0 ? 'simple' : Cg < 4 ? 'cols' : 'tile');
  return k === 'cols' ? conv2dForwardCols(x, w, b, p) : k === 'tile' ? conv2dForwardTile(x, w, b, p) : conv2dForwardSimple(x, w, b, p);
}

/** One thread per output element: the formula at the top, as it stands. */
export function conv2dForwardSimple(x: GpuTensor, w: GpuTensor, b: GpuTensor, p: Conv2dParams): GpuTensor {
  const ctx = sameContext('conv2dForward', x, w, b);
  const { N, C, H, W, Cout, Cg, kH, kW, Ho, Wo, Coutg } = conv2dGeometry('conv2dForward', x.shape, w.shape, p);
  expectShape('conv2dForward', 'b', b, [Cout]);
  const src = `function (x, w, b) {
    const n = ${idiv('this.thread.z', Cout)};
    const o = this.thread.z - n * ${Cout};
    const g = ${idiv('o', Coutg)};
    const y0 = this.thread.y * ${p.stride} - ${p.pad};
    const x0 = this.thread.x * ${p.stride} - ${p.pad};
    let s = b[o];
    for (let c = 0; c < ${Cg}; c++) {
      const xz = n * ${C} + g * ${Cg} + c;
      const wz = o * ${Cg} + c;
      for (let u = 0; u < ${kH}; u++) {
        const yy = y0 + u;
        if (yy >= 0 && yy < ${H}) {
          for (let v = 0; v < ${kW}; v++) {
            const xx = x0 + v;
            if (xx >= 0 && xx < ${W}) {
              s += w[wz][u][v] * x[xz][yy][xx];
            }
          }
        }
      }
    }
    return s;
  }`;
  return ctx.run(src, [N, Cout, Ho, Wo], x.tex, w.tex, b.tex);
}

/**
 * Kernel source opening both tiled forward kernels: thread z is (image n,
 * output channels o, o + 1 of group g), thread (x, y) the tile's output row i
 * and columns 2x, 2x + 1, whose windows start at row y0 and columns x0 and
 * x0 + stride of the padded input; sums s{channel}{column} start at the biases.
 */
function tileStart(P: number, Coutg: number, stride: number): string {
  return `const n = ${idiv('this.thread.z', P)};
    const o = (this.thread.z - n * ${P}) * 2;
    const g = ${idiv('o', Coutg)};
    const y0 = this.thread.y * ${stride};
    const x0 = this.thread.x * ${2 * stride};
    let s00 = b[o];
    let s10 = b[o + 1];
    let s01 = s00;
    let s11 = s10;`;
}


/**
 * Two output channels o, o + 1 (same group) at two output columns j, j + 1
 * per thread: the 2 x 2 output tile that needs the fewest texture reads per
 * multiply-add when a thread writes four values (one RGBA texel). x is first
 * packed four input channels to a texel with its zero padding written out, so
 * the sum needs no bounds tests, and each filter likewise; a step of the sum
 * reads two input texels and two weight texels for sixteen multiply-adds
 * (0.25 reads each, against 0.31 for four channels at one pixel and 1.25 for
 * the simple kernel). Texture reads, not arithmetic, bound a software
 * renderer (bench/gpu-kernels.ts). A second kernel unpacks the tiles into
 * the usual layout. Sums run over input channels four at a time, in a
 * different order than the simple kernel's (agreement to float32 rounding).
 * Needs Cout / groups even (true at every AlexNet layer).
 */
export function conv2dForwardTile(x: GpuTensor, w: GpuTensor, b: GpuTensor, p: Conv2dParams): GpuTensor {
  const ctx = sameContext('conv2dForward', x, w, b);
  const { N, C, H, W, Cout, Cg, kH, kW, Ho, Wo, Coutg } = conv2dGeometry('conv2dForward', x.shape, w.shape, p);
  expectShape('conv2dForward', 'b', b, [Cout]);
  if (Coutg % 2 !== 0) throw new RangeError(`conv2dForwardTile: Cout / groups = ${Coutg} is not even`);
  const s = p.stride, R = Math.ceil(Cg / 4), groups = C / Cg, P = Cout / 2, Wt = Math.ceil(Wo / 2);
  // Padded input: rows and columns the windows reach, the second column of the last tile included when Wo is odd.
  const Hp = H + 2 * p.pad, Wp = Math.max(W + 2 * p.pad, (2 * Wt - 1) * s + kW);
  const x4 = packInputByChannel(ctx, x.tex, x.shape, groups, p.pad, Hp, Wp);
  const w4 = packWeightsByInput(ctx, w.tex, w.shape);
  const tile = `function (x4, w4, b) {
    ${tileStart(P, Coutg, s)}
    for (let r = 0; r < ${R}; r++) {
      const xz = (n * ${groups} + g) * ${R} + r;
      const wz = o * ${R} + r;
      for (let u = 0; u < ${kH}; u++) {
        for (let v = 0; v < ${kW}; v++) {
          const p0 = x4[xz][y0 + u][x0 + v];
          const p1 = x4[xz][y0 + u][x0 + ${s} + v];
          const w0 = w4[wz][u][v];
          const w1 = w4[wz + ${R}][u][v];
          s00 += ${dot4('w0', 'p0')};
          s10 += ${dot4('w1', 'p0')};
          s01 += ${dot4('w0', 'p1')};
          s11 += ${dot4('w1', 'p1')};
        }
      }
    }
    return [s00, s10, s01, s11];
  }`;
  return runTiles(ctx, tile, x4, w4, b, [N, Cout, Ho, Wo]);
}

/**
 * Runs a tiled forward kernel on the packed operands (then released) into a
 * texture [ceil(Wo / 2), Ho, N Cout / 2] and unpacks it to y [N, Cout, Ho, Wo].
 */
function runTiles(ctx: GpuContext, src: string, x4: Texture, w4: Texture, b: GpuTensor, [N, Cout, Ho, Wo]: number[]): GpuTensor {
  const tex = ctx.runPacked(src, [Math.ceil(Wo / 2), Ho, N * Cout / 2], x4, w4, b.tex);
  ctx.release(x4);
  ctx.release(w4);
  // Output (n, o, i, j) is component (o mod 2) + 2 (j mod 2) of packed texel (n Cout / 2 + floor(o / 2), i, floor(j / 2)).
  return unpack4(ctx, tex, [N, Cout, Ho, Wo], `
    const n = ${idiv('this.thread.z', Cout)};
    const o = this.thread.z - n * ${Cout};
    const h = ${idiv('o', 2)};
    const px = ${idiv('this.thread.x', 2)};
    const k = o - h * 2 + (this.thread.x - px * 2) * 2;
    const pz = n * ${Cout / 2} + h;`);
}

/**
 * The 2 x 2 tile of conv2dForwardTile for layers with fewer than four input
 * channels per group (a first layer: packing three colour channels to a texel
 * would waste a quarter of every read). Here texels hold four neighbouring
 * columns instead: x as a texture whose texel (n C + c, y, t) holds
 * x[n, c, y - pad, t - pad .. t - pad + 3] (one texel per column start, so a
 * window at any stride begins on one), each filter row as ceil(kW / 4)
 * texels. Reads shared by the tile's two columns (all of them but one when
 * the stride is 4, as in conv1) are made once: the source is generated with
 * the column offsets of this layer.
 */
export function conv2dForwardCols(x: GpuTensor, w: GpuTensor, b: GpuTensor, p: Conv2dParams): GpuTensor {
  const ctx = sameContext('conv2dForward', x, w, b);
  const { N, C, H, W, Cout, Cg, kH, kW, Ho, Wo, Coutg } = conv2dGeometry('conv2dForward', x.shape, w.shape, p);
  expectShape('conv2dForward', 'b', b, [Cout]);
  if (Coutg % 2 !== 0) throw new RangeError(`conv2dForwardCols: Cout / groups = ${Coutg} is not even`);
  const s = p.stride, B = Math.ceil(kW / 4), P = Cout / 2, Wt = Math.ceil(Wo / 2);
  const Hp = H + 2 * p.pad, Wp = (2 * Wt - 1) * s + 4 * B - 3;
  const x4 = packColumns(ctx, x.tex, [N * C, H, W], p.pad, Hp, Wp, 1);
  const w4 = packColumns(ctx, w.tex, [Cout * Cg, kH, kW], 0, kH, B, 4);
  // Column offsets from the tile's first window start: 4b for its first column, s + 4b for its second.
  const offsets = [...new Set([...Array(B).keys()].flatMap((k) => [4 * k, s + 4 * k]))];
  const steps = [...Array(B).keys()].map((k) => `
          const w0${k} = w4[wz][u][${k}];
          const w1${k} = w4[wz + ${Cg}][u][${k}];
          s00 += ${dot4(`w0${k}`, `xv${4 * k}`)};
          s10 += ${dot4(`w1${k}`, `xv${4 * k}`)};
          s01 += ${dot4(`w0${k}`, `xv${s + 4 * k}`)};
          s11 += ${dot4(`w1${k}`, `xv${s + 4 * k}`)};`).join('');
  const tile = `function (x4, w4, b) {
    ${tileStart(P, Coutg, s)}
    for (let c = 0; c < ${Cg}; c++) {
      const xz = n * ${C} + g * ${Cg} + c;
      const wz = o * ${Cg} + c;
      for (let u = 0; u < ${kH}; u++) {
        ${offsets.map((d) => `const xv${d} = x4[xz][y0 + u][x0 + ${d}];`).join('\n        ')}${steps}
      }
    }
    return [s00, s10, s01, s11];
  }`;
  return runTiles(ctx, tile, x4, w4, b, [N, Cout, Ho, Wo]);
}

/**
 * A tensor read as planes [Z, H, W] into an Array(4) texture [Wp, Hp, Z] whose texel
 * (z, y, t) holds t[z, y - pad, t step - pad + k] for k = 0..3, zero outside the plane.
 */
function packColumns(ctx: GpuContext, t: Texture, [Z, H, W]: readonly number[], pad: number, Hp: number, Wp: number, step: number): Texture {
  const at = (k: number) => `xx + ${k} >= 0 && xx + ${k} < ${W} ? t[this.thread.z][yy][xx + ${k}] : 0`;
  return ctx.runPacked(`function (t) {
    const yy = this.thread.y - ${pad};
    const xx = this.thread.x * ${step} - ${pad};
    if (yy < 0 || yy >= ${H}) return [0, 0, 0, 0];
    return [${at(0)}, ${at(1)}, ${at(2)}, ${at(3)}];
  }`, [Wp, Hp, Z], t);
}

/**
 * Weights [Cout, Cg, kH, kW] as an Array(4) texture whose texel (o R + r, u, v)
 * holds w[o, 4r + k, u, v] for k = 0..3, R = ceil(Cg / 4), zero where 4r + k >= Cg.
 */
export function packWeightsByInput(ctx: GpuContext, w: Texture, shape: readonly number[]): Texture {
  const [Cout, Cg, kH, kW] = shape;
  const R = Math.ceil(Cg / 4);
  return ctx.runPacked(`function (w) {
    const o = ${idiv('this.thread.z', R)};
    const c = (this.thread.z - o * ${R}) * 4;
    const z = o * ${Cg} + c;
    ${fourOrZero('w', 'z', 'c', Cg)}
  }`, [kW, kH, Cout * R], w);
}

/**
 * Kernel source returning [t[z + k][y][x] for k = 0..3], with 0 for the
 * components whose channel c + k is not below `limit` (no read there).
 */
function fourOrZero(t: string, z: string, c: string, limit: number, y = 'this.thread.y', x = 'this.thread.x'): string {
  const at = (k: number) => `${t}[${z} + ${k}][${y}][${x}]`;
  if (limit % 4 === 0) return `return [${at(0)}, ${at(1)}, ${at(2)}, ${at(3)}];`;
  return `let a0 = ${at(0)};
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    if (${c} + 1 < ${limit}) a1 = ${at(1)};
    if (${c} + 2 < ${limit}) a2 = ${at(2)};
    if (${c} + 3 < ${limit}) a3 = ${at(3)};
    return [a0, a1, a2, a3];`;
}

/**
 * x [N, C, H, W] with C = groups Cg as an Array(4) texture [Wp, Hp, N groups R]
 * whose texel ((n groups + g) R + r, y, x) holds x[n, g Cg + 4r + k, y - pad, x - pad]
 * for k = 0..3, R = ceil(Cg / 4), zero where 4r + k >= Cg or outside the
 * image (the zero padding written out, up to Hp rows and Wp columns).
 */
function packInputByChannel(ctx: GpuContext, x: Texture, shape: readonly number[], groups: number, pad: number, Hp: number, Wp: number): Texture {
  const [N, C, H, W] = shape;
  const Cg = C / groups, R = Math.ceil(Cg / 4);
  return ctx.runPacked(`function (x) {
    const ng = ${idiv('this.thread.z', R)};
    const c = (this.thread.z - ng * ${R}) * 4;
    const n = ${idiv('ng', groups)};
    const z = n * ${C} + (ng - n * ${groups}) * ${Cg} + c;
    const yy = this.thread.y - ${pad};
    const xx = this.thread.x - ${pad};
    if (yy < 0 || yy >= ${H} || xx < 0 || xx >= ${W}) return [0, 0, 0, 0];
    ${fourOrZero('x', 'z', 'c', Cg, 'yy', 'xx')}
  }`, [Wp, Hp, N * groups * R], x);
}

// The backward pass lives in conv2d-backward.ts (dw in conv2d-dw.ts); its API is exported from here too.
export { type Conv2dGrads, type ConvBackwardKernel, conv2dBackward, conv2dBackwardWeights, dxAsTransposedTile } from './conv2d-backward.js';
export { conv2dTuning, dwAsTile, dwSlices, dwTileSlices } from './conv2d-dw.js';
