// `alexnet neighbours`: the paper's Figure 4 (right), section 6.1, for a
// trained checkpoint: a few test images and the training images nearest to
// each in the feature space of the last hidden layer, drawn as a PNG, with
// how often a neighbour shares the test image's class.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { makeNet } from '../api/nets.js';
import { Rng } from '../cpu/random.js';
import { limits } from '../io/limits.js';
import { featureLayer } from '../nn/layers.js';
import { testBatch } from '../nn/data/augment.js';
import { imageAt, sliceDataset } from '../nn/data/dataset.js';
import { type Neighbour, datasetFeatures, nearest } from '../nn/neighbours.js';
import { neighbourGrid } from '../viz/neighbours.js';
import { folderOptions, loadDataset } from './datasets.js';
import { type CommandSpec, type OptionSpec, type Parsed, UsageError } from './options.js';
import { writeMosaicPng } from './plots.js';
import { readCheckpoint } from './run-folder.js';

/** The options of `alexnet neighbours`. */
export const NEIGHBOURS_COMMAND = {
  name: 'neighbours',
  summary: 'The paper\'s Figure 4 (right): test images and the training images nearest to each in the last hidden layer\'s\n' +
    'activations (fc7 after its ReLU; Euclidean distance), as a PNG; prints how often a neighbour shares the class.',
  options: {
    checkpoint: { type: 'string', arg: 'FILE', default: 'runs/latest/checkpoint.bin', help: 'the checkpoint alexnet train wrote' },
    data: { type: 'string', arg: 'DIR', help: 'dataset folder (default: the one the checkpoint was trained on)' },
    images: { type: 'int', min: 1, max: 64, default: 5, help: 'test images, drawn at random (--seed)' },
    neighbours: { type: 'int', min: 1, max: 32, default: 6, help: 'training images shown per test image' },
    'train-images': { type: 'int', min: 1, help: 'search the first N training images only (default: all)' },
    seed: { type: 'int', min: 0, default: 1, help: 'which test images are drawn' },
    out: { type: 'string', arg: 'FILE', help: 'the PNG (default: neighbours.png beside the checkpoint)' },
    overwrite: { type: 'boolean', help: 'replace an existing --out' },
    backend: { type: 'enum', values: ['cpu', 'gpu', 'cpu-float32-sums', 'cpu-threads'], default: 'cpu-float32-sums', help: 'what computes the activations' },
    json: { type: 'boolean', help: 'print one JSON object (indices, classes, distances) instead of text' },
  },
} as const satisfies CommandSpec<Record<string, OptionSpec>>;

/** Runs `alexnet neighbours`; returns the exit code. */
export async function neighboursCommand({ values: v }: Parsed<typeof NEIGHBOURS_COMMAND.options>): Promise<number> {
  const out = v.out ?? join(dirname(v.checkpoint), 'neighbours.png');
  const ck = readCheckpoint(v.checkpoint);
  if (existsSync(out) && !v.overwrite) throw new UsageError(`${out} exists: --overwrite replaces it, or choose another --out`);
  const split = loadDataset(v.data ?? (ck.meta.data as string | undefined), folderOptions(ck.config));
  const c = ck.config;
  if (split.train.channels !== c.inputChannels) {
    throw new UsageError(`${split.source} has ${split.train.channels}-channel images; the checkpoint's ${c.name} net takes ${c.inputChannels}`);
  }
  const nPool = Math.min(v['train-images'] ?? split.train.n, split.train.n);
  const pool = nPool < split.train.n ? sliceDataset(split.train, 0, nPool, `${split.train.name}[0:${nPool}]`) : split.train;
  if (v.neighbours > pool.n) throw new UsageError(`--neighbours ${v.neighbours} is more than the ${pool.n} training images searched`);
  // The search holds every training image's features in memory (4 bytes a value): refused past the limit (src/io/limits.ts).
  const f = featureLayer(c), bytes = pool.n * f.size * 4, most = limits().maxFeatureBytes;
  if (bytes > most) {
    throw new UsageError(`the features of ${pool.n} training images (${f.size} ${f.name} values each) take ${bytes.toLocaleString('en-US')} bytes, ` +
      `more than the ${most.toLocaleString('en-US')} allowed: --train-images ${Math.floor(most / (4 * f.size))} or fewer, or a larger ALEXNET_MAX_FEATURE_BYTES`);
  }
  const rng = Rng.seeded(v.seed);
  const picked: number[] = [];
  while (picked.length < Math.min(v.images, split.test.n)) {
    const i = rng.int(split.test.n);
    if (!picked.includes(i)) picked.push(i);
  }
  const queryLabels = Uint16Array.from(picked, (i) => split.test.labels[i]);
  const net = await makeNet(v.backend, 1, c, ck.params);
  let results: Neighbour[][];
  try {
    const t0 = Date.now();
    let shown = 0;
    const poolFeatures = await datasetFeatures(net, pool, ck.stats, ck.options.augment, {
      onProgress: (done, total) => {
        // A line per tenth: the whole training set takes about a minute on two cores.
        if (!v.json && (done === total || done >= shown + total / 10)) {
          shown = done;
          process.stderr.write(`  ${f.name} activations: ${done} of ${total} training images (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
        }
      },
    });
    const queryFeatures = { data: await net.features(testBatch(split.test, picked, ck.stats, ck.options.augment, 1).x, picked.length) };
    results = picked.map((_, q) => nearest(queryFeatures.data.subarray(q * f.size, (q + 1) * f.size), poolFeatures, v.neighbours));
  } finally {
    await net.dispose();
  }
  const names = split.train.classNames;
  const label = (l: number) => names?.[l] ?? `class ${l}`;
  const same = results.reduce((s, r, q) => s + r.filter((nb) => pool.labels[nb.index] === queryLabels[q]).length, 0);
  const agreement = same / (results.length * v.neighbours);
  const grid = neighbourGrid(picked.map((t, q) => ({
    query: { image: imageAt(split.test, t), caption: [label(queryLabels[q]), `test ${t}`] },
    neighbours: results[q].map((nb) => ({ image: imageAt(pool, nb.index), caption: [label(pool.labels[nb.index]), `distance ${nb.distance.toFixed(2)}`] })),
  })), pool);
  await writeMosaicPng(grid, out);
  if (v.json) {
    console.log(JSON.stringify({
      checkpoint: v.checkpoint, layer: f.name, features: f.size, searched: pool.n, agreement, png: out,
      rows: picked.map((t, q) => ({ test: t, label: queryLabels[q], neighbours: results[q].map((nb) => ({ train: nb.index, label: pool.labels[nb.index], distance: nb.distance })) })),
    }));
    return 0;
  }
  for (const [q, t] of picked.entries()) {
    console.log(`test ${t} (${label(queryLabels[q])}): ${results[q].map((nb) => `${nb.index} ${label(pool.labels[nb.index])} ${nb.distance.toFixed(2)}`).join(', ')}`);
  }
  console.log(`${(100 * agreement).toFixed(1)} % of the ${results.length * v.neighbours} neighbours share the test image's class ` +
    `(${f.name}, ${f.size} values, ${pool.n} training images searched)`);
  console.log(`wrote ${out}`);
  return 0;
}
