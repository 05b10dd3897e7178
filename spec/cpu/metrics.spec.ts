import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { topKAccuracy, topKCorrect } from '../../src/cpu/metrics.js';
import { tensor } from '../../src/cpu/tensor.js';
import { throwsWith } from '../helpers.js';

const scores = tensor(new Float32Array([
  0.1, 0.5, 0.2, 0.0, 0.9, 0.3, // label 4: rank 1
  0.9, 0.8, 0.7, 0.6, 0.5, 0.4, // label 5: rank 6
  0.1, 0.2, 0.3, 0.4, 0.5, 0.6, // label 1: rank 5
]), [3, 6]);
const labels = [4, 5, 1];

test('top-1 and top-5 on hand-ranked rows', () => {
  assert.is(topKCorrect(scores, labels, 1), 1);
  assert.is(topKCorrect(scores, labels, 5), 2);
  assert.is(topKAccuracy(scores, labels, 5), 2 / 3);
  assert.is(topKCorrect(scores, labels, 6), 3);
});

test('top-k rejects bad labels and k', () => {
  throwsWith(() => topKCorrect(scores, [4, 5], 1), /labels has 2 entries, expected 3/);
  throwsWith(() => topKCorrect(scores, [4, 5, 6], 1), /labels\[2\] = 6 is not a class index in \[0, 6\)/);
  throwsWith(() => topKCorrect(scores, labels, 0), /k must be an integer >= 1/);
});

test.run();
