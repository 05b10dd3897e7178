// Local response normalisation across channels on the GPU, the twin of src/cpu/lrn.ts:
//
//   y[c] = x[c] / D[c]^beta,   D[c] = k + a * sum_{j in win(c)} x[j]^2,   win(c) = [c - floor(n/2), c - floor(n/2) + n - 1]
//   dx[j] = dy[j] D[j]^-beta - 2 a beta x[j] sum_{c in [j - (n - 1 - floor(n/2)), j + floor(n/2)]} dy[c] y[c] / D[c]
//
// with a = alpha (paper) or alpha / n (Caffe, PyTorch). One thread per
// element; each sums its window directly (n <= 7 terms, no sliding window
// needed). Backward first writes dy y / D per element, then sums it.

import { type LrnParams, lrnCoefficient } from '../cpu/lrn.js';
import { fmtShape } from '../cpu/tensor.js';
import type { Texture } from 'gpu.js';
import { type GpuContext, type GpuTensor, idiv, sameContext } from './context.js';
import { packByChannel, unpackByChannel } from './pack.js';

/**
 * Forward result: y, and for backward either the denominators D (the plain
 * kernels) or x, y and D packed four channels to a texel (`packed`, where
 * the channels per group are a multiple of 4: see lrnPacked).
 */
export interface LrnOutput {
  y: GpuTensor;
  denom?: GpuTensor;
  packed?: { x4: Texture; y4: Texture; d4: Texture };
}

/** Releases what an LrnOutput keeps for backward (not y). */
export function releaseLrnCache(ctx: GpuContext, out: LrnOutput): void {
  if (out.denom) ctx.dispose(out.denom);
  if (out.packed) for (const t of [out.packed.x4, out.packed.y4, out.packed.d4]) ctx.release(t);
}

/**
 * Whether LRN runs on channels packed four to a texel: C and the channels of
 * each group multiples of 4, so that group edges fall between texels. A
 * thread then reads the ceil((n + 3) / 4) texels its four windows span (3 for
 * n = 5) instead of n values for each of four channels: about 3 reads an
 * element forward with the packing, against 7, and 4 backward, against 11
 * (texture reads bound llvmpipe). The sums are the plain kernels', term by
 * term in the same order.
 */
export function lrnPacked(shape: readonly number[], p: LrnParams): boolean {
  const C = shape[1], Cg = C / (p.groups ?? 1);
  return C % 4 === 0 && Cg % 4 === 0;
}

/**
 * Kernel source reading, for texel plane z = n C / 4 + q, the components of the
 * texels q + m (m from floor(from / 4) to floor((3 + to) / 4)) of tex into
 * scalars e{4 m + c + 4}... named by channel offset (e.g. em2 for offset -2),
 * zero where the texel lies outside the group of texels [q0, q0 + Qg).
 */
function windowScalars(tex: string, from: number, to: number, Qg: number): { src: string; at: (off: number) => string } {
  const name = (off: number) => `e${off < 0 ? 'm' + -off : off}`;
  const lines: string[] = [];
  for (let m = Math.floor(from / 4); m <= Math.floor((3 + to) / 4); m++) {
    const offs = [0, 1, 2, 3].map((c) => 4 * m + c).filter((o) => o >= from && o <= 3 + to);
    if (offs.length === 0) continue;
    lines.push(offs.map((o) => `let ${name(o)} = 0;`).join(' '));
    const body = `const t${m + 8} = ${tex}[this.thread.z + ${m}][this.thread.y][this.thread.x];\n      ${offs.map((o) => `${name(o)} = t${m + 8}[${o - 4 * m}];`).join(' ')}`;
    lines.push(m === 0 ? `{\n      ${body}\n    }` : `if (q + ${m} >= q0 && q + ${m} < q0 + ${Qg}) {\n      ${body}\n    }`);
  }
  return { src: lines.join('\n    '), at: name };
}

/**
 * Kernel source opening both packed window kernels: thread (plane n Q + q, y, x)
 * sets s0..s3 to the sums of term(value) over channel offsets from..to of its
 * four channels 4q + c, upwards (the plain kernels' order), windows clipped to
 * the group of texels [q0, q0 + Qg).
 */
