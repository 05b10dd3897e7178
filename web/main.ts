// The page: wires web/lab.ts to the DOM. Charts and kernel pictures are drawn
// by the same code as `alexnet train`'s PNG files (src/viz/). The page also
// exposes window.alexnet, which the browser tests (spec/browser/) drive.

import { type EpochRecord, type ImageBytes, fromRgba, imageAt, shorterSideAndCentreCrop } from '../src/index.js';
import type { CompareRow } from '../src/verify/index.js';
import { type Ctx2D, drawPanel } from '../src/viz/charts.js';
import { kernelMosaic } from '../src/viz/kernels.js';
import type { Mosaic } from '../src/viz/mosaic.js';
import { neighbourGrid } from '../src/viz/neighbours.js';
import { Lab } from './lab.js';
import { type NamedBytes, Pretrained } from './pretrained.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const FONT = { family: 'system-ui, sans-serif' };

function status(text: string, error = false): void {
  const el = $('status');
  el.textContent = text;
  el.classList.toggle('error', error);
}

/** Loss per step on the left, validation accuracy per epoch on the right. */
function drawCurves(lab: Lab): void {
  const canvas = $<HTMLCanvasElement>('curves');
  const ctx = canvas.getContext('2d')! as unknown as Ctx2D;
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const steps = lab.steps;
  // A running mean over 10 steps beside the raw batch losses: batches of 32 are noisy.
  const smooth = steps.map((_, i) => { const a = steps.slice(Math.max(0, i - 9), i + 1); return a.reduce((s, r) => s + r.loss, 0) / a.length; });
  drawPanel(ctx, FONT, { x0: 0, y0: 0, w: 450, h: 380 }, 'training loss per batch', [
    { name: 'batch', color: '#9ecae1', values: steps.map((r) => r.loss) },
    { name: 'mean of last 10', color: '#1f77b4', values: smooth },
  ], steps.map((r) => r.step), 'step');
  const h: readonly EpochRecord[] = lab.state.history;
  drawPanel(ctx, FONT, { x0: 450, y0: 0, w: 450, h: 380 }, 'validation accuracy (%)', [
    { name: 'top-1', color: '#d62728', values: h.map((r) => 100 * r.valTop1) },
    { name: 'top-5', color: '#2ca02c', values: h.map((r) => 100 * r.valTop5) },
  ], h.map((r) => r.epoch), 'epoch');
}

async function drawKernels(lab: Lab): Promise<void> {
  drawMosaic('kernels', kernelMosaic(await lab.conv1(), 2), (t) => t.replace('partition', 'context'));
}

/** Puts a picture of src/viz/ (kernels, neighbours) on a canvas, with its captions. */
function drawMosaic(id: string, m: Mosaic, caption: (text: string) => string = (t) => t): void {
  const canvas = $<HTMLCanvasElement>(id);
  canvas.width = m.width;
  canvas.height = m.height;
  const ctx = canvas.getContext('2d')!;
  ctx.putImageData(new ImageData(new Uint8ClampedArray(m.rgba), m.width, m.height), 0, 0);
  ctx.fillStyle = '#222';
  ctx.font = '12px system-ui, sans-serif';
  for (const c of m.captions) ctx.fillText(caption(c.text), c.x, c.y);
}

function agreementTable(rows: readonly CompareRow[]): HTMLTableElement {
  const t = document.createElement('table');
  t.innerHTML = '<tr><th>table</th><th>tensor</th><th>shape</th><th>max |diff|</th><th>relative</th><th>verdict</th></tr>';
  for (const r of rows) {
    const tr = t.insertRow();
    if (r.judged && !r.ok) tr.className = 'bad';
    const verdict = !r.judged ? 'reported' : r.ok ? 'ok' : 'DIFFERS';
    for (const s of [r.table, `${r.kind} ${r.name}`, `[${r.shape.join(', ')}]`, r.maxAbsDiff.toExponential(2), r.relDiff.toExponential(2), verdict]) tr.insertCell().textContent = s;
  }
  return t;
}

