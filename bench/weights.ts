// Real weights at full size: load time, batch-1 forward (the first, and the
// mean of five more) and peak memory of alexnet-ts on one full-size file per
// format, next to onnxruntime-node (its CPU provider, default threads) on the
// same ONNX files, in one run; each measurement in a fresh process, median of
// --repeat runs. The files are scripts/fixtures.py --full's (seeded, written by
// PyTorch, onnx.helper and Python's protobuf), made in a temporary folder
// unless --dir names a folder holding them.
//
//   npm run bench:weights -- [--dir DIR] [--repeat 3]

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { listOption } from './harness.js';
import { commandLine, report } from './report.js';

const argv = process.argv.slice(2);
const repeat = Number(listOption(argv, 'repeat', ['3'])[0]);
let dir = listOption(argv, 'dir', [''])[0];
if (!dir) {
  dir = mkdtempSync(join(tmpdir(), 'alexnet-bench-weights-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  process.stderr.write(`writing the full-size files into ${dir} (scripts/fixtures.py --full)\n`);
  execFileSync('/usr/bin/python3', [resolve('scripts/fixtures.py'), dir, '--full'], { stdio: ['ignore', 'ignore', 'inherit'] });
}
const cases = (JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { cases: { name: string; files: string[]; input: string; format: string }[] }).cases;

interface Run { loadSeconds: number; firstMs: number; steadyMs: number; peakRssMB: number }
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

function measure(engine: 'ours' | 'ort', file: string, input: string): Run {
  const runs: Run[] = [];
  for (let i = 0; i < repeat; i++) {
    const out = execFileSync(process.execPath, ['--import', 'tsx', resolve('bench/weights-child.ts'), engine, file, input], { encoding: 'utf8' });
    runs.push(JSON.parse(out.trim().split('\n').pop()!) as Run);
  }
  const m: Run = { loadSeconds: median(runs.map((r) => r.loadSeconds)), firstMs: median(runs.map((r) => r.firstMs)), steadyMs: median(runs.map((r) => r.steadyMs)), peakRssMB: median(runs.map((r) => r.peakRssMB)) };
  process.stderr.write(`  ${engine} ${file.split('/').pop()}: load ${m.loadSeconds.toFixed(2)} s, forward ${m.firstMs.toFixed(0)} ms first, ${m.steadyMs.toFixed(0)} ms after, peak ${m.peakRssMB} MB\n`);
  return m;
}

const rows: string[][] = [], data: { file: string; format: string; engine: string; run: Run }[] = [];
const row = (file: string, format: string, engine: string, r: Run) => {
  data.push({ file, format, engine, run: r });
  rows.push([file, format, engine, r.loadSeconds.toFixed(2), r.firstMs.toFixed(0), r.steadyMs.toFixed(0), String(r.peakRssMB)]);
};
for (const c of cases) {
  const file = join(dir, c.files[0]), input = join(dir, c.input);
  const ours = measure('ours', file, input);
  row(c.files[0], c.format, 'alexnet-ts (CPU)', ours);
  if (c.format === 'onnx') {
    const ort = measure('ort', file, input);
    row(c.files[0], c.format, 'onnxruntime-node 1.30', ort);
    rows[rows.length - 1][5] += ` (ours ${(ours.steadyMs / ort.steadyMs).toFixed(1)}x)`;
  }
}
report('weights', commandLine('bench:weights'), ['file', 'format', 'engine', 'load s', 'first forward ms', 'forward ms (mean of 5)', 'peak RSS MB'], rows, [
  'Batch 1; full-size nets: torchvision\'s 61.1 M parameters at 224 x 224, the paper topology\'s (Caffe, ONNX zoo layout) at 227 and 224. Peak RSS is the process\'s, Node included (about 45 MB idle).',
], data);
