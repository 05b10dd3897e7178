// Classify a photo in Node: node examples/classify.mjs WEIGHTS PHOTO.jpg
// (WEIGHTS: a checkpoint written by `alexnet train` or by model.save()).
import { alexnet } from 'alexnet-ts';
import { loadImage } from 'alexnet-ts/node';

const [weights, photo] = process.argv.slice(2);
const model = await alexnet({ weights, backend: 'cpu' });
for (const c of await model.classify(loadImage(photo), { top: 5, tenCrop: true })) {
  console.log(`${(100 * c.probability).toFixed(1).padStart(5)} %  ${c.label}`);
}
await model.dispose();
