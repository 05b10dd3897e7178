// The browser page in a real browser (Debian's Chromium, playwright-core), on
// WebGL2 and on WebGL1: it loads, runs the CPU-against-WebGL agreement check
// and passes it, trains across its two WebGL contexts with a falling loss,
// classifies a dropped image, and saves and loads checkpoints that Node reads
// and writes (the same bytes, the same predictions). Screenshots go to
// runs/browser/.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cpuBackend } from '../../src/cpu/backend.js';
import { Rng } from '../../src/cpu/random.js';
import { startServer } from '../../src/cli/server.js';
import { buildWeb } from '../../src/cli/web.js';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/nn/checkpoint.js';
import { testBatch } from '../../src/nn/data/augment.js';
import { initParams } from '../../src/nn/model.js';
import { SingleNet } from '../../src/nn/net.js';
import { launchChromium } from './chromium.js';
import { alexnet } from '../../src/api/model.js';
import { fixtures } from '../io/fixtures.js';
import { readFileSync } from 'node:fs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const shots = join(root, 'runs/browser');
// 2000 training and 1000 validation images: enough for the steps below, quick to build and load.
const SLICE = 3000;
// Probabilities of the same weights on the CPU (float32 reference) and on WebGL: float32 rounding through
// 8 layers, about 1e-6 of the logits' scale per layer; 1e-4 absolute on values in [0, 1] leaves a wide margin
// and still catches a wrong weight, layout or mean (those move probabilities by 1e-2 and more).
const PROB_TOL = 1e-4;

const ctx: { dir: string; server?: Server; url: string; browser?: Browser } = { dir: '', url: '' };

