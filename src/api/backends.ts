// The backends by name for the public entry: the CPU reference at once, the
// WebGL one loaded on demand (it needs the optional peer packages gpu.js and,
// in Node, gl), so that importing the library never loads a native addon.

import type { Backend } from '../backend.js';
import { loadGpu } from './nets.js';

/** A GPU backend over a new WebGL context, with the means to release it. */
export type DisposableBackend = Backend<unknown> & {
  /** Releases the backend's WebGL context; await it before making many more. */
  destroy(): Promise<void>;
};

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
