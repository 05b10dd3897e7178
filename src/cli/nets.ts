// Building a Net for the command line: the CPU, one GPU context, or two GPU
// contexts (the paper's two GPUs). GPU code is loaded only when asked for.

import { cpuBackend } from '../cpu/backend.js';
import type { AlexNetConfig } from '../nn/config.js';
import type { HostParams } from '../nn/model.js';
import { type Net, SingleNet } from '../nn/net.js';
import { PartitionedNet } from '../nn/partition.js';

/** A net on `backend` ('cpu' or 'gpu') split over `partitions` (1 or 2) backend instances. */
export async function makeNet(backend: string, partitions: number, c: AlexNetConfig, params: HostParams, velocity?: HostParams): Promise<Net> {
  if (partitions !== 1 && partitions !== 2) throw new Error(`--partitions must be 1 or 2, got ${partitions}`);
  if (partitions === 2 && c.partitions !== 2) throw new Error(`configuration ${c.name} has the one-GPU layout; it cannot be split over two partitions`);
  if (backend === 'cpu') {
    if (partitions === 1) return new SingleNet(cpuBackend(), c, params, velocity);
    return new PartitionedNet([cpuBackend(), cpuBackend()], c, params, velocity);
  }
  if (backend !== 'gpu') throw new Error(`--backend ${backend} is unknown; known: cpu, gpu`);
  const { gpuBackend } = await import('../gpu/backend.js');
  const { GpuContext } = await import('../gpu/context.js');
  if (partitions === 1) {
    const be = gpuBackend(GpuContext.create({ label: 'gpu0' }));
    return new SingleNet(be, c, params, velocity, () => be.ctx.destroy());
  }
  const bes = [gpuBackend(GpuContext.create({ label: 'gpu0' })), gpuBackend(GpuContext.create({ label: 'gpu1' }))] as const;
  return new PartitionedNet(bes, c, params, velocity, async () => { await bes[0].ctx.destroy(); await bes[1].ctx.destroy(); });
}
