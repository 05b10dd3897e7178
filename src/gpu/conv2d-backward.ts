// The backward pass of the 2-D convolution on the GPU (the forward pass and
// the equations are in conv2d.ts): dx, dw and db of
//   y[n, o, i, j] = b[o] + sum_{c, u, v} w[o, c, u, v] * x[n, g * Cg + c, i * stride - pad + u, j * stride - pad + v]
// one thread per gradient element ('simple'), four channels a thread ('x4'),
// or, at stride 1, through the forward pass's 2 x 2 tile kernel ('tile', the
// default): dx as the transposed convolution, dw as a convolution in which
// the images play the input channels (dw's forms are in conv2d-dw.ts).

import { type Conv2dParams, conv2dGeometry } from '../cpu/conv2d.js';
import { type GpuTensor, idiv, sameContext } from './context.js';
import { conv2dForwardTile, expectShape, packWeightsByInput } from './conv2d.js';
import { conv2dBackwardDwTile, conv2dBackwardDwX4, dwAsTile } from './conv2d-dw.js';
import { unpack4 } from './pack.js';

/** Gradients of the convolution's input, weights and bias. */
export interface Conv2dGrads {
  dx: GpuTensor;
  dw: GpuTensor;
  db: GpuTensor;
}

/**
 * How the backward pass spreads work over threads: one gradient element each
 * ('simple'), four channels each ('x4'), or, for dx at stride 1, the forward
 * pass's 2 x 2 tile run as the transposed convolution ('tile'; dw as 'x4').
 */
export type ConvBackwardKernel = 'simple' | 'x4' | 'tile';

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
