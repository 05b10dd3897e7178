// 2-D convolution with stride, zero padding and groups: the GPU twin of
// src/cpu/conv2d.ts (same names, same shapes, same equation):
//
//   x [N, C, H, W]   w [Cout, C / groups, kH, kW]   b [Cout]   ->   y [N, Cout, Ho, Wo]
//   y[n, o, i, j] = b[o] + sum_{c, u, v} w[o, c, u, v] * x[n, g * Cg + c, i * stride - pad + u, j * stride - pad + v]
//
// One thread per output element; sums run in float32 in the order c, u, v
// (the CPU reference sums in double precision, hence the stated tolerance in
// spec/gpu/). Backward, one thread per element of each gradient:
//   dx[n, g Cg + c, y, x] = sum over o in group g, u, v with (y + pad - u) = i stride, (x + pad - v) = j stride
//                            of dy[n, o, i, j] * w[o, c, u, v]
//   dw[o, c, u, v]        = sum_{n, i, j} dy[n, o, i, j] * x[n, g Cg + c, i stride - pad + u, j stride - pad + v]
//   db[o]                 = sum_{n, i, j} dy[n, o, i, j]

import { type Conv2dParams, conv2dGeometry } from '../cpu/conv2d.js';
import { fmtShape } from '../cpu/tensor.js';
import type { Texture } from 'gpu.js';
import { type GpuContext, type GpuTensor, idiv, sameContext } from './context.js';
import { packByChannel, unpack4 } from './pack.js';

/** Gradients of the convolution's input, weights and bias. */
export interface Conv2dGrads {
  dx: GpuTensor;
  dw: GpuTensor;
  db: GpuTensor;
}

