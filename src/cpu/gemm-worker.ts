// One thread of gemm-threads.ts: it waits on its control word, takes the job
// from its port (a block of one float32 product, the operands in
// SharedArrayBuffers, or a range of a RangeKernel's items), runs gemm32() on
// it with its own WebAssembly kernel or the kernel of range-kernels.ts by
// name, and says it is done. Node's worker_threads; started by gemmThreadPool().

import { type MessagePort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { gemm32 } from './gemm32.js';
import type { RangeArray } from './parallel.js';
import { RANGE_KERNELS } from './range-kernels.js';

/** One job: gemm32's arguments, each array a SharedArrayBuffer read as float32 from element 0. */
export interface GemmJob {
  M: number; N: number; K: number;
  A: SharedArrayBuffer; aOff: number; aRow: number; aCol: number;
  B: SharedArrayBuffer; bOff: number; bRow: number; bCol: number;
  C: SharedArrayBuffer; cOff: number; cRow: number;
}

/** A shared typed array as a job carries it: its buffer, element type, and where it starts and how long it is. */
export interface SharedView { buffer: SharedArrayBuffer; type: 'f32' | 'f64' | 'i32'; byteOffset: number; length: number }

/** A range job: items from..to - 1 of the RangeKernel of that name. */
export interface RangeJob { kernel: string; arrays: SharedView[]; nums: readonly number[]; from: number; to: number }

/** A job as posted: numbered from 1 in the order posted to this worker, so that a copy sent again is known. */
export interface JobMessage { id: number; job: GemmJob | RangeJob | 'stop' }

/** The typed array a SharedView describes. */
function viewOn(a: SharedView): RangeArray {
  if (a.type === 'f32') return new Float32Array(a.buffer, a.byteOffset, a.length);
  if (a.type === 'f64') return new Float64Array(a.buffer, a.byteOffset, a.length);
  return new Int32Array(a.buffer, a.byteOffset, a.length);
}

/** The control words: [0] the job count the main thread has posted, [1] the count this thread has done, [2] 1 after a failure, [3] stays 0 (a word to sleep on), [4] the number of the last job taken from the port. */
const { ctl, port } = workerData as { ctl: Int32Array; port: MessagePort };
port.postMessage('ready');
run: for (let done = 0; ;) {
  Atomics.wait(ctl, 0, done);
  // Jobs are posted one at a time (the main thread waits for each), numbered done + 1; a message numbered
  // done or less is a copy the main thread sent again (gemm-threads.ts, RESEND_MS) of one already run.
  // The job is posted before the count is raised; should its message lag behind, wait for it in short sleeps.
  while (done < Atomics.load(ctl, 0)) {
    const got = receiveMessageOnPort(port);
    if (got === undefined) { Atomics.wait(ctl, 3, 0, 0.05); continue; }
    const { id, job } = got.message as JobMessage;
    if (id <= done) continue;
    Atomics.store(ctl, 4, id);
    if (job === 'stop') break run;
    try {
      if ('kernel' in job) {
        const k = RANGE_KERNELS.get(job.kernel);
        if (!k) throw new Error(`no range kernel named ${job.kernel}`);
        k.run(job.arrays.map(viewOn), job.nums, job.from, job.to);
      } else {
        const A = new Float32Array(job.A), B = new Float32Array(job.B), C = new Float32Array(job.C);
        gemm32(job.M, job.N, job.K, A, job.aOff, job.aRow, job.aCol, B, job.bOff, job.bRow, job.bCol, C, job.cOff, job.cRow);
      }
    } catch (e) {
      Atomics.store(ctl, 2, 1);
      port.postMessage(String((e as Error)?.stack ?? e));
    }
    done = id;
    Atomics.store(ctl, 1, done);
    Atomics.notify(ctl, 1);
  }
}
