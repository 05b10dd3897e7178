// What a checkpoint's JSON header must hold, checked field by field before
// any of it is used: a checkpoint is a file, and a file can be anything. A
// missing or mistyped field is an error naming the field, what it holds and
// what was expected, never "Cannot read properties of undefined" later; the
// tensor table is checked against the configuration (every parameter with its
// shape) and against the file (offsets and lengths inside the data, no two
// tensors sharing bytes).

import type { AlexNetConfig } from './config.js';
import { MAX_CONV, MAX_FC } from './config.js';
import { parameterShapes } from './layers.js';
import type { TrainOptions, TrainerState } from './trainer.js';
import { shown } from '../io/tensors.js';

/** One tensor's entry in the header's table: offset and length in float32 elements from the start of the data. */
export interface TensorEntry { name: string; shape: number[]; offset: number; length: number }

/** The parsed header, with every field checked. */
export interface CheckpointHeader {
  format: string;
  config: AlexNetConfig;
  trainer: Omit<TrainerState, 'bestValError'> & { bestValError: number | null };
  options: TrainOptions;
  meta: Record<string, unknown>;
  stats: { eigenvectors: number[]; eigenvalues: number[] };
  tensors: TensorEntry[];
}

/** Raised for a header that does not hold what a checkpoint must. */
export class HeaderError extends Error {
  override name = 'HeaderError';
}

type Check = (v: unknown, path: string) => void;

const fail = (path: string, v: unknown, expected: string): never => {
  throw new HeaderError(`${path} is ${shown(v)}; expected ${expected}`);
};

const int = (min: number, max = Number.MAX_SAFE_INTEGER): Check => (v, p) => {
  if (!Number.isSafeInteger(v) || (v as number) < min || (v as number) > max) fail(p, v, `an integer from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ''}`);
};
const num = (what: string, ok: (x: number) => boolean): Check => (v, p) => {
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) fail(p, v, what);
};
const finite = num('a finite number', () => true);
const positive = num('a positive finite number', (x) => x > 0);
const nonNegative = num('a finite number of at least 0', (x) => x >= 0);
const oneOf = (...values: unknown[]): Check => (v, p) => {
  if (!values.includes(v)) fail(p, v, `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`);
};
const bool = oneOf(true, false);
const str: Check = (v, p) => { if (typeof v !== 'string') fail(p, v, 'a string'); };
const either = (a: Check, b: Check, what: string): Check => (v, p) => {
  try { a(v, p); } catch { try { b(v, p); } catch { fail(p, v, what); } }
};
const optional = (c: Check): Check => (v, p) => { if (v !== undefined) c(v, p); };
const nullable = (c: Check): Check => (v, p) => { if (v !== null) c(v, p); };
/** An array of `min` to `max` items (exactly `min` when no max is given; any length when neither is). */
const array = (item: Check, min?: number, max = min): Check => (v, p) => {
  const want = min === undefined ? 'an array' : min === max ? `an array of ${min}` : `an array of ${min} to ${max}`;
  if (!Array.isArray(v)) fail(p, v, want);
  const a = v as unknown[];
  if (min !== undefined && (a.length < min || a.length > max!)) fail(p, v, want);
  a.forEach((x, i) => item(x, `${p}[${i}]`));
};
const object = (fields: Record<string, Check>): Check => (v, p) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(p, v, 'an object');
  for (const [k, c] of Object.entries(fields)) c((v as Record<string, unknown>)[k], `${p}.${k}`);
};

const conv = object({ out: int(1), kernel: int(1), stride: int(1), pad: int(0), groups: int(1) });
const pool = object({ kernel: int(1), stride: int(1), pad: int(0), ceil: bool });
const CONFIG = object({
  name: str, inputChannels: int(1, 64), inputSize: int(1, 4096), conv: array(conv, 1, MAX_CONV),
  lrn: nullable(object({ size: int(1), alpha: finite, beta: finite, k: finite, convention: oneOf('paper', 'alpha/n') })),
  pool, pools: optional(array(pool, 3)), fc: array(int(1), 0, MAX_FC), classes: int(1),
  dropout: object({ rate: num('a rate from 0 to below 1', (x) => x >= 0 && x < 1), mode: oneOf('paper', 'inverted') }),
  biasOne: finite, initStd: either(positive, oneOf('he'), 'a positive number or "he"'), activation: oneOf('relu', 'tanh'),
  dropoutPlacement: oneOf('after', 'before'), partitions: oneOf(1, 2),
});
const EPOCH = object({
  epoch: int(1), lr: positive, trainLoss: finite, valLoss: finite, valTop1: finite, valTop5: finite, seconds: nonNegative,
  imagesPerSecond: nonNegative, crossedBytesPerStep: nonNegative,
  lastLr: optional(positive), valSeconds: optional(nonNegative), checks: optional(array(object({ batch: int(1), lr: positive, valLoss: finite, valTop1: finite }))),
});
const TRAINER = object({
  epoch: int(0), lr: positive, bestValError: nullable(num('a fraction from 0 to 1 (or null)', (x) => x >= 0 && x <= 1)),
  epochsSinceBest: int(0), rng: array(int(-(2 ** 31), 2 ** 32 - 1), 4), history: array(EPOCH),
});
const OPTIONS = object({
  epochs: int(1), batchSize: int(1), lr: positive, momentum: num('a momentum from 0 to below 1', (x) => x >= 0 && x < 1),
  weightDecay: nonNegative, patience: int(0), minDelta: optional(nonNegative), checksPerEpoch: optional(int(1)), testViews: oneOf(1, 10),
  augment: object({
    crop: int(1), pad: int(0), flip: bool, pcaSigma: nonNegative, scale: positive,
    channels: optional(object({ order: array(int(0, 63)), scale: array(positive) })),
  }),
});
const STATS = object({ eigenvectors: array(finite), eigenvalues: array(finite) });
const TENSOR = object({ name: str, shape: array(int(0)), offset: int(0), length: int(0) });
const HEADER = object({
  format: str, config: (v, p) => { checkConfig(v, p); }, trainer: TRAINER, options: OPTIONS, stats: STATS, tensors: array(() => {}), meta: optional(object({})),
});

