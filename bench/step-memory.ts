// Peak resident memory of the paper net's training step at batch 8 (issue
// 13's target: at most 1.2 GB), each engine in a fresh process so that the
// peak is the step's own: this project's CPU backends through the public
// API (model.trainOnBatch), and PyTorch's CPU path on the same layers
// (bench/peers/torch_peer.py). Also what the step must hold at the least:
// the weights, their momentum and their gradients, 4 bytes each.
//
//   npm run bench:memory

import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { alexnet, paperConfig, parameterCount } from '../src/index.js';
import { peakRssMB } from '../src/cli/weights.js';
import { commandLine, report } from './report.js';

const BATCH = 8, STEPS = 2;
const argv = process.argv.slice(2);

if (argv[0] === '--child') {
  // One engine, one process: build the net, take STEPS steps, print the peak.
  const backend = argv[1] as 'cpu' | 'cpu-float32-sums' | 'cpu-threads';
  const model = await alexnet({ config: 'paper', backend, seed: 1 });
  const built = peakRssMB();
  const c = model.config, x = new Float32Array(BATCH * c.inputChannels * c.inputSize * c.inputSize).map((_, i) => Math.sin(i));
  const labels = Array.from({ length: BATCH }, (_, i) => (i * 97) % c.classes);
  const t0 = performance.now();
  for (let s = 0; s < STEPS; s++) await model.trainOnBatch(x, [BATCH, c.inputChannels, c.inputSize, c.inputSize], labels);
  console.log(JSON.stringify({ builtMB: built, peakRssMB: peakRssMB(), msPerStep: (performance.now() - t0) / STEPS }));
  process.exit(0);
}

const self = fileURLToPath(import.meta.url);
const rows: string[][] = [];
const data: Record<string, unknown> = {};
for (const backend of ['cpu', 'cpu-float32-sums', 'cpu-threads']) {
  process.stderr.write(`alexnet-ts ${backend}: ${STEPS} steps of the paper net at batch ${BATCH}\n`);
  const r = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', self, '--child', backend], { encoding: 'utf8' }).trim().split('\n').at(-1)!);
  data[backend] = r;
  rows.push([`alexnet-ts, ${backend}`, String(r.builtMB), String(r.peakRssMB), (r.peakRssMB / 1024).toFixed(2)]);
}
process.stderr.write('PyTorch: the same step\n');
const job = { config: paperConfig(), threads: 2, workloads: [{ name: 'step', kind: 'train', batch: BATCH, seconds: 0 }] };
const t = spawnSync('/usr/bin/python3', [new URL('./peers/torch_peer.py', import.meta.url).pathname], { input: JSON.stringify(job), encoding: 'utf8' });
if (t.status === 0) {
  const r = JSON.parse(t.stdout);
  data.torch = r;
  rows.push([`PyTorch ${r.torch} CPU`, '-', String(r.peakRssMB), (r.peakRssMB / 1024).toFixed(2)]);
} else rows.push(['PyTorch CPU', '-', `not run: ${t.stderr.trim().split('\n').at(-1) ?? 'python3-torch missing?'}`, '-']);
const floorMB = Math.round((3 * 4 * parameterCount(paperConfig())) / 2 ** 20);
report('step-memory', commandLine('bench:memory'), ['engine', 'after building the net (MB)', 'peak over the step (MB)', 'peak (GiB)'], rows, [
  `The paper net (${parameterCount(paperConfig()).toLocaleString('en-US')} parameters) at batch ${BATCH}, ${STEPS} SGD steps with momentum (PyTorch: its one untimed and one timed step), each engine in a fresh process; peak resident memory (VmHWM).`,
  `Weights, momentum and gradients alone take ${floorMB} MB in float32. Target (issue 13): at most 1.2 GB = 1229 MB.`,
], data);
