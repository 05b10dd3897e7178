// Building a Net: the CPU reference, one GPU context, or two GPU contexts
// (the paper's two GPUs, section 3.2), or any Backend a user brings. The GPU
// code is loaded only when asked for: the CPU path needs neither gpu.js nor
// the native gl addon, which are optional peer dependencies of the package.

import type { Backend } from '../backend.js';
import { cpuBackend } from '../cpu/backend.js';
import type { AlexNetConfig } from '../nn/config.js';
import type { HostParams } from '../nn/model.js';
import { type Net, SingleNet } from '../nn/net.js';
import { PartitionedNet } from '../nn/partition.js';

/** The packages the GPU backend needs besides this one, as a user installs them. */
export const GPU_PACKAGES = 'gpu.js@2.24.1 gl@8.1.6';

/** Loads src/gpu/ on demand; a missing gpu.js becomes an error that says what to install. */
export async function loadGpu(): Promise<{ gpu: typeof import('../gpu/backend.js'); context: typeof import('../gpu/context.js') }> {
  try {
    const [gpu, context] = await Promise.all([import('../gpu/backend.js'), import('../gpu/context.js')]);
    return { gpu, context };
  } catch (e) {
    const m = (e as Error).message;
    if (/Cannot find (package|module) 'gpu\.js'|gpu\.js/.test(m) && /find|resolve/i.test(m)) {
      throw new Error(`the GPU backend needs the optional packages gpu.js and gl, which are not installed: npm install ${GPU_PACKAGES} (${m.split('\n')[0]})`);
    }
    throw e;
  }
}

/** A net on `backend` ('cpu', 'gpu' or a Backend) split over `partitions` (1 or 2) backend instances. */
export async function makeNet(
  backend: string | Backend<unknown>, partitions: number, c: AlexNetConfig, params: HostParams, velocity?: HostParams,
): Promise<Net> {
  if (partitions !== 1 && partitions !== 2) throw new RangeError(`partitions must be 1 or 2, got ${partitions}`);
  if (partitions === 2 && c.partitions !== 2) throw new RangeError(`configuration ${c.name} has the one-GPU layout; it cannot be split over two partitions`);
  if (typeof backend !== 'string') {
    if (partitions === 1) return new SingleNet(backend, c, params, velocity);
    return new PartitionedNet([backend, backend], c, params, velocity);
  }
  if (backend === 'cpu') {
    if (partitions === 1) return new SingleNet(cpuBackend(), c, params, velocity);
    return new PartitionedNet([cpuBackend(), cpuBackend()], c, params, velocity);
  }
  if (backend !== 'gpu') throw new RangeError(`backend '${backend}' is unknown; known: cpu, gpu, or a Backend object`);
  const { gpu, context } = await loadGpu();
  if (partitions === 1) {
    const be = gpu.gpuBackend(context.GpuContext.create({ label: 'gpu0' }));
    return new SingleNet(be, c, params, velocity, () => be.ctx.destroy());
  }
  const bes = [gpu.gpuBackend(context.GpuContext.create({ label: 'gpu0' })), gpu.gpuBackend(context.GpuContext.create({ label: 'gpu1' }))] as const;
  return new PartitionedNet(bes, c, params, velocity, async () => { await bes[0].ctx.destroy(); await bes[1].ctx.destroy(); });
}
