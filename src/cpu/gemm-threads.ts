// gemm32's float32 products over several threads (Node's worker_threads).
//
// C = A B is cut into blocks of columns, one per thread: the calling thread
// computes the first block itself while each worker (gemm-worker.ts, with its
// own WebAssembly kernel) computes one of the others into the same C. Every
// element of C is summed by exactly the loops gemm32() would run for it (the
// K slices and the tile rows do not depend on which columns a block holds), so
// the result has the same bits as one thread's: spec/cpu/gemm-threads.spec.ts
// checks that over random shapes.
//
// The workers read the operands where they lie when their arrays are backed
// by a SharedArrayBuffer (a threaded cpuBackend allocates every tensor so, see
// sharedZeros); other arrays are copied into a shared scratch buffer first,
// and a block of C that is not shared is copied there and back. The calling
// thread waits with Atomics.wait, which a page's main thread may not do: in a
// page (or wherever SharedArrayBuffer or worker_threads is missing) the pool
// has one thread and says why in its notice.

import { type MatrixProducts } from './gemm.js';
import { gemm32 } from './gemm32.js';
import type { GemmJob } from './gemm-worker.js';
import type { FloatArray } from './tensor.js';

/** Below this many multiply-adds a product stays on the calling thread: a hand-off costs tens of microseconds. */
const MIN_WORK = 1 << 20;
/** The narrowest block of columns: gemm32 chooses its path for few rows by N >= 16. */
const BLOCK_MIN = 16;

/** A set of threads for the float32 products: the layers' MatrixProducts, and the means to stop the workers. */
export interface GemmThreadPool {
  /** How many threads compute a product: the caller and threads - 1 workers. */
  readonly threads: number;
  /** Why there are fewer threads than asked for, if there are. */
  readonly notice?: string;
  /** The products in the layers' set (conv2d.ts, linear.ts), float32 tensors only, the bits of FLOAT32_PRODUCTS. */
  readonly products: MatrixProducts;
  /** How many products so far were shared out to the workers (the rest were too small, or not float32). */
  readonly handedOff: number;
  /** Stops the workers; the products then run on the calling thread. */
  close(): Promise<void>;
}

interface WorkerHandle {
  worker: { terminate(): Promise<number>; unref(): void };
  port: { postMessage(m: unknown): void; close(): void };
  ctl: Int32Array;
  posted: number;
}

/** Whether a typed array's memory is a SharedArrayBuffer (that a worker can read without a copy). */
export function isShared(a: FloatArray): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && a.buffer instanceof SharedArrayBuffer;
}

/** A zero float32 array in a SharedArrayBuffer where there is one (else an ordinary one). */
export function sharedZeros(n: number): Float32Array<ArrayBufferLike> {
  return typeof SharedArrayBuffer !== 'undefined' ? new Float32Array(new SharedArrayBuffer(4 * n)) : new Float32Array(n);
}

/**
 * Starts threads - 1 workers for the float32 products. Resolves to a pool of
 * one thread (with a notice) where workers cannot be used; never rejects for
 * that reason.
 */
export async function gemmThreadPool(threads: number): Promise<GemmThreadPool> {
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) throw new RangeError(`gemmThreadPool: threads must be an integer from 1 to 64, got ${threads}`);
  const single = (notice?: string): GemmThreadPool => ({ threads: 1, notice, products: productsOver([]).products, handedOff: 0, close: async () => {} });
  if (threads === 1) return single();
  if (typeof SharedArrayBuffer === 'undefined') return single('SharedArrayBuffer is unavailable here (a page must be cross-origin isolated): one thread');
  let wt: typeof import('node:worker_threads');
  try {
    wt = await import('node:worker_threads');
  } catch {
    // A page: its main thread may not block in Atomics.wait, which a synchronous product needs.
    return single('worker_threads is unavailable here (a page\'s main thread cannot wait for workers): one thread');
  }
  // In dist/ the worker is the compiled .js beside this file. In the source tree (run through tsx) it is the .ts,
  // which a worker can load only after registering tsx's loader itself (Node 20 does not pass the hooks on).
  const fromSource = import.meta.url.endsWith('.ts');
  const url = new URL(fromSource ? './gemm-worker.ts' : './gemm-worker.js', import.meta.url);
  const entry = fromSource ? `import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(url.href)}); })` : url;
  const workers: WorkerHandle[] = [];
  for (let t = 1; t < threads; t++) {
    const ctl = new Int32Array(new SharedArrayBuffer(16));
    const { port1, port2 } = new wt.MessageChannel();
    const worker = new wt.Worker(entry, { eval: fromSource, workerData: { ctl, port: port2 }, transferList: [port2] });
    await new Promise<void>((resolve, reject) => {
      port1.once('message', () => resolve());
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`gemm worker exited with code ${code} before it was ready`)));
    });
    worker.removeAllListeners('error');
    worker.removeAllListeners('exit');
    worker.unref();
    port1.unref();
    workers.push({ worker, port: port1, ctl, posted: 0 });
  }
  const receive = (port: WorkerHandle['port']) => wt.receiveMessageOnPort(port as never)?.message as string | undefined;
  const over = productsOver(workers, receive);
  return {
    threads, products: over.products,
    get handedOff() { return over.handedOff(); },
    async close() {
      const all = workers.splice(0);
      for (const w of all) { w.port.postMessage('stop'); w.posted++; Atomics.store(w.ctl, 0, w.posted); Atomics.notify(w.ctl, 0); }
      await Promise.all(all.map((w) => w.worker.terminate()));
    },
  };
}

