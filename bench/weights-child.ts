// One measurement of bench/weights.ts in a fresh process (so that its load
// time and peak memory are its own): load a weights file, run batch-1
// forward passes of its input, print one JSON line.
//
//   node --import tsx bench/weights-child.ts ours|ort WEIGHTS INPUT.npy

import { readFileSync } from 'node:fs';
import { alexnet } from '../src/index.js';
import { readNpy } from '../src/io/npy.js';
import { peakRssMB } from '../src/cli/weights.js';

const [engine, file, inputFile] = process.argv.slice(2);
const b = readFileSync(inputFile);
const x = readNpy(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), inputFile);
const shape = [1, ...x.shape.slice(1)];
const one = x.data.subarray(0, shape.reduce((a, c) => a * c, 1));
const STEADY = 5;

let forward: () => Promise<unknown>;
const t0 = performance.now();
if (engine === 'ours') {
  const model = await alexnet({ weights: file });
  forward = () => model.forward(one, shape);
} else if (engine === 'ort') {
  const ort = await import('onnxruntime-node');
  const s = await ort.InferenceSession.create(file);
  const feeds = { [s.inputNames[0]]: new ort.Tensor('float32', one, shape) };
  forward = () => s.run(feeds);
} else throw new Error(`engine must be ours or ort, got ${engine}`);
const loaded = performance.now();
await forward();
const first = performance.now();
for (let i = 0; i < STEADY; i++) await forward();
const end = performance.now();
console.log(JSON.stringify({
  loadSeconds: (loaded - t0) / 1000, firstMs: first - loaded, steadyMs: (end - first) / STEADY, peakRssMB: peakRssMB(),
}));
