// `alexnet eval` and `alexnet predict`: a trained checkpoint on the test set
// (ten crops where the options say so), or on image files.

import { parseArgs } from 'node:util';
import { testBatch } from '../nn/data/augment.js';
import { shorterSideAndCentreCrop } from '../nn/data/image.js';
import { FASHION_MNIST_CLASSES, sliceDataset } from '../nn/data/dataset.js';
import { evaluate } from '../nn/trainer.js';
import { loadDataset } from './datasets.js';
import { readImage } from './images.js';
import { makeNet } from './nets.js';
import { readCheckpoint } from './train.js';

const OPTIONS = {
  checkpoint: { type: 'string', default: 'runs/latest/checkpoint.bin' },
  data: { type: 'string' },
  backend: { type: 'string', default: 'cpu' },
  partitions: { type: 'string', default: '1' },
  'ten-crop': { type: 'boolean', default: false },
  top: { type: 'string', default: '5' },
  'test-limit': { type: 'string' },
} as const;

/** `alexnet eval`: top-1 and top-5 on the test set of the checkpoint's data (or --data). */
export async function evalCommand(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({ args: argv, options: OPTIONS });
  const ck = readCheckpoint(v.checkpoint!);
  const split = loadDataset(v.data ?? (ck.meta.data as string | undefined), { size: ck.config.inputSize <= 64 ? ck.config.inputSize : 256, channels: ck.config.inputChannels === 1 ? 1 : 3 });
  const net = await makeNet(v.backend!, Number(v.partitions), ck.config, ck.params);
  const views = v['ten-crop'] ? 10 : 1;
  const t0 = Date.now();
  const n = Math.min(split.test.n, v['test-limit'] ? Number(v['test-limit']) : split.test.n);
  const test = n < split.test.n ? sliceDataset(split.test, 0, n, `${split.test.name}[0:${n}]`) : split.test;
  const r = evaluate(net, test, ck.stats, ck.options.augment, views);
  await net.dispose();
  console.log(`${test.name}, ${test.n} images, ${views === 10 ? 'ten crops (four corners and centre, and their reflections), softmax averaged' : 'centre crop'}: ` +
    `top-1 ${(100 * r.top1).toFixed(2)} %, top-5 ${(100 * r.top5).toFixed(2)} %, loss ${r.loss.toFixed(4)} (${((Date.now() - t0) / 1000).toFixed(1)} s, epoch ${ck.trainer.epoch} checkpoint)`);
  return 0;
}

/** `alexnet predict IMAGE...`: the top classes of each image with their probabilities. */
export async function predictCommand(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  if (positionals.length === 0) throw new Error('predict needs one or more image files (PNG or JPEG)');
  const ck = readCheckpoint(v.checkpoint!);
  const c = ck.config, o = ck.options.augment;
  const names = (ck.meta.classNames as string[] | undefined) ?? (String(ck.meta.data ?? '').includes('fashion') ? FASHION_MNIST_CLASSES : undefined);
  const net = await makeNet(v.backend!, Number(v.partitions), c, ck.params);
  const size = c.inputSize <= 64 ? c.inputSize : 256;
  const top = Math.min(Number(v.top), c.classes);
  for (const file of positionals) {
    const img = shorterSideAndCentreCrop(readImage(file, c.inputChannels === 1 ? 1 : 3), size);
    const d = { name: file, n: 1, channels: img.channels, height: size, width: size, images: img.data, labels: new Uint8Array(1), classes: c.classes };
    const views = v['ten-crop'] ? 10 : 1;
    const { x } = testBatch(d, [0], ck.stats, o, views);
    const p = net.predict(x, views);
    const avg = Array.from({ length: c.classes }, (_, k) => { let s = 0; for (let i = 0; i < views; i++) s += p[i * c.classes + k]; return s / views; });
    const best = avg.map((q, k) => [q, k] as const).sort((a, b) => b[0] - a[0]).slice(0, top);
    console.log(`${file}: ${best.map(([q, k]) => `${names?.[k] ?? `class ${k}`} ${(100 * q).toFixed(1)} %`).join(', ')}`);
  }
  await net.dispose();
  return 0;
}
