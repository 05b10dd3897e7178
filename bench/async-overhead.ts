// What the model code's awaits cost a synchronous backend. src/nn/ awaits
// every backend call so that asynchronous backends (WebGPU, workers, ONNX
// Runtime) run through the same code; a synchronous backend's plain result
// then costs one microtask per call. Measured in one run, per configuration:
//  - the backend calls one training step awaits (counted through a proxy);
//  - the cost of one `await` of a plain value, timed in a loop in this process;
//  - the training step on the backend (trainStep, src/nn/step.ts);
//  - the same step with every CPU method's result wrapped in a resolved Promise
//    (the backend as an asynchronous one would be): the step time an
//    asynchronous backend adds beyond its own work. The two alternate, step by
//    step, and the medians are compared.
// The awaits' share of the step is calls x cost / step time.
//
// On the CPU backend and on the gpu.js backend (one WebGL context, Mesa's
// llvmpipe here), which is why the script runs under xvfb-run.
//
//   npm run bench:async -- [--configs tiny,small,paper] [--batch 8] [--backends cpu,gpu]

import type { AwaitableBackend, Backend } from '../src/backend.js';
import { backendNamed } from '../src/api/backends.js';
import { Rng } from '../src/cpu/random.js';
import { PAPER_SGD } from '../src/cpu/sgd.js';
import { CONFIGS } from '../src/nn/config.js';
import { initParams } from '../src/nn/model.js';
import { createTrainState, disposeTrainState, trainStep } from '../src/nn/step.js';
import { listOption } from './harness.js';
import { commandLine, report } from './report.js';

const argv = process.argv.slice(2);
const configs = listOption(argv, 'configs', ['tiny', 'small', 'paper']);
const batch = Number(listOption(argv, 'batch', ['8'])[0]);
const backends = listOption(argv, 'backends', ['cpu', 'gpu']);

/** The backend with a counter of the calls made to it. */
function counting<T>(be: Backend<T>): { be: Backend<T>; calls: () => number } {
  let calls = 0;
  const wrapped = Object.fromEntries(Object.entries(be).map(([k, v]) => [k, typeof v === 'function' ? (...a: unknown[]) => { calls++; return v(...a); } : v]));
  return { be: wrapped as unknown as Backend<T>, calls: () => calls };
}

/** The backend as an asynchronous one: every method's result comes as a resolved Promise. */
function promised<T>(be: Backend<T>): AwaitableBackend<T> {
  return Object.fromEntries(Object.entries(be).map(([k, v]) => [k, typeof v === 'function' ? (...a: unknown[]) => Promise.resolve(v(...a)) : v])) as unknown as AwaitableBackend<T>;
}

/** Nanoseconds per `await` of a plain value, the median of five loops of a million. */
async function awaitCost(): Promise<number> {
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const n = 1_000_000;
    let s = 0;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) s += await i;
    runs.push(((performance.now() - t0) * 1e6) / n + (s < 0 ? 1 : 0));
  }
  return runs.sort((a, b) => a - b)[2];
}

const ns = await awaitCost();
process.stderr.write(`one await of a plain value: ${ns.toFixed(0)} ns\n`);
const rows: string[][] = [], data: unknown[] = [], noise: { name: string; diff: number; rme: number }[] = [];
for (const backend of backends) {
const base = await backendNamed(backend);
// The paper net's step takes 13 s on llvmpipe: on the GPU the tiny and small nets only.
for (const name of backend === 'gpu' ? configs.filter((n) => n !== 'paper') : configs) {
  const make = CONFIGS[name];
  if (!make) throw new Error(`--configs: unknown configuration '${name}'; known: ${Object.keys(CONFIGS).join(', ')}`);
  const c = make();
  const rng = Rng.seeded(1);
  const host = initParams(c, rng);
  const x = rng.normalArray(batch * c.inputChannels * c.inputSize * c.inputSize);
  const labels = Int32Array.from({ length: batch }, () => rng.int(c.classes));
  const xShape = [batch, c.inputChannels, c.inputSize, c.inputSize];
  // Calls per step, counted on a step after the first (which makes the velocities and gradient buffers).
  const counted = counting(base);
  const cs = await createTrainState(counted.be, c, host);
  const cx = counted.be.upload(x, xShape);
  await trainStep(counted.be, c, cs, cx, labels, Rng.seeded(2), PAPER_SGD);
  const before = counted.calls();
  await trainStep(counted.be, c, cs, cx, labels, Rng.seeded(2), PAPER_SGD);
  const calls = counted.calls() - before;
  await disposeTrainState(base, cs);
  // The plain and the Promise-wrapped step alternate, one step each, and each side's median is kept: the
  // two then see the same heap and cache state (timed one after the other, GC and warm-up move either by 10 %).
  const sides = [base, promised(base)] as const;
  const states = [await createTrainState(sides[0], c, host), await createTrainState(sides[1], c, host)];
  const inputs = [base.upload(x, xShape), base.upload(x, xShape)];
  const times: number[][] = [[], []];
  const rounds = name === 'paper' ? 5 : 25;
  for (let r = -1; r < rounds; r++) {
    for (const i of [0, 1]) {
      const t0 = performance.now();
      await trainStep(sides[i], c, states[i], inputs[i], labels, Rng.seeded(2), PAPER_SGD);
      if (r >= 0) times[i].push(performance.now() - t0); // round -1 makes the velocities and gradient buffers
    }
  }
  for (const i of [0, 1]) await disposeTrainState(base, states[i]);
  const median = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
  const syncMs = median(times[0]), asyncMs = median(times[1]);
  // The spread of the plain steps: half the distance between their quartiles, relative to the median.
  const q = [...times[0]].sort((p, r) => p - r), spread = (q[Math.floor((3 * q.length) / 4)] - q[Math.floor(q.length / 4)]) / 2 / syncMs;
  process.stderr.write(`  ${backend} ${name} b${batch}: ${syncMs.toFixed(2)} ms plain, ${asyncMs.toFixed(2)} ms behind Promises (medians of ${rounds}, alternating)\n`);
  noise.push({ name: `${backend} ${name}`, diff: (100 * (asyncMs - syncMs)) / syncMs, rme: 100 * spread });
  const overheadMs = (calls * ns) / 1e6;
  data.push({ backend, config: name, batch, calls, awaitNs: ns, syncMs, asyncMs });
  rows.push([backend, name, String(batch), String(calls), `${(overheadMs * 1000).toFixed(1)} us`, syncMs.toFixed(2), `${((100 * overheadMs) / syncMs).toPrecision(2)} %`,
    asyncMs.toFixed(2), `${(((asyncMs - syncMs) / syncMs) * 100).toFixed(1)} %`]);
}
await base.destroy();
}
report('async-overhead', commandLine('bench:async'),
  ['backend', 'configuration', 'batch', 'backend calls awaited per step', 'their awaits', 'step ms', 'awaits / step', 'the backend behind Promises, step ms', 'difference'], rows,
  [`One await of a plain value costs ${ns.toFixed(0)} ns here (median of five loops of a million). "Their awaits" is the calls times that cost: what the model code's ` +
    'awaits add to a synchronous backend\'s step. The last two columns run the same backend with every result wrapped in a resolved Promise, as an asynchronous ' +
    'backend\'s would be, alternating step by step with the plain one (medians); their difference beside the spread of the plain steps (half their interquartile range): ' +
    noise.map((n) => `${n.name} ${n.diff.toFixed(1)} % (spread +-${n.rme.toFixed(1)} %${Math.abs(n.diff) <= n.rme ? ', within it' : ''})`).join(', ') + '.'], data);
