// The machine a measurement ran on, in words, for the results that record it (bench/, alexnet experiment).

import { cpus, totalmem } from 'node:os';

/** This machine in words: CPU model and count, memory, Node. */
export function machine(): string {
  const c = cpus();
  return `${c.length} x ${c[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}
