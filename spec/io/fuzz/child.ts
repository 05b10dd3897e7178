// Fuzzes one reader in a process of its own (so that its time and peak memory
// are its own) and prints one JSON line: cases run, how many were read and
// how many refused, the slowest case, the process's peak resident memory, and
// the first failure, shrunk by fast-check, with the seed to replay it.
//
//   node --import tsx spec/io/fuzz/child.ts TARGET RUNS SEED FIXTURE_DIR

import fc from 'fast-check';
import { peakRssMB } from '../../../src/cli/weights.js';
import { type Mutation, apply, mutations } from './mutate.js';
import { targets } from './targets.js';

/** Messages of errors that escaped a reader's checks: the engine's, not the reader's. */
const ESCAPED = /Cannot read propert|undefined is not|is not a function|is not iterable|is not an object|Invalid typed array length|Invalid array length|Array buffer allocation failed|Maximum call stack|out of memory|Invalid string length|out of bounds|Offset is outside|Cannot convert|Cannot create property|undefined/;

/** Why an outcome is a failure, or undefined when it is a clean read or a clean refusal. */
export function judge(e: unknown, source: string): string | undefined {
  if (!(e instanceof Error)) return `threw ${typeof e} ${String(e).slice(0, 80)}, not an Error`;
  if (e instanceof TypeError) return `TypeError: ${e.message.slice(0, 200)}`;
  if (!e.message.includes(source)) return `${e.name}: "${e.message.slice(0, 200)}" does not name the file`;
  const rest = e.message.replace(source, '');
  if (ESCAPED.test(rest)) return `${e.name}: "${e.message.slice(0, 200)}" is an engine error, not a named refusal`;
  return undefined;
}

const [name, runsArg, seedArg, dir] = process.argv.slice(2);
const target = targets(dir).find((t) => t.name === name);
if (!target) throw new Error(`no fuzz target ${name}`);
const valid = target.seed();
const source = `fuzzed-${name}.bin`;
// The valid file itself must read: otherwise every refusal below proves nothing.
target.read(valid, source);
let ok = 0, refused = 0, slowest = 0;
const result = fc.check(fc.property(mutations(target, valid), fc.boolean(), (m: Mutation, signed: boolean) => {
  let bytes = apply(target, valid, m);
  if (signed && target.sign) bytes = target.sign(bytes);
  const t0 = performance.now();
  let failure: string | undefined;
  try {
    target.read(bytes, source);
    ok++;
  } catch (e) {
    refused++;
    failure = judge(e, source);
  }
  slowest = Math.max(slowest, performance.now() - t0);
  if (failure) throw new Error(failure);
}), { numRuns: Number(runsArg), seed: Number(seedArg) });
console.log(JSON.stringify({
  target: name, what: target.what, bytes: valid.length, cases: result.numRuns, read: ok, refused, slowestMs: Math.round(slowest), peakMB: peakRssMB(),
  failure: result.failed ? { counterexample: result.counterexample, error: (result.errorInstance as Error | undefined)?.message, seed: result.seed, path: result.counterexamplePath } : null,
}));