/** Decodes an image file with the browser and brings it to the net's input: grey, shorter side and centre crop. */
async function decodeImage(file: Blob, size: number): Promise<ImageBytes> {
  const rgba = await decodeRgba(file);
  const img = shorterSideAndCentreCrop(fromRgba(rgba.data, rgba.width, rgba.height, 1), size);
  // Fashion-MNIST garments are light on black: invert pictures whose border is mostly light (a photo on white).
  let border = 0, count = 0;
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) if (y === 0 || x === 0 || y === size - 1 || x === size - 1) { border += img.data[y * size + x]; count++; }
  if (border / count > 127) for (let i = 0; i < img.data.length; i++) img.data[i] = 255 - img.data[i];
  return img;
}

/** One-channel bytes as an RGBA ImageData (grey). */
function greyImageData(img: ImageBytes): ImageData {
  const n = img.width * img.height, rgba = new Uint8ClampedArray(n * 4);
  for (let i = 0; i < n; i++) { rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = img.data[i]; rgba[4 * i + 3] = 255; }
  return new ImageData(rgba, img.width, img.height);
}

/**
 * Probabilities as rows of text and a bar, built as DOM nodes: a label can come from a loaded file, so it is
 * text, never HTML, and the bar's width is set through CSSOM, which the page's Content-Security-Policy allows
 * (an inline style attribute it refuses: src/cli/web.ts).
 */
function barRows(el: HTMLElement, rows: readonly { text: string; p: number }[]): void {
  el.replaceChildren(...rows.map((r) => {
    const div = document.createElement('div'), bar = document.createElement('span');
    div.textContent = `${r.text}: ${(100 * r.p).toFixed(1)} % `;
    bar.className = 'bar';
    bar.style.width = `${Math.round(200 * r.p)}px`;
    div.append(bar);
    return div;
  }));
}

async function showPrediction(lab: Lab, img: ImageBytes): Promise<{ label: number; name: string; p: number }[]> {
  const preview = $<HTMLCanvasElement>('preview').getContext('2d')!;
  const tmp = new OffscreenCanvas(img.width, img.height);
  tmp.getContext('2d')!.putImageData(greyImageData(img), 0, 0);
  preview.imageSmoothingEnabled = false;
  preview.drawImage(tmp, 0, 0, 84, 84);
  const top = await lab.classify(img);
  barRows($('prediction'), top.slice(0, 3).map((t) => ({ text: t.name, p: t.p })));
  await showNeighbours(lab, img);
  return top;
}

/** Figure 4 (right) for one image: its nearest training images in the last hidden layer, drawn under the prediction. */
async function showNeighbours(lab: Lab, img: ImageBytes): Promise<void> {
  delete document.body.dataset.neighbours;
  const found = await lab.neighbours(img);
  const train = lab.data.train, name = (i: number) => train.classNames?.[train.labels[i]] ?? `class ${train.labels[i]}`;
  drawMosaic('neighbours', neighbourGrid([{
    query: { image: img.data, caption: ['this image'] },
    neighbours: found.map((n) => ({ image: imageAt(train, n.index), caption: [name(n.index), `distance ${n.distance.toFixed(2)}`] })),
  }], train));
  document.body.dataset.neighbours = JSON.stringify(found);
}

