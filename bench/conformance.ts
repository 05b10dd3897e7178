// The verification kit's report on a backend written elsewhere, kept as a
// docs table (docs/conformance.md, block conformance-NAME): each op's result,
// cases, worst error and, for a failure, the shrunk case and what happened.
// With --browser, TensorFlow.js's WebGL backend in Chromium instead of a
// module in Node (bench/browser/kit-page.ts, through the page's WebGL2 on
// Mesa's llvmpipe).
//
//   npm run bench:conformance -- --backend examples/backends/onnxruntime.mjs --name onnxruntime [--runs 40] [--seed 1] [--models tiny,small]
//   xvfb-run -a npm run bench:conformance -- --browser --name tfjs-webgl [--runs 40] [--seed 1] [--models tiny,small]

import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBackendModule, readGoldenDir } from '../src/cli/verify.js';
import { type KitReport, verifyBackend } from '../src/verify/index.js';
import { runKitInChromium } from './browser/kit-run.js';
import { listOption } from './harness.js';
import { poolRouting, poolRoutingNote } from './pool-routing.js';
import { commandLine, report } from './report.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const browser = argv.includes('--browser');
const spec = listOption(argv, 'backend', [''])[0];
const name = listOption(argv, 'name', [''])[0];
if ((!spec && !browser) || !name) {
  console.error('usage: npm run bench:conformance -- (--backend MODULE | --browser) --name NAME [--runs 40] [--seed 1]');
  process.exit(2);
}
const runs = Number(listOption(argv, 'runs', ['40'])[0]), seed = Number(listOption(argv, 'seed', ['1'])[0]);
const models = listOption(argv, 'models', ['tiny', 'small']);
// The project's goldens, as `alexnet verify --backend` runs them.
const goldens = readGoldenDir(join(root, 'goldens')).filter((e) => e.golden).map((e) => ({ file: e.file.replace(/^.*\/goldens\//, 'goldens/'), golden: e.golden! }));
const extra: string[] = [];
let r: KitReport;
if (browser) {
  const got = await runKitInChromium({ runs, seed, goldens, models });
  r = got.report;
  extra.push(`${got.browser}, ${got.renderer}.`, ...poolRoutingNote(got.routing));
} else {
  const be = await loadBackendModule(spec);
  r = await verifyBackend(be, { runs, seed, goldens, models });
  extra.push(...poolRoutingNote(await poolRouting(be)));
}
const sci = (x: number) => (Number.isFinite(x) ? x.toExponential(1) : '');
const rows = r.ops.map((o) => [
  o.op, o.status === 'not implemented' ? `not implemented (${o.missing!.join(', ')})` : `${o.status}${o.forwardOnly ? ' (forward only)' : ''}`,
  String(o.cases), sci(o.worst), sci(o.tolerance),
  o.counterexample ? `${JSON.stringify(o.counterexample.case)}: ${o.counterexample.error ?? (o.counterexample.mismatch!.reason && o.counterexample.mismatch!.index < 0 ? `${o.counterexample.mismatch!.output}: ${o.counterexample.mismatch!.reason}` : `${o.counterexample.mismatch!.output} got ${o.counterexample.mismatch!.got}, expected ${o.counterexample.mismatch!.want}`)}`.replace(/\|/g, '\\|').replace(/\s+/g, ' ') : '',
]);
const notes = [
  ...extra,
  ...r.ops.filter((o) => o.unsupported).map((o) => `${o.op}: ${o.unsupported!.cases} generated cases declined by the backend as unsupported (skipped, not counted above); the first: ${o.unsupported!.first.replace(/\s+/g, ' ')}.`),
  ...r.models.map((m) => `Whole ${m.config} net (seeded weights, batch 2, ${m.forwardOnly ? 'forward only' : 'forward and backward'}): ${m.status}` +
    `${m.reason ? ` (${m.reason})` : m.worst ? `, ${m.judged} tensors judged, the worst ${m.worst.table} ${m.worst.name} ${m.worst.kind} at ${sci(m.worst.relDiff)} of its max (limit ${sci(m.worst.limit)})` : ''}` +
    `${m.failures ? `; beyond their limits: ${m.failures.join(', ')}` : ''}.`),
  ...(r.goldens ? [`PyTorch goldens: ${r.goldens.status === 'skipped' ? `skipped (${r.goldens.reason})` : `${r.goldens.passed} cases passed, ${r.goldens.failed} failed${r.goldens.failures ? ` (${r.goldens.failures.join(', ')})` : ''}${r.goldens.firstFailure ? `; the first failure ${r.goldens.firstFailure}` : ''}`}.`] : []),
];
report(`conformance-${name}`, commandLine('bench:conformance'), ['op', 'result', 'cases', 'worst error / max', 'tolerance', 'shrunk counterexample'], rows, notes, r);
