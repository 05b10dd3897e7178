// The backends by name: the CPU reference at once, the WebGL one loaded on
// demand (it needs the optional peer packages gpu.js and, in Node, gl), so
// that importing the library never loads a native addon.

import type { Backend } from '../backend.js';
import { cpuBackend } from '../cpu/backend.js';
import { gemmThreadPool } from '../cpu/gemm-threads.js';

/** The packages the GPU backend needs besides this one, as a user installs them. */
export const GPU_PACKAGES = 'gpu.js@2.24.1 gl@8.1.6';

/** A backend with the means to release what it holds (a WebGL context; nothing on the CPU). */
export type DisposableBackend = Backend<unknown> & {
  /** Releases the backend's WebGL context; await it before making many more. */
  destroy(): Promise<void>;
};

/** Loads src/gpu/ on demand; a missing gpu.js becomes an error that says what to install. */
async function loadGpu(): Promise<{ gpu: typeof import('../gpu/backend.js'); context: typeof import('../gpu/context.js') }> {
  try {
    const [gpu, context] = await Promise.all([import('../gpu/backend.js'), import('../gpu/context.js')]);
    return { gpu, context };
  } catch (e) {
    const m = (e as Error).message;
    if ((e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && m.includes("'gpu.js'")) {
      throw new Error(`the GPU backend needs the optional packages gpu.js and gl, which are not installed: npm install ${GPU_PACKAGES} (${m.split('\n')[0]})`);
    }
    throw e;
  }
}

/**
 * A Backend running the gpu.js kernels in a new WebGL context: headless-gl in
 * Node (run under `xvfb-run -a` without a display), WebGL2 or WebGL1 in a page.
 * Rejects with an error naming what to install or run when there is no WebGL;
 * it never falls back to the CPU.
 */
export async function gpuBackend(o: { label?: string; mode?: 'headlessgl' | 'webgl2' | 'webgl' } = {}): Promise<DisposableBackend> {
  const { gpu, context } = await loadGpu();
  const be = gpu.gpuBackend(context.GpuContext.create({ label: o.label ?? 'gpu', ...(o.mode ? { mode: o.mode } : {}) }));
  return Object.assign(be as unknown as Backend<unknown>, { destroy: () => be.ctx.destroy() });
}

/** The command-line names of the backends backendNamed() makes. */
export const BACKEND_NAMES = ['cpu', 'cpu-float32-sums', 'cpu-threads', 'cpu-float64', 'gpu'] as const;

/** How many threads 'cpu-threads' starts: ALEXNET_THREADS if set, else the cores this process may use (at most 8). */
export async function defaultThreads(): Promise<number> {
  const env = typeof process !== 'undefined' ? process.env?.ALEXNET_THREADS : undefined;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1 || n > 64) throw new RangeError(`ALEXNET_THREADS must be an integer from 1 to 64, got ${JSON.stringify(env)}`);
    return n;
  }
  try {
    const os = await import('node:os');
    return Math.min(8, os.availableParallelism?.() ?? os.cpus().length);
  } catch {
    return Math.min(8, (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1);
  }
}

/** A backend by its command-line name: 'cpu' (the reference, float32), 'cpu-float32-sums' (float32 tensors and sums, faster), 'cpu-threads' (those products over defaultThreads() threads, the same bits), 'cpu-float64' (the reference in double precision) or 'gpu' (a new WebGL context, labelled). */
export async function backendNamed(name: string, label?: string): Promise<DisposableBackend> {
  if (name === 'cpu' || name === 'cpu-float64') return Object.assign(cpuBackend(name === 'cpu' ? 'float32' : 'float64') as Backend<unknown>, { destroy: async () => {} });
  if (name === 'cpu-float32-sums') return Object.assign(cpuBackend('float32', { sums: 'float32' }) as Backend<unknown>, { destroy: async () => {} });
  if (name === 'cpu-threads') {
    const pool = await gemmThreadPool(await defaultThreads());
    // Where workers cannot run (a page, no SharedArrayBuffer) the pool has one thread: say so once, and go on.
    if (pool.notice) console.warn(`cpu-threads: ${pool.notice}`);
    return Object.assign(cpuBackend('float32', { sums: 'float32', threads: pool }) as Backend<unknown>, { destroy: () => pool.close() });
  }
  if (name === 'gpu') return gpuBackend({ label });
  throw new RangeError(`backend '${name}' is unknown; known: ${BACKEND_NAMES.join(', ')}, or a Backend object`);
}
