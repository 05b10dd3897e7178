// This project's CPU path against the peers people would otherwise use, the
// same workloads one after the other in one run (issue 13's targets): the
// paper net forward at batch 1 and 8, its training step at batch 8 (SGD with
// momentum), and the small net's training step at batch 128.
//   - ours: the CPU backend through the model code (src/nn/model.ts, step.ts),
//     with the reference's double-precision sums and with float32 sums
//     (cpuBackend('float32', { sums: 'float32' }), src/cpu/gemm32.ts), and those
//     over every core (the cpu-threads backend, src/cpu/gemm-threads.ts);
//   - PyTorch 1.13 CPU (Debian's python3-torch), the same layers built from
//     the same configuration by bench/peers/torch_peer.py, 2 threads;
//   - tfjs-backend-wasm 4.22, the net written in tfjs ops (NHWC, groups by
//     splitting channels), forward only: the backend has no conv weight
//     gradient kernel (docs/conformance.md), with the threads it starts by itself;
//   - onnxruntime-node 1.30, the net exported by writeOnnx (src/io/onnx-write.ts),
//     forward only (an inference engine), 2 intra-op threads.
// The engines take turns in --rounds rounds (each workload timed for
// --seconds / rounds per round: the median of the calls made then, after one
// untimed call); each figure is the median of its rounds. Ratios are
// peer / ours (above 1: ours is faster).
//
//   npm run bench:peers -- [--seconds 6] [--rounds 3] [--only ours,torch,tfjs-wasm,onnxruntime]

import { spawnSync } from 'node:child_process';
import * as ort from 'onnxruntime-node';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { backendNamed, defaultThreads } from '../src/api/backends.js';
import { cpuBackend } from '../src/cpu/backend.js';
import { Rng } from '../src/cpu/random.js';
import { PAPER_SGD } from '../src/cpu/sgd.js';
import { writeOnnx } from '../src/io/onnx-write.js';
import { type AlexNetConfig, CONFIGS } from '../src/nn/config.js';
import { forward, initParams, uploadParams } from '../src/nn/model.js';
import { createTrainState, trainStep } from '../src/nn/step.js';
import { listOption } from './harness.js';
import { commandLine, report } from './report.js';

const argv = process.argv.slice(2);
const seconds = Number(listOption(argv, 'seconds', ['6'])[0]);
const roundCount = Number(listOption(argv, 'rounds', ['3'])[0]);
if (!(seconds > 0) || !Number.isInteger(roundCount) || roundCount < 1) throw new RangeError(`bench:peers: --seconds must be positive and --rounds a positive integer; got ${seconds}, ${roundCount}`);
/** Seconds of timed calls per workload and engine in each round. */
const perRound = seconds / roundCount;
const ENGINES = ['ours', 'ours-f32', 'ours-threads', 'torch', 'tfjs-wasm', 'onnxruntime'];
const only = listOption(argv, 'only', ENGINES);

interface Workload { name: string; config: string; kind: 'forward' | 'train'; batch: number }
const WORKLOADS: Workload[] = [
  { name: 'paper net forward, batch 1', config: 'paper', kind: 'forward', batch: 1 },
  { name: 'paper net forward, batch 8', config: 'paper', kind: 'forward', batch: 8 },
  { name: 'paper net training step, batch 8', config: 'paper', kind: 'train', batch: 8 },
  { name: 'small net training step, batch 128', config: 'small', kind: 'train', batch: 128 },
];

/** Median ms of fn over the calls made within this round's share of --seconds, after one untimed call. */
async function timed(fn: () => unknown, what: string): Promise<number> {
  await fn();
  const runs: number[] = [];
  const end = performance.now() + perRound * 1000;
  while (runs.length === 0 || (performance.now() < end && runs.length < 200)) {
    const t0 = performance.now();
    await fn();
    runs.push(performance.now() - t0);
  }
  runs.sort((a, b) => a - b);
  const ms = runs[Math.floor(runs.length / 2)];
  process.stderr.write(`  ${what}: ${ms.toFixed(1)} ms (median of ${runs.length})\n`);
  return ms;
}

const ms: Record<string, Record<string, number>> = { ours: {}, 'ours-f32': {}, 'ours-threads': {}, torch: {}, 'tfjs-wasm': {}, onnxruntime: {} };
/** Every round's median, by engine and workload: the figure reported is their median. */
const rounds: Record<string, Record<string, number[]>> = Object.fromEntries(Object.keys(ms).map((k) => [k, {}]));
const record = (who: string, w: string, v: number) => { (rounds[who][w] ??= []).push(v); };
const versions: Record<string, string> = {};
const inputs = (c: AlexNetConfig, batch: number) => {
  const rng = Rng.seeded(2);
  return { x: rng.normalArray(batch * c.inputChannels * c.inputSize * c.inputSize), labels: Int32Array.from({ length: batch }, () => rng.int(c.classes)) };
};