function windowSums(tex: string, from: number, to: number, Q: number, Qg: number, term: (v: string) => string): string {
  const win = windowScalars(tex, from, to, Qg);
  const sum = (c: number) => [...Array(to - from + 1).keys()].map((i) => `s${c} += ${term(win.at(c + from + i))};`).join(' ');
  return `const n = ${idiv('this.thread.z', Q)};
    const q = this.thread.z - n * ${Q};
    const q0 = ${idiv('q', Qg)} * ${Qg};
    ${win.src}
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    ${[0, 1, 2, 3].map(sum).join('\n    ')}`;
}

function geometry(fn: string, x: GpuTensor, p: LrnParams) {
  if (x.shape.length !== 4) throw new RangeError(`${fn}: x has shape ${fmtShape(x.shape)}, expected rank 4 [N, C, H, W]`);
  const a = lrnCoefficient(fn, p, x.shape[1]);
  const lo = Math.floor(p.size / 2);
  // Windows are clipped to the channel block (group) of their centre: [j0, j1).
  return { a, C: x.shape[1], Cg: x.shape[1] / (p.groups ?? 1), lo, hi: p.size - 1 - lo };
}

/** x^-beta in kernel source; GLSL's pow needs a positive base, which D always is (k > 0). */
const powNeg = (v: string, beta: number) => `Math.pow(${v}, ${-beta})`;

/** y = x / (k + a sum_{win} x^2)^beta across channels. */
export function lrnForward(x: GpuTensor, p: LrnParams): LrnOutput {
  const { a, C, Cg, lo, hi } = geometry('lrnForward', x, p);
  if (lrnPacked(x.shape, p)) return lrnForwardPacked(x, p);
  const denomSrc = `function (x) {
    const n = ${idiv('this.thread.z', C)};
    const c = this.thread.z - n * ${C};
    const j0 = ${idiv('c', Cg)} * ${Cg};
    let s = 0;
    for (let d = ${-lo}; d <= ${hi}; d++) {
      const j = c + d;
      if (j >= j0 && j < j0 + ${Cg}) {
        const v = x[n * ${C} + j][this.thread.y][this.thread.x];
        s += v * v;
      }
    }
    return ${p.k} + ${a} * s;
  }`;
  const denom = x.ctx.run(denomSrc, x.shape, x.tex);
  const ySrc = `function (x, D) {
    return x[this.thread.z][this.thread.y][this.thread.x] * ${powNeg('D[this.thread.z][this.thread.y][this.thread.x]', p.beta)};
  }`;
  return { y: x.ctx.run(ySrc, x.shape, x.tex, denom.tex), denom };
}

/**
 * The forward pass on packed channels (lrnPacked): thread (plane n C / 4 + q, y, x)
 * computes D and y of channels 4q .. 4q + 3, D from the texels its windows span.
 */
function lrnForwardPacked(x: GpuTensor, p: LrnParams): LrnOutput {
  const { a, C, Cg, lo, hi } = geometry('lrnForward', x, p);
  const ctx = x.ctx, Q = C / 4, Qg = Cg / 4;
  const x4 = packByChannel(ctx, x.tex, x.shape);
  const d4 = ctx.runPacked(`function (x4) {
    ${windowSums('x4', -lo, hi, Q, Qg, (v) => `${v} * ${v}`)}
    return [${[0, 1, 2, 3].map((c) => `${p.k} + ${a} * s${c}`).join(', ')}];
  }`, [x.shape[3], x.shape[2], x.shape[0] * Q], x4);
  const y4 = ctx.runPacked(`function (x4, d4) {
    const v = x4[this.thread.z][this.thread.y][this.thread.x];
    const d = d4[this.thread.z][this.thread.y][this.thread.x];
    return [${[0, 1, 2, 3].map((c) => `v[${c}] * ${powNeg(`d[${c}]`, p.beta)}`).join(', ')}];
  }`, [x.shape[3], x.shape[2], x.shape[0] * Q], x4, d4);
  const y = unpackByChannel(ctx, y4, x.shape, true);
  return { y, packed: { x4, y4, d4 } };
}

