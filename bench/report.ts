// Where a bench's table goes besides the terminal: bench/results/NAME.json,
// with the command, the date and the machine, from which
// scripts/bench-tables.ts writes the tables of docs/ and the README (Node
// only; bench/harness.ts also runs in a page and stays free of node:fs).

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine } from '../src/cli/machine.js';
import { markdownTable } from './harness.js';

/** A measured table as bench/results/NAME.json keeps it. */
export interface BenchResult {
  name: string;
  /** The command that produced it, as a user would type it. */
  command: string;
  date: string;
  machine: string;
  header: string[];
  rows: string[][];
  /** Lines printed under the table (targets, totals), part of the result. */
  notes: string[];
  /** The numbers behind the rows, for machines. */
  data?: unknown;
  /** For a table made from the code rather than measured: where it comes from (then command, date and machine are empty). */
  generatedFrom?: string;
}

// The machine's description is shared with the experiments' results (src/cli/machine.ts).
export { machine } from '../src/cli/machine.js';

/** The folder of the results. */
export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'results');

/**
 * Prints the table and its notes; writes bench/results/NAME.json (the docs'
 * tables come from it) unless `partial` says why this run is narrower than
 * the docs' table (an --only filter): a partial run must not replace it.
 */
export function report(name: string, command: string, header: string[], rows: string[][], notes: string[] = [], data?: unknown, partial?: string): BenchResult {
  const r: BenchResult = { name, command, date: new Date().toISOString().slice(0, 10), machine: machine(), header, rows, notes, data };
  console.log(markdownTable(header, rows));
  for (const n of notes) console.log(`\n${n}`);
  if (partial) {
    process.stderr.write(`not written to bench/results/${name}.json: ${partial}; run without it to replace the docs' table\n`);
    return r;
  }
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(r, null, 1)}\n`);
  process.stderr.write(`wrote ${file}; scripts/bench-tables.ts puts it in the docs\n`);
  return r;
}

/** The command line of this bench run, as `npm run SCRIPT -- ARGS`. */
export function commandLine(script: string): string {
  const args = process.argv.slice(2);
  return `npm run ${script}${args.length ? ` -- ${args.join(' ')}` : ''}`;
}
