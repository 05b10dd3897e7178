import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bandsDataset } from '../helpers.js';
// The experiments as a library user reaches them: the public entry.
import { EXPERIMENTS, epochsTo, experimentBase, independentEffect, layerShapes, meanSd, pairedEffect, runExperiment } from '../../src/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const alexnet = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin/alexnet.js'), ...args], { encoding: 'utf8', cwd: root });


test('meanSd uses the sample standard deviation (n - 1)', () => {
  const r = meanSd([1, 2, 3, 4]);
  assert.is(r.mean, 2.5);
  assert.ok(Math.abs(r.sd - Math.sqrt(5 / 3)) < 1e-12);
  assert.is(meanSd([7]).sd, 0);
});

test('verdicts: an effect beyond twice its standard error in the paper\'s direction, against it, within noise, one seed', () => {
  // Paper's choice at 10 % error, the ablation at 12 %, seeds spread by 0.1 point: reproduced.
  const a = independentEffect([0.100, 0.101, 0.099], [0.120, 0.121, 0.119]);
  assert.is(a.verdict, 'reproduced in direction');
  assert.ok(Math.abs(a.difference - 0.02) < 1e-12);
  assert.ok(Math.abs(a.standardError - Math.sqrt(2 * 0.001 ** 2 / 3)) < 1e-12);
  assert.is(independentEffect([0.120, 0.121, 0.119], [0.100, 0.101, 0.099]).verdict, 'not reproduced');
  // A 0.5-point difference with a 2-point spread: noise.
  assert.is(independentEffect([0.10, 0.12, 0.14], [0.105, 0.125, 0.145]).verdict, 'within noise');
  assert.is(independentEffect([0.10], [0.12]).verdict, 'one seed: direction only');
  assert.is(independentEffect([0.12], [0.10]).verdict, 'not reproduced');
  // Paired: the same nets measured two ways; a consistent small gain is real even when the nets spread widely.
  const p = pairedEffect([0.10, 0.20, 0.30], [0.11, 0.212, 0.309]);
  assert.is(p.verdict, 'reproduced in direction');
  assert.is(independentEffect([0.10, 0.20, 0.30], [0.11, 0.212, 0.309]).verdict, 'within noise');
});

test('epochsTo interpolates the first crossing of the target and is Infinity when it is never reached', () => {
  const curve = [{ epoch: 0, error: 0.9 }, { epoch: 0.5, error: 0.5 }, { epoch: 1, error: 0.2 }, { epoch: 1.5, error: 0.3 }];
  assert.ok(Math.abs(epochsTo(curve, 0.25) - (0.5 + (0.25 / 0.3) * 0.5)) < 1e-12);
  assert.is(epochsTo(curve, 0.5), 0.5);
  assert.is(epochsTo(curve, 0.1), Infinity);
});

test('the overlap experiment compares pools of the same output size (section 3.4: "equivalent dimensions")', () => {
  const e = EXPERIMENTS.overlap, base = experimentBase(28, 1, 10);
  const sizes = (c: typeof base) => layerShapes(c).filter((l) => l.layer.kind === 'maxpool').map((l) => l.outShape.join('x'));
  assert.equal(sizes(e.baseline.config!(base)), sizes(e.ablations[0].config!(base)));
  assert.equal(sizes(e.baseline.config!(base)), ['16x14x14', '32x7x7', '32x3x3']);
});

test('the one-partition net of the partitions experiment has about the two-partition net\'s parameters (the paper\'s footnote)', () => {
  const e = EXPERIMENTS.partitions, base = experimentBase(28, 1, 10);
  const count = (c: typeof base) => layerShapes(c).reduce((s, l) => s + l.params, 0);
  const one = e.ablations[0].config!(base);
  assert.is(one.partitions, 1);
  assert.equal(one.conv.map((s) => s.out), [8, 16, 24, 24, 32]);
  const ratio = count(one) / count(base);
  assert.ok(ratio > 0.8 && ratio < 1.05, `parameters one / two = ${ratio}`);
});

const split = { train: bandsDataset(400, 1), test: bandsDataset(120, 2) };
const budget = { images: 256, epochs: 1, val: 64, testImages: 120 };

