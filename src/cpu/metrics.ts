// Top-1 and top-5 accuracy (paper, section 6: error rates are reported as
// top-1 and top-5, "the fraction of test images for which the correct label
// is not among the five labels considered most probable by the model").
//
//   scores [N, C] (logits or probabilities), labels [N] -> fraction in [0, 1]
// A label counts as within the top k when fewer than k other classes score at
// least as high as it, as Caffe's Accuracy layer counts: ties count against
// the label, so a net that gives every class the same score scores 0 %, not
// 100 % (a dead net must not look perfect).

import { type Tensor, expectRank, fmtShape } from './tensor.js';

/** Number of rows whose label is among the k highest scores. */
export function topKCorrect(scores: Tensor, labels: ArrayLike<number>, k: number): number {
  expectRank('topKCorrect', 'scores', scores, 2, '[N, classes]');
  const [N, C] = scores.shape;
  if (labels.length !== N) {
    throw new RangeError(`topKCorrect: labels has ${labels.length} entries, expected ${N} for scores ${fmtShape(scores.shape)}`);
  }
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`topKCorrect: k must be an integer >= 1, got ${k}`);
  let correct = 0;
  for (let n = 0; n < N; n++) {
    const label = labels[n];
    if (!Number.isInteger(label) || label < 0 || label >= C) {
      throw new RangeError(`topKCorrect: labels[${n}] = ${label} is not a class index in [0, ${C})`);
    }
    const s = scores.data[n * C + label];
    if (Number.isNaN(s)) continue;
    let atLeast = 0;
    for (let c = 0; c < C; c++) if (c !== label && scores.data[n * C + c] >= s) atLeast++;
    if (atLeast < k) correct++;
  }
  return correct;
}

/** Fraction of rows whose label is among the k highest scores (k = 1: top-1; k = 5: top-5). */
export function topKAccuracy(scores: Tensor, labels: ArrayLike<number>, k: number): number {
  return scores.shape[0] === 0 ? 0 : topKCorrect(scores, labels, k) / scores.shape[0];
}
