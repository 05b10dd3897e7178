// `alexnet run` and `alexnet export`: weights files of any format the
// project reads (src/io/), run on a NumPy batch or written back out as ONNX
// or safetensors.

import { existsSync, readFileSync } from 'node:fs';
import { alexnet } from '../api/model.js';
import { SAFETENSORS_CONFIG_KEY, SAFETENSORS_PRESET_KEY, readWeightsFile } from '../api/weights.js';
import { TORCHVISION_KEYS } from '../io/architecture.js';
import { readNpy, writeNpy } from '../io/npy.js';
import { writeOnnx } from '../io/onnx-write.js';
import { writeSafetensors } from '../io/safetensors.js';
import type { TensorMap } from '../io/tensors.js';
import { VERSION } from '../version.js';
import { writeAtomic } from './files.js';
import { type CommandSpec, type OptionSpec, type Parsed, UsageError } from './options.js';

/** --weights and --prototxt, as every command that reads a weights file takes them. */
export const WEIGHTS_OPTIONS = {
  weights: { type: 'string', arg: 'FILE', help: 'weights: .pth, .safetensors, .onnx, .caffemodel or an alexnet-ts checkpoint' },
  prototxt: { type: 'string', arg: 'FILE', help: 'Caffe deploy.prototxt, when the caffemodel holds a train_val net' },
} as const;

/** The options of `alexnet run`. */
export const RUN_COMMAND = {
  name: 'run',
  summary: 'The forward pass (inference mode) of a float32 .npy batch [N, 3, H, W] through a weights file; writes the logits [N, classes] as .npy.',
  options: {
    ...WEIGHTS_OPTIONS,
    input: { type: 'string', arg: 'X.npy', help: 'the input batch, float32 [N, C, H, W] in C order (required)' },
    output: { type: 'string', arg: 'Y.npy', help: 'where the logits go, float32 [N, classes] (required)' },
    backend: { type: 'enum', values: ['cpu', 'gpu', 'cpu-float32-sums', 'cpu-threads'], default: 'cpu', help: 'the CPU reference, WebGL, the CPU with float32 sums, or those sums over every core (cpu-threads, ALEXNET_THREADS)' },
    batch: { type: 'int', min: 1, default: 16, help: 'images per forward pass' },
    overwrite: { type: 'boolean', help: 'replace --output if it exists' },
    json: { type: 'boolean', help: 'print one JSON object (shapes, seconds, peak memory) instead of text' },
  },
} as const satisfies CommandSpec<Record<string, OptionSpec>>;

/** The options of `alexnet export`. */
export const EXPORT_COMMAND = {
  name: 'export',
  summary: 'Writes weights (any format read, or a checkpoint) as ONNX (opset 13, dynamic batch) or safetensors.',
  options: {
    ...WEIGHTS_OPTIONS,
    checkpoint: { type: 'string', arg: 'FILE', help: 'a checkpoint alexnet train wrote' },
    onnx: { type: 'string', arg: 'OUT.onnx', help: 'write an ONNX model' },
    safetensors: { type: 'string', arg: 'OUT', help: 'write a safetensors file (torchvision key names for the torchvision topology)' },
    overwrite: { type: 'boolean', help: 'replace the output if it exists' },
  },
} as const satisfies CommandSpec<Record<string, OptionSpec>>;

function required<T>(v: T | undefined, flag: string): T {
  if (v === undefined) throw new UsageError(`${flag} is required`);
  return v;
}

/** Refuses to replace a file the user has unless asked; writes through a temporary name so that a failure leaves no half file. */
function writeOutput(path: string, bytes: Uint8Array, overwrite: boolean, flag: string): void {
  if (existsSync(path) && !overwrite) throw new UsageError(`${flag} ${path} exists; pass --overwrite to replace it`);
  writeAtomic(path, bytes);
}

/**
 * This process's peak resident memory in MB: VmHWM of /proc/self/status, the
 * high-water mark of this program's own address space (reset by exec); else
 * getrusage's maxrss, which on Linux keeps the high-water mark across exec, so
 * that a child forked from a large parent reports the parent's size.
 */