/** The three products over the workers (none: gemm32 on the calling thread), and the count of those handed off. */
function productsOver(workers: WorkerHandle[], receive?: (port: WorkerHandle['port']) => string | undefined): { products: MatrixProducts; handedOff: () => number } {
  let handedOff = 0;
  let scratch: Float32Array<ArrayBufferLike> = new Float32Array(0);
  /** A region of the shared scratch buffer of n floats, at element `at`. */
  const ensure = (n: number) => {
    if (scratch.length < n) scratch = sharedZeros(Math.max(n, 2 * scratch.length));
    return scratch;
  };

  function product(
    M: number, N: number, K: number,
    A: FloatArray, aOff: number, aRow: number, aCol: number,
    B: FloatArray, bOff: number, bRow: number, bCol: number,
    C: FloatArray, cOff: number,
  ): void {
    if (workers.length === 0 || M * N * K < MIN_WORK || N < 2 * BLOCK_MIN || !(A instanceof Float32Array && B instanceof Float32Array && C instanceof Float32Array)) {
      gemm32(M, N, K, A, aOff, aRow, aCol, B, bOff, bRow, bCol, C, cOff);
      return;
    }
    handedOff++;
    // Blocks of columns, multiples of 4 (gemm32's panel width) and at least BLOCK_MIN wide (so that each takes the
    // path through gemm32 that the whole product would); the first is the calling thread's.
    const parts = Math.min(workers.length + 1, Math.floor(N / BLOCK_MIN));
    const width = 4 * Math.ceil(N / parts / 4);
    const blocks: [number, number][] = [];
    for (let j0 = 0; j0 < N; j0 += width) blocks.push([j0, Math.min(N, j0 + width)]);
    const last = blocks[blocks.length - 1];
    if (blocks.length > 1 && last[1] - last[0] < BLOCK_MIN) blocks[blocks.length - 2][1] = blocks.pop()![1];
    // What the workers read: the arrays themselves where shared, else copies in the scratch buffer.
    const aSpan = (M - 1) * aRow + (K - 1) * aCol + 1, bSpan = (K - 1) * bRow + (N - 1) * bCol + 1;
    const cShared = isShared(C);
    let need = (isShared(A) ? 0 : aSpan) + (isShared(B) ? 0 : bSpan);
    if (!cShared) for (let b = 1; b < blocks.length; b++) need += M * (blocks[b][1] - blocks[b][0]);
    const s = need > 0 ? ensure(need) : scratch;
    let at = 0;
    const place = (x: Float32Array, off: number, span: number): [SharedArrayBuffer, number] => {
      if (isShared(x)) return [x.buffer as unknown as SharedArrayBuffer, x.byteOffset / 4 + off];
      s.set(x.subarray(off, off + span), at);
      at += span;
      return [s.buffer as unknown as SharedArrayBuffer, s.byteOffset / 4 + at - span];
    };
    const [aBuf, aAt] = place(A, aOff, aSpan), [bBuf, bAt] = place(B, bOff, bSpan);
    const copies: [number, number, number][] = []; // [block, scratch element, width] of the blocks of C to copy back
    for (let b = 1; b < blocks.length; b++) {
      const [j0, j1] = blocks[b], w = j1 - j0, h = workers[b - 1];
      let job: GemmJob;
      if (cShared) {
        job = { M, N: w, K, A: aBuf, aOff: aAt, aRow, aCol, B: bBuf, bOff: bAt + j0 * bCol, bRow, bCol, C: C.buffer as unknown as SharedArrayBuffer, cOff: C.byteOffset / 4 + cOff + j0, cRow: N };
      } else {
        // The block as it is, so that the worker adds to the same values as one thread would.
        for (let i = 0; i < M; i++) s.set(C.subarray(cOff + i * N + j0, cOff + i * N + j1), at + i * w);
        copies.push([b, at, w]);
        job = { M, N: w, K, A: aBuf, aOff: aAt, aRow, aCol, B: bBuf, bOff: bAt + j0 * bCol, bRow, bCol, C: s.buffer as unknown as SharedArrayBuffer, cOff: s.byteOffset / 4 + at, cRow: w };
        at += M * w;
      }
      h.port.postMessage(job);
      h.posted++;
      Atomics.store(h.ctl, 0, h.posted);
      Atomics.notify(h.ctl, 0);
    }
    gemm32(M, blocks[0][1], K, A, aOff, aRow, aCol, B, bOff, bRow, bCol, C, cOff, N);
    let failure: string | undefined;
    for (let b = 1; b < blocks.length; b++) {
      const h = workers[b - 1];
      for (let done = Atomics.load(h.ctl, 1); done !== h.posted; done = Atomics.load(h.ctl, 1)) Atomics.wait(h.ctl, 1, done);
      if (Atomics.load(h.ctl, 2) !== 0) { Atomics.store(h.ctl, 2, 0); failure ??= receive?.(h.port) ?? 'unknown'; }
    }
    if (failure !== undefined) throw new Error(`a gemm worker failed: ${failure}`);
    for (const [b, from, w] of copies) {
      const j0 = blocks[b][0];
      for (let i = 0; i < M; i++) C.set(s.subarray(from + i * w, from + (i + 1) * w), cOff + i * N + j0);
    }
  }

  return {
    handedOff: () => handedOff,
    products: {
      AB: (M, N, K, A, aOff, B, bOff, C, cOff) => product(M, N, K, A, aOff, K, 1, B, bOff, N, 1, C, cOff),
      AtB: (M, N, K, A, aOff, B, bOff, C, cOff) => product(M, N, K, A, aOff, 1, M, B, bOff, N, 1, C, cOff),
      ABt: (M, N, K, A, aOff, B, bOff, C, cOff) => product(M, N, K, A, aOff, K, 1, B, bOff, 1, K, C, cOff),
    },
  };
}
