// The golden format (docs/golden-format.md, schema alexnet-golden/1): its
// types, the checks of a file's structure and of each tensor, and the
// comparison of a result with the float64 reference; golden.ts runs the
// cases through a Backend. No Node APIs.
//
// A tensor passes when every element satisfies
//   |got - expected| <= atolRel * max|expected| + rtol * |expected|
// with rtol = 1e-4 and atolRel = 1e-5: PyTorch's own float32 kernels land
// within about 1e-6 of these goldens, so a float32 implementation summing in
// another order has two orders of magnitude of room, while an indexing,
// padding, groups or window-edge bug shows up as 1e-3 or more.

import { sizeOf } from '../cpu/tensor.js';

/** A tensor as stored in a golden file. */
export interface GoldenTensor {
  shape: number[];
  data: number[];
}

/** One case of a golden file. */
export interface GoldenCase {
  id: string;
  op: string;
  params?: Record<string, unknown>;
  inputs: Record<string, GoldenTensor>;
  grad_output?: { y: GoldenTensor };
  expected?: Record<string, GoldenTensor>;
  grads?: Record<string, GoldenTensor>;
  activations?: { name: string; shape: number[]; sum: number; sum_abs: number; sum_sq: number }[];
}

/** A golden file: schema, family and cases. */
export interface GoldenFile {
  schema: string;
  family?: string;
  cases: GoldenCase[];
}

/** The comparison of one tensor. */
export interface TensorCheck {
  tensor: string;
  maxAbsErr: number;
  relErr: number;
  pass: boolean;
  note?: string;
}

/** The result of one case: passed when every tensor passed and the op is known. */
export interface CaseResult {
  id: string;
  op: string;
  checks: TensorCheck[];
  pass: boolean;
  error?: string;
}

/** Tolerances of the comparison, as described above. */
export interface Tolerance {
  rtol: number;
  atolRel: number;
}

/** The documented float32 tolerance of the golden format. */
export const GOLDEN_TOLERANCE: Tolerance = { rtol: 1e-4, atolRel: 1e-5 };

/** The schema this runner understands. */
export const GOLDEN_SCHEMA = 'alexnet-golden/1';

/** Compares got against a golden tensor with the tolerance above; NaN or a size mismatch fails. */
export function compareTensor(name: string, got: ArrayLike<number>, exp: GoldenTensor, tol: Tolerance = GOLDEN_TOLERANCE): TensorCheck {
  const n = sizeOf(exp.shape);
  if (got.length !== n) {
    return { tensor: name, maxAbsErr: NaN, relErr: NaN, pass: false, note: `got ${got.length} elements, expected ${n}` };
  }
  let maxExp = 0;
  for (let i = 0; i < n; i++) maxExp = Math.max(maxExp, Math.abs(exp.data[i]));
  const atol = tol.atolRel * maxExp;
  let maxErr = 0, pass = true;
  for (let i = 0; i < n; i++) {
    const err = Math.abs(got[i] - exp.data[i]);
    if (!(err <= atol + tol.rtol * Math.abs(exp.data[i]))) pass = false;
    maxErr = Number.isNaN(err) || Number.isNaN(maxErr) ? NaN : Math.max(maxErr, err);
  }
  return { tensor: name, maxAbsErr: maxErr, relErr: maxExp > 0 ? maxErr / maxExp : maxErr, pass };
}

/** The case's params[key] as a number; the error names the case and the field. */
export function num(c: GoldenCase, key: string): number {
  const v = c.params?.[key];
  if (typeof v !== 'number') throw new Error(`case ${c.id}: params.${key} must be a number, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * Checks one tensor of a case: a shape of non-negative integers and a data
 * list of exactly that many numbers. A string, null or missing value would
 * otherwise become NaN in a Float32Array and fail as a "numerical" mismatch.
 */
export function checkGoldenTensor(t: unknown, where: string): GoldenTensor {
  const g = t as GoldenTensor;
  if (g === null || typeof g !== 'object' || !Array.isArray(g.shape) || !Array.isArray(g.data)) {
    throw new Error(`${where} must be a tensor { shape: [...], data: [...] }, got ${JSON.stringify(t)?.slice(0, 60)}`);
  }
  if (!g.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new Error(`${where}: shape must hold non-negative integers, got ${JSON.stringify(g.shape)}`);
  const n = sizeOf(g.shape);
  if (g.data.length !== n) throw new Error(`${where}: shape [${g.shape.join(', ')}] needs ${n} values, data has ${g.data.length}`);
  const bad = g.data.findIndex((v) => typeof v !== 'number');
  if (bad >= 0) throw new Error(`${where}: data[${bad}] is ${JSON.stringify(g.data[bad])}, not a number`);
  return g;
}

/** The case's params[key] as a non-empty list of numbers; the error names the case and the field. */
export function numList(c: GoldenCase, key: string): number[] {
  const v = c.params?.[key];
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'number')) throw new Error(`case ${c.id}: params.${key} must be a list of numbers, got ${JSON.stringify(v)}`);
  return v;
}

/** The case's inputs[key] as a checked tensor; the error names the case and the field. */
export function input(c: GoldenCase, key: string): GoldenTensor {
  const t = c.inputs?.[key];
  if (!t) throw new Error(`case ${c.id}: inputs.${key} is missing`);
  return checkGoldenTensor(t, `case ${c.id}: inputs.${key}`);
}

/** The case's expected or grads tensor named key, checked; the error names the case and the field. */
export function want(c: GoldenCase, field: 'expected' | 'grads', key: string): GoldenTensor {
  const t = c[field]?.[key];
  if (!t) throw new Error(`case ${c.id}: ${field}.${key} is missing`);
  return checkGoldenTensor(t, `case ${c.id}: ${field}.${key}`);
}

/** A golden file that cannot be run at all (wrong schema, no list of cases): names the file. */
export class GoldenFileError extends Error {
  override name = 'GoldenFileError';
}

/**
 * Checks the structure of a parsed golden file: the schema, a non-empty list
 * of cases, each an object with a string id and op (the tensors are checked
 * case by case as they are used, so one bad case does not stop the others).
 */
export function validateGoldenFile(parsed: unknown, source: string): GoldenFile {
  const f = parsed as GoldenFile;
  if (f === null || typeof f !== 'object' || Array.isArray(f)) throw new GoldenFileError(`${source}: a golden file must be a JSON object, got ${Array.isArray(f) ? 'a list' : String(f)}`);
  if (f.schema !== GOLDEN_SCHEMA) throw new GoldenFileError(`${source}: schema must be ${GOLDEN_SCHEMA}, got ${f.schema === undefined ? 'no schema field' : JSON.stringify(f.schema)}`);
  const cases = (f as { cases?: unknown }).cases;
  if (!Array.isArray(cases)) {
    throw new GoldenFileError(`${source}: 'cases' must be a list of cases, got ${cases === undefined ? 'no cases field' : cases === null ? 'null' : typeof cases === 'object' ? 'an object' : typeof cases}`);
  }
  if (cases.length === 0) throw new GoldenFileError(`${source}: 'cases' is empty: the file checks nothing`);
  cases.forEach((c, i) => {
    if (c === null || typeof c !== 'object' || typeof (c as GoldenCase).id !== 'string' || typeof (c as GoldenCase).op !== 'string') {
      throw new GoldenFileError(`${source}: cases[${i}] must be an object with a string id and op, got ${JSON.stringify(c)?.slice(0, 60)}`);
    }
  });
  return f;
}
