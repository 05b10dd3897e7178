// `alexnet-ts/gpu`: the WebGL twins of the CPU layers (gpu.js kernels), a
// context with its kernel cache, and the Backend over one context. Needs the
// optional peer packages gpu.js and (in Node) gl; `gpuBackend` from the main
// entry loads this module on demand and says what to install when it is missing.

export { type GpuBackend, gpuBackend } from './backend.js';
export { GpuContext, GpuUnavailableError, type GpuMode, type GpuTensor } from './context.js';
