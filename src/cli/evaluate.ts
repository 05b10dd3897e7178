// `alexnet eval` and `alexnet predict`: a trained checkpoint on the test set
// (ten crops where asked), or on image files.

import { alexnet } from '../api/model.js';
import { makeNet } from '../api/nets.js';
import { sliceDataset } from '../nn/data/dataset.js';
import { evaluate } from '../nn/trainer.js';
import { folderOptions, loadDataset } from './datasets.js';
import { loadImage } from './images.js';
import type { CommandSpec, OptionSpec, Parsed } from './options.js';
import { readCheckpoint } from './run-folder.js';
import { WEIGHTS_OPTIONS } from './weights.js';

const RUN_OPTIONS = {
  checkpoint: { type: 'string', arg: 'FILE', default: 'runs/latest/checkpoint.bin', help: 'the checkpoint alexnet train wrote' },
  backend: { type: 'enum', values: ['cpu', 'gpu', 'cpu-float32-sums', 'cpu-threads'], default: 'cpu', help: 'the CPU reference, WebGL, the CPU with float32 sums, or those sums over every core (cpu-threads, ALEXNET_THREADS)' },
  partitions: { type: 'int', min: 1, max: 2, default: 1, help: 'backend instances the net is split over' },
  'ten-crop': { type: 'boolean', help: 'average the softmax over the paper\'s ten views (section 4.1)' },
  json: { type: 'boolean', help: 'print one JSON object instead of text' },
} as const;

/** The options of `alexnet eval`. */
export const EVAL_COMMAND = {
  name: 'eval',
  summary: 'Top-1 and top-5 accuracy and the mean loss of a checkpoint on the test set of its data (or --data).',
  options: {
    ...RUN_OPTIONS,
    data: { type: 'string', arg: 'DIR', help: 'dataset folder (default: the one the checkpoint was trained on)' },
    'test-limit': { type: 'int', min: 1, help: 'the first N test images only' },
    quiet: { type: 'boolean', help: 'print the result line only' },
  },
} as const satisfies CommandSpec<Record<string, OptionSpec>>;

/** The options of `alexnet predict`. */
export const PREDICT_COMMAND = {
  name: 'predict',
  summary: 'The most probable classes of PNG or JPEG images, with their probabilities.',
  positionals: { usage: 'IMAGE...', min: 1 },
  options: {
    ...RUN_OPTIONS,
    top: { type: 'int', min: 1, default: 5, help: 'how many classes to print per image' },
    ...WEIGHTS_OPTIONS,
    preset: { type: 'enum', values: ['torchvision', 'caffe'], help: 'input convention (default: that of the weights\' source)' },
    mean: { type: 'string', arg: 'FILE', help: 'with the caffe preset: a mean image (ilsvrc_2012_mean.binaryproto or .npy) instead of the mean pixel' },
  },
} as const satisfies CommandSpec<Record<string, OptionSpec>>;

/** `alexnet eval`: top-1 and top-5 on the test set of the checkpoint's data (or --data). */
export async function evalCommand({ values: v }: Parsed<typeof EVAL_COMMAND.options>): Promise<number> {
  const ck = readCheckpoint(v.checkpoint);
  const split = loadDataset(v.data ?? (ck.meta.data as string | undefined), folderOptions(ck.config));
  const views = v['ten-crop'] ? 10 : 1;
  const n = Math.min(split.test.n, v['test-limit'] ?? split.test.n);
  const test = n < split.test.n ? sliceDataset(split.test, 0, n, `${split.test.name}[0:${n}]`) : split.test;
  const net = await makeNet(v.backend, v.partitions, ck.config, ck.params);
  const t0 = Date.now();
  let r: Awaited<ReturnType<typeof evaluate>>;
  try {
    r = await evaluate(net, test, ck.stats, ck.options.augment, views);
  } finally {
    await net.dispose();
  }
  const seconds = (Date.now() - t0) / 1000;
  if (v.json) {
    console.log(JSON.stringify({ checkpoint: v.checkpoint, epoch: ck.trainer.epoch, test: test.name, images: test.n, views, top1: r.top1, top5: r.top5, loss: r.loss, seconds }));
    return 0;
  }
  console.log(`${test.name}, ${test.n} images, ${views === 10 ? 'ten crops (four corners and centre, and their reflections), softmax averaged' : 'centre crop'}: ` +
    `top-1 ${(100 * r.top1).toFixed(2)} %, top-5 ${(100 * r.top5).toFixed(2)} %, loss ${r.loss.toFixed(4)}` + (v.quiet ? '' : ` (${seconds.toFixed(1)} s, epoch ${ck.trainer.epoch} checkpoint)`));
  return 0;
}

/** `alexnet predict IMAGE...`: the top classes of each image with their probabilities, through the library's model.classify. */
export async function predictCommand({ values: v, positionals }: Parsed<typeof PREDICT_COMMAND.options>): Promise<number> {
  const images = positionals.map((file) => ({ file, image: loadImage(file) }));
  const weights = v.weights ?? v.checkpoint;
  const model = await alexnet({ weights, prototxt: v.prototxt, preset: v.preset as 'torchvision' | 'caffe' | undefined, mean: v.mean, backend: v.backend as 'cpu' | 'cpu-float32-sums' | 'cpu-threads' | 'gpu', partitions: v.partitions as 1 | 2 });
  try {
    const results = [];
    for (const { file, image } of images) {
      const top = await model.classify(image, { top: v.top, tenCrop: v['ten-crop'] });
      results.push({ file, top });
      if (!v.json) console.log(`${file}: ${top.map((t) => `${t.label} (${t.index}) ${(100 * t.probability).toFixed(1)} %`).join(', ')}`);
    }
    if (v.json) console.log(JSON.stringify({ weights, views: v['ten-crop'] ? 10 : 1, results }));
  } finally {
    await model.dispose();
  }
  return 0;
}
