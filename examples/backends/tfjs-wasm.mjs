// TensorFlow.js's WebAssembly backend (@tensorflow/tfjs-backend-wasm 4.22, in
// Node: it finds its .wasm files beside its own module) as an alexnet-ts
// Backend: the adapter is tfjs.mjs. The backend has no Conv2DBackpropFilter
// kernel, so the adapter leaves out the conv weight gradients and the kit
// checks conv2d forward only.
//
//   npx alexnet verify --backend examples/backends/tfjs-wasm.mjs

// The whole @tensorflow/tfjs package: tfjs-core alone does not register the gradient functions tf.grads needs.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { tfjsBackend } from './tfjs.mjs';

if (!(await tf.setBackend('wasm'))) throw new Error('tfjs-backend-wasm did not initialise (its .wasm files are read from node_modules/@tensorflow/tfjs-backend-wasm/dist)');
export default tfjsBackend(tf, 'tfjs-backend-wasm');
