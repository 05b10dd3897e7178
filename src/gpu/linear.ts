// Fully connected layer on the GPU, the twin of src/cpu/linear.ts:
//
//   x [N, in]   w [out, in]   b [out]   ->   y [N, out]
//   y = x w^T + b;   dx = dy w;   dw = dy^T x;   db = sum_n dy
//
// Weights are read as w[o][k] (two indices): fc6's 4096 x 9216 weights have
// flat indices past 2^24, where float arithmetic is inexact.
//
// Each of the three products is C[a][b] = sum_k A(a, k) B(b, k) for some
// A and B (below). The plain kernels give each thread one C[a][b] and read
// two texels per multiply-add; the 'tile' form packs A and B four k to a
// texel and gives each thread a 2 x 2 block of C: four texels per sixteen
// multiply-adds, the forward convolution's tile (conv2d.ts). Texture reads
// bound llvmpipe, the software renderer of a machine without a GPU.

import { linearGeometry } from '../cpu/linear.js';
import { fmtShape } from '../cpu/tensor.js';
import type { Texture } from 'gpu.js';
import { type GpuContext, type GpuTensor, PLAIN_LIMIT, idiv, sameContext } from './context.js';
import { dot4, select } from './pack.js';

/**
 * How the layer's products spread over threads: one output each ('simple',
 * the equations as written) or 2 x 2 blocks from packed operands ('tile').
 * By default, 'tile' where the weights have fewer than PLAIN_LIMIT values
 * (the small nets): a packed copy of fc6's 37.7 M weights would take
 * another 151 MB of texture memory for every call.
 */
export type LinearKernel = 'simple' | 'tile';

function pick(kernel: LinearKernel | undefined, w: GpuTensor): LinearKernel {
  return kernel ?? (w.shape[0] * w.shape[1] < PLAIN_LIMIT ? 'tile' : 'simple');
}

/** An operand of a tiled product: rows a < rows of A(a, k), k < K, read as t[a][k], or as t[k][a] when `transposed`. */
interface Operand { t: Texture; rows: number; K: number; transposed: boolean }

/**
 * An operand packed four k to a texel as an Array(4) texture [Q, even rows]
 * (Q = ceil(K / 4)): texel (a, q) holds A(a, 4q .. 4q + 3), zero past K and
 * in the padding row.
 */
function pack4(ctx: GpuContext, { t, rows, K, transposed }: Operand): Texture {
  const at = (k: number) => {
    const read = transposed ? `t[k + ${k}][this.thread.y]` : `t[this.thread.y][k + ${k}]`;
    return `k + ${k} < ${K} ? ${read} : 0`;
  };
  return ctx.runPacked(`function (t) {
    if (this.thread.y >= ${rows}) return [0, 0, 0, 0];
    const k = this.thread.x * 4;
    return [${at(0)}, ${at(1)}, ${at(2)}, ${at(3)}];
  }`, [Math.ceil(K / 4), rows + (rows % 2)], t);
}

/**
 * C[a][b] = sum_k A(a, k) B(b, k) as a [rows of A, rows of B] tensor, each
 * thread a 2 x 2 block (rows a, a + 1 of A against b, b + 1 of B); `plus`
 * is kernel source added to each value (bias or accumulator), reading the
 * extra textures passed after the operands as `e0`, `e1`.
 */
function tiled(ctx: GpuContext, A: Operand, B: Operand, plus = '', extra: Texture[] = []): GpuTensor {
  const a4 = pack4(ctx, A), b4 = pack4(ctx, B), Q = Math.ceil(A.K / 4);
  const blocks = ctx.runPacked(`function (a4, b4) {
    const a = this.thread.y * 2;
    const b = this.thread.x * 2;
    let s00 = 0;
    let s01 = 0;
    let s10 = 0;
    let s11 = 0;
    for (let q = 0; q < ${Q}; q++) {
      const p0 = a4[a][q];
      const p1 = a4[a + 1][q];
      const r0 = b4[b][q];
      const r1 = b4[b + 1][q];
      s00 += ${dot4('p0', 'r0')};
      s01 += ${dot4('p0', 'r1')};
      s10 += ${dot4('p1', 'r0')};
      s11 += ${dot4('p1', 'r1')};
    }
    return [s00, s01, s10, s11];
  }`, [Math.ceil(B.rows / 2), Math.ceil(A.rows / 2)], a4, b4);
  ctx.release(a4);
  ctx.release(b4);
  // C[a][b] is component 2 (a mod 2) + (b mod 2) of block (a / 2, b / 2).
  const out = ctx.run(`function (t${extra.map((_, i) => `, e${i}`).join('')}) {
    const pa = ${idiv('this.thread.y', 2)};
    const pb = ${idiv('this.thread.x', 2)};
    const k = (this.thread.y - pa * 2) * 2 + this.thread.x - pb * 2;
    const v = t[pa][pb];
    let r = 0;
    ${select('v', 'r')}
    return r${plus};
  }`, [A.rows, B.rows], blocks, ...extra);
  ctx.release(blocks);
  return out;
}