async function main(): Promise<void> {
  const webgl = new URLSearchParams(location.search).get('webgl') === '1' ? 1 : 2;
  status(`opening two WebGL${webgl} contexts and fetching the Fashion-MNIST slice…`);
  const lab = await Lab.open({ webgl, base: location.href });
  const d = lab.describe();
  const intro = `${d.webgl} on ${d.renderer}; two contexts; CPU reference on the ${d.cpuTile === 'wasm' ? 'WebAssembly SIMD' : 'JavaScript'} matrix tile. ` +
    `${lab.data.train.n} training and ${lab.data.val.n} validation images; ` +
    `batch ${lab.options.batchSize}, lr ${lab.options.lr}.`;
  status(`${intro}\nReady.`);
  drawCurves(lab);
  await drawKernels(lab);

  const buttons = ['train', 'check', 'save', 'load'].map((id) => $<HTMLButtonElement>(id));
  const setBusy = (busy: boolean) => { for (const b of buttons) b.disabled = busy; $<HTMLButtonElement>('stop').disabled = !busy; };
  setBusy(false);

  const runTraining = async (o: { epochs?: number; steps?: number }) => {
    setBusy(true);
    try {
      return await lab.train({
        ...o,
        onStep: async (s, p) => {
          status(`${intro}\nepoch ${p.epoch}, batch ${p.batch}/${p.batches}: loss ${s.loss.toFixed(3)}, ${p.imagesPerSecond.toFixed(1)} images/s`);
          drawCurves(lab);
          if (s.step % 10 === 0) await drawKernels(lab);
        },
        onEpoch: (r) => status(`${intro}\nepoch ${r.epoch}: validation top-1 ${(100 * r.valTop1).toFixed(1)} %, top-5 ${(100 * r.valTop5).toFixed(1)} % (${r.seconds.toFixed(0)} s)`),
      });
    } finally {
      drawCurves(lab);
      await drawKernels(lab);
      setBusy(false);
    }
  };
  const runAgreement = async () => {
    setBusy(true);
    status(`${intro}\nagreement check: the small net forward and backward on the CPU and on WebGL…`);
    try {
      const rows = await lab.agreement();
      const judged = rows.filter((r) => r.judged), bad = judged.filter((r) => !r.ok);
      const box = $('agreement');
      box.className = '';
      box.textContent = bad.length === 0 ? `All ${judged.length} judged tensors agree within the limits.` : `${bad.length} of ${judged.length} judged tensors differ.`;
      box.append(agreementTable(rows));
      status(`${intro}\nagreement check: ${bad.length === 0 ? 'passed' : 'FAILED'}`, bad.length > 0);
      return { ok: bad.length === 0, rows };
    } finally {
      setBusy(false);
    }
  };
  const save = async () => {
    const bytes = await lab.checkpoint();
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
    a.download = `alexnet-small-epoch${lab.state.epoch}.bin`;
    a.click();
    return bytes;
  };
  const load = async (bytes: Uint8Array, name: string) => {
    await lab.load(bytes, name);
    drawCurves(lab);
    await drawKernels(lab);
    status(`${intro}\nloaded ${name}: epoch ${lab.state.epoch}, lr ${lab.state.lr}`);
  };
  const classify = async (file: Blob) => showPrediction(lab, await decodeImage(file, lab.config.inputSize));

  $('train').onclick = () => void runTraining({ epochs: 1 }).catch(fail);
  $('stop').onclick = () => lab.stop();
  $('check').onclick = () => void runAgreement().catch(fail);
  $('save').onclick = () => void save().catch(fail);
  $<HTMLInputElement>('load').onchange = async (e) => {
    const f = (e.target as HTMLInputElement).files?.[0];
    if (f) await load(new Uint8Array(await f.arrayBuffer()), f.name).catch(fail);
  };
  const drop = $('drop');
  drop.ondragover = (e) => { e.preventDefault(); drop.classList.add('over'); };
  drop.ondragleave = () => drop.classList.remove('over');
  drop.ondrop = (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const f = e.dataTransfer?.files[0];
    if (f) void classify(f).catch(fail);
  };
  // Ten validation images to click, one of each class where the slice has it.
  const val = lab.data.val;
  for (let k = 0; k < 10; k++) {
    let i = 0;
    while (i < val.n && val.labels[i] !== k) i++;
    if (i === val.n) continue;
    const img: ImageBytes = { channels: 1, height: val.height, width: val.width, data: imageAt(val, i).slice() };
    const c = document.createElement('canvas');
    c.width = c.height = val.width;
    c.getContext('2d')!.putImageData(greyImageData(img), 0, 0);
    c.style.width = c.style.height = '42px';
    c.title = `validation image ${i}: ${val.classNames?.[k]}`;
    c.onclick = () => void showPrediction(lab, img).catch(fail);
    $('samples').append(c);
  }

  const pretrained = wirePretrained();
  (window as unknown as { alexnet: unknown }).alexnet = {
    lab, describe: () => lab.describe(), train: runTraining, agreement: runAgreement, classify, save, load,
    stop: () => lab.stop(), pretrained,
  };
  document.body.dataset.ready = 'true';
}