test('runExperiment trains every arm with every seed and judges each ablation from the runs\' own numbers', async () => {
  const lines: string[] = [];
  const r = await runExperiment(EXPERIMENTS.lrn, split, { backend: 'cpu-float32-sums', seeds: [1, 2], budget, batchSize: 32, log: (s) => lines.push(s) });
  assert.equal(r.runs.map((x) => `${x.variant}/${x.seed}`), ['with LRN/1', 'with LRN/2', 'without LRN/1', 'without LRN/2']);
  const a = r.ablations[0];
  assert.equal(a.baseline, r.runs.slice(0, 2).map((x) => x.test.top1Error));
  assert.equal(a.ablated, r.runs.slice(2).map((x) => x.test.top1Error));
  assert.equal(a.effect, independentEffect(a.baseline, a.ablated));
  // The arms differ: a run without LRN is not the run with it (same seed, same data).
  assert.ok(r.runs[0].history[0].trainLoss !== r.runs[2].history[0].trainLoss);
  // Seeds differ too, and the same seed gives the same run.
  assert.ok(r.runs[0].history[0].trainLoss !== r.runs[1].history[0].trainLoss);
  const again = await runExperiment(EXPERIMENTS.lrn, split, { backend: 'cpu-float32-sums', seeds: [1], budget, batchSize: 32 });
  assert.is(again.runs[0].history[0].trainLoss, r.runs[0].history[0].trainLoss);
  assert.ok(lines.some((l) => /run 4 of 4/.test(l)), lines.join('\n'));
});

test('relu-vs-tanh tracks the training error through the epoch; ten-crop measures both views on the same nets', async () => {
  const f = await runExperiment(EXPERIMENTS['relu-vs-tanh'], split, { backend: 'cpu-float32-sums', seeds: [1], budget, batchSize: 32 });
  // Figure 1's net and conditions: the four-layer net, ReLU against tanh, no weight decay, flips or colour shifts.
  assert.equal(f.runs.map((x) => `${x.training.config} ${x.training.activation}`), ['four-layer relu', 'four-layer tanh']);
  assert.equal(f.runs[0].training.conv, [32, 32, 64]);
  assert.equal(f.runs[0].training.fc, []);
  for (const x of f.runs) assert.equal([x.training.weightDecay, x.training.augment.flip, x.training.augment.pcaSigma], [0, false, 0]);
  const small = await runExperiment(EXPERIMENTS['relu-vs-tanh-small'], split, { backend: 'cpu-float32-sums', seeds: [1], budget, batchSize: 32 });
  assert.equal(small.runs.map((x) => `${x.training.config} ${x.training.activation} ${x.training.weightDecay}`), ['small relu 0.0005', 'small tanh 0.0005']);
  const curve = f.runs[0].trainCurve;
  assert.is(curve[0].epoch, 0);
  assert.is(curve.at(-1)!.epoch, 1);
  assert.is(curve.length, 1 + 256 / 32, 'a point before training and after every batch (an epoch of 8 batches has fewer than the 16 points asked for)');
  assert.equal(f.ablations[0].baseline, [Math.min(epochsTo(curve, 0.25), 1)]);
  const t = await runExperiment(EXPERIMENTS['ten-crop'], split, { backend: 'cpu-float32-sums', seeds: [1, 2], budget, batchSize: 32 });
  assert.is(t.runs.length, 2, 'one training per seed');
  assert.equal(t.ablations[0].ablated, t.runs.map((x) => x.test.top1Error));
  assert.equal(t.ablations[0].baseline, t.runs.map((x) => x.testTenCrop!.top1Error));
});

test('the partitions experiment runs two partitions that cross bytes against one that does not', async () => {
  const r = await runExperiment(EXPERIMENTS.partitions, split, { backend: 'cpu-float32-sums', seeds: [1], budget, batchSize: 32 });
  assert.ok(r.runs[0].crossedBytesPerStep > 0);
  assert.is(r.runs[1].crossedBytesPerStep, 0);
  assert.ok(r.runs.every((x) => x.secondsPerStep > 0));
});

