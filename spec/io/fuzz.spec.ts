// Every file reader, fuzzed (spec/io/fuzz/): valid files mutated (truncated
// at their structural boundaries and anywhere, bits flipped, random bytes
// under the signature, huge and negative words, blocks copied over others,
// JSON numbers replaced and nested 100,000 deep, formats nested in their own
// kind). Each reader must read the file or refuse it with an error that names
// the file: never a TypeError, an engine error, a crash or a hang. One child
// process per reader, so that its peak memory is its own; a failure shows
// fast-check's shrunk mutation and the command that replays it.
//
// FUZZ_RUNS and FUZZ_SEED change the cases per reader (default 150) and the
// seed (default 1: the same cases every run, so that CI does not flake);
// `npm run fuzz` runs more and writes the docs' table.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fixtures } from './fixtures.js';
import { FIXTURE_TARGETS, TARGETS, fuzzTarget, replay } from './fuzz/run.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 150), SEED = Number(process.env.FUZZ_SEED ?? 1);
// Bounds that only a broken reader reaches: a hang guard (the slowest case takes tens of milliseconds) and an
// allocation guard (a child peaks near 200 MB; a reader that allocates what a forged header declares would not).
const HANG_MS = 10_000, PEAK_MB = 1024;

for (const target of TARGETS) {
  test(`fuzz ${target}: every mutated file is read or refused with the file named`, () => {
    const needs = FIXTURE_TARGETS.includes(target);
    const fx = needs ? fixtures() : { dir: '' };
    if (!fx) return;
    const r = fuzzTarget(target, RUNS, SEED, fx.dir);
    assert.is(r.failure, null, r.failure ? `${r.failure.error}\n  shrunk mutation: ${JSON.stringify(r.failure.counterexample)}\n  replay: ${replay(target, RUNS, SEED, fx.dir)}` : '');
    assert.is(r.cases, RUNS);
    assert.is(r.read + r.refused, RUNS, 'every case was read or refused');
    assert.ok(r.refused > 0, 'the mutations reach the reader\'s checks');
    assert.ok(r.slowestMs < HANG_MS, `the slowest case took ${r.slowestMs} ms`);
    assert.ok(r.peakMB < PEAK_MB, `the child peaked at ${r.peakMB} MB`);
  });
}

test.run();
