// gemm32's float32 products over several threads (Node's worker_threads), and
// the ops around them (parallel.ts's range kernels: ReLU, LRN, pooling,
// im2col, SGD) over the same threads, each item computed by the one loop
// whichever thread runs it (see `parallel` below).
//
// C = A B is cut into blocks, one per thread: of rows where A is the larger
// operand, of columns otherwise (each thread packs only its share of the
// larger one). The calling thread computes the first block itself while each
// worker (gemm-worker.ts, with its own WebAssembly kernel) computes one of the
// others into the same C. Every element of C is summed by exactly the loops
// gemm32() would run for it (the K slices, the tiles' rows and columns do not
// depend on which block holds them, and each block takes the whole product's
// path through gemm32: see split()), so
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
import type { GemmJob, JobMessage, RangeJob, SharedView } from './gemm-worker.js';
import { type ParallelFor, type RangeArray, serial } from './parallel.js';
import { type FloatArray, isShared } from './tensor.js';

/** Below this many multiply-adds a product stays on the calling thread: a hand-off costs tens of microseconds. */
const MIN_WORK = 1 << 20;
/** Below this much work (elements touched) a RangeKernel's items stay on the calling thread. */
const MIN_RANGE_WORK = 1 << 16;
/** The narrowest block: gemm32 chooses its paths by M >= 16 and, for few rows, N >= 16. */
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
  /** The ops outside the products (parallel.ts's kernels: ReLU, LRN, pooling, SGD) over the same threads, the bits of serial. */
  readonly parallel: ParallelFor;
  /** How many range kernels so far were shared out to the workers (the rest were too small, or not in shared memory). */
  readonly rangesHandedOff: number;
  /** How many jobs were sent again because a worker had not received them (see RESEND_MS). */
  readonly resent: number;
  /** Stops the workers; the products then run on the calling thread. */
  close(): Promise<void>;
}

interface WorkerHandle {
  worker: { terminate(): Promise<number>; unref(): void };
  port: { postMessage(m: unknown): void; close(): void };
  ctl: Int32Array;
  posted: number;
  /** The last message posted, sent again should the worker not have received it. */
  last?: JobMessage;
}

/**
 * How long the calling thread waits for a worker before it sends the job's
 * message again: once in a long training (tens of thousands of jobs, a busy
 * machine) a worker saw a job counted on its control word but found no
 * message on its port, and both threads waited for ever. A job is numbered
 * and the worker says which it has taken (control word 4), so only a job not
 * taken is sent again, never one that is merely slow; a worker that receives
 * a copy of one it has done drops it.
 */
export const RESEND_MS = 2000;

/**
 * Internal, for specs: drop the next `drop` job messages a pool posts, as if they were lost; post the next `twice`
 * twice; wait resendMs (default RESEND_MS) before sending again; with takenFirst, wait (untimed) until each worker
 * has taken its job before the timed wait starts; timeouts counts the timed waits that ran out.
 */
export const testHooks: { drop: number; twice: number; resendMs?: number; takenFirst?: boolean; timeouts: number } = { drop: 0, twice: 0, timeouts: 0 };

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
  const single = (notice?: string): GemmThreadPool => ({ threads: 1, notice, products: productsOver([]).products, handedOff: 0, parallel: serial, rangesHandedOff: 0, resent: 0, close: async () => {} });
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
    const ctl = new Int32Array(new SharedArrayBuffer(20));
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
    threads, products: over.products, parallel: over.parallel,
    get handedOff() { return over.handedOff(); },
    get rangesHandedOff() { return over.rangesHandedOff(); },
    get resent() { return over.resent(); },
    async close() {
      const all = workers.splice(0);
      for (const w of all) { w.posted++; w.port.postMessage({ id: w.posted, job: 'stop' }); Atomics.store(w.ctl, 0, w.posted); Atomics.notify(w.ctl, 0); }
      await Promise.all(all.map((w) => w.worker.terminate()));
    },
  };
}

/** A block of C: rows i0 .. i1 - 1, columns j0 .. j1 - 1. */
interface Block { i0: number; i1: number; j0: number; j1: number }

/**
 * C cut into up to `parts` blocks, of rows where A is the larger operand (each
 * thread then packs only its share of it) and of columns otherwise or where
 * `columns` says so, each at
 * least BLOCK_MIN wide and a multiple of the kernel's tile (8 rows, 4 columns)
 * but the last: fewer blocks where C is too small for them.
 */
