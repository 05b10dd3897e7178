// Building a Net: on the CPU reference, one GPU context, or two GPU contexts
// (the paper's two GPUs, section 3.2), or on any Backend a user brings.

import type { AwaitableBackend } from '../backend.js';
import type { AlexNetConfig } from '../nn/config.js';
import type { HostParams } from '../nn/model.js';
import { type Net, SingleNet } from '../nn/net.js';
import { PartitionedNet } from '../nn/partition.js';
import { type DisposableBackend, backendNamed } from './backends.js';

/**
 * A net on `backend` ('cpu', 'gpu' or a Backend) split over `partitions` (1
 * or 2) backend instances: by name, one new instance per partition (its own
 * WebGL context on the GPU), released with the net; a Backend object serves
 * both partitions and stays the caller's. `adopt`: the host arrays are the
 * net's to keep (no copy on a backend that can adopt them, as the CPU's).
 */
export async function makeNet(
  backend: string | AwaitableBackend<unknown>, partitions: number, c: AlexNetConfig, params: HostParams, velocity?: HostParams, o: { adopt?: boolean } = {},
): Promise<Net> {
  if (partitions !== 1 && partitions !== 2) throw new RangeError(`partitions must be 1 or 2, got ${partitions}`);
  if (partitions === 2 && c.partitions !== 2) throw new RangeError(`configuration ${c.name} has the one-GPU layout; it cannot be split over two partitions`);
  const owned: DisposableBackend[] = [];
  const release = async () => { for (const b of owned) await b.destroy(); };
  try {
    if (typeof backend === 'string') for (let p = 0; p < partitions; p++) owned.push(await backendNamed(backend, `gpu${p}`));
    const bes = typeof backend === 'string' ? owned : [backend, backend];
    return partitions === 1 ? await SingleNet.create(bes[0], c, params, velocity, release, o.adopt) : await PartitionedNet.create([bes[0], bes[1]], c, params, velocity, release);
  } catch (e) {
    // A second context that fails to open, or weights that do not fit, must not leave the first one open.
    await release();
    throw e;
  }
}
