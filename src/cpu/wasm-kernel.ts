// How src/cpu's WebAssembly micro-kernels start and grow, written once: each
// kernel's bytes ship as base64 in its .wasm.ts twin (scripts/build-wasm.ts),
// are compiled synchronously at import (each module is under the 4 KB that
// browsers compile synchronously on the main thread; the largest, gemm32's,
// is 1.8 KB), and the kernel's memory grows to the
// largest block it has been given. An engine that cannot run a kernel (no
// WebAssembly, no SIMD, a page whose Content-Security-Policy forbids
// compiling) gets null, and the caller keeps its JavaScript definition.

/** A kernel module's exports from its base64 bytes, or null where this engine cannot run it. */
export function instantiateKernel<T>(base64: string): T | null {
  if (typeof WebAssembly === 'undefined') return null;
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  if (!WebAssembly.validate(bytes)) return null; // no SIMD in this engine
  try {
    return new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as T;
  } catch {
    return null; // a Content-Security-Policy that forbids compiling WebAssembly
  }
}

/** Grows a kernel's memory to at least `bytes` (whole 64 KiB pages). */
export function growMemory(memory: WebAssembly.Memory, bytes: number): void {
  const have = memory.buffer.byteLength;
  if (have < bytes) memory.grow(Math.ceil((bytes - have) / 65536));
}

/** Grows a kernel's memory to at least `bytes` and returns a float32 view of all of it. */
export function kernelMemory(memory: WebAssembly.Memory, bytes: number): Float32Array {
  growMemory(memory, bytes);
  return new Float32Array(memory.buffer);
}