export function split(M: number, N: number, parts: number, columns = false): Block[] {
  const byRows = !columns && M >= N;
  const L = byRows ? M : N, unit = byRows ? 8 : 4;
  const n = Math.min(parts, Math.floor(L / BLOCK_MIN));
  if (n < 2) return [{ i0: 0, i1: M, j0: 0, j1: N }];
  const size = unit * Math.ceil(L / n / unit);
  const cuts: [number, number][] = [];
  for (let a = 0; a < L; a += size) cuts.push([a, Math.min(L, a + size)]);
  // A last block narrower than BLOCK_MIN would take another path through gemm32 (few rows): it joins the one before.
  const last = cuts[cuts.length - 1];
  if (cuts.length > 1 && last[1] - last[0] < BLOCK_MIN) cuts[cuts.length - 2][1] = cuts.pop()![1];
  return cuts.map(([a, b]) => (byRows ? { i0: a, i1: b, j0: 0, j1: N } : { i0: 0, i1: M, j0: a, j1: b }));
}

/** A shared array as a job carries it to a worker. */
function viewOf(a: RangeArray): SharedView {
  const type = a instanceof Float32Array ? 'f32' : a instanceof Float64Array ? 'f64' : 'i32';
  return { buffer: a.buffer as SharedArrayBuffer, type, byteOffset: a.byteOffset, length: a.length };
}

/**
 * The three products and the range kernels over the workers (none: all on
 * the calling thread), and the counts of those handed off.
 */
