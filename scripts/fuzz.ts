// The fuzzing report of docs/hardening.md: every reader fuzzed with more
// cases than the spec runs (spec/io/fuzz.spec.ts: 150 each, seed 1), one
// child process per reader, written to bench/results/fuzz.json for
// `npm run bench:tables`. Exits 1 if any reader failed (with the replay).
//
//   npm run fuzz -- [--runs 2000] [--seed 7]

import { report } from '../bench/report.js';
import { listOption } from '../bench/harness.js';
import { fixtures } from '../spec/io/fixtures.js';
import { FIXTURE_TARGETS, TARGETS, fuzzTarget, replay } from '../spec/io/fuzz/run.js';

const argv = process.argv.slice(2);
const runs = Number(listOption(argv, 'runs', ['2000'])[0]), seed = Number(listOption(argv, 'seed', ['7'])[0]);
const fx = fixtures();
if (!fx) throw new Error('the weights fixtures need /usr/bin/python3 with torch, onnx and protobuf (scripts/setup.sh installs them)');
const rows: string[][] = [];
let failed = 0;
for (const t of TARGETS) {
  const dir = FIXTURE_TARGETS.includes(t) ? fx.dir : '';
  process.stderr.write(`fuzzing ${t} (${runs} cases)...\n`);
  const r = fuzzTarget(t, runs, seed, dir, 1_800_000);
  if (r.failure) {
    failed++;
    console.error(`${t}: ${r.failure.error}\n  shrunk mutation: ${JSON.stringify(r.failure.counterexample)}\n  replay: ${replay(t, runs, seed, dir)}`);
  }
  rows.push([`\`${t}\``, r.what, r.bytes.toLocaleString('en-US'), r.cases.toLocaleString('en-US'), r.read.toLocaleString('en-US'), r.refused.toLocaleString('en-US'),
    String(r.slowestMs), String(r.peakMB), r.failure ? 'FAILED' : 'pass']);
}
report('fuzz', `npm run fuzz -- --runs ${runs} --seed ${seed}`,
  ['target', 'reader', 'valid file (bytes)', 'cases', 'read', 'refused, file named', 'slowest case (ms)', 'peak memory (MB)', 'verdict'], rows,
  ['Read: the mutation left a file the reader accepts (a flipped weight bit is still a weights file). Refused: an error naming the file and what was wrong. ' +
    'Peak memory: the child process\'s VmHWM, Node\'s own ~100 MB included.']);
process.exitCode = failed ? 1 : 0;