export function peakRssMB(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Math.round(Number(m[1]) / 1024);
  } catch { /* not Linux: getrusage below */ }
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/** `alexnet run`: X.npy through the weights, logits to Y.npy. */
export async function runCommand({ values: v }: Parsed<typeof RUN_COMMAND.options>): Promise<number> {
  const weights = required(v.weights, '--weights'), input = required(v.input, '--input'), output = required(v.output, '--output');
  if (existsSync(output) && !v.overwrite) throw new UsageError(`--output ${output} exists; pass --overwrite to replace it`);
  let bytes: Buffer;
  try { bytes = readFileSync(input); } catch (e) { throw new Error(`${input}: cannot read the input (${(e as NodeJS.ErrnoException).code})`); }
  const x = readNpy(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), input);
  const t0 = performance.now();
  const model = await alexnet({ weights, prototxt: v.prototxt, backend: v.backend as 'cpu' | 'cpu-float32-sums' | 'cpu-threads' | 'gpu' });
  const loadSeconds = (performance.now() - t0) / 1000;
  try {
    const c = model.config;
    const want = `[N, ${c.inputChannels}, ${c.inputSize}, ${c.inputSize}]`;
    if (x.shape.length !== 4 || x.shape[1] !== c.inputChannels || x.shape[2] !== c.inputSize || x.shape[3] !== c.inputSize) {
      throw new Error(`${input}: shape [${x.shape.join(', ')}]; the ${c.name} net of ${weights} takes ${want}`);
    }
    const [N] = x.shape, per = c.inputChannels * c.inputSize * c.inputSize;
    const logits = new Float32Array(N * c.classes);
    const t1 = performance.now();
    for (let i = 0; i < N; i += v.batch) {
      const n = Math.min(v.batch, N - i);
      logits.set(await model.forward(x.data.subarray(i * per, (i + n) * per), [n, c.inputChannels, c.inputSize, c.inputSize]), i * c.classes);
      if (!v.json && N > v.batch) process.stderr.write(`\r${i + n} / ${N} images`);
    }
    if (!v.json && N > v.batch) process.stderr.write('\n');
    const forwardSeconds = (performance.now() - t1) / 1000;
    writeOutput(output, writeNpy({ data: logits, shape: [N, c.classes] }), v.overwrite, '--output');
    const report = { weights, config: c.name, backend: model.description, input: { file: input, shape: x.shape }, output: { file: output, shape: [N, c.classes] }, loadSeconds, forwardSeconds, peakRssMB: peakRssMB() };
    if (v.json) console.log(JSON.stringify(report));
    else console.log(`${output}: logits [${N}, ${c.classes}] of the ${c.name} net (${model.description}); load ${loadSeconds.toFixed(2)} s, forward ${forwardSeconds.toFixed(2)} s, peak memory ${report.peakRssMB} MB`);
  } finally {
    await model.dispose();
  }
  return 0;
}

/** `alexnet export`: weights out as ONNX or safetensors. */
export async function exportCommand({ values: v }: Parsed<typeof EXPORT_COMMAND.options>): Promise<number> {
  if ((v.weights === undefined) === (v.checkpoint === undefined)) throw new UsageError('give one of --weights FILE or --checkpoint FILE');
  if ((v.onnx === undefined) === (v.safetensors === undefined)) throw new UsageError('give one of --onnx OUT.onnx or --safetensors OUT');
  const out = (v.onnx ?? v.safetensors)!, flag = v.onnx ? '--onnx' : '--safetensors';
  if (existsSync(out) && !v.overwrite) throw new UsageError(`${flag} ${out} exists; pass --overwrite to replace it`);
  const w = await readWeightsFile((v.weights ?? v.checkpoint)!, { prototxt: v.prototxt });
  let bytes: Uint8Array;
  if (v.onnx) bytes = writeOnnx(w.config, w.params, { preset: w.preset, producerVersion: VERSION });
  else if (w.config.name === 'torchvision') {
    // torchvision's own key names: the file loads with torchvision.models.alexnet().load_state_dict (for the full widths).
    const back = new Map(Object.entries(TORCHVISION_KEYS).map(([tv, ours]) => [ours, tv]));
    const t: TensorMap = new Map([...w.params].map(([k, p]) => { const [layer, leaf] = k.split('.'); return [`${back.get(layer)}.${leaf}`, p]; }));
    bytes = writeSafetensors(t, { format: 'pt', ...(w.preset ? { [SAFETENSORS_PRESET_KEY]: w.preset } : {}) });
  } else {
    bytes = writeSafetensors(w.params, { [SAFETENSORS_CONFIG_KEY]: JSON.stringify(w.config), ...(w.preset ? { [SAFETENSORS_PRESET_KEY]: w.preset } : {}) });
  }
  writeOutput(out, bytes, v.overwrite, flag);
  console.log(`${out}: the ${w.config.name} net of ${v.weights ?? v.checkpoint} as ${v.onnx ? 'ONNX (opset 13)' : 'safetensors'}, ${(bytes.length / 1e6).toFixed(1)} MB`);
  return 0;
}
