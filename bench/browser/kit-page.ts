// In the browser: the verification kit on TensorFlow.js's WebGL backend
// (@tensorflow/tfjs-backend-webgl 4.22) through the same adapter as in Node
// (examples/backends/tfjs.mjs), against the CPU reference in the same page.
// bench/conformance.ts --browser bundles this file, opens it in Chromium,
// hands over the goldens and takes the report back.

import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgl';
import { type GoldenFile, type KitReport, verifyBackend } from '../../src/verify/index.js';
import { poolRouting } from '../pool-routing.js';
// @ts-expect-error: a plain-JavaScript module without type declarations (as a user's adapter is).
import { tfjsBackend } from '../../examples/backends/tfjs.mjs';

/** Runs the kit on tfjs-webgl; what the page reports back to Node. */
async function runKit(o: { runs: number; seed: number; models?: string[]; goldens: { file: string; golden: GoldenFile }[] }): Promise<{ renderer: string; report: KitReport; routing: Awaited<ReturnType<typeof poolRouting>> }> {
  if (!(await tf.setBackend('webgl'))) throw new Error('tfjs-backend-webgl did not initialise in this page');
  await tf.ready();
  const gl = (tf.backend() as unknown as { gpgpu: { gl: WebGLRenderingContext } }).gpgpu.gl;
  const dbg = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = `${String(gl.getParameter(gl.VERSION))} on ${String(gl.getParameter(dbg ? dbg.UNMASKED_RENDERER_WEBGL : gl.RENDERER))}`;
  const be = tfjsBackend(tf, 'tfjs-backend-webgl');
  const report = await verifyBackend(be, { runs: o.runs, seed: o.seed, goldens: o.goldens, ...(o.models ? { models: o.models } : {}) });
  return { renderer, report, routing: await poolRouting(be) };
}

(window as unknown as { runKit: typeof runKit }).runKit = runKit;
document.body.dataset.ready = 'true';
