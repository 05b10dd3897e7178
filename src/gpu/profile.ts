// Where a GPU step's time goes (issue 13): every Backend op of a context
// timed to completion, with the WebGL calls it made. The WebGL counters wrap
// the context's own functions (draws, texture allocations, uploads,
// readbacks, shader compiles), so they count what gpu.js really did, not what
// the kernels meant to do. Timing an op to completion means finish() after
// it, which stops the host from queueing the next op while llvmpipe renders
// the last: a profiled step is slower than a plain one, and the profile says
// where a plain step's time goes only in proportion.

import type { GpuBackend } from './backend.js';

/** WebGL calls made, and the bytes they moved. */
export interface GlCounts {
  /** drawArrays: one per kernel run (gpu.js draws one quad per run). */
  draws: number;
  /** createTexture: a new texture, an allocation (gpu.js makes one when a kernel's last output is still alive). */
  texturesCreated: number;
  texturesDeleted: number;
  /** texImage2D / texSubImage2D calls with pixels: host data uploaded (kernel inputs given as arrays). */
  uploads: number;
  uploadBytes: number;
  /** readPixels: host reads of a texture (downloads, the loss). */
  readbacks: number;
  readBytes: number;
  /** compileShader: a kernel compiled (vertex and fragment shader each). */
  shaderCompiles: number;
}

/** A zeroed GlCounts. */
export function noGlCounts(): GlCounts {
  return { draws: 0, texturesCreated: 0, texturesDeleted: 0, uploads: 0, uploadBytes: 0, readbacks: 0, readBytes: 0, shaderCompiles: 0 };
}

/** b - a, field by field. */
function minus(b: GlCounts, a: GlCounts): GlCounts {
  const out = noGlCounts();
  for (const k of Object.keys(out) as (keyof GlCounts)[]) out[k] = b[k] - a[k];
  return out;
}

/** Adds d into into, field by field. */
function addInto(into: GlCounts, d: GlCounts): void {
  for (const k of Object.keys(into) as (keyof GlCounts)[]) into[k] += d[k];
}

const bytesOf = (v: unknown): number => (ArrayBuffer.isView(v) ? v.byteLength : 0);

/**
 * Counts the WebGL calls of a context from now on, by replacing its methods
 * with counting wrappers (own properties, so restore() brings the originals
 * back). Returns the live counts.
 */
export function countGlCalls(gl: object): { counts: GlCounts; restore(): void } {
  const counts = noGlCounts();
  const g = gl as Record<string, (...a: unknown[]) => unknown>;
  // The originals, and whether each was the object's own property (headless-gl's are on its prototype; a browser's too).
  const wrapped: { name: string; original: (...a: unknown[]) => unknown; own: boolean }[] = [];
  const wrap = (name: string, count: (args: unknown[]) => void) => {
    const original = g[name];
    if (typeof original !== 'function') return;
    wrapped.push({ name, original, own: Object.prototype.hasOwnProperty.call(g, name) });
    g[name] = function (this: unknown, ...args: unknown[]) {
      count(args);
      return original.apply(gl, args);
    };
  };
  wrap('drawArrays', () => { counts.draws++; });
  wrap('createTexture', () => { counts.texturesCreated++; });
  wrap('deleteTexture', () => { counts.texturesDeleted++; });
  wrap('compileShader', () => { counts.shaderCompiles++; });
  // texImage2D(target, level, internalformat, width, height, border, format, type, pixels): pixels null = allocation only.
  const upload = (args: unknown[]) => {
    const n = bytesOf(args[args.length - 1]);
    if (n > 0) { counts.uploads++; counts.uploadBytes += n; }
  };
  wrap('texImage2D', upload);
  wrap('texSubImage2D', upload);
  wrap('readPixels', (args) => { counts.readbacks++; counts.readBytes += bytesOf(args[6]); });
  return {
    counts,
    restore() {
      for (const w of wrapped) {
        if (w.own) g[w.name] = w.original;
        else delete g[w.name];
      }
    },
  };
}

/** One op's totals over the profiled calls. */
export interface OpProfile {
  op: string;
  calls: number;
  /** Milliseconds from the call to the completion of its GPU work (finish()). */
  ms: number;
  gl: GlCounts;
}

/** Per-op totals of one or more backends, filled by profiledBackend. */
export class StepProfile {
  readonly ops = new Map<string, OpProfile>();
  /** While false, the profiled backends run their ops as they are (no finish(), nothing recorded). */
  enabled = true;

  /** Adds one call of op. */
  add(op: string, ms: number, gl: GlCounts): void {
    let p = this.ops.get(op);
    if (!p) { p = { op, calls: 0, ms: 0, gl: noGlCounts() }; this.ops.set(op, p); }
    p.calls++;
    p.ms += ms;
    addInto(p.gl, gl);
  }

  /** The ops, the most expensive first. */
  sorted(): OpProfile[] {
    return [...this.ops.values()].sort((a, b) => b.ms - a.ms);
  }

  /** Every op's time and WebGL counts summed. */
  total(): { ms: number; calls: number; gl: GlCounts } {
    const gl = noGlCounts();
    let ms = 0, calls = 0;
    for (const p of this.ops.values()) { ms += p.ms; calls += p.calls; addInto(gl, p.gl); }
    return { ms, calls, gl };
  }
}

/** Ops that only look at a handle (no GPU work): not timed. (reshape is timed: it copies between texture layouts.) */
const UNTIMED = new Set(['shape']);

/**
 * The backend with every op timed to completion and its WebGL calls counted
 * into `profile` (under the op's name; `prefix` tells two contexts apart).
 * `counts` are the context's WebGL calls whether or not the profile is
 * enabled. Call restore() when done to unwrap the context.
 */
export function profiledBackend(be: GpuBackend, profile: StepProfile, prefix = ''): { backend: GpuBackend; counts: GlCounts; restore(): void } {
  const gl = be.ctx.gpu.context as object | null;
  if (!gl) throw new Error(`profiledBackend: context ${be.ctx.label} has no WebGL context yet`);
  const counter = countGlCalls(gl);
  const out: Record<string, unknown> = { ...be };
  for (const [name, fn] of Object.entries(be)) {
    if (typeof fn !== 'function' || UNTIMED.has(name)) continue;
    out[name] = (...args: unknown[]) => {
      if (!profile.enabled) return (fn as (...a: unknown[]) => unknown)(...args);
      const before = { ...counter.counts };
      const t0 = performance.now();
      const r = (fn as (...a: unknown[]) => unknown)(...args);
      be.ctx.finish();
      profile.add(prefix + name, performance.now() - t0, minus(counter.counts, before));
      return r;
    };
  }
  return { backend: out as unknown as GpuBackend, counts: counter.counts, restore: () => counter.restore() };
}
