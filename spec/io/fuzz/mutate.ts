// Mutations of a valid file, as fast-check arbitraries (so that a failure
// shrinks to the smallest mutation that causes it): truncations (at the
// format's structural boundaries and anywhere), bit flips, random bytes under
// the right signature, huge, negative and zero words (declared sizes, counts,
// offsets), a block copied over another (overlapping offsets), numbers and
// nesting inside a JSON header, and deep nesting of the format's own kind.

import fc from 'fast-check';
import { Rng } from '../../../src/cpu/random.js';
import type { Target } from './targets.js';

/** One mutation, described as data (what the report and a replay show). */
export type Mutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; bits: [number, number][] }
  | { kind: 'random-tail'; keep: number; seed: number }
  | { kind: 'word'; at: number; value: number; width: 2 | 4 | 8; little: boolean }
  | { kind: 'splice'; from: number; to: number; length: number }
  | { kind: 'json-number'; which: number; value: string }
  | { kind: 'json-nest'; which: number; depth: number }
  | { kind: 'nest'; depth: number };

/** Declared sizes and offsets a hostile file would try. */
const WORDS = [0, 1, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 2 ** 53 - 1, 2 ** 40, -1, -1000];
/** Values put in place of a number in a JSON header. */
const JSON_VALUES = ['-1000', '-1', '0', '1e308', '9007199254740993', '4294967296', '0.5', '"x"', 'null', '[]', '{}', 'true'];

/** The mutations of `seed` that fast-check draws for a target. */
export function mutations(t: Target, seed: Uint8Array): fc.Arbitrary<Mutation> {
  const L = seed.length;
  const bounds = [...new Set(t.boundaries(seed).filter((b) => b >= 0 && b <= L))];
  const offset = bounds.length ? fc.oneof(fc.constantFrom(...bounds), fc.nat(L - 1)) : fc.nat(L - 1);
  const arbs: fc.Arbitrary<Mutation>[] = [
    fc.record({ kind: fc.constant('truncate' as const), at: bounds.length ? fc.oneof(fc.constantFrom(...bounds), fc.nat(L - 1)) : fc.nat(L - 1) }),
    fc.record({ kind: fc.constant('flip' as const), bits: fc.array(fc.tuple(fc.nat(L - 1), fc.nat(7)), { minLength: 1, maxLength: 8 }) }),
    fc.record({ kind: fc.constant('random-tail' as const), keep: fc.integer({ min: t.signature, max: Math.max(t.signature, L - 1) }), seed: fc.nat() }),
    fc.record({ kind: fc.constant('word' as const), at: offset, value: fc.constantFrom(...WORDS), width: fc.constantFrom(2 as const, 4 as const, 8 as const), little: fc.boolean() }),
    fc.record({ kind: fc.constant('splice' as const), from: fc.nat(L - 1), to: offset, length: fc.integer({ min: 1, max: 256 }) }),
  ];
  if (t.json) {
    arbs.push(fc.record({ kind: fc.constant('json-number' as const), which: fc.nat(), value: fc.constantFrom(...JSON_VALUES) }));
    arbs.push(fc.record({ kind: fc.constant('json-nest' as const), which: fc.nat(), depth: fc.constantFrom(100, 10_000, 100_000) }));
  }
  if (t.nest) arbs.push(fc.record({ kind: fc.constant('nest' as const), depth: fc.constantFrom(100, 10_000, 100_000) }));
  return fc.oneof(...arbs);
}

/** The JSON header's text with its `which`-th number (modulo their count) replaced by `value`. */
function editJson(text: string, which: number, replace: (s: string) => string): string {
  const numbers = [...text.matchAll(/-?\d+(\.\d+)?([eE][-+]?\d+)?/g)];
  if (numbers.length === 0) return text;
  const m = numbers[which % numbers.length];
  return text.slice(0, m.index) + replace(m[0]) + text.slice(m.index! + m[0].length);
}

/** Applies a mutation to a copy of the valid file. */
export function apply(t: Target, seed: Uint8Array, m: Mutation): Uint8Array {
  const L = seed.length;
  switch (m.kind) {
    case 'truncate': return seed.slice(0, m.at);
    case 'flip': { const b = seed.slice(); for (const [at, bit] of m.bits) b[at] ^= 1 << bit; return b; }
    case 'random-tail': {
      const rng = Rng.seeded(m.seed), b = seed.slice();
      for (let i = m.keep; i < L; i++) b[i] = rng.int(256);
      return b;
    }
    case 'word': {
      const b = seed.slice(), dv = new DataView(b.buffer);
      if (m.at + m.width > L) return b;
      if (m.width === 8) dv.setBigUint64(m.at, BigInt.asUintN(64, BigInt(m.value)), m.little);
      else if (m.width === 4) dv.setUint32(m.at, m.value >>> 0, m.little);
      else dv.setUint16(m.at, m.value & 0xffff, m.little);
      return b;
    }
    case 'splice': { const b = seed.slice(); b.set(seed.subarray(m.from, Math.min(L, m.from + m.length)).subarray(0, L - m.to), m.to); return b; }
    case 'json-number': case 'json-nest': {
      const { start, end } = t.json!(seed);
      const text = new TextDecoder().decode(seed.subarray(start, end));
      const edited = editJson(text, m.which, (s) => (m.kind === 'json-number' ? m.value : `${'['.repeat(m.depth)}${s}${']'.repeat(m.depth)}`));
      const bytes = new TextEncoder().encode(edited);
      // The header's length field (where there is one) follows the edit, so that the change is read as JSON, not as a misplaced header.
      const out = new Uint8Array(L - (end - start) + bytes.length);
      out.set(seed.subarray(0, start));
      out.set(bytes, start);
      out.set(seed.subarray(end), start + bytes.length);
      const dv = new DataView(out.buffer);
      if (start === 8) dv.setBigUint64(0, BigInt(bytes.length), true);
      else if (start === 12) dv.setUint32(8, bytes.length, true);
      return out;
    }
    case 'nest': return t.nest!(seed, m.depth);
  }
}
