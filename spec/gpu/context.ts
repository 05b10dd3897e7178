// One GPU context shared by the GPU specs of a test run (creating one costs a WebGL context).
import { GpuContext } from '../../src/gpu/context.js';

let shared: GpuContext | undefined;

/** The shared context; throws GpuUnavailableError with instructions when there is no WebGL (run under xvfb-run -a). */
export async function sharedContext(): Promise<GpuContext> {
  shared ??= GpuContext.create({ label: 'spec' });
  return shared;
}
