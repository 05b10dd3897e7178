// `alexnet neighbours` (Figure 4, right) end to end: a quickly trained
// checkpoint, its test images' nearest training images as a PNG and JSON.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const alexnet = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin/alexnet.js'), ...args], { encoding: 'utf8', cwd: root });
const withEnv = (env: Record<string, string>, ...args: string[]) =>
  spawnSync(process.execPath, [join(root, 'bin/alexnet.js'), ...args], { encoding: 'utf8', cwd: root, env: { ...process.env, ...env } });

test('alexnet neighbours: k nearest training images per test image, nearest first, drawn as a PNG; refuses to overwrite', () => {
  const out = mkdtempSync(join(tmpdir(), 'neighbours-'));
  const t = alexnet('train', '--backend', 'cpu', '--partitions', '1', '--epochs', '1', '--out', out, '--limit', '256', '--val', '128', '--test-limit', '100', '--batch', '64', '--no-progress');
  assert.is(t.status, 0, t.stdout + t.stderr);
  const ck = join(out, 'checkpoint.bin');
  const r = alexnet('neighbours', '--checkpoint', ck, '--train-images', '500', '--images', '3', '--neighbours', '4', '--json');
  assert.is(r.status, 0, r.stdout + r.stderr);
  const j = JSON.parse(r.stdout);
  assert.is(j.layer, 'relu7');
  assert.is(j.features, 256);
  assert.is(j.searched, 500);
  assert.is(j.rows.length, 3);
  let same = 0;
  for (const row of j.rows) {
    assert.is(row.neighbours.length, 4);
    const d = row.neighbours.map((n: { distance: number }) => n.distance);
    assert.equal(d, [...d].sort((a, b) => a - b), 'nearest first');
    assert.ok(row.neighbours.every((n: { train: number }) => n.train >= 0 && n.train < 500), 'within the searched images');
    same += row.neighbours.filter((n: { label: number }) => n.label === row.label).length;
  }
  assert.is(j.agreement, same / 12);
  const png = readFileSync(join(out, 'neighbours.png'));
  assert.equal([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'a PNG beside the checkpoint');
  // The same seed draws the same test images.
  const again = alexnet('neighbours', '--checkpoint', ck, '--train-images', '500', '--images', '3', '--neighbours', '4', '--json', '--out', join(out, 'b.png'));
  assert.equal(JSON.parse(again.stdout).rows.map((x: { test: number }) => x.test), j.rows.map((x: { test: number }) => x.test));
  const text = alexnet('neighbours', '--checkpoint', ck, '--train-images', '500', '--images', '2', '--out', join(out, 'c.png'));
  assert.is(text.status, 0, text.stderr);
  assert.match(text.stdout, /^test \d+ \([\w/-]+\): \d+ [\w/-]+ [\d.]+, /m);
  assert.match(text.stdout, /[\d.]+ % of the 12 neighbours share the test image's class \(relu7, 256 values, 500 training images searched\)/);
  const kept = alexnet('neighbours', '--checkpoint', ck, '--train-images', '500');
  assert.is(kept.status, 2);
  assert.match(kept.stderr, /neighbours\.png exists: --overwrite replaces it, or choose another --out/);
  const many = alexnet('neighbours', '--checkpoint', ck, '--train-images', '5', '--neighbours', '6', '--out', join(out, 'd.png'));
  assert.is(many.status, 2);
  assert.match(many.stderr, /--neighbours 6 is more than the 5 training images searched/);
  assert.not.ok(existsSync(join(out, 'd.png')));
  // The features held for the search are bounded (src/io/limits.ts): 500 x 256 x 4 bytes is past a limit of 100,000.
  const big = withEnv({ ALEXNET_MAX_FEATURE_BYTES: '100000' }, 'neighbours', '--checkpoint', ck, '--train-images', '500', '--out', join(out, 'e.png'));
  assert.is(big.status, 2);
  assert.match(big.stderr, /the features of 500 training images \(256 relu7 values each\) take 512,000 bytes, more than the 100,000 allowed: --train-images 97 or fewer, or a larger ALEXNET_MAX_FEATURE_BYTES/);
  const missing = alexnet('neighbours', '--checkpoint', join(out, 'none.bin'));
  assert.is(missing.status, 1);
  assert.match(missing.stderr, /no checkpoint at .*none\.bin/);
});

test.run();
