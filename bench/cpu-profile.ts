// Where a CPU training step's time goes (issue 13): the paper net at batch 8
// and the small net at batch 128, one SGD step each through the model code
// (src/nn/step.ts), every Backend op timed to its end. The CPU backends are
// synchronous, so an op's time is its own; what the table does not list is
// the model's host code between ops (the rest of the step).
//
//   npm run bench:cpu-profile -- [--backend cpu-threads] [--steps 3]

import { BACKEND_NAMES, type DisposableBackend, backendNamed } from '../src/api/backends.js';
import type { Backend } from '../src/backend.js';
import { Rng } from '../src/cpu/random.js';
import { PAPER_SGD } from '../src/cpu/sgd.js';
import { CONFIGS } from '../src/nn/config.js';
import { initParams } from '../src/nn/model.js';
import { createTrainState, trainStep } from '../src/nn/step.js';
import { commandLine, report } from './report.js';

const argv = process.argv.slice(2);
const option = (name: string, fallback: string) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : fallback; };
const backendName = option('backend', 'cpu-threads');
if (!(BACKEND_NAMES as readonly string[]).includes(backendName) || backendName === 'gpu') throw new RangeError(`--backend must be one of the CPU backends (cpu, cpu-float32-sums, cpu-threads, cpu-float64), got ${backendName}`);
const steps = Number(option('steps', '3'));
if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`--steps must be a positive integer, got ${option('steps', '3')}`);

const be: DisposableBackend = await backendNamed(backendName);

/** The backend with every op timed into `ms` (by op name). */
function timedBackend(ms: Map<string, number>): Backend<unknown> {
  const wrapped = Object.create(be) as Record<string, unknown>;
  for (const [name, f] of Object.entries(be)) {
    if (typeof f !== 'function') continue;
    wrapped[name] = (...a: unknown[]) => {
      const t = performance.now();
      const r = (f as (...x: unknown[]) => unknown).apply(be, a);
      ms.set(name, (ms.get(name) ?? 0) + performance.now() - t);
      return r;
    };
  }
  return wrapped as unknown as Backend<unknown>;
}

const WORKLOADS = [{ config: 'paper', batch: 8 }, { config: 'small', batch: 128 }] as const;
const results: { name: string; step: number; ops: Record<string, number> }[] = [];
for (const { config, batch } of WORKLOADS) {
  const c = CONFIGS[config](), rng = Rng.seeded(2);
  const x = rng.normalArray(batch * c.inputChannels * c.inputSize * c.inputSize);
  const labels = Int32Array.from({ length: batch }, () => rng.int(c.classes));
  const ms = new Map<string, number>(), tb = timedBackend(ms);
  const s = await createTrainState(tb, c, initParams(c, Rng.seeded(1)));
  const xt = tb.upload(x, [batch, c.inputChannels, c.inputSize, c.inputSize]);
  await trainStep(tb, c, s, xt, labels, Rng.seeded(3), PAPER_SGD); // warm-up
  ms.clear();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await trainStep(tb, c, s, xt, labels, Rng.seeded(3 + i), PAPER_SGD);
  const step = (performance.now() - t0) / steps;
  const ops = Object.fromEntries([...ms].map(([k, v]) => [k, v / steps]));
  results.push({ name: `${config} net, batch ${batch}`, step, ops });
  console.log(`${config} batch ${batch}: ${step.toFixed(0)} ms a step`);
}
await be.destroy?.();

// The ops in the order of the paper net's time, grouped as a layer's forward and backward.
const GROUPS: [string, string[]][] = [
  ['convolution forward', ['conv2dForward']], ['convolution backward', ['conv2dBackward', 'conv2dBackwardWeights']],
  ['fully connected forward + backward', ['linearForward', 'linearBackward']], ['SGD update', ['sgdStep']],
  ['LRN forward + backward', ['lrnForward', 'lrnBackward']], ['max pooling forward + backward', ['maxpoolForward', 'maxpoolBackward']],
  ['ReLU forward + backward', ['reluForward', 'reluBackward']], ['zeroing the gradients', ['zero']],
  ['dropout, loss', ['dropoutForward', 'dropoutBackward', 'softmaxCrossEntropy']],
];
const sum = (ops: Record<string, number>, names: string[]) => names.reduce((a, n) => a + (ops[n] ?? 0), 0);
const rows = [
  ['the whole step', ...results.flatMap((r) => [r.step.toFixed(0), '100 %'])],
  ...GROUPS.map(([label, names]) => [label, ...results.flatMap((r) => { const v = sum(r.ops, names); return [v.toFixed(1), `${((100 * v) / r.step).toFixed(0)} %`]; })]),
  ['the model\'s code between ops', ...results.flatMap((r) => { const v = r.step - GROUPS.reduce((a, [, n]) => a + sum(r.ops, n), 0); return [v.toFixed(1), `${((100 * v) / r.step).toFixed(0)} %`]; })],
];
report('cpu-profile', commandLine('bench:cpu-profile'), ['per step', ...results.flatMap((r) => [`${r.name}: ms`, 'share'])], rows,
  [`The ${be.name} backend, the mean of ${steps} steps after a warm-up step; each Backend op timed to its end (the CPU ops are synchronous).`], { backend: be.name, steps, results });
