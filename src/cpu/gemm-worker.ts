// One thread of gemm-threads.ts: it waits on its control word, takes the job
// from its port (a block of columns of one float32 product, the operands in
// SharedArrayBuffers), runs gemm32() on it with its own WebAssembly kernel,
// and says it is done. Node's worker_threads; started by gemmThreadPool().

import { type MessagePort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { gemm32 } from './gemm32.js';

/** One job: gemm32's arguments, each array a SharedArrayBuffer read as float32 from element 0. */
export interface GemmJob {
  M: number; N: number; K: number;
  A: SharedArrayBuffer; aOff: number; aRow: number; aCol: number;
  B: SharedArrayBuffer; bOff: number; bRow: number; bCol: number;
  C: SharedArrayBuffer; cOff: number; cRow: number;
}

/** The control words: [0] the job count the main thread has posted, [1] the count this thread has done, [2] 1 after a failure, [3] stays 0 (a word to sleep on). */
const { ctl, port } = workerData as { ctl: Int32Array; port: MessagePort };
port.postMessage('ready');
for (let seen = 0; ;) {
  Atomics.wait(ctl, 0, seen);
  seen = Atomics.load(ctl, 0);
  // The job was posted before the count was raised; should its message lag behind, wait for it in short sleeps.
  let got;
  while ((got = receiveMessageOnPort(port)) === undefined) Atomics.wait(ctl, 3, 0, 0.05);
  const job = got.message as GemmJob | 'stop';
  if (job === 'stop') break;
  try {
    const A = new Float32Array(job.A), B = new Float32Array(job.B), C = new Float32Array(job.C);
    gemm32(job.M, job.N, job.K, A, job.aOff, job.aRow, job.aCol, B, job.bOff, job.bRow, job.bCol, C, job.cOff, job.cRow);
  } catch (e) {
    Atomics.store(ctl, 2, 1);
    port.postMessage(String((e as Error)?.stack ?? e));
  }
  Atomics.store(ctl, 1, seen);
  Atomics.notify(ctl, 1);
}
