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
import { type GpuTensor, idiv, sameContext } from './context.js';

/** Gradients of the convolution's input, weights and bias. */
export interface Conv2dGrads {
  dx: GpuTensor;
  dw: GpuTensor;
  db: GpuTensor;
}

function expectShape(fn: string, name: string, t: GpuTensor, shape: readonly number[]): void {
  if (t.shape.join() !== shape.join()) throw new RangeError(`${fn}: ${name} has shape ${fmtShape(t.shape)}, expected ${fmtShape(shape)}`);
}

/** Forward convolution on the GPU: y = conv(x, w) + b. */
export function conv2dForward(x: GpuTensor, w: GpuTensor, b: GpuTensor, p: Conv2dParams): GpuTensor {
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
 * Backward convolution on the GPU. With `acc`, dw and db are acc.dw + dW and
 * acc.db + dB, computed in the same kernels; acc's textures are released
 * (GPU tensors are immutable: use the returned ones).
 */
export function conv2dBackward(dy: GpuTensor, x: GpuTensor, w: GpuTensor, p: Conv2dParams, acc?: { dw: GpuTensor; db: GpuTensor }): Conv2dGrads {
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
    for (let oo = 0; oo < ${Coutg}; oo++) {
      const o = g * ${Coutg} + oo;
      for (let u = 0; u < ${kH}; u++) {
        const iy = this.thread.y + ${pad} - u;
        const i = ${idiv('iy', s)};
        if (iy >= 0 && i * ${s} == iy && i < ${Ho}) {
          for (let v = 0; v < ${kW}; v++) {
            const jx = this.thread.x + ${pad} - v;
            const j = ${idiv('jx', s)};
            if (jx >= 0 && j * ${s} == jx && j < ${Wo}) {
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
  const dx = ctx.run(dxSrc, x.shape, dy.tex, w.tex);
  const dw = ctx.run(dwSrc, w.shape, dy.tex, x.tex, ...(acc ? [acc.dw.tex] : []));
  const db = ctx.run(dbSrc, [Cout], dy.tex, ...(acc ? [acc.db.tex] : []));
  if (acc) {
    ctx.dispose(acc.dw);
    ctx.dispose(acc.db);
  }
  return { dx, dw, db };
}
