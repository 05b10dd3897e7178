
import { alexnet, imagenetClasses, gpuBackend } from 'alexnet-ts';
import { conv2dForward } from 'alexnet-ts/cpu';
const model = await alexnet({ config: 'tiny', backend: 'cpu', seed: 1 });
const logits = await model.forward(new Float32Array(3 * 67 * 67).fill(0.5), [1, 3, 67, 67]);
let gpu = 'none';
try { await gpuBackend(); } catch (e) { gpu = e.message; }
console.log(JSON.stringify({ n: logits.length, finite: logits.every(Number.isFinite), classes: imagenetClasses.length, conv: typeof conv2dForward, gpu }));
