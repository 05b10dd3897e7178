// Softmax cross-entropy on the GPU, the twin of src/cpu/softmax-cross-entropy.ts:
//
//   p[n, c] = exp(z[n, c] - m_n - log s_n),   m_n = max_c z[n, c],   s_n = sum_c exp(z[n, c] - m_n)
//   loss_n  = m_n + log s_n - z[n, label_n];  loss = mean_n loss_n;  dz = (p - onehot) / N
//
// Only the N per-example losses are read back (to report the loss); the
// probabilities and the gradient stay on the GPU.

import { checkLabels } from '../cpu/softmax-cross-entropy.js';
import { NonFiniteError, fmtShape } from '../cpu/tensor.js';
import { type GpuTensor, hostArray } from './context.js';

/** Loss (mean over the batch, read back), probabilities and the gradient of the mean loss. */
export interface SoftmaxCrossEntropyOutput {
  loss: number;
  lossSum: number;
  probs: GpuTensor;
  dlogits: GpuTensor;
}

/** Mean softmax cross-entropy of logits against integer labels, with its gradient. */
export function softmaxCrossEntropy(logits: GpuTensor, labels: ArrayLike<number>): SoftmaxCrossEntropyOutput {
  if (logits.shape.length !== 2) throw new RangeError(`softmaxCrossEntropy: logits has shape ${fmtShape(logits.shape)}, expected rank 2 [N, classes]`);
  const [N, C] = logits.shape;
  checkLabels(logits.shape, labels);
  const ctx = logits.ctx;
  // m_n + log s_n, the log of the softmax's normaliser, per row.
  const lse = ctx.run(`function (z) {
    let m = z[this.thread.x][0];
    for (let c = 1; c < ${C}; c++) m = Math.max(m, z[this.thread.x][c]);
    let s = 0;
    for (let c = 0; c < ${C}; c++) s += Math.exp(z[this.thread.x][c] - m);
    return m + Math.log(s);
  }`, [N], logits.tex);
  const lab = hostArray(Float32Array.from(labels), [N]);
  const probs = ctx.run(`function (z, lse) { return Math.exp(z[this.thread.y][this.thread.x] - lse[this.thread.y]); }`, [N, C], logits.tex, lse.tex);
  const dlogits = ctx.run(`function (p, lab) {
    const hit = Math.abs(lab[this.thread.y] - this.thread.x) < 0.5 ? 1 : 0;
    return (p[this.thread.y][this.thread.x] - hit) / ${N};
  }`, [N, C], probs.tex, lab);
  const perRow = ctx.run(`function (z, lse, lab) {
    let zl = 0;
    for (let c = 0; c < ${C}; c++) {
      if (Math.abs(lab[this.thread.x] - c) < 0.5) zl = z[this.thread.x][c];
    }
    return lse[this.thread.x] - zl;
  }`, [N], logits.tex, lse.tex, lab);
  const losses = ctx.download(perRow);
  ctx.dispose(perRow);
  ctx.dispose(lse);
  let lossSum = 0;
  for (let n = 0; n < N; n++) {
    if (!Number.isFinite(losses[n])) {
      ctx.dispose(probs);
      ctx.dispose(dlogits);
      throw new NonFiniteError(`softmaxCrossEntropy: the loss of example ${n} is ${losses[n]}: logits hold a non-finite value`);
    }
    lossSum += losses[n];
  }
  return { loss: lossSum / N, lossSum, probs, dlogits };
}
