// The verification kit's report on a backend written elsewhere, kept as a
// docs table (docs/conformance.md, block conformance-NAME): each op's result,
// cases, worst error and, for a failure, the shrunk case and what happened.
//
//   npm run bench:conformance -- --backend examples/backends/onnxruntime.mjs --name onnxruntime [--runs 40] [--seed 1]

import { loadBackendModule } from '../src/cli/verify.js';
import { verifyBackend } from '../src/verify/index.js';
import { listOption } from './harness.js';
import { commandLine, report } from './report.js';

const argv = process.argv.slice(2);
const spec = listOption(argv, 'backend', [''])[0];
const name = listOption(argv, 'name', [''])[0];
if (!spec || !name) {
  console.error('usage: npm run bench:conformance -- --backend MODULE --name NAME [--runs 40] [--seed 1]');
  process.exit(2);
}
const runs = Number(listOption(argv, 'runs', ['40'])[0]), seed = Number(listOption(argv, 'seed', ['1'])[0]);
const be = await loadBackendModule(spec);
const r = await verifyBackend(be, { runs, seed });
const sci = (x: number) => (Number.isFinite(x) ? x.toExponential(1) : '');
const rows = r.ops.map((o) => [
  o.op, o.status === 'not implemented' ? `not implemented (${o.missing!.join(', ')})` : `${o.status}${o.forwardOnly ? ' (forward only)' : ''}`,
  String(o.cases), sci(o.worst), sci(o.tolerance),
  o.counterexample ? `${JSON.stringify(o.counterexample.case)}: ${o.counterexample.error ?? (o.counterexample.mismatch!.reason && o.counterexample.mismatch!.index < 0 ? `${o.counterexample.mismatch!.output}: ${o.counterexample.mismatch!.reason}` : `${o.counterexample.mismatch!.output} got ${o.counterexample.mismatch!.got}, expected ${o.counterexample.mismatch!.want}`)}`.replace(/\|/g, '\\|').replace(/\s+/g, ' ') : '',
]);
const notes = [
  ...r.models.map((m) => `Whole ${m.config} net: ${m.status}${m.reason ? ` (${m.reason})` : ''}.`),
  ...(r.goldens ? [`PyTorch goldens: ${r.goldens.status}${r.goldens.reason ? ` (${r.goldens.reason})` : ''}.`] : []),
];
report(`conformance-${name}`, commandLine('bench:conformance'), ['op', 'result', 'cases', 'worst error / max', 'tolerance', 'shrunk counterexample'], rows, notes, r);
