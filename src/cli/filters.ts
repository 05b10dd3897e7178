// `alexnet filters`: the paper's Figure 3 (section 3.2) for any weights: the
// conv1 kernels as a PNG, one block per partition (per GPU of the paper's
// layout), and how colour-specific each block is.

import { existsSync } from 'node:fs';
import { readWeightsFile } from '../api/weights.js';
import { colourShare, kernelBlocks } from '../viz/kernels.js';
import { type CommandSpec, type OptionSpec, type Parsed, UsageError } from './options.js';
import { writeKernelsPng } from './plots.js';
import { WEIGHTS_OPTIONS } from './weights.js';

/** The options of `alexnet filters`. */
export const FILTERS_COMMAND = {
  name: 'filters',
  summary: 'The paper\'s Figure 3: the conv1 kernels of a weights file or checkpoint as a PNG, one block per partition (GPU),\n' +
    'and each block\'s colour share (0: the kernels weigh R, G and B alike; up to 0.67: one channel only).',
  options: {
    ...WEIGHTS_OPTIONS,
    out: { type: 'string', arg: 'FILE', default: 'conv1.png', help: 'the PNG' },
    overwrite: { type: 'boolean', help: 'replace an existing --out' },
    json: { type: 'boolean', help: 'print one JSON object instead of text' },
  },
} as const satisfies CommandSpec<Record<string, OptionSpec>>;

/** Runs `alexnet filters`; returns the exit code. */
export async function filtersCommand({ values: v }: Parsed<typeof FILTERS_COMMAND.options>): Promise<number> {
  if (v.weights === undefined) throw new UsageError('needs --weights FILE (a .pth, .safetensors, .onnx, .caffemodel or a checkpoint)');
  if (existsSync(v.out) && !v.overwrite) throw new UsageError(`${v.out} exists: --overwrite replaces it, or choose another --out`);
  const w = await readWeightsFile(v.weights, { prototxt: v.prototxt });
  const conv1 = w.params.get('conv1.weight')!;
  const blocks = kernelBlocks(w.config);
  // Caffe's nets (and checkpoints trained on its convention) take BGR: channel 0 is blue.
  const bgr = w.preset === 'caffe' || w.checkpoint?.options.augment.channels?.order[0] === 2;
  await writeKernelsPng(conv1, blocks, v.out, bgr ? 'bgr' : 'rgb');
  const share = colourShare(conv1, blocks);
  const per = conv1.shape[0] / blocks;
  if (v.json) {
    console.log(JSON.stringify({ weights: v.weights, found: w.found, kernels: conv1.shape, blocks, colourShare: share, png: v.out }));
    return 0;
  }
  console.log(`${v.weights}: ${w.found}; conv1 ${conv1.shape.join(' x ')}, ${blocks} block${blocks > 1 ? 's' : ''}`);
  if (share) share.forEach((s, p) => console.log(`  partition ${p} (kernels ${p * per}-${(p + 1) * per - 1}): colour share ${s.toFixed(3)}`));
  else console.log(`  ${conv1.shape[1]}-channel input: no colour to measure`);
  console.log(`wrote ${v.out}`);
  return 0;
}
