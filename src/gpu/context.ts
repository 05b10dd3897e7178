// One GPU context (one gpu.js `GPU` instance, one WebGL context) and the
// tensors that live in it.
//
// A GpuTensor is a texture plus its logical shape. Textures are
// single-precision, one value per RGBA texel below PLAIN_LIMIT values and
// memory-optimised (four per texel) above it, laid out in the same row-major
// order as the CPU's typed arrays:
//   rank 4 [N, C, H, W] -> gpu.js output [W, H, N * C]   read as t[n * C + c][h][w]
//   rank 2 [N, F]       -> gpu.js output [F, N]          read as t[n][f]
//   rank 1 [F]          -> gpu.js output [F]             read as t[f]
// Kernels read through these multi-dimensional indices, never a flat index:
// gpu.js computes flat indices in float and they go wrong from 2^24 (fc6's
// weights hold 37.7 million values), see ../shared/gpujs-notes.md.
//
// Kernels are generated as source text with every size written in as a
// literal: gpu.js silently caps loops whose bound comes from an argument at
// loopMaxIterations, but compiles literal bounds as they are. Each distinct
// source is compiled once per context and cached.
//
// Every kernel is `immutable`: each call returns a new texture, which its
// owner must release with dispose(). Textures cannot move between contexts;
// crossing one means download() here and upload() there.

import { GPU, type IKernelRunShortcut, Input, type Texture } from 'gpu.js';
import { fmtShape, sizeOf } from '../cpu/tensor.js';

/** A tensor held as a texture in one GPU context. */
export interface GpuTensor {
  readonly ctx: GpuContext;
  readonly tex: Texture;
  readonly shape: readonly number[];
}

/** The error raised when no WebGL context can be had; its message says what to install or run. */
export class GpuUnavailableError extends Error {
  override name = 'GpuUnavailableError';
}

/** gpu.js output dimensions of a tensor shape, as in the table above. */
export function texDims(shape: readonly number[]): number[] {
  switch (shape.length) {
    case 1: return [shape[0]];
    case 2: return [shape[1], shape[0]];
    case 4: return [shape[3], shape[2], shape[0] * shape[1]];
    default: throw new RangeError(`gpu: tensors of rank 1, 2 or 4 are supported, got shape ${fmtShape(shape)}`);
  }
}

/** The index expression that reads element `this.thread` of a tensor of this rank in a kernel. */
export function threadIndex(rank: number): string {
  return rank === 1 ? '[this.thread.x]' : rank === 2 ? '[this.thread.y][this.thread.x]' : '[this.thread.z][this.thread.y][this.thread.x]';
}

/** Which gpu.js mode to ask for: headless-gl in Node, WebGL 2 or 1 in a browser. */
export type GpuMode = 'headlessgl' | 'webgl2' | 'webgl';

const NODE_HELP =
  'WebGL in Node comes from headless-gl (npm package gl), which needs a display: run under `xvfb-run -a` ' +
  '(Debian: apt-get install xvfb libgl1-mesa-dri), and build gl with libxi-dev libxext-dev libx11-dev pkg-config libgl1-mesa-dev installed';

/**
 * Outputs of fewer values than this take one value per RGBA texel; larger
 * ones are memory-optimised (four values per texel). A memory-optimised read
 * costs an extra integer division and a component select, which made every
 * small-net step about 30 % slower on llvmpipe (measured); the paper net's
 * big tensors (fc6's 37.7 M weights) need the fourfold saving.
 */
export const PLAIN_LIMIT = 1 << 22;

/** A GPU context with its kernel cache. */
export class GpuContext {
  private readonly kernels = new Map<string, IKernelRunShortcut>();
  private live = 0;
  private destroyed = false;

  private constructor(readonly gpu: GPU, readonly mode: GpuMode, readonly label: string) {}

  /**
   * Opens a WebGL context, or throws GpuUnavailableError saying why and what to do.
   * It never falls back to the CPU: a GPU run that silently ran elsewhere would verify nothing.
   */
  static create(options: { mode?: GpuMode; label?: string; canvas?: unknown; context?: unknown } = {}): GpuContext {
    const mode = options.mode ?? (typeof document === 'undefined' ? 'headlessgl' : 'webgl2');
    let gpu: GPU;
    try {
      gpu = new GPU({ mode, canvas: options.canvas as object, context: options.context as object });
    } catch (e) {
      throw new GpuUnavailableError(`gpu: no ${mode} context (${(e as Error).message}). ${mode === 'headlessgl' ? NODE_HELP : 'This browser offers no usable WebGL.'}`);
    }
    const ctx = new GpuContext(gpu, mode, options.label ?? mode);
    // gpu.js opens its context lazily: run one tiny kernel to know there is one, and that it computes.
    let probe: number | string;
    try {
      const t = ctx.run('function () { return 0.25 + this.thread.x; }', [2]);
      const v = ctx.download(t);
      ctx.dispose(t);
      probe = v[0] === 0.25 && v[1] === 1.25 ? 'ok' : `wrong values ${v[0]}, ${v[1]}`;
    } catch (e) {
      probe = (e as Error).message;
    }
    if (gpu.mode !== mode || probe !== 'ok') {
      void gpu.destroy();
      throw new GpuUnavailableError(`gpu: no working ${mode} context (${gpu.mode}: ${probe}). ${mode === 'headlessgl' ? NODE_HELP : 'This browser offers no usable WebGL.'}`);
    }
    return ctx;
  }