function expectShape(fn: string, name: string, t: GpuTensor, shape: readonly number[]): void {
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
 * How the backward pass spreads work over threads: one gradient element each
 * ('simple'), four channels each ('x4'), or, for dx at stride 1, the forward
 * pass's 2 x 2 tile run as the transposed convolution ('tile'; dw as 'x4').
 */
export type ConvBackwardKernel = 'simple' | 'x4' | 'tile';

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

/** Kernel source for the dot product of two four-value texels a and v. */
const dot = (a: string, v: string) => `${a}[0] * ${v}[0] + ${a}[1] * ${v}[1] + ${a}[2] * ${v}[2] + ${a}[3] * ${v}[3]`;

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
          s00 += ${dot('w0', 'p0')};
          s10 += ${dot('w1', 'p0')};
          s01 += ${dot('w0', 'p1')};
          s11 += ${dot('w1', 'p1')};
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
          s00 += ${dot(`w0${k}`, `xv${4 * k}`)};
          s10 += ${dot(`w1${k}`, `xv${4 * k}`)};
          s01 += ${dot(`w0${k}`, `xv${s + 4 * k}`)};
          s11 += ${dot(`w1${k}`, `xv${s + 4 * k}`)};`).join('');
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
function packWeightsByInput(ctx: GpuContext, w: Texture, shape: readonly number[]): Texture {
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

/**
 * Kernel source for dx: input row y meets kernel rows u with (y + pad - u)
 * divisible by the stride, i.e. u = u0, u0 + stride, ... with
 * u0 = (y + pad) mod stride; likewise v0 for columns. Looping over those u
 * alone does stride^2 fewer iterations (16x for conv1) than testing every u.
 */
function strideOffsets(s: number, pad: number): string {
  return `const u0 = this.thread.y + ${pad} - ${idiv(`this.thread.y + ${pad}`, s)} * ${s};
    const v0 = this.thread.x + ${pad} - ${idiv(`this.thread.x + ${pad}`, s)} * ${s};`;
}

/**
 * Backward convolution on the GPU. With `acc`, dw and db are acc.dw + dW and
 * acc.db + dB, computed in the same kernels; acc's textures are released
 * (GPU tensors are immutable: use the returned ones). By default (kernel
 * 'tile') dx at stride 1 runs as the transposed convolution through the
 * forward tile kernel; elsewhere dx and dw use the four-per-thread kernels
 * below where the channel counts allow ('x4'), else one output per thread ('simple').
 */
export function conv2dBackward(
  dy: GpuTensor, x: GpuTensor, w: GpuTensor, p: Conv2dParams, acc?: { dw: GpuTensor; db: GpuTensor }, kernel?: ConvBackwardKernel,
): Conv2dGrads {
  return conv2dGrads(dy, x, w, p, acc, kernel, true) as Conv2dGrads;
}

/** dw and db only, for a network's first layer (the image needs no gradient): the twin of the CPU's. */
export function conv2dBackwardWeights(
  dy: GpuTensor, x: GpuTensor, w: GpuTensor, p: Conv2dParams, acc?: { dw: GpuTensor; db: GpuTensor }, kernel?: ConvBackwardKernel,
): Omit<Conv2dGrads, 'dx'> {
  const { dw, db } = conv2dGrads(dy, x, w, p, acc, kernel, false);
  return { dw, db };
}

function conv2dGrads(
  dy: GpuTensor, x: GpuTensor, w: GpuTensor, p: Conv2dParams, acc: { dw: GpuTensor; db: GpuTensor } | undefined, kernel: ConvBackwardKernel | undefined, inputGrad: boolean,
) {
  const ctx = sameContext('conv2dBackward', dy, x, w);
  const { N, C, H, W, Cout, Cg, kH, kW, Ho, Wo, Coutg } = conv2dGeometry('conv2dBackward', x.shape, w.shape, p);
  expectShape('conv2dBackward', 'dy', dy, [N, Cout, Ho, Wo]);
  if (acc) {
    sameContext('conv2dBackward', dy, acc.dw, acc.db);
    expectShape('conv2dBackward', 'acc.dw', acc.dw, w.shape);
    expectShape('conv2dBackward', 'acc.db', acc.db, [Cout]);
  }
  const s = p.stride, pad = p.pad;
  const dxSrc = `function (dy, w) {
    const n = ${idiv('this.thread.z', C)};
    const ci = this.thread.z - n * ${C};
    const g = ${idiv('ci', Cg)};
    const c = ci - g * ${Cg};
    let sum = 0;
    ${strideOffsets(s, pad)}
    for (let oo = 0; oo < ${Coutg}; oo++) {
      const o = g * ${Coutg} + oo;
      for (let uu = 0; uu < ${Math.ceil(kH / s)}; uu++) {
        const u = u0 + uu * ${s};
        const i = ${idiv(`this.thread.y + ${pad} - u`, s)};
        if (u < ${kH} && this.thread.y + ${pad} - u >= 0 && i < ${Ho}) {
          for (let vv = 0; vv < ${Math.ceil(kW / s)}; vv++) {
            const v = v0 + vv * ${s};
            const j = ${idiv(`this.thread.x + ${pad} - v`, s)};
            if (v < ${kW} && this.thread.x + ${pad} - v >= 0 && j < ${Wo}) {
              sum += dy[n * ${Cout} + o][i][j] * w[o * ${Cg} + c][u][v];
            }
          }
        }
      }
    }
    return sum;
  }`;
  const dwSrc = `function (dy, x${acc ? ', acc' : ''}) {
    const o = ${idiv('this.thread.z', Cg)};
    const c = this.thread.z - o * ${Cg};
    const g = ${idiv('o', Coutg)};
    const u = this.thread.y;
    const v = this.thread.x;
    let sum = ${acc ? 'acc[this.thread.z][this.thread.y][this.thread.x]' : '0'};
    for (let n = 0; n < ${N}; n++) {
      for (let i = 0; i < ${Ho}; i++) {
        const yy = i * ${s} - ${pad} + u;
        if (yy >= 0 && yy < ${H}) {
          for (let j = 0; j < ${Wo}; j++) {
            const xx = j * ${s} - ${pad} + v;
            if (xx >= 0 && xx < ${W}) {
              sum += dy[n * ${Cout} + o][i][j] * x[n * ${C} + g * ${Cg} + c][yy][xx];
            }
          }
        }
      }
    }
    return sum;
  }`;
  const dbSrc = `function (dy${acc ? ', acc' : ''}) {
    let sum = ${acc ? 'acc[this.thread.x]' : '0'};
    for (let n = 0; n < ${N}; n++) {
      for (let i = 0; i < ${Ho}; i++) {
        for (let j = 0; j < ${Wo}; j++) {
          sum += dy[n * ${Cout} + this.thread.x][i][j];
        }
      }
    }
    return sum;
  }`;
  const k = kernel ?? 'tile';
  const useX4 = k !== 'simple';
  const dxTile = k === 'tile' && dxAsTransposedTile(p, w.shape);
  const dx = !inputGrad ? undefined
    : dxTile ? conv2dBackwardDxTile(dy, w, x.shape, p)
      : useX4 && Cg % 4 === 0 ? conv2dBackwardDxX4(dy, w, x.shape, p) : ctx.run(dxSrc, x.shape, dy.tex, w.tex);
  const dw = k === 'tile' && dwAsTile(p, w.shape) ? conv2dBackwardDwTile(dy, x, w.shape, p, acc?.dw)
    : useX4 && Coutg % 4 === 0 ? conv2dBackwardDwX4(dy, x, w.shape, p, acc?.dw) : ctx.run(dwSrc, w.shape, dy.tex, x.tex, ...(acc ? [acc.dw.tex] : []));
  const db = ctx.run(dbSrc, [Cout], dy.tex, ...(acc ? [acc.db.tex] : []));
  if (acc) {
    ctx.dispose(acc.dw);
    ctx.dispose(acc.db);
  }
  return { dx, dw, db };
}

/** Whether dx of a convolution with weights of this shape runs through the tile kernel (kernel 'tile'): stride 1, a square kernel, pad < k, Cg even. */
export function dxAsTransposedTile(p: Conv2dParams, wShape: readonly number[]): boolean {
  const [, Cg, kH, kW] = wShape;
  return p.stride === 1 && kH === kW && p.pad < kH && Cg % 2 === 0;
}

/**
 * dx at stride 1 as a forward convolution of dy (the transposed convolution):
 *   dx[n, g Cg + c, y, x] = sum_{o, u', v'} wt[g Cg + c, o, u', v'] * dy[n, g Coutg + o, y - (k - 1 - pad) + u', x - (k - 1 - pad) + v']
 * with wt[g Cg + c, o, u', v'] = w[g Coutg + o, c, k - 1 - u', k - 1 - v'] (each filter turned half a
 * circle, input and output channels swapped within the group) and zero padding k - 1 - pad, which is the
 * equation at the top with u = k - 1 - u'. The forward 2 x 2 tile kernel then reads 0.25 texels per
 * multiply-add, against 0.5 for the x4 kernel below (texture reads bound llvmpipe, bench/gpu-kernels.ts).
 * Sums run over dy's channels four at a time (agreement with the CPU to float32 rounding).
 */
function conv2dBackwardDxTile(dy: GpuTensor, w: GpuTensor, xShape: readonly number[], p: Conv2dParams): GpuTensor {
  const ctx = dy.ctx;
  const { C, Cg, kH, kW, Coutg } = conv2dGeometry('conv2dBackward', xShape, w.shape, p);
  const wt = ctx.run(`function (w) {
    const ci = ${idiv('this.thread.z', Coutg)};
    const o = this.thread.z - ci * ${Coutg};
    const g = ${idiv('ci', Cg)};
    const c = ci - g * ${Cg};
    return w[(g * ${Coutg} + o) * ${Cg} + c][${kH - 1} - this.thread.y][${kW - 1} - this.thread.x];
  }`, [C, Coutg, kH, kW], w.tex);
  const zero = ctx.run('function () { return 0; }', [C]);
  const dx = conv2dForwardTile(dy, wt, zero, { stride: 1, pad: kH - 1 - p.pad, groups: p.groups });
  ctx.dispose(wt);
  ctx.dispose(zero);
  return dx;
}

/**
 * dx with four input channels c .. c + 3 of one group per thread, the weights
 * of those channels packed into one texel: two texture reads (a dy value and
 * four weights) per four multiply-adds. Needs Cg % 4 == 0.
 */
function conv2dBackwardDxX4(dy: GpuTensor, w: GpuTensor, xShape: readonly number[], p: Conv2dParams): GpuTensor {
  const ctx = dy.ctx;
  const { N, C, Cout, Cg, kH, kW, Ho, Wo, Coutg, H, W } = conv2dGeometry('conv2dBackward', xShape, w.shape, p);
  const s = p.stride, pad = p.pad, Q = C / 4;
  const w4 = packWeightsByInput(ctx, w.tex, w.shape);
  const packed = `function (dy, w4) {
    const n = ${idiv('this.thread.z', Q)};
    const ci = (this.thread.z - n * ${Q}) * 4;
    const g = ${idiv('ci', Cg)};
    const c = ci - g * ${Cg};
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    ${strideOffsets(s, pad)}
    for (let oo = 0; oo < ${Coutg}; oo++) {
      const o = g * ${Coutg} + oo;
      const wz = o * ${Cg / 4} + ${idiv('c', 4)};
      for (let uu = 0; uu < ${Math.ceil(kH / s)}; uu++) {
        const u = u0 + uu * ${s};
        const i = ${idiv(`this.thread.y + ${pad} - u`, s)};
        if (u < ${kH} && this.thread.y + ${pad} - u >= 0 && i < ${Ho}) {
          for (let vv = 0; vv < ${Math.ceil(kW / s)}; vv++) {
            const v = v0 + vv * ${s};
            const j = ${idiv(`this.thread.x + ${pad} - v`, s)};
            if (v < ${kW} && this.thread.x + ${pad} - v >= 0 && j < ${Wo}) {
              const d = dy[n * ${Cout} + o][i][j];
              const wv = w4[wz][u][v];
              s0 += d * wv[0];
              s1 += d * wv[1];
              s2 += d * wv[2];
              s3 += d * wv[3];
            }
          }
        }
      }
    }
    return [s0, s1, s2, s3];
  }`;
  const tex = ctx.runPacked(packed, [W, H, N * Q], dy.tex, w4);
  ctx.release(w4);
  return unpack4(ctx, tex, xShape, `
    const n = ${idiv('this.thread.z', C)};
    const ci = this.thread.z - n * ${C};
    const q = ${idiv('ci', 4)};
    const k = ci - q * 4;
    const pz = n * ${Q} + q;
    const px = this.thread.x;`);
}

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
function conv2dBackwardDwTile(dy: GpuTensor, x: GpuTensor, wShape: readonly number[], p: Conv2dParams, acc?: GpuTensor): GpuTensor {
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
function conv2dBackwardDwX4(dy: GpuTensor, x: GpuTensor, wShape: readonly number[], p: Conv2dParams, acc?: GpuTensor): GpuTensor {
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
