import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const alexnet = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin/alexnet.js'), ...args], { encoding: 'utf8', cwd: root });
const quick = ['--limit', '256', '--val', '128', '--test-limit', '200', '--batch', '64', '--no-progress'];

test('alexnet train (CPU, two partitions) writes checkpoint, log, curves, kernels and result; --resume continues', () => {
  const out = mkdtempSync(join(tmpdir(), 'train-'));
  const r = alexnet('train', '--backend', 'cpu', '--partitions', '2', '--epochs', '1', '--out', out, ...quick);
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /on cpu x 2 partitions/);
  assert.match(r.stdout, /epoch 1: train loss [\d.]+, val loss [\d.]+, val top-1 [\d.]+ %, top-5 [\d.]+ %.*KiB crossed per step/);
  assert.match(r.stdout, /test \(fashion-mnist-test\[0:200\], 200 images\): top-1 [\d.]+ %/);
  for (const f of ['checkpoint.bin', 'log.jsonl', 'curves.png', 'conv1.png', 'result.json']) assert.ok(existsSync(join(out, f)), f);
  const png = readFileSync(join(out, 'conv1.png'));
  assert.equal([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'conv1.png is a PNG');
  // A crash as the run ends leaves: a checkpoint write killed midway (its temporary file, of a process now gone),
  // and a log whose epoch-1 line never made it, with a half-written line instead.
  const dead = spawnSync('true').pid!;
  writeFileSync(join(out, `checkpoint.bin.tmp-${dead}`), 'half a checkpoint');
  writeFileSync(join(out, 'log.jsonl'), '{"epoch":1,"lr":0.0');
  const r2 = alexnet('train', '--resume', '--epochs', '2', '--out', out, ...quick);
  assert.is(r2.status, 0, r2.stdout + r2.stderr);
  assert.match(r2.stdout, /resuming after epoch 1/);
  assert.not.ok(existsSync(join(out, `checkpoint.bin.tmp-${dead}`)), 'the killed write\'s temporary file is removed');
  assert.match(r2.stderr, new RegExp(`removed 1 temporary file of an interrupted write in .*: checkpoint\\.bin\\.tmp-${dead}`));
  assert.match(r2.stderr, /log\.jsonl: line 1 is incomplete \(a write cut short by a crash\?\); ignored/);
  assert.match(r2.stderr, /log\.jsonl: 1 epoch restored from the checkpoint/);
  const log = readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(log.map((l) => l.epoch), [1, 2]);
  assert.is(typeof log[0].valLoss, 'number', 'epoch 1 restored whole from the checkpoint\'s history');
});

test('widths, fc widths and dropout are parameters of alexnet train', () => {
  const out = mkdtempSync(join(tmpdir(), 'widths-'));
  const r = alexnet('train', '--backend', 'cpu', '--partitions', '1', '--epochs', '1', '--out', out, ...quick,
    '--widths', '8,16,24,24,16', '--fc', '32,32', '--dropout', '0.3');
  assert.is(r.status, 0, r.stdout + r.stderr);
  // conv 208 + 1616 + 3480 + 2616 + 1744 (conv2, conv4, conv5 in 2 groups), fc 2080 + 1056 + 330 (16 x 2 x 2 = 64 inputs to fc6).
  assert.match(r.stdout, /small \(13,130 parameters\)/);
  // The configuration fixes the depth: as many widths as it has layers (a fresh folder, so that no earlier run is in the way).
  const bad = alexnet('train', '--backend', 'cpu', '--widths', '8,16', '--out', mkdtempSync(join(tmpdir(), 'widths-bad-')));
  assert.is(bad.status, 2, bad.stderr);
  assert.match(bad.stderr, /--widths: the small configuration has 5 conv layers, got 2 widths/);
  const badFc = alexnet('train', '--backend', 'cpu', '--config', 'four-layer', '--fc', '32', '--out', mkdtempSync(join(tmpdir(), 'widths-bad-')));
  assert.is(badFc.status, 2, badFc.stderr);
  assert.match(badFc.stderr, /--fc: the four-layer configuration has 0 hidden FC layers, got 1 widths/);
});

test('alexnet train names a missing data folder and a missing checkpoint', () => {
  const r = alexnet('train', '--data', '/nonexistent/data', '--backend', 'cpu');
  assert.is(r.status, 1);
  assert.match(r.stderr, /--data \/nonexistent\/data: no such folder/);
  const r2 = alexnet('train', '--resume', '--out', mkdtempSync(join(tmpdir(), 'empty-')));
  assert.is(r2.status, 1);
  assert.match(r2.stderr, /no checkpoint at .*checkpoint\.bin/);
});

