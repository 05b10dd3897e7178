// Figure 3 (section 3.2): conv1's kernels per partition and how colour-specific
// each partition's are (src/viz/kernels.ts colourShare), as `alexnet filters` reports them.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng } from '../../src/cpu/random.js';
import { encodeCheckpoint } from '../../src/nn/checkpoint.js';
import { smallConfig } from '../../src/nn/config.js';
import { defaultAugment } from '../../src/nn/data/augment.js';
import { initParams } from '../../src/nn/model.js';
import { DEFAULT_TRAIN, initialTrainerState } from '../../src/nn/trainer.js';
import { colourShare, kernelBlocks, kernelMosaic } from '../../src/viz/kernels.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const alexnet = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin/alexnet.js'), ...args], { encoding: 'utf8', cwd: root });

/** conv1 weights [Cout, 3, k, k]: the first half grey (R = G = B), the second half on the red channel only. */
function greyThenRed(Cout: number, k: number): { data: Float32Array; shape: number[] } {
  const rng = Rng.seeded(4), area = k * k, data = new Float32Array(Cout * 3 * area);
  for (let o = 0; o < Cout; o++) for (let i = 0; i < area; i++) {
    const v = rng.normal();
    for (let c = 0; c < 3; c++) data[(o * 3 + c) * area + i] = o < Cout / 2 ? v : c === 0 ? v : 0;
  }
  return { data, shape: [Cout, 3, k, k] };
}

test('colour share: 0 for kernels that weigh R, G and B alike, 2/3 for kernels on one channel; null for grey input', () => {
  const w = greyThenRed(16, 5);
  const s = colourShare(w, 2)!;
  assert.ok(Math.abs(s[0]) < 1e-12, `${s[0]}`);
  assert.ok(Math.abs(s[1] - 2 / 3) < 1e-9, `${s[1]}`);
  // One block: the mean of the two halves.
  assert.ok(Math.abs(colourShare(w, 1)![0] - 1 / 3) < 1e-9);
  assert.is(colourShare({ data: new Float32Array(16 * 25), shape: [16, 1, 5, 5] }, 2), null);
  assert.match(kernelMosaic(w, 2).captions[1].text, /partition 1 \(conv1 kernels 8-15\): colour share 0\.67/);
});

test('alexnet filters: a checkpoint\'s conv1 as a PNG, one block per partition, with each block\'s colour share; refuses to overwrite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'filters-'));
  const c = smallConfig({ inputSize: 32, inputChannels: 3 });
  const params = initParams(c, Rng.seeded(1));
  params.set('conv1.weight', greyThenRed(c.conv[0].out, c.conv[0].kernel));
  const opts = { ...DEFAULT_TRAIN, augment: defaultAugment(c) };
  const ck = join(dir, 'ck.bin');
  writeFileSync(ck, encodeCheckpoint({
    config: c, params, velocity: initParams(c, Rng.seeded(2)), trainer: initialTrainerState(opts, 1), options: opts, meta: {},
    stats: { mean: new Float32Array(3 * 32 * 32), eigenvectors: Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]), eigenvalues: Float64Array.of(1, 1, 1) },
  }));
  assert.is(kernelBlocks(c), 2);
  const out = join(dir, 'conv1.png');
  const r = alexnet('filters', '--weights', ck, '--out', out, '--json');
  assert.is(r.status, 0, r.stdout + r.stderr);
  const j = JSON.parse(r.stdout);
  assert.is(j.blocks, 2);
  assert.ok(j.colourShare[0] < 1e-6 && Math.abs(j.colourShare[1] - 2 / 3) < 1e-6, JSON.stringify(j.colourShare));
  assert.equal([...readFileSync(out).subarray(1, 4)], [0x50, 0x4e, 0x47]);
  const text = alexnet('filters', '--weights', ck, '--out', join(dir, 'b.png'));
  assert.match(text.stdout, /partition 0 \(kernels 0-7\): colour share 0\.000\n {2}partition 1 \(kernels 8-15\): colour share 0\.667/);
  const again = alexnet('filters', '--weights', ck, '--out', out);
  assert.is(again.status, 2);
  assert.match(again.stderr, /conv1\.png exists: --overwrite replaces it/);
  const none = alexnet('filters', '--out', join(dir, 'c.png'));
  assert.is(none.status, 2);
  assert.match(none.stderr, /needs --weights FILE/);
  assert.not.ok(existsSync(join(dir, 'c.png')));
});

test.run();