// Ours three ways: the reference's double-precision sums, float32 sums (cpuBackend's sums option,
// src/cpu/gemm32.ts), and float32 sums over every core (cpu-threads).
const threaded = await backendNamed('cpu-threads');
const threads = await defaultThreads();
const ourBackends = [['ours', cpuBackend()], ['ours-f32', cpuBackend('float32', { sums: 'float32' })], ['ours-threads', threaded as ReturnType<typeof cpuBackend>]] as const;

async function runOurs(): Promise<void> {
  for (const [who, be] of ourBackends) {
    if (!only.includes(who)) continue;
    for (const w of WORKLOADS) {
      const c = CONFIGS[w.config]();
      const host = initParams(c, Rng.seeded(1));
      const { x, labels } = inputs(c, w.batch);
      const xt = be.upload(x, [w.batch, c.inputChannels, c.inputSize, c.inputSize]);
      if (w.kind === 'forward') {
        const params = await uploadParams(be, c, host);
        // As the library's inference runs it (Net.logits): each activation released once read, so its memory is reused.
        record(who, w.name, await timed(() => forward(be, c, params, xt, { train: false, release: true }), `${who} ${w.name}`));
      } else {
        const s = await createTrainState(be, c, host);
        record(who, w.name, await timed(() => trainStep(be, c, s, xt, labels, Rng.seeded(3), PAPER_SGD), `${who} ${w.name}`));
      }
    }
  }
}

