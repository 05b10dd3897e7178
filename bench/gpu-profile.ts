// Where a training step of the README's main command goes on WebGL (issue
// 13): the small net on Fashion-MNIST, two partitions in two contexts, batch
// 128, the trainer's data preparation included. Each Backend op is timed to
// its completion with the WebGL calls it made (src/gpu/profile.ts); the rest
// of a step is the model's host code between ops.
//
//   xvfb-run -a npm run bench:gpu-profile -- [--steps 5] [--settle 5] [--batch 128] [--partitions 2] [--dw-threads 16384]
//
// --dw-threads sets conv2dTuning.dwThreads (src/gpu/conv2d.ts): 1 gives the
// kernel of one slice of all the images, as before the slices.
//
// Three phases on one net: a warm-up step (every kernel compiled) and
// `settle` untimed steps, then `steps` plain steps (the trainer's loop: data preparation, then net.step), and
// `steps` profiled steps (finish() after every op, so each op's time is its
// own; a profiled step is slower than a plain one, and the table's shares are
// of the profiled step). The settling steps keep the first steps' page
// faults out of the plain figure (a fresh texture's storage is memory the
// process has not touched yet): three plain steps right after the warm-up
// took 741-763 ms a step in four runs, where blocks of 25 steps later in a
// run took 578-621 (docs/benchmarks.md, "Eleventh step"), and an epoch of
// the trainer is almost all later steps.

import { existsSync } from 'node:fs';
import { Rng } from '../src/cpu/random.js';
import { PAPER_SGD } from '../src/cpu/sgd.js';
import { FASHION_MNIST_DIR, loadDataset } from '../src/cli/datasets.js';
import { gpuBackend } from '../src/gpu/backend.js';
import { GpuContext } from '../src/gpu/context.js';
import { conv2dTuning } from '../src/gpu/conv2d.js';
import { type GlCounts, StepProfile, noGlCounts, profiledBackend } from '../src/gpu/profile.js';
import { CONFIGS } from '../src/nn/config.js';
import { computeStats, defaultAugment, trainingBatch } from '../src/nn/data/augment.js';
import type { ImageDataset } from '../src/nn/data/dataset.js';
import { initParams } from '../src/nn/model.js';
import type { Net } from '../src/nn/net.js';
import { SingleNet } from '../src/nn/net.js';
import { PartitionedNet } from '../src/nn/partition.js';
import { TRAIN_RECIPES } from '../src/nn/trainer.js';
import { listOption } from './harness.js';
import { commandLine, report } from './report.js';

const argv = process.argv.slice(2);
const steps = Number(listOption(argv, 'steps', ['5'])[0]);
const settle = Number(listOption(argv, 'settle', ['5'])[0]);
const B = Number(listOption(argv, 'batch', ['128'])[0]);
const partitions = Number(listOption(argv, 'partitions', ['2'])[0]);
const dwThreads = Number(listOption(argv, 'dw-threads', [String(conv2dTuning.dwThreads)])[0]);
if (!(steps >= 1) || !(B >= 1) || (partitions !== 1 && partitions !== 2) || !(dwThreads >= 1) || !Number.isInteger(settle) || settle < 0) {
  throw new RangeError(`bench:gpu-profile: --steps, --batch and --dw-threads must be positive, --settle a whole number of at least 0, --partitions 1 or 2; got ${steps}, ${B}, ${dwThreads}, ${settle}, ${partitions}`);
}
conv2dTuning.dwThreads = dwThreads;

// The main command's data: Fashion-MNIST when installed, else random images of its size (said in the notes).
let train: ImageDataset;
const real = existsSync(FASHION_MNIST_DIR);
if (real) {
  train = loadDataset().train;
} else {
  const rng = Rng.seeded(2), n = 10_000;
  train = { name: 'random 28 x 28', n, channels: 1, height: 28, width: 28, images: Uint8Array.from({ length: n * 784 }, () => rng.int(256)), labels: Uint16Array.from({ length: n }, () => rng.int(10)), classes: 10 };
}
const c = CONFIGS.small();
const stats = computeStats(train);
const augment = { ...defaultAugment(c), pad: TRAIN_RECIPES.small.pad ?? 2 };

const profile = new StepProfile();
profile.enabled = false;
const wrapped = Array.from({ length: partitions }, (_, p) => profiledBackend(gpuBackend(GpuContext.create({ label: `gpu${p}` })), profile));
const bes = wrapped.map((w) => w.backend);
const params = initParams(c, Rng.seeded(1));
const net: Net = partitions === 2 ? await PartitionedNet.create([bes[0], bes[1]], c, params) : await SingleNet.create(bes[0], c, params);