test('--resume restores what the run was started with; a flag that contradicts it is an error naming both values', () => {
  const out = mkdtempSync(join(tmpdir(), 'resume-'));
  const r = alexnet('train', '--backend', 'cpu', '--epochs', '1', '--out', out, ...quick, '--widths', '8,16,24,24,16', '--lr', '0.02');
  assert.is(r.status, 0, r.stdout + r.stderr);
  // Only --resume, --epochs and how it runs: the data limits, batch, widths and learning rate come from the checkpoint.
  const r2 = alexnet('train', '--resume', '--epochs', '2', '--out', out, '--backend', 'cpu', '--no-progress', '--test-limit', '100');
  assert.is(r2.status, 0, r2.stdout + r2.stderr);
  assert.match(r2.stdout, /small \(\d[\d,]* parameters\).* 256 training and 128 validation images .*batch 64, lr 0\.02, 2 epochs, resuming after epoch 1/);
  assert.match(r.stdout, /small \((\d[\d,]*) parameters\)/);
  assert.is(/small \((\d[\d,]*) parameters\)/.exec(r2.stdout)![1], /small \((\d[\d,]*) parameters\)/.exec(r.stdout)![1], 'the same widths');
  const bad = alexnet('train', '--resume', '--epochs', '3', '--out', out, '--batch', '32', '--backend', 'cpu');
  assert.is(bad.status, 2, bad.stderr);
  assert.match(bad.stderr, /--batch 32 contradicts the run in .*, which was started with --batch 64/);
  const bad2 = alexnet('train', '--resume', '--out', out, '--config', 'tiny', '--backend', 'cpu');
  assert.is(bad2.status, 2, bad2.stderr);
  assert.match(bad2.stderr, /--config "tiny" contradicts the run in .*, which was started with configuration "small"/);
  const log = readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(log.map((l) => l.epoch), [1, 2]);
});

test('a new run into a folder that holds an earlier one is refused unless --resume or --overwrite; a live lock refuses a second writer', () => {
  const out = mkdtempSync(join(tmpdir(), 'overwrite-'));
  assert.is(alexnet('train', '--backend', 'cpu', '--epochs', '1', '--out', out, ...quick).status, 0);
  const before = readFileSync(join(out, 'log.jsonl'), 'utf8');
  const again = alexnet('train', '--backend', 'cpu', '--epochs', '1', '--out', out, ...quick);
  assert.is(again.status, 2);
  assert.match(again.stderr, /holds an earlier run \(checkpoint\.bin, log\.jsonl, result\.json\): --resume continues it, --overwrite replaces it/);
  assert.is(readFileSync(join(out, 'log.jsonl'), 'utf8'), before, 'the earlier log is untouched');
  // This test's own process stands for a training that holds the folder.
  writeFileSync(join(out, '.lock'), JSON.stringify({ pid: process.pid, host: hostname(), started: 'now' }));
  const locked = alexnet('train', '--backend', 'cpu', '--epochs', '1', '--out', out, '--overwrite', ...quick);
  assert.is(locked.status, 1);
  assert.match(locked.stderr, new RegExp(`is being written by another training \\(pid ${process.pid} on `));
  // A lock whose process is gone is stale: removed with a notice, and the run goes ahead.
  writeFileSync(join(out, '.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), started: 'then' }));
  const over = alexnet('train', '--backend', 'cpu', '--epochs', '1', '--out', out, '--overwrite', ...quick);
  assert.is(over.status, 0, over.stderr);
  assert.match(over.stderr, /removing the stale lock/);
  assert.not.ok(existsSync(join(out, '.lock')), 'the lock is released at the end');
});

test('an interrupted training (SIGINT) releases its lock and exits with 130', async () => {
  const out = mkdtempSync(join(tmpdir(), 'sigint-'));
  const child = spawn(process.execPath, [join(root, 'bin/alexnet.js'), 'train', '--backend', 'cpu', '--epochs', '1', '--out', out, ...quick], { cwd: root, stdio: 'ignore' });
  const exited = new Promise<number | null>((ok) => child.on('exit', (code) => ok(code)));
  const t0 = Date.now();
  while (!existsSync(join(out, '.lock')) && Date.now() - t0 < 20000) await new Promise((r) => setTimeout(r, 20));
  assert.ok(existsSync(join(out, '.lock')), 'the training took its lock');
  child.kill('SIGINT');
  assert.is(await exited, 130);
  assert.not.ok(existsSync(join(out, '.lock')), 'the lock is released');
});

test('a signal during training stops it within a batch, without a progress bar and with worker threads', async () => {
  // The trainer's loop is synchronous between batches: the handlers run only because the CLI yields to the event
  // loop every batch. Were it not to, this run of 10,000 epochs would go on long after the 60 s allowed here.
  const out = mkdtempSync(join(tmpdir(), 'sigterm-'));
  const child = spawn(process.execPath, [join(root, 'bin/alexnet.js'), 'train', '--backend', 'cpu-threads', '--epochs', '10000', '--out', out, ...quick], { cwd: root, stdio: 'ignore' });
  const exited = new Promise<number | null>((ok) => child.on('exit', (code) => ok(code)));
  const t0 = Date.now();
  const logged = () => existsSync(join(out, 'log.jsonl')) && readFileSync(join(out, 'log.jsonl'), 'utf8').length > 0;
  while (!logged() && Date.now() - t0 < 60000) await new Promise((r) => setTimeout(r, 20));
  assert.ok(logged(), 'the first epoch was logged');
  child.kill('SIGTERM');
  const code = await Promise.race([exited, new Promise<string>((ok) => setTimeout(() => ok('still running after 60 s'), 60000))]);
  if (code === 'still running after 60 s') child.kill('SIGKILL');
  assert.is(code, 143);
  assert.not.ok(existsSync(join(out, '.lock')), 'the lock is released');
});

test.run();