async function runTorch(): Promise<void> {
  for (const config of ['paper', 'small']) {
    const job = { config: CONFIGS[config](), threads: 2, workloads: WORKLOADS.filter((w) => w.config === config).map((w) => ({ ...w, seconds: perRound })) };
    const r = spawnSync('/usr/bin/python3', [new URL('./peers/torch_peer.py', import.meta.url).pathname], { input: JSON.stringify(job), encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`bench/peers/torch_peer.py failed (is python3-torch installed?): ${r.stderr.slice(-800)}`);
    const out = JSON.parse(r.stdout) as { torch: string; ms: Record<string, number> };
    versions.torch = out.torch;
    for (const [k, v] of Object.entries(out.ms)) { record('torch', k, v); process.stderr.write(`  torch ${k}: ${v.toFixed(1)} ms\n`); }
  }
}

/** tfjs nets by configuration, built once and kept over the rounds (the paper net's weights take 244 MB of the wasm heap). */
const tfjsNets = new Map<string, ReturnType<typeof tfjsNet>>();

async function runTfjs(): Promise<void> {
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs-backend-wasm did not initialise');
  for (const w of WORKLOADS.filter((x) => x.kind === 'forward')) {
    const c = CONFIGS[w.config]();
    let net = tfjsNets.get(w.config);
    if (!net) { net = tfjsNet(c, initParams(c, Rng.seeded(1))); tfjsNets.set(w.config, net); }
    const x = tf.tidy(() => tf.tensor(inputs(c, w.batch).x, [w.batch, c.inputChannels, c.inputSize, c.inputSize]).transpose([0, 2, 3, 1]));
    record('tfjs-wasm', w.name, await timed(() => tf.tidy(() => net(x).dataSync()), `tfjs-wasm ${w.name}`));
    x.dispose();
  }
  versions['tfjs-wasm'] = tf.version_core;
  versions['tfjs-wasm threads'] = String(getThreadsCount());
}

async function runOnnxruntime(): Promise<void> {
  for (const w of WORKLOADS.filter((x) => x.kind === 'forward')) {
    const c = CONFIGS[w.config]();
    const session = await ort.InferenceSession.create(writeOnnx(c, initParams(c, Rng.seeded(1))), { intraOpNumThreads: 2, interOpNumThreads: 1 });
    const feeds = { input: new ort.Tensor('float32', inputs(c, w.batch).x, [w.batch, c.inputChannels, c.inputSize, c.inputSize]) };
    record('onnxruntime', w.name, await timed(() => session.run(feeds), `onnxruntime ${w.name}`));
  }
  versions.onnxruntime = ort.env.versions.common;
}

// Engines take turns, round after round, so that a slow minute of the shared host falls on all of them
// rather than on whichever ran then (its speed was seen to vary by 2x within a session).
for (let r = 0; r < roundCount; r++) {
  process.stderr.write(`round ${r + 1} of ${roundCount}\n`);
  await runOurs();
  if (only.includes('torch')) await runTorch();
  if (only.includes('tfjs-wasm')) await runTfjs();
  if (only.includes('onnxruntime')) await runOnnxruntime();
}
const median = (v: number[]) => { const s = [...v].sort((a, b) => a - b), h = Math.floor(s.length / 2); return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2; };
for (const [who, byWorkload] of Object.entries(rounds)) for (const [w, v] of Object.entries(byWorkload)) ms[who][w] = median(v);

/** The configuration as tfjs ops, NHWC: conv (groups by split), ReLU, LRN, pooling, fully connected; test time (no dropout). */
function tfjsNet(c: AlexNetConfig, host: Map<string, { data: Float32Array; shape: number[] }>) {
  const v = (name: string, perm?: number[]) => { const h = host.get(name)!; const t = tf.tensor(h.data, h.shape); return perm ? t.transpose(perm) : t; };
  const convW = c.conv.map((_, i) => v(`conv${i + 1}.weight`, [2, 3, 1, 0])), convB = c.conv.map((_, i) => v(`conv${i + 1}.bias`));
  const fcNames = [...c.fc.map((_, i) => `fc${i + 6}`), `fc${c.fc.length + 6}`];
  const fcW = fcNames.map((n) => v(`${n}.weight`).transpose()), fcB = fcNames.map((n) => v(`${n}.bias`));
  return (x: tf.Tensor) => {
    let h = x as tf.Tensor4D;
    c.conv.forEach((s, i) => {
      const xs = s.groups === 1 ? [h] : tf.split(h, s.groups, 3), ws = s.groups === 1 ? [convW[i]] : tf.split(convW[i], s.groups, 3);
      const ys = xs.map((xg, g) => tf.conv2d(xg as tf.Tensor4D, ws[g] as tf.Tensor4D, s.stride, [[0, 0], [s.pad, s.pad], [s.pad, s.pad], [0, 0]]));
      h = tf.relu(tf.add(ys.length === 1 ? ys[0] : tf.concat(ys, 3), convB[i])) as tf.Tensor4D;
      if (i < 2 && c.lrn) h = tf.localResponseNormalization(h, (c.lrn.size - 1) / 2, c.lrn.k, c.lrn.convention === 'paper' ? c.lrn.alpha : c.lrn.alpha / c.lrn.size, c.lrn.beta);
      if (i === 0 || i === 1 || i === 4) h = tf.maxPool(h, c.pool.kernel, c.pool.stride, c.pool.pad, c.pool.ceil ? 'ceil' : 'floor');
    });
    // Flatten in NCHW order, as the weights of fc6 were laid out.
    let f: tf.Tensor = tf.transpose(h, [0, 3, 1, 2]).reshape([h.shape[0], -1]);
    fcW.forEach((w, i) => { f = tf.add(tf.matMul(f, w), fcB[i]); if (i < fcW.length - 1) f = tf.relu(f); });
    return f;
  };
}

const peers = ['torch', 'tfjs-wasm', 'onnxruntime'] as const;
/** Our fastest time for a workload (threads, else float32 sums, else the reference): what the peers are compared with. */
const best = (w: string) => Math.min(...(['ours', 'ours-f32', 'ours-threads'] as const).map((o) => ms[o][w] ?? Infinity));
const ratio = (p: string, w: string, to: number | undefined) =>
  (ms[p][w] === undefined ? '-' : Number.isFinite(to) ? `${ms[p][w].toFixed(0)} (${(ms[p][w] / to!).toFixed(2)}x)` : ms[p][w].toFixed(0));
const rows = WORKLOADS.map((w) => [
  w.name, ms.ours[w.name]?.toFixed(0) ?? '-', ratio('ours-f32', w.name, ms.ours[w.name]), ratio('ours-threads', w.name, ms.ours[w.name]),
  ...peers.map((p) => ratio(p, w.name, best(w.name))),
]);
report('peers', commandLine('bench:peers'),
  ['workload', 'ours (CPU backend) ms', 'ours, float32 sums: ms (/ ours)', `ours, float32 sums over ${threads} threads (cpu-threads): ms (/ ours)`, `PyTorch ${versions.torch ?? ''} CPU, 2 threads: ms (peer / our fastest)`, `tfjs-backend-wasm ${versions['tfjs-wasm'] ?? ''}, ${versions['tfjs-wasm threads'] ?? '?'} thread(s)`, `onnxruntime-node ${versions.onnxruntime ?? ''}, 2 threads`], rows,
  [`Engines in turn over ${roundCount} rounds; each figure is the median of its rounds' medians (the calls within ${perRound.toFixed(1)} s, after one untimed call), ${seconds} s of calls per engine and workload in all. Peers are compared with our fastest column: above 1x the peer is slower than this project. tfjs-wasm and onnxruntime run forward passes only (no conv weight gradient in tfjs-wasm; onnxruntime is an inference engine).`],
  { ms, versions, threads },
  ENGINES.some((e) => !only.includes(e)) ? `a partial run (--only ${only.join(',')})` : undefined);
await threaded.destroy();