/** The WebGL counts of every context summed. */
const glNow = (): GlCounts => {
  const s = noGlCounts();
  for (const w of wrapped) for (const k of Object.keys(s) as (keyof GlCounts)[]) s[k] += w.counts[k];
  return s;
};
const glSince = (a: GlCounts): GlCounts => {
  const b = glNow(), d = noGlCounts();
  for (const k of Object.keys(d) as (keyof GlCounts)[]) d[k] = b[k] - a[k];
  return d;
};

const rng = Rng.seeded(3);
const order = rng.shuffle(Int32Array.from({ length: train.n }, (_, i) => i));
let at = 0;
const batch = () => {
  if (at + B > train.n) at = 0;
  return trainingBatch(train, order.subarray(at, (at += B)), stats, augment, rng);
};

// 1. Warm-up: the first step compiles every kernel.
let gl0 = glNow();
let t0 = performance.now();
{ const { x, labels } = batch(); await net.step(x, labels, rng, PAPER_SGD); }
const warmMs = performance.now() - t0;
const warmGl = glSince(gl0);
const kernels = wrapped.reduce((s, w) => s + w.backend.ctx.compiledKernels, 0);
for (let i = 0; i < settle; i++) { const { x, labels } = batch(); await net.step(x, labels, rng, PAPER_SGD); }

// 2. Plain steps, as the trainer runs them.
let prepMs = 0, stepMs = 0, crossed = 0;
gl0 = glNow();
for (let i = 0; i < steps; i++) {
  t0 = performance.now();
  const { x, labels } = batch();
  const t1 = performance.now();
  crossed = (await net.step(x, labels, rng, PAPER_SGD)).crossedBytes;
  prepMs += t1 - t0;
  stepMs += performance.now() - t1;
}
const plainGl = glSince(gl0);
prepMs /= steps; stepMs /= steps;

// 3. Profiled steps.
profile.enabled = true;
let profiledMs = 0;
for (let i = 0; i < steps; i++) {
  const { x, labels } = batch();
  t0 = performance.now();
  await net.step(x, labels, rng, PAPER_SGD);
  profiledMs += performance.now() - t0;
}
profiledMs /= steps;
await net.dispose();
for (const w of wrapped) { w.restore(); await w.backend.ctx.destroy(); }

const total = profile.total();
const per = (v: number) => (v / steps);
const kib = (v: number) => (per(v) / 1024).toFixed(0);
const share = (ms: number) => `${((100 * per(ms)) / profiledMs).toFixed(1)} %`;
const rows = profile.sorted().map((p) => [
  p.op, per(p.calls).toFixed(0), per(p.gl.draws).toFixed(0), per(p.gl.texturesCreated).toFixed(0), kib(p.gl.uploadBytes), kib(p.gl.readBytes), per(p.ms).toFixed(1), share(p.ms),
]);
const hostMs = profiledMs - per(total.ms);
rows.push(['(host code between ops)', '', '', '', '', '', hostMs.toFixed(1), `${((100 * hostMs) / profiledMs).toFixed(1)} %`]);
rows.push(['**profiled step**', per(total.calls).toFixed(0), per(total.gl.draws).toFixed(0), per(total.gl.texturesCreated).toFixed(0), kib(total.gl.uploadBytes), kib(total.gl.readBytes), profiledMs.toFixed(1), '100 %']);

const ips = (B * 1000) / (prepMs + stepMs);
const notes = [
  `Small net, batch ${B}, ${partitions === 2 ? 'two partitions in two WebGL contexts (the main command)' : 'one WebGL context'}, ` +
    `${real ? 'Fashion-MNIST' : 'random 28 x 28 images (Fashion-MNIST not installed)'}, ${steps} step(s) per phase, dw kernels of at least ${dwThreads} threads; figures per step.`,
  `Plain steps (the trainer's loop): data preparation ${prepMs.toFixed(1)} ms + step ${stepMs.toFixed(1)} ms = ${(prepMs + stepMs).toFixed(1)} ms, ` +
    `${ips.toFixed(1)} images/s; per step ${per(plainGl.draws).toFixed(0)} kernel runs, ${per(plainGl.texturesCreated).toFixed(0)} textures created, ` +
    `${per(plainGl.uploads).toFixed(0)} uploads (${kib(plainGl.uploadBytes)} KiB), ${per(plainGl.readbacks).toFixed(0)} readbacks (${kib(plainGl.readBytes)} KiB), ` +
    `${(crossed / 1024).toFixed(0)} KiB crossed between the partitions.`,
  `Warm-up step: ${warmMs.toFixed(0)} ms, compiling ${kernels} kernels (${warmGl.shaderCompiles} shaders), then ${settle} untimed step(s); a step after them compiles ${per(plainGl.shaderCompiles).toFixed(0)}.`,
];
report('gpu-profile', commandLine('bench:gpu-profile'), ['op', 'calls', 'kernel runs', 'textures created', 'uploaded KiB', 'read back KiB', 'ms', 'share'], rows, notes, {
  prepMs, stepMs, profiledMs, warmMs, settle, kernels, plainGl, ops: profile.sorted(),
});
