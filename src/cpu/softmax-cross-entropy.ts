// Softmax and multinomial logistic regression (paper, section 5: "maximize the
// multinomial logistic regression objective").
//
//   logits z [N, C], labels [N] (integers in [0, C)) -> mean loss, probs [N, C], dz [N, C]
//   p[n, c]  = exp(z[n, c] - m_n) / sum_j exp(z[n, j] - m_n),   m_n = max_j z[n, j]
//   loss     = (1 / N) sum_n -log p[n, label_n]
//            = (1 / N) sum_n (m_n + log sum_j exp(z[n, j] - m_n) - z[n, label_n])
//   dz       = (p - onehot(label)) / N            (gradient of the mean loss)
// Subtracting the row maximum keeps every exp() in (0, 1], so logits of any
// magnitude (100, 1000, ...) neither overflow nor lose the loss to log(0).

import { type FloatArray, type Tensor, expectFinite, expectRank, fmtShape, zeros } from './tensor.js';

/** Loss (mean and sum over the batch), probabilities and the gradient of the mean loss. */
export interface SoftmaxCrossEntropyOutput<A extends FloatArray = FloatArray> {
  loss: number;
  lossSum: number;
  probs: Tensor<A>;
  dlogits: Tensor<A>;
}

/** Throws unless labels holds one class index in [0, classes) per row of logits [N, classes]; `fn` names the caller. */
export function checkLabels(logitsShape: readonly number[], labels: ArrayLike<number>, fn = 'softmaxCrossEntropy'): void {
  const [N, C] = logitsShape;
  if (labels == null || labels.length !== N) {
    throw new RangeError(`${fn}: labels has ${labels?.length} entries, expected ${N} for logits ${fmtShape(logitsShape)}`);
  }
  for (let n = 0; n < N; n++) {
    if (!Number.isInteger(labels[n]) || labels[n] < 0 || labels[n] >= C) {
      throw new RangeError(`${fn}: labels[${n}] = ${labels[n]} is not a class index in [0, ${C})`);
    }
  }
}

/** Mean softmax cross-entropy of logits against integer labels, with its gradient. */
export function softmaxCrossEntropy<A extends FloatArray>(logits: Tensor<A>, labels: ArrayLike<number>): SoftmaxCrossEntropyOutput<A> {
  expectRank('softmaxCrossEntropy', 'logits', logits, 2, '[N, classes]');
  const [N, C] = logits.shape;
  checkLabels(logits.shape, labels);
  expectFinite('softmaxCrossEntropy', 'logits', logits);
  const z = logits.data;
  const probs = zeros(z, [N, C]);
  const dlogits = zeros(z, [N, C]);
  let lossSum = 0;
  for (let n = 0; n < N; n++) {
    const row = n * C;
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, z[row + c]);
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(z[row + c] - m);
    const logS = Math.log(s);
    lossSum += m + logS - z[row + labels[n]];
    for (let c = 0; c < C; c++) {
      const p = Math.exp(z[row + c] - m - logS);
      probs.data[row + c] = p;
      dlogits.data[row + c] = (p - (c === labels[n] ? 1 : 0)) / N;
    }
  }
  return { loss: lossSum / N, lossSum, probs, dlogits };
}