/**
 * Checks a configuration read from a file (a checkpoint's header, a
 * safetensors file's metadata): every field, and that its layers fit
 * together. Throws HeaderError naming the first field that is wrong.
 */
export function checkConfig(v: unknown, where = 'config'): AlexNetConfig {
  CONFIG(v, where);
  try {
    parameterShapes(v as AlexNetConfig);
  } catch (e) {
    fail(where, (v as AlexNetConfig).name, `a configuration whose layers fit together (${(e as Error).message})`);
  }
  return v as AlexNetConfig;
}

/**
 * Checks a parsed header: every field's type and range, the colour statistics'
 * sizes against the input channels, and the tensor table against the
 * configuration's parameters and the `dataElements` float32 values the file
 * holds after the header. Throws HeaderError naming the first field that is wrong.
 */
export function checkHeader(h: unknown, dataElements: number, exactLength: boolean): CheckpointHeader {
  HEADER(h, 'header');
  const header = h as CheckpointHeader;
  const { config, stats, tensors } = header;
  const C = config.inputChannels;
  if (stats.eigenvectors.length !== C * C) fail('header.stats.eigenvectors', `${stats.eigenvectors.length} values`, `${C * C} (C x C for ${C} input channels)`);
  if (stats.eigenvalues.length !== C) fail('header.stats.eigenvalues', `${stats.eigenvalues.length} values`, `${C} (one per input channel)`);
  const ch = header.options.augment.channels;
  if (ch && (ch.order.length !== C || ch.scale.length !== C)) fail('header.options.augment.channels', ch, `an order and a scale of ${C} (the input channels)`);
  // checkConfig (through HEADER) has made sure the layers fit, so parameterShapes cannot throw here.
  const expected = new Map(parameterShapes(config).map((p) => [p.name, p.shape]));
  const seen = new Set<string>();
  tensors.forEach((t, i) => {
    const at = `header.tensors[${i}]${typeof t?.name === 'string' ? ` (${t.name})` : ''}`;
    TENSOR(t, at);
    if (seen.has(t.name)) fail(at, t.name, 'each tensor named once');
    seen.add(t.name);
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (t.length !== size) fail(`${at}.length`, t.length, `${size}, the product of its shape [${t.shape.join(', ')}]`);
    if (t.offset + t.length > dataElements) fail(at, `offset ${t.offset} and length ${t.length}`, `a range inside the file's ${dataElements} values`);
    const [kind, name] = [t.name.slice(0, t.name.indexOf('/')), t.name.slice(t.name.indexOf('/') + 1)];
    if (kind === 'params' || kind === 'velocity') {
      const want = expected.get(name);
      if (!want) fail(at, t.name, `a parameter of configuration ${config.name} (${[...expected.keys()].join(', ')})`);
      if (want!.join() !== t.shape.join()) fail(`${at}.shape`, t.shape, `[${want!.join(', ')}] for configuration ${config.name}`);
    } else if (t.name === 'stats/mean') {
      const side = Math.round(Math.sqrt(t.length / C));
      if (t.shape.length !== 1 || side * side * C !== t.length || side < 1) fail(at, t.shape, `one axis of C x S x S values (a mean image of ${C} channels)`);
    } else {
      fail(at, t.name, 'params/NAME, velocity/NAME or stats/mean');
    }
  });
  for (const name of expected.keys()) if (!seen.has(`params/${name}`)) fail('header.tensors', `without params/${name}`, `every parameter of configuration ${config.name}`);
  if (!seen.has('stats/mean')) fail('header.tensors', 'without stats/mean', 'the training set\'s mean image');
  // Ranges must not overlap: two tensors sharing bytes would alias each other's values.
  const sorted = [...tensors].sort((a, b) => a.offset - b.offset);
  let end = 0;
  for (const t of sorted) {
    if (t.offset < end) fail(`header.tensors (${t.name})`, `offset ${t.offset}`, `no overlap with the tensor before it, which ends at ${end}`);
    end = t.offset + t.length;
  }
  if (exactLength && end !== dataElements) fail('header.tensors', `${end} values in all`, `the ${dataElements} the file holds`);
  return header;
}