/** Decodes a PNG or JPEG with the browser into RGBA pixels (ImageData's shape), as the library's classify() takes them. */
async function decodeRgba(file: Blob): Promise<ImageData> {
  const bmp = await createImageBitmap(file);
  const c = new OffscreenCanvas(bmp.width, bmp.height);
  const ctx = c.getContext('2d')!;
  ctx.drawImage(bmp, 0, 0);
  return ctx.getImageData(0, 0, bmp.width, bmp.height);
}

/** Makes a box accept dropped files. */
function dropZone(id: string, onFiles: (files: File[]) => void): void {
  const el = $(id);
  el.ondragover = (e) => { e.preventDefault(); el.classList.add('over'); };
  el.ondragleave = () => el.classList.remove('over');
  el.ondrop = (e) => {
    e.preventDefault();
    el.classList.remove('over');
    const files = Array.from(e.dataTransfer?.files ?? []);
    if (files.length) onFiles(files);
  };
}

/** The real-weights section: load weights, classify photos, draw conv1 (web/pretrained.ts). */
function wirePretrained() {
  const p = new Pretrained();
  const state: { info?: unknown; top?: unknown; mosaic?: { width: number; height: number; captions: string[] } } = {};
  const info = $('winfo');
  const loadFiles = async (files: File[]) => {
    info.className = 'muted';
    info.textContent = `reading ${files.map((f) => `${f.name} (${(f.size / 1e6).toFixed(1)} MB)`).join(', ')}…`;
    delete document.body.dataset.weights;
    // New weights: the last photo's classes are no longer theirs, and choosing the same photo again must fire 'change'.
    delete document.body.dataset.classified;
    $('top5').textContent = '';
    $<HTMLInputElement>('pfile').value = '';
    try {
      const named: NamedBytes[] = await Promise.all(files.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
      const i = await p.load(named);
      state.info = i;
      info.className = '';
      info.textContent = `${i.file}: ${i.found}; configuration ${i.config}, ${i.parameters.toLocaleString('en-US')} parameters, ${i.classes} classes` +
        `${i.preset ? `; photos prepared as ${i.preset} does` : ''}.`;
      const m = await p.conv1();
      // Two blocks: the kernels that fed each of the paper's GPUs (each half feeds one group of conv2).
      drawMosaic('wkernels', m, (t) => (m.captions.length === 2 ? t.replace(/^partition (\d)/, (_, p) => `GPU ${Number(p) + 1}`) : t.replace(/^partition 0 /, '')));
      state.mosaic = { width: m.width, height: m.height, captions: m.captions.map((c) => c.text) };
      $<HTMLInputElement>('pfile').disabled = false;
      document.body.dataset.weights = 'loaded';
    } catch (e) {
      // A bad file is the user's to fix: its named error, not a stack trace.
      info.className = 'bad';
      info.textContent = (e as Error).message;
      document.body.dataset.weights = 'error';
    }
  };
  const classifyFile = async (file: File) => {
    delete document.body.dataset.classified;
    const img = await decodeRgba(file);
    const c = $<HTMLCanvasElement>('photo').getContext('2d')!;
    const s = 160 / Math.max(img.width, img.height);
    c.clearRect(0, 0, 160, 160);
    c.drawImage(await createImageBitmap(img), 0, 0, img.width * s, img.height * s);
    const top = await p.classify(img, 5);
    state.top = top;
    barRows($('top5'), top.map((t) => ({ text: `${t.index} ${t.label}`, p: t.probability })));
    document.body.dataset.classified = 'true';
  };
  $<HTMLInputElement>('wfile').onchange = (e) => { const f = Array.from((e.target as HTMLInputElement).files ?? []); if (f.length) void loadFiles(f); };
  $<HTMLInputElement>('pfile').onchange = (e) => { const f = (e.target as HTMLInputElement).files?.[0]; if (f) void classifyFile(f).catch(fail); };
  dropZone('wdrop', (f) => void loadFiles(f));
  dropZone('pdrop', (f) => void classifyFile(f[0]).catch(fail));
  return { state, model: p };
}

function fail(e: unknown): void {
  console.error(e);
  status(String((e as Error)?.stack ?? e), true);
  document.body.dataset.error = String((e as Error)?.message ?? e);
}

main().catch(fail);
