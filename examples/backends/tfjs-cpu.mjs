// TensorFlow.js's CPU backend (@tensorflow/tfjs-backend-cpu 4.22) as an
// alexnet-ts Backend, forward and backward: the adapter is tfjs.mjs.
//
//   npx alexnet verify --backend examples/backends/tfjs-cpu.mjs

// The whole @tensorflow/tfjs package: tfjs-core alone does not register the gradient functions tf.grads needs.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import { tfjsBackend } from './tfjs.mjs';

await tf.setBackend('cpu');
export default tfjsBackend(tf, 'tfjs-backend-cpu');