  /** How many kernels this context has compiled (each source and output size once). */
  get compiledKernels(): number {
    return this.kernels.size;
  }

  /** The compiled kernel for this source and output size, compiled on first use. */
  kernel(source: string, output: number[], returnType?: 'Array(4)'): IKernelRunShortcut {
    const key = `${output.join('x')}|${returnType ?? ''}|${source}`;
    let k = this.kernels.get(key);
    if (!k) {
      k = this.gpu.createKernel(source, {
        output,
        pipeline: true,
        immutable: true,
        precision: 'single',
        tactic: 'precision',
        optimizeFloatMemory: returnType === undefined && output.reduce((a, b) => a * b, 1) >= PLAIN_LIMIT,
        ...(returnType ? { returnType } : {}),
      } as never) as unknown as IKernelRunShortcut;
      this.kernels.set(key, k);
    }
    return k;
  }

  /** Runs a kernel and wraps its output texture as a tensor of the given shape. */
  run(source: string, shape: readonly number[], ...args: unknown[]): GpuTensor {
    this.check();
    const tex = this.kernel(source, texDims(shape))(...(args as never[])) as unknown as Texture;
    this.live++;
    return { ctx: this, tex, shape: [...shape] };
  }

  /**
   * Runs a kernel that returns four values per thread (returnType Array(4)),
   * for an intermediate texture of the given gpu.js output size. The caller
   * reads it with another kernel and releases it with release().
   */
  runPacked(source: string, output: number[], ...args: unknown[]): Texture {
    this.check();
    const tex = this.kernel(source, output, 'Array(4)')(...(args as never[])) as unknown as Texture;
    this.live++;
    return tex;
  }

  /** Releases an intermediate texture made by runPacked(). */
  release(tex: Texture): void {
    if (!(tex as unknown as { _deleted?: boolean })._deleted) {
      tex.delete();
      this.live--;
    }
  }

  /** Copies host data into a new texture. */
  upload(data: Float32Array | Float64Array, shape: readonly number[]): GpuTensor {
    if (data.length !== sizeOf(shape)) {
      throw new RangeError(`gpu upload: data has ${data.length} elements but shape ${fmtShape(shape)} needs ${sizeOf(shape)}`);
    }
    const f32 = data instanceof Float32Array ? data : Float32Array.from(data);
    const dims = texDims(shape);
    return this.run(`function (a) { return a${threadIndex(dims.length)}; }`, shape, hostArray(f32, shape));
  }

  /** Reads a tensor back as a row-major Float32Array. */
  download(t: GpuTensor): Float32Array {
    this.own(t, 'download');
    const n = sizeOf(t.shape);
    const tex = t.tex as unknown as { renderRawOutput(): Float32Array; type: string };
    const raw = tex.renderRawOutput();
    if (tex.type === 'MemoryOptimizedNumberTexture') return raw.slice(0, n);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = raw[4 * i];
    return out;
  }

  /** Releases a tensor's texture. */
  dispose(t: GpuTensor): void {
    this.own(t, 'dispose');
    const tex = t.tex as unknown as { _deleted?: boolean };
    if (!tex._deleted) {
      t.tex.delete();
      this.live--;
    }
  }

  /** Blocks until the context has finished all work queued so far (for timing; downloads wait by themselves). */
  finish(): void {
    (this.gpu.context as { finish?: () => void } | null)?.finish?.();
  }

  /** Number of textures made by this context and not yet disposed (for leak tests). */
  liveTextures(): number {
    return this.live;
  }

  /** Throws unless t belongs to this context. */
  own(t: GpuTensor, op: string): void {
    if (t?.ctx !== this) {
      throw new Error(`gpu ${op}: tensor ${fmtShape(t?.shape ?? [])} belongs to another GPU context (${t?.ctx?.label}); cross contexts with download() and upload()`);
    }
  }

  /** Releases every kernel and the WebGL context. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    this.kernels.clear();
    await this.gpu.destroy();
  }

  private check(): void {
    if (this.destroyed) throw new Error(`gpu: context ${this.label} was destroyed`);
  }
}

/** Throws unless every tensor belongs to one context; returns it. */
export function sameContext(op: string, ...ts: GpuTensor[]): GpuContext {
  const ctx = ts[0]?.ctx;
  if (!ctx) throw new TypeError(`${op}: expected GPU tensors`);
  for (const t of ts) ctx.own(t, op);
  return ctx;
}

/** Host data passed straight to a kernel call (uploaded with the call, not kept), laid out like a tensor of this shape. */
export function hostArray(data: Float32Array, shape: readonly number[]): Input {
  return new Input(data as never, texDims(shape) as never);
}

/** Integer division a / b of non-negative integers held as floats in a kernel, robust to float rounding. */
export function idiv(a: string, b: number): string {
  return `Math.floor((${a} + 0.5) / ${b})`;
}