/** Gradients of the layer's input, weights and bias. */
export interface LinearGrads {
  dx: GpuTensor;
  dw: GpuTensor;
  db: GpuTensor;
}

/** y = x w^T + b: A = x (rows n), B = w (rows o), k the input. */
export function linearForward(x: GpuTensor, w: GpuTensor, b: GpuTensor, kernel?: LinearKernel): GpuTensor {
  const ctx = sameContext('linearForward', x, w, b);
  const [N, I, O] = linearGeometry('linearForward', x.shape, w.shape);
  if (b.shape.join() !== String(O)) throw new RangeError(`linearForward: b has shape ${fmtShape(b.shape)}, expected [${O}]`);
  if (pick(kernel, w) === 'tile') {
    return tiled(ctx, { t: x.tex, rows: N, K: I, transposed: false }, { t: w.tex, rows: O, K: I, transposed: false }, ' + e0[this.thread.x]', [b.tex]);
  }
  const src = `function (x, w, b) {
    let s = b[this.thread.x];
    for (let k = 0; k < ${I}; k++) {
      s += x[this.thread.y][k] * w[this.thread.x][k];
    }
    return s;
  }`;
  return ctx.run(src, [N, O], x.tex, w.tex, b.tex);
}

/**
 * dx, dw and db of y = x w^T + b; with acc, dw and db are acc + gradient and acc's textures are released.
 * As tiled products: dx = A B^T with A = dy (rows n, k = o), B = w^T (rows i); dw with A = dy^T (rows o,
 * k = n), B = x^T (rows i).
 */
export function linearBackward(dy: GpuTensor, x: GpuTensor, w: GpuTensor, acc?: { dw: GpuTensor; db: GpuTensor }, kernel?: LinearKernel): LinearGrads {
  const ctx = sameContext('linearBackward', dy, x, w);
  const [N, I, O] = linearGeometry('linearBackward', x.shape, w.shape);
  if (dy.shape.join() !== [N, O].join()) throw new RangeError(`linearBackward: dy has shape ${fmtShape(dy.shape)}, expected [${N}, ${O}]`);
  if (acc) {
    sameContext('linearBackward', dy, acc.dw, acc.db);
    if (acc.dw.shape.join() !== [O, I].join()) throw new RangeError(`linearBackward: acc.dw has shape ${fmtShape(acc.dw.shape)}, expected [${O}, ${I}]`);
    if (acc.db.shape.join() !== String(O)) throw new RangeError(`linearBackward: acc.db has shape ${fmtShape(acc.db.shape)}, expected [${O}]`);
  }
  const dxSrc = `function (dy, w) {
    let s = 0;
    for (let o = 0; o < ${O}; o++) {
      s += dy[this.thread.y][o] * w[o][this.thread.x];
    }
    return s;
  }`;
  const dwSrc = `function (dy, x${acc ? ', acc' : ''}) {
    let s = ${acc ? 'acc[this.thread.y][this.thread.x]' : '0'};
    for (let n = 0; n < ${N}; n++) {
      s += dy[n][this.thread.y] * x[n][this.thread.x];
    }
    return s;
  }`;
  const dbSrc = `function (dy${acc ? ', acc' : ''}) {
    let s = ${acc ? 'acc[this.thread.x]' : '0'};
    for (let n = 0; n < ${N}; n++) {
      s += dy[n][this.thread.x];
    }
    return s;
  }`;
  const tile = pick(kernel, w) === 'tile';
  const dx = tile ? tiled(ctx, { t: dy.tex, rows: N, K: O, transposed: false }, { t: w.tex, rows: I, K: O, transposed: true })
    : ctx.run(dxSrc, [N, I], dy.tex, w.tex);
  const dw = tile
    ? tiled(ctx, { t: dy.tex, rows: O, K: N, transposed: true }, { t: x.tex, rows: I, K: N, transposed: true },
      acc ? ' + e0[this.thread.y][this.thread.x]' : '', acc ? [acc.dw.tex] : [])
    : ctx.run(dwSrc, [O, I], dy.tex, x.tex, ...(acc ? [acc.dw.tex] : []));
  const db = ctx.run(dbSrc, [O], dy.tex, ...(acc ? [acc.db.tex] : []));
  if (acc) {
    ctx.dispose(acc.dw);
    ctx.dispose(acc.db);
  }
  return { dx, dw, db };
}
