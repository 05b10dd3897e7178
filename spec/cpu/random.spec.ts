import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng } from '../../src/cpu/random.js';
import { throwsWith } from '../helpers.js';

test('same seed, same draws; a restored state continues the same stream', () => {
  const a = Rng.seeded(42), b = Rng.seeded(42);
  const first = Array.from({ length: 5 }, () => a.uniform());
  assert.equal(first, Array.from({ length: 5 }, () => b.uniform()));
  const saved = a.state();
  const next = Array.from({ length: 5 }, () => a.normal());
  const c = Rng.fromState(JSON.parse(JSON.stringify(saved)));
  assert.equal(Array.from({ length: 5 }, () => c.normal()), next);
  assert.not.equal(Rng.seeded(43).uniform(), Rng.seeded(42).uniform());
});

test('normal draws have the requested mean and standard deviation (1e5 draws, 5 standard errors)', () => {
  const r = Rng.seeded(1);
  const n = 100000, a = r.normalArray(n, 0, 0.01);
  let s = 0, s2 = 0;
  for (const v of a) { s += v; s2 += v * v; }
  const mean = s / n, sd = Math.sqrt(s2 / n - mean * mean);
  assert.ok(Math.abs(mean) < 5 * 0.01 / Math.sqrt(n), `mean ${mean}`);
  assert.ok(Math.abs(sd - 0.01) < 5 * 0.01 / Math.sqrt(2 * n), `sd ${sd}`);
});

test('shuffle is a seeded permutation in place, every element once, and moves elements', () => {
  for (const n of [1, 2, 7, 100]) {
    const a = Int32Array.from({ length: n }, (_, i) => i);
    const out = Rng.seeded(n).shuffle(a);
    assert.is(out, a, 'in place');
    assert.equal([...a].sort((x, y) => x - y), Array.from({ length: n }, (_, i) => i));
    assert.equal([...Rng.seeded(n).shuffle(Int32Array.from({ length: n }, (_, i) => i))], [...a], 'same seed, same order');
    if (n >= 7) assert.ok(a.some((v, i) => v !== i), 'some element moved');
  }
  // Uniform over orders (Fisher-Yates): 600 shuffles of three elements give each of the 6 orders
  // 100 times on average, standard deviation 9.1; 40 is 4.4 of them.
  const counts = new Map<string, number>();
  const rng = Rng.seeded(11);
  for (let k = 0; k < 600; k++) {
    const key = rng.shuffle([0, 1, 2]).join('');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  assert.is(counts.size, 6, `orders seen: ${[...counts.keys()]}`);
  for (const [key, c] of counts) assert.ok(Math.abs(c - 100) <= 40, `order ${key}: ${c} of 600`);
});

test('bad seeds and states are rejected', () => {
  throwsWith(() => Rng.seeded(1.5), /seed must be an integer, got 1.5/);
  throwsWith(() => Rng.fromState([1, 2]), /state must be 4 integers/);
});

test.run();