function productsOver(workers: WorkerHandle[], receive?: (port: WorkerHandle['port']) => string | undefined): { products: MatrixProducts; handedOff: () => number; parallel: ParallelFor; rangesHandedOff: () => number; resent: () => number } {
  let handedOff = 0, rangesHandedOff = 0, resent = 0;
  let scratch: Float32Array<ArrayBufferLike> = new Float32Array(0);
  /** The shared scratch buffer, grown (doubling) to hold at least n floats. */
  const ensure = (n: number) => {
    if (scratch.length < n) scratch = sharedZeros(Math.max(n, 2 * scratch.length));
    return scratch;
  };

  /** Hands a job to a worker, numbered, and wakes it. */
  const post = (h: WorkerHandle, job: GemmJob | RangeJob) => {
    h.posted++;
    h.last = { id: h.posted, job };
    if (testHooks.drop > 0) testHooks.drop--;
    else h.port.postMessage(h.last);
    if (testHooks.twice > 0) { testHooks.twice--; h.port.postMessage(h.last); }
    Atomics.store(h.ctl, 0, h.posted);
    Atomics.notify(h.ctl, 0);
  };
  /** Waits until the first n workers have done every job posted to them (sending a job again after RESEND_MS without it); throws if one failed. */
  const waitFor = (n: number) => {
    let failure: string | undefined;
    for (let b = 0; b < n; b++) {
      const h = workers[b];
      // The worker stores what it took in word 4 without a notify, hence the 1 ms polls (specs only).
      if (testHooks.takenFirst) for (let t = Atomics.load(h.ctl, 4); t < h.posted; t = Atomics.load(h.ctl, 4)) Atomics.wait(h.ctl, 4, t, 1);
      for (let done = Atomics.load(h.ctl, 1); done !== h.posted; done = Atomics.load(h.ctl, 1)) {
        const timedOut = Atomics.wait(h.ctl, 1, done, testHooks.resendMs ?? RESEND_MS) === 'timed-out';
        if (timedOut) testHooks.timeouts++;
        if (timedOut && Atomics.load(h.ctl, 4) < h.posted) {
          // Said once a pool (Node prints it on stderr): a run that recovers this way should still be known.
          if (resent++ === 0 && typeof process !== 'undefined') process.emitWarning(`a worker thread had not received job ${h.last?.id} after ${testHooks.resendMs ?? RESEND_MS} ms; sent it again (cpu-threads, gemm-threads.ts)`);
          h.port.postMessage(h.last);
          Atomics.notify(h.ctl, 0);
        }
      }
      if (Atomics.load(h.ctl, 2) !== 0) { Atomics.store(h.ctl, 2, 0); failure ??= receive?.(h.port) ?? 'unknown'; }
    }
    if (failure !== undefined) throw new Error(`a gemm worker failed: ${failure}`);
  };

  /**
   * A range kernel's items cut into one range per thread (equal counts; the
   * calling thread takes the first): every item is computed by the kernel's
   * own loop, so the bits are serial's.
   */
  const parallel: ParallelFor = (k, count, arrays, nums = [], work = 1) => {
    const parts = Math.min(workers.length + 1, count, Math.floor((count * work) / MIN_RANGE_WORK));
    if (parts < 2 || !arrays.every(isShared)) {
      serial(k, count, arrays, nums);
      return;
    }
    rangesHandedOff++;
    const views = arrays.map(viewOf), size = Math.ceil(count / parts);
    let posted = 0;
    for (let from = size; from < count; from += size) post(workers[posted++], { kernel: k.name, arrays: views, nums, from, to: Math.min(count, from + size) });
    try {
      k.run(arrays, nums, 0, size);
    } finally {
      waitFor(posted);
    }
  };

  function product(
    M: number, N: number, K: number,
    A: FloatArray, aOff: number, aRow: number, aCol: number,
    B: FloatArray, bOff: number, bRow: number, bCol: number,
    C: FloatArray, cOff: number,
  ): void {
    const blocks = workers.length === 0 || M * N * K < MIN_WORK || !(A instanceof Float32Array && B instanceof Float32Array && C instanceof Float32Array)
      // Operands both along k take gemm32's `dots` path by their number of rows (DOTS_M): cut by columns, every block
      // keeps M and so the whole product's path.
      ? [] : split(M, N, workers.length + 1, aCol === 1 && bRow === 1);
    if (blocks.length < 2) {
      gemm32(M, N, K, A, aOff, aRow, aCol, B, bOff, bRow, bCol, C, cOff);
      return;
    }
    handedOff++;
    // What the workers read: the arrays themselves where shared, else copies in the scratch buffer.
    const aSpan = (M - 1) * aRow + (K - 1) * aCol + 1, bSpan = (K - 1) * bRow + (N - 1) * bCol + 1;
    const cShared = isShared(C);
    let need = (isShared(A) ? 0 : aSpan) + (isShared(B) ? 0 : bSpan);
    if (!cShared) for (let b = 1; b < blocks.length; b++) need += (blocks[b].i1 - blocks[b].i0) * (blocks[b].j1 - blocks[b].j0);
    const s = need > 0 ? ensure(need) : scratch;
    let at = 0;
    const place = (x: Float32Array, off: number, span: number): [SharedArrayBuffer, number] => {
      if (isShared(x)) return [x.buffer as unknown as SharedArrayBuffer, x.byteOffset / 4 + off];
      s.set(x.subarray(off, off + span), at);
      at += span;
      return [s.buffer as unknown as SharedArrayBuffer, s.byteOffset / 4 + at - span];
    };
    const [aBuf, aAt] = place(A as Float32Array, aOff, aSpan), [bBuf, bAt] = place(B as Float32Array, bOff, bSpan);
    const copies: [Block, number][] = []; // the blocks of C computed in the scratch buffer, and where
    for (let b = 1; b < blocks.length; b++) {
      const blk = blocks[b], { i0, i1, j0, j1 } = blk, m = i1 - i0, w = j1 - j0, h = workers[b - 1];
      const operands = { M: m, N: w, K, A: aBuf, aOff: aAt + i0 * aRow, aRow, aCol, B: bBuf, bOff: bAt + j0 * bCol, bRow, bCol };
      let job: GemmJob;
      if (cShared) {
        job = { ...operands, C: C.buffer as unknown as SharedArrayBuffer, cOff: C.byteOffset / 4 + cOff + i0 * N + j0, cRow: N };
      } else {
        // The block as it is, so that the worker adds to the same values as one thread would.
        for (let i = 0; i < m; i++) s.set(C.subarray(cOff + (i0 + i) * N + j0, cOff + (i0 + i) * N + j1), at + i * w);
        copies.push([blk, at]);
        job = { ...operands, C: s.buffer as unknown as SharedArrayBuffer, cOff: s.byteOffset / 4 + at, cRow: w };
        at += m * w;
      }
      post(h, job);
    }
    const { i0, i1, j0, j1 } = blocks[0];
    gemm32(i1 - i0, j1 - j0, K, A, aOff + i0 * aRow, aRow, aCol, B, bOff + j0 * bCol, bRow, bCol, C, cOff + i0 * N + j0, N);
    waitFor(blocks.length - 1);
    for (const [{ i0: r0, i1: r1, j0: c0, j1: c1 }, from] of copies) {
      const w = c1 - c0;
      for (let i = 0; i < r1 - r0; i++) C.set(s.subarray(from + i * w, from + (i + 1) * w), cOff + (r0 + i) * N + c0);
    }
  }

  return {
    handedOff: () => handedOff,
    parallel,
    rangesHandedOff: () => rangesHandedOff,
    resent: () => resent,
    products: {
      AB: (M, N, K, A, aOff, B, bOff, C, cOff) => product(M, N, K, A, aOff, K, 1, B, bOff, N, 1, C, cOff),
      AtB: (M, N, K, A, aOff, B, bOff, C, cOff) => product(M, N, K, A, aOff, 1, M, B, bOff, N, 1, C, cOff),
      ABt: (M, N, K, A, aOff, B, bOff, C, cOff) => product(M, N, K, A, aOff, K, 1, B, bOff, 1, K, C, cOff),
    },
  };
}