/** dL/dx of LRN from dy and the forward's x, y and D. */
export function lrnBackward(dy: GpuTensor, x: GpuTensor, out: LrnOutput, p: LrnParams): GpuTensor {
  const ctx = sameContext('lrnBackward', dy, x, out.y);
  const { a, C, Cg, lo, hi } = geometry('lrnBackward', x, p);
  for (const [name, t] of [['dy', dy], ['y', out.y], ...(out.denom ? [['denom', out.denom]] as const : [])] as const) {
    if (t.shape.join() !== x.shape.join()) throw new RangeError(`lrnBackward: ${name} has shape ${fmtShape(t.shape)}, expected ${fmtShape(x.shape)}`);
  }
  if (out.packed) return lrnBackwardPacked(ctx, dy, x.shape, out.packed, p);
  if (!out.denom) throw new TypeError('lrnBackward: the forward output holds neither denom nor packed values');
  sameContext('lrnBackward', dy, out.denom);
  // T[c] = dy[c] y[c] / D[c] once per element, then each thread sums T over its window: 3 + n reads a thread
  // instead of 3 n (n = 5: 8 against 15 and llvmpipe pays per read), with the same float32 values in the same order.
  const T = ctx.run(`function (dy, y, D) {
    return dy[this.thread.z][this.thread.y][this.thread.x] * y[this.thread.z][this.thread.y][this.thread.x] / D[this.thread.z][this.thread.y][this.thread.x];
  }`, x.shape, dy.tex, out.y.tex, out.denom.tex);
  const src = `function (dy, x, T, D) {
    const n = ${idiv('this.thread.z', C)};
    const j = this.thread.z - n * ${C};
    const c0 = ${idiv('j', Cg)} * ${Cg};
    let s = 0;
    for (let d = ${-hi}; d <= ${lo}; d++) {
      const c = j + d;
      if (c >= c0 && c < c0 + ${Cg}) {
        s += T[n * ${C} + c][this.thread.y][this.thread.x];
      }
    }
    const at = this.thread.z;
    return dy[at][this.thread.y][this.thread.x] * ${powNeg('D[at][this.thread.y][this.thread.x]', p.beta)}
      - ${2 * a * p.beta} * x[at][this.thread.y][this.thread.x] * s;
  }`;
  const dx = ctx.run(src, x.shape, dy.tex, x.tex, T.tex, out.denom.tex);
  ctx.dispose(T);
  return dx;
}

/** The backward pass on packed channels: T = dy y / D per texel, then each thread sums T over its four windows. */
function lrnBackwardPacked(ctx: GpuContext, dy: GpuTensor, shape: readonly number[], packed: NonNullable<LrnOutput['packed']>, p: LrnParams): GpuTensor {
  const { a, C, Cg, lo, hi } = geometry('lrnBackward', dy, p);
  const Q = C / 4, Qg = Cg / 4, size = [shape[3], shape[2], shape[0] * Q];
  const dy4 = packByChannel(ctx, dy.tex, shape);
  const t4 = ctx.runPacked(`function (dy4, y4, d4) {
    const g = dy4[this.thread.z][this.thread.y][this.thread.x];
    const v = y4[this.thread.z][this.thread.y][this.thread.x];
    const d = d4[this.thread.z][this.thread.y][this.thread.x];
    return [${[0, 1, 2, 3].map((c) => `g[${c}] * v[${c}] / d[${c}]`).join(', ')}];
  }`, size, dy4, packed.y4, packed.d4);
  // dx[j] sums T[c] over c in [j - hi, j + lo], upwards, as the plain kernel does.
  const dx4 = ctx.runPacked(`function (t4, dy4, x4, d4) {
    ${windowSums('t4', -hi, lo, Q, Qg, (v) => v)}
    const g = dy4[this.thread.z][this.thread.y][this.thread.x];
    const v = x4[this.thread.z][this.thread.y][this.thread.x];
    const d = d4[this.thread.z][this.thread.y][this.thread.x];
    return [${[0, 1, 2, 3].map((c) => `g[${c}] * ${powNeg(`d[${c}]`, p.beta)} - ${2 * a * p.beta} * v[${c}] * s${c}`).join(', ')}];
  }`, size, t4, dy4, packed.x4, packed.d4);
  ctx.release(t4);
  ctx.release(dy4);
  return unpackByChannel(ctx, dx4, shape);
}
