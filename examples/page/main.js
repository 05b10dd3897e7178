// Classify a photo in a page, with the same library as Node, on its CPU backend.
// Bundle it with any bundler that splits dynamic imports into chunks (the WebGL
// backend and its optional packages load on demand only), for example:
// npx esbuild main.js --bundle --splitting --format=esm --outdir=dist --external:node:* --external:gpu.js --external:gl
import { alexnet } from 'alexnet-ts';

const $ = (id) => document.getElementById(id);
let model;
$('weights').onchange = async (e) => {
  const file = e.target.files[0];
  model = await alexnet({ weights: new Uint8Array(await file.arrayBuffer()), name: file.name, backend: 'cpu' });
  $('out').textContent = `loaded a ${model.config.name} net; now a photo`;
};
$('photo').onchange = async (e) => {
  const bitmap = await createImageBitmap(e.target.files[0]);
  const ctx = Object.assign(document.createElement('canvas'), { width: bitmap.width, height: bitmap.height }).getContext('2d');
  ctx.drawImage(bitmap, 0, 0);
  const top = await model.classify(ctx.getImageData(0, 0, bitmap.width, bitmap.height), { top: 5 });
  $('out').textContent = top.map((c) => `${(100 * c.probability).toFixed(1)} %  ${c.label}`).join('\n');
};