test('alexnet experiment: an unknown name and a folder holding a result are usage errors; a run writes curves.png, result.json and the row; --redraw draws curves.png again from result.json', () => {
  const bad = alexnet('experiment', 'nope');
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /unknown experiment 'nope': one of relu-vs-tanh, relu-vs-tanh-small, lrn, overlap/);
  assert.is(alexnet('experiment', 'lrn', 'dropout').status, 2);
  const out = mkdtempSync(join(tmpdir(), 'alexnet-experiment-'));
  const r = alexnet('experiment', 'dropout', '--seeds', '1', '--images', '256', '--epochs', '1', '--test-images', '100', '--out', out);
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /2 trainings of the small net on cpu-float32-sums, 256 training images x 1 epoch, 100 test images/);
  assert.match(r.stdout, /dropout reduces overfitting.*one seed: direction only|dropout reduces overfitting.*not reproduced/);
  assert.match(r.stdout, /train\/test gap/);
  assert.ok(existsSync(join(out, 'curves.png')));
  const png = readFileSync(join(out, 'curves.png'));
  assert.equal([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]);
  const j = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
  assert.is(j.experiment, 'dropout');
  assert.is(j.runs.length, 2);
  const again = alexnet('experiment', 'dropout', '--out', out);
  assert.is(again.status, 2);
  assert.match(again.stderr, /holds an earlier result/);

  // --redraw: curves.png drawn again from result.json, which it leaves as it was, training nothing.
  const before = readFileSync(join(out, 'result.json'), 'utf8');
  rmSync(join(out, 'curves.png'));
  const redrawn = alexnet('experiment', 'dropout', '--redraw', '--out', out);
  assert.is(redrawn.status, 0, redrawn.stdout + redrawn.stderr);
  assert.match(redrawn.stdout, /nothing trained/);
  assert.match(redrawn.stdout, /dropout reduces overfitting/);
  assert.not.match(redrawn.stdout, /trainings of the small net/);
  assert.equal([...readFileSync(join(out, 'curves.png')).subarray(1, 4)], [0x50, 0x4e, 0x47]);
  assert.is(readFileSync(join(out, 'result.json'), 'utf8'), before);
  const other = alexnet('experiment', 'lrn', '--redraw', '--out', out);
  assert.is(other.status, 2);
  assert.match(other.stderr, /result\.json holds the result of experiment 'dropout', not 'lrn'/);
  const none = alexnet('experiment', 'dropout', '--redraw', '--out', join(out, 'missing'));
  assert.is(none.status, 2);
  assert.match(none.stderr, /missing[/\\]result\.json does not exist/);
  const withBudget = alexnet('experiment', 'dropout', '--redraw', '--epochs', '2', '--out', out);
  assert.is(withBudget.status, 2);
  assert.match(withBudget.stderr, /--redraw trains nothing, so it takes no --epochs/);
  // Valid JSON, but not what a run writes: the first field that is not, by its path (no TypeError from the drawing).
  const shaped = JSON.parse(before);
  shaped.runs[1].history[0] = null;
  writeFileSync(join(out, 'result.json'), JSON.stringify(shaped));
  const wrongShape = alexnet('experiment', 'dropout', '--redraw', '--out', out);
  assert.is(wrongShape.status, 2, wrongShape.stderr);
  assert.match(wrongShape.stderr, /result\.json: runs\[1\]\.history\[0\] is not an object/);
  shaped.runs[1].history[0] = JSON.parse(before).runs[1].history[0];
  shaped.runs.forEach((x: { variant: string }) => { x.variant = 'renamed'; });
  writeFileSync(join(out, 'result.json'), JSON.stringify(shaped));
  const noArm = alexnet('experiment', 'dropout', '--redraw', '--out', out);
  assert.is(noArm.status, 2, noArm.stderr);
  assert.match(noArm.stderr, /runs is not a list holding runs of 'dropout'/);
  // A file far larger than any result is refused before it is read (sparse: no 64 MiB written).
  writeFileSync(join(out, 'result.json'), '');
  truncateSync(join(out, 'result.json'), (64 << 20) + 1);
  const huge = alexnet('experiment', 'dropout', '--redraw', '--out', out);
  assert.is(huge.status, 2, huge.stderr);
  assert.match(huge.stderr, /result\.json has 67108865 bytes, more than the 67108864/);
  writeFileSync(join(out, 'result.json'), '{"experiment": "dropout", "runs": [');
  const broken = alexnet('experiment', 'dropout', '--redraw', '--out', out);
  assert.is(broken.status, 2);
  assert.match(broken.stderr, /result\.json is not valid JSON/);
});

test.run();
