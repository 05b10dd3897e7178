// Loops that several threads can share (issue 13): an op outside the matrix
// products (ReLU, LRN, pooling, the SGD update) writes its plain loop as a
// RangeKernel over items from..to (elements, images, channel planes), each
// item computed by the same code whichever thread runs it. The op then asks
// a ParallelFor to run all its items: `serial` runs them in one call on this
// thread; a thread pool (gemm-threads.ts) cuts them into one range per thread
// and has its workers run the same kernel by name (range-kernels.ts), so the
// result has the bits of one thread's.

/** The typed arrays a range kernel reads and writes (a thread pool needs them in SharedArrayBuffers). */
export type RangeArray = Float32Array<ArrayBufferLike> | Float64Array<ArrayBufferLike> | Int32Array<ArrayBufferLike>;

/** A loop over items from..to - 1 of an op, named so that a worker thread can find it in range-kernels.ts. */
export interface RangeKernel {
  /** Unique among the kernels of range-kernels.ts. */
  readonly name: string;
  /** Runs items from..to - 1; arrays and nums are the op's, the same for every range. */
  readonly run: (arrays: readonly RangeArray[], nums: readonly number[], from: number, to: number) => void;
}

/**
 * Runs items 0..count - 1 of a kernel, on one thread or cut into ranges over
 * several. work is an item's cost in elements touched, so that small ops stay
 * on the calling thread (a hand-off costs tens of microseconds).
 */
export type ParallelFor = (k: RangeKernel, count: number, arrays: readonly RangeArray[], nums?: readonly number[], work?: number) => void;

/** Every item on the calling thread, in one call. */
export const serial: ParallelFor = (k, count, arrays, nums = []) => {
  if (count > 0) k.run(arrays, nums, 0, count);
};
