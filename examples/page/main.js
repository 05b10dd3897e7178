// Classify a photo in a page, with the same library as Node. Bundle it with any
// bundler, for example: npx esbuild main.js --bundle --format=esm --external:node:* --outfile=bundle.js
import { alexnet } from 'alexnet-ts';

const $ = (id) => document.getElementById(id);
let model;
$('weights').onchange = async (e) => {
  model = await alexnet({ weights: new Uint8Array(await e.target.files[0].arrayBuffer()), backend: 'cpu' });
  $('out').textContent = `loaded a ${model.config.name} net; now a photo`;
};
$('photo').onchange = async (e) => {
  const bitmap = await createImageBitmap(e.target.files[0]);
  const ctx = Object.assign(document.createElement('canvas'), { width: bitmap.width, height: bitmap.height }).getContext('2d');
  ctx.drawImage(bitmap, 0, 0);
  const top = await model.classify(ctx.getImageData(0, 0, bitmap.width, bitmap.height), { top: 5 });
  $('out').textContent = top.map((c) => `${(100 * c.probability).toFixed(1)} %  ${c.label}`).join('\n');
};
