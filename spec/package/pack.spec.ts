// The package as a user gets it: `npm pack`, installed into an empty folder
// with nothing else, then used there: the command, an ESM import running a
// CPU forward pass, and a strict TypeScript consumer checked against the
// shipped declarations. A CPU-only install must bring no native addon and no
// browser driver (gl, gpu.js, playwright-core, esbuild are not dependencies).
// examples/page is bundled there with the command its header gives and run in Chromium.

import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startServer } from '../../src/cli/server.js';
import { launchChromium } from '../browser/chromium.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const npm = (args: string[], cwd: string) => spawnSync('npm', args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });

let app = '';

test('npm pack installs into an empty folder without gl, gpu.js, playwright-core or esbuild', () => {
  const dir = mkdtempSync(join(tmpdir(), 'alexnet-pack-'));
  // dist/ is built by `npm test` before the specs run; --ignore-scripts keeps pack from rebuilding it.
  const packed = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dir], root);
  assert.is(packed.status, 0, packed.stderr);
  const info = JSON.parse(packed.stdout)[0];
  const files: string[] = info.files.map((f: { path: string }) => f.path);
  for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'bin/alexnet.js', 'goldens/conv2d.json', 'dist/page/app.js']) assert.ok(files.includes(f), `${f} is packed`);
  assert.not.ok(files.some((f) => f.startsWith('spec/') || f.startsWith('node_modules/')), 'no specs or dependencies packed');
  app = join(dir, 'app');
  execFileSync('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  const inst = npm(['install', '--no-audit', '--no-fund', '--prefer-offline', join(dir, info.filename)], app);
  assert.is(inst.status, 0, inst.stdout + inst.stderr);
  for (const m of ['gl', 'gpu.js', 'playwright-core', 'esbuild', 'tsx', 'typescript']) assert.not.ok(existsSync(join(app, 'node_modules', m)), `${m} was installed`);
  assert.ok(existsSync(join(app, 'node_modules/alexnet-ts/dist/index.js')));
});

test('installed: npx alexnet --version and summary --config paper', () => {
  assert.ok(app, 'the install test ran');
  const v = spawnSync('npx', ['--no-install', 'alexnet', '--version'], { cwd: app, encoding: 'utf8' });
  assert.is(v.status, 0, v.stderr);
  assert.is(v.stdout.trim(), pkg.version);
  const s = spawnSync('npx', ['--no-install', 'alexnet', 'summary', '--config', 'paper'], { cwd: app, encoding: 'utf8' });
  assert.is(s.status, 0, s.stderr);
  assert.match(s.stdout, /total parameters: 60,965,224/);
});

test('installed: an ESM import runs a CPU forward pass; asking for the GPU says what to install', () => {
  assert.ok(app, 'the install test ran');
  writeFileSync(join(app, 'run.mjs'), `
import { alexnet, imagenetClasses, gpuBackend } from 'alexnet-ts';
import { conv2dForward } from 'alexnet-ts/cpu';
const model = await alexnet({ config: 'tiny', backend: 'cpu', seed: 1 });
const logits = await model.forward(new Float32Array(3 * 67 * 67).fill(0.5), [1, 3, 67, 67]);
let gpu = 'none';
try { await gpuBackend(); } catch (e) { gpu = e.message; }
console.log(JSON.stringify({ n: logits.length, finite: logits.every(Number.isFinite), classes: imagenetClasses.length, conv: typeof conv2dForward, gpu }));
`);
  const r = spawnSync(process.execPath, ['run.mjs'], { cwd: app, encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal([j.n, j.finite, j.classes, j.conv], [10, true, 1000, 'function']);
  assert.match(j.gpu, /the GPU backend needs the optional packages gpu\.js and gl, which are not installed: npm install gpu\.js@2\.24\.1 gl@8\.1\.6/);
});

test('installed: a strict TypeScript consumer type-checks against the shipped declarations', () => {
  assert.ok(app, 'the install test ran');
  writeFileSync(join(app, 'consumer.ts'), `
import { alexnet, type AlexNetModel, type Classification, type AlexNetConfig, paperConfig } from 'alexnet-ts';
import { runGoldenFile } from 'alexnet-ts/verify';
const c: AlexNetConfig = paperConfig();
export async function top1(model: AlexNetModel, data: Uint8ClampedArray, width: number, height: number): Promise<string> {
  const best: Classification[] = await model.classify({ data, width, height }, { top: 1 });
  return best[0].label;
}
export const made: Promise<AlexNetModel> = alexnet({ config: 'tiny', backend: 'cpu', partitions: 1, seed: 1 });
export const names: number = c.classes + runGoldenFile.length;
`);
  writeFileSync(join(app, 'consumer-bad.ts'), `
import { alexnet } from 'alexnet-ts';
export const m = alexnet({ config: 'vgg16' });
`);
  const tsconfig = (files: string[]) => JSON.stringify({ compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', noEmit: true, types: [], lib: ['es2022', 'dom'] }, files });
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  writeFileSync(join(app, 'tsconfig.json'), tsconfig(['consumer.ts']));
  const ok = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: app, encoding: 'utf8' });
  assert.is(ok.status, 0, ok.stdout + ok.stderr);
  // The declarations are real types: a wrong configuration name is a type error.
  writeFileSync(join(app, 'tsconfig.json'), tsconfig(['consumer-bad.ts']));
  const bad = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: app, encoding: 'utf8' });
  assert.is(bad.status, 2, bad.stdout);
  assert.match(bad.stdout, /'"vgg16"' is not assignable/);
});