async function openPage(webgl: 1 | 2): Promise<Page> {
  const page = await ctx.browser!.newPage({ viewport: { width: 1000, height: 1400 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // The server's Content-Security-Policy (src/cli/server.ts) must allow all the page does: every violation is recorded.
  await page.addInitScript(() => {
    const w = window as unknown as { cspViolations: string[] };
    w.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => w.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await page.goto(`${ctx.url}?webgl=${webgl}`);
  await page.waitForFunction(() => document.body.dataset.ready === 'true' || document.body.dataset.error !== undefined, null, { timeout: 120_000 });
  const err = await page.evaluate(() => document.body.dataset.error);
  assert.is(err, undefined, `page failed to start: ${err} ${errors.join('; ')}`);
  return page;
}

/** Closes a page after checking that nothing it did was refused by the Content-Security-Policy. */
async function closePage(page: Page): Promise<void> {
  const violations = await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);
  assert.equal(violations, [], 'the Content-Security-Policy refused nothing the page did');
  await page.close();
}

/** A validation image of the page's slice, and the probabilities Node's CPU reference gives it with the given checkpoint bytes. */
async function cpuProbs(bytes: Uint8Array, image: number[]): Promise<number[]> {
  const ck = decodeCheckpoint(bytes, 'from the page');
  const net = await SingleNet.create(cpuBackend('float32'), ck.config, ck.params);
  const d = { name: 'x', n: 1, channels: 1, height: 28, width: 28, images: Uint8Array.from(image), labels: new Uint16Array(1), classes: ck.config.classes };
  const { x } = testBatch(d, [0], ck.stats, ck.options.augment, 1);
  return Array.from(await net.predict(x, 1));
}

for (const webgl of [2, 1] as const) {
  const t = suite(`browser page, WebGL${webgl}`);

  t.before(async () => {
    if (!ctx.browser) {
      ctx.dir = mkdtempSync(join(tmpdir(), 'alexnet-web-'));
      await buildWeb({ outDir: ctx.dir, slice: SLICE });
      const s = await startServer(ctx.dir, 0);
      ctx.server = s.server;
      ctx.url = s.url;
      ctx.browser = await launchChromium({ llvmpipe: true });
      mkdirSync(shots, { recursive: true });
    }
  });

  t.after(async () => {
    if (webgl !== 1) return;
    await ctx.browser?.close();
    ctx.server?.close();
    rmSync(ctx.dir, { recursive: true, force: true });
  });

  t(`loads on WebGL${webgl} with two contexts and passes the agreement check`, async () => {
    const page = await openPage(webgl);
    const d = await page.evaluate(() => (window as any).alexnet.describe());
    assert.match(d.webgl, webgl === 2 ? /^WebGL 2\.0/ : /^WebGL 1\.0/);
    assert.is(d.cpuTile, 'wasm', 'Chromium runs the CPU reference on the WebAssembly SIMD tile');
    const contexts = await page.evaluate(() => (window as any).alexnet.lab.contexts.map((c: any) => c.gpu.mode));
    assert.equal(contexts, webgl === 2 ? ['webgl2', 'webgl2'] : ['webgl', 'webgl']);
    const r = await page.evaluate(async () => {
      const a = await (window as any).alexnet.agreement();
      return { ok: a.ok, judged: a.rows.filter((x: any) => x.judged).length, bad: a.rows.filter((x: any) => x.judged && !x.ok).map((x: any) => `${x.table} ${x.kind} ${x.name}: ${x.relDiff}`) };
    });
    // 22 layers: every end-to-end activation and the loss, and output, dx, dw, db of each layer.
    assert.ok(r.judged >= 80, `only ${r.judged} judged rows`);
    assert.equal(r.bad, []);
    assert.ok(r.ok);
    assert.match(await page.textContent('#agreement') ?? '', /agree within the limits/);
    await closePage(page);
  });

  t(`trains across two WebGL${webgl} contexts: the loss falls`, async () => {
    const page = await openPage(webgl);
    const steps = 30;
    const losses: number[] = await page.evaluate(async (n) => (await (window as any).alexnet.train({ steps: n })).losses, steps);
    assert.is(losses.length, steps);
    assert.ok(losses.every(Number.isFinite), `non-finite loss: ${losses}`);
    // Batches of 32 are noisy: compare the means of the first and the last ten steps.
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    const first = mean(losses.slice(0, 10)), last = mean(losses.slice(-10));
    assert.ok(last < first - 0.1, `loss did not fall: first ten ${first.toFixed(3)}, last ten ${last.toFixed(3)} (${losses.map((l) => l.toFixed(2)).join(' ')})`);
    await page.screenshot({ path: join(shots, `webgl${webgl}.png`), fullPage: true });
    await closePage(page);
  });

  t(`WebGL${webgl}: a dropped PNG is classified; checkpoints go both ways between the page and Node`, async () => {
    const page = await openPage(webgl);
    await page.evaluate(() => (window as any).alexnet.train({ steps: 3 }));
    // The first validation image as a PNG file, dropped on the page.
    const image: number[] = await page.evaluate(() => { const v = (window as any).alexnet.lab.data.val; return Array.from(v.images.subarray(0, 784)); });
    const png = new PNG({ width: 28, height: 28 });
    image.forEach((g, i) => { png.data[4 * i] = png.data[4 * i + 1] = png.data[4 * i + 2] = g; png.data[4 * i + 3] = 255; });
    const file = Array.from(PNG.sync.write(png));
    const dt = await page.evaluateHandle((b) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(b)], 'coat.png', { type: 'image/png' }));
      return dt;
    }, file);
    await page.dispatchEvent('#drop', 'drop', { dataTransfer: dt });
    await page.waitForFunction(() => (document.getElementById('prediction')?.textContent ?? '').includes('%'), null, { timeout: 30_000 });
    assert.match(await page.textContent('#prediction') ?? '', /(T-shirt\/top|Trouser|Pullover|Dress|Coat|Sandal|Shirt|Sneaker|Bag|Ankle boot): \d+\.\d %/);
    // Figure 4 (right) under it: six training images, nearest first; a training image finds itself first, at distance 0.
    await page.waitForFunction(() => document.body.dataset.neighbours !== undefined, null, { timeout: 60_000 });
    const shown = JSON.parse(await page.evaluate(() => document.body.dataset.neighbours!)) as { index: number; distance: number }[];
    assert.is(shown.length, 6);
    assert.equal(shown.map((n) => n.distance), [...shown.map((n) => n.distance)].sort((a, b) => a - b));
    const self = await page.evaluate(async () => {
      const lab = (window as any).alexnet.lab, t = lab.data.train;
      return lab.neighbours({ channels: 1, height: 28, width: 28, data: t.images.slice(3 * 784, 4 * 784) }, 2);
    }) as { index: number; distance: number }[];
    assert.is(self[0].index, 3);
    // The same image through the same kernels at batch 1 and batch 200: equal up to float32 rounding, far below the gap to the next.
    assert.ok(self[0].distance <= 1e-3 * self[1].distance, `${self[0].distance} against ${self[1].distance}`);

    // Page -> Node: the page's checkpoint, decoded by Node, predicts what the page predicts.
    const saved = Uint8Array.from(await page.evaluate(async () => Array.from(await (window as any).alexnet.lab.checkpoint() as Uint8Array)));
    const pageProbs = async () => page.evaluate(async (img) => {
      const lab = (window as any).alexnet.lab;
      return (await lab.classify({ channels: 1, height: 28, width: 28, data: Uint8Array.from(img) })).sort((a: any, b: any) => a.label - b.label).map((r: any) => r.p);
    }, image) as Promise<number[]>;
    const inPage = await pageProbs();
    const inNode = await cpuProbs(saved, image);
    inNode.forEach((p, k) => assert.ok(Math.abs(p - inPage[k]) <= PROB_TOL, `class ${k}: page ${inPage[k]}, Node ${p}`));
    const ck = decodeCheckpoint(saved, 'page');
    assert.is(ck.meta.partitions, 2);
    assert.is(ck.config.name, 'small');

    // Node -> page: other weights written by Node, loaded by the page, predict there what they predict in Node.
    const other = encodeCheckpoint({ ...ck, params: initParams(ck.config, Rng.seeded(99)), meta: { ...ck.meta, source: 'spec' } });
    await page.evaluate((b) => (window as any).alexnet.load(Uint8Array.from(b), 'from-node.bin'), Array.from(other));
    const after = await pageProbs();
    const expected = await cpuProbs(other, image);
    expected.forEach((p, k) => assert.ok(Math.abs(p - after[k]) <= PROB_TOL, `after load, class ${k}: page ${after[k]}, Node ${p}`));
    assert.ok(expected.some((p, k) => Math.abs(p - inNode[k]) > 1e-3), 'the loaded weights should predict differently from the trained ones');
    await closePage(page);
  });

  if (webgl === 2) {
    t('real weights chosen in the page: the same top-5 as Node for a photo; conv1 in one block (torchvision) or two (Caffe\'s grouped net); a bad file shows its error', async () => {
      const fx = fixtures();
      if (!fx) return;
      const page = await openPage(webgl);
      const at = (f: string) => join(fx.dir, f);
      const png = PNG.sync.read(readFileSync(at('photo.png')));
      const photo = { data: new Uint8Array(png.data), width: png.width, height: png.height };
      for (const [files, blocks] of [[['torchvision.pth'], 1], [['caffe-v2-trainval.caffemodel', 'caffe-deploy.prototxt'], 2], [['zoo-onnx-external.onnx', 'zoo-onnx-external.data'], 2]] as const) {
        await page.setInputFiles('#wfile', files.map(at));
        await page.waitForFunction(() => document.body.dataset.weights !== undefined, null, { timeout: 60_000 });
        assert.is(await page.evaluate(() => document.body.dataset.weights), 'loaded', await page.textContent('#winfo') ?? '');
        await page.setInputFiles('#pfile', at('photo.png'));
        await page.waitForFunction(() => document.body.dataset.classified === 'true', null, { timeout: 60_000 });
        const st = await page.evaluate(() => (window as any).alexnet.pretrained.state) as { top: { index: number; probability: number }[]; mosaic: { captions: string[] } };
        const model = await alexnet({ weights: at(files[0]), prototxt: files[1]?.endsWith('.prototxt') ? at(files[1]) : undefined });
        const want = await model.classify(photo, { top: 5 });
        await model.dispose();
        assert.equal(st.top.map((r) => r.index), want.map((r) => r.index), files[0]);
        // The same float32 code on the same WebAssembly tile; only exp() may differ in its last bits between V8 builds.
        st.top.forEach((r, i) => assert.ok(Math.abs(r.probability - want[i].probability) < 1e-6, `${files[0]} #${i}: page ${r.probability}, Node ${want[i].probability}`));
        assert.is(st.mosaic.captions.length, blocks, files[0]);
        assert.match(await page.textContent('#top5') ?? '', new RegExp(`^${want[0].index} `));
      }
      await page.screenshot({ path: join(shots, 'pretrained.png'), fullPage: true });
      await page.setInputFiles('#wfile', at('bad-arch.pth'));
      await page.waitForFunction(() => document.body.dataset.weights !== undefined, null, { timeout: 60_000 });
      assert.is(await page.evaluate(() => document.body.dataset.weights), 'error');
      assert.match(await page.textContent('#winfo') ?? '', /bad-arch\.pth: .*expected/);
      await closePage(page);
    });
  }

  t.run();
}