test('installed: examples/classify.mjs classifies a photo with saved weights in under 15 lines', () => {
  assert.ok(app, 'the install test ran');
  const example = readFileSync(join(root, 'examples/classify.mjs'), 'utf8');
  assert.ok(example.trim().split('\n').length <= 15, 'the example is under 15 lines');
  writeFileSync(join(app, 'classify.mjs'), example);
  writeFileSync(join(app, 'make.mjs'), `
import { writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { alexnet } from 'alexnet-ts';
const m = await alexnet({ config: 'tiny', seed: 2 });
writeFileSync('tiny.ckpt', await m.save());
const png = new PNG({ width: 90, height: 70 });
for (let i = 0; i < png.data.length; i++) png.data[i] = (i * 13) % 256;
writeFileSync('photo.png', PNG.sync.write(png));
`);
  const mk = spawnSync(process.execPath, ['make.mjs'], { cwd: app, encoding: 'utf8' });
  assert.is(mk.status, 0, mk.stderr);
  const r = spawnSync(process.execPath, ['classify.mjs', 'tiny.ckpt', 'photo.png'], { cwd: app, encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^( *[\d.]+ %  class \d\n){5}$/);
});

test('installed: examples/page bundles against the installed package and classifies a photo in Chromium', async () => {
  assert.ok(app, 'the install test ran');
  assert.ok(existsSync(join(app, 'tiny.ckpt')), 'the classify.mjs test made the weights and the photo');
  const page = join(app, 'page');
  mkdirSync(page, { recursive: true });
  for (const f of ['index.html', 'main.js']) copyFileSync(join(root, 'examples/page', f), join(page, f));
  // The bundling command the example's header gives, run as written but with the project's esbuild (the consumer has none).
  const command = /^\/\/ npx esbuild (.*)$/m.exec(readFileSync(join(page, 'main.js'), 'utf8'));
  assert.ok(command, 'the example names its esbuild command');
  const b = spawnSync(join(root, 'node_modules/.bin/esbuild'), [...command[1].trim().split(/\s+/), '--log-level=warning'], { cwd: page, encoding: 'utf8' });
  assert.is(b.status, 0, b.stderr);
  const { url, server } = await startServer(page, 0);
  const browser = await launchChromium({ llvmpipe: false });
  try {
    const p = await browser.newPage();
    const errors: string[] = [];
    p.on('pageerror', (e) => errors.push(e.message));
    // Every file the page asks for is served (the browser's own favicon.ico request aside).
    p.on('response', (r) => { if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) errors.push(`${r.status()} ${r.url()}`); });
    p.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text()); });
    await p.goto(url);
    await p.setInputFiles('#weights', join(app, 'tiny.ckpt'));
    await p.waitForFunction(() => document.getElementById('out')!.textContent!.startsWith('loaded'), null, { timeout: 60_000 }).catch((e) => {
      throw new Error(`${(e as Error).message}; page errors: ${errors.join('; ')}`);
    });
    assert.match(await p.textContent('#out') ?? '', /^loaded a tiny net/);
    await p.setInputFiles('#photo', join(app, 'photo.png'));
    await p.waitForFunction(() => document.getElementById('out')!.textContent!.includes('%'), null, { timeout: 60_000 });
    assert.match(await p.textContent('#out') ?? '', /^( *[\d.]+ %  class \d\n?){5}$/);
    assert.equal(errors, []);
  } finally {
    await browser.close();
    server.close();
  }
});

test.run();
