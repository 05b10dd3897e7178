// verifyBackend: the project's op properties (ops.ts) run against any
// Backend, synchronous or asynchronous, with the CPU reference as the
// expected side, the way TensorFlow.js runs one op suite against every
// backend. Each op is checked over fast-check's generated cases; a failure
// is shrunk to the smallest case that still disagrees and reported with the
// two values at its worst element and the seed and path that replay it.

import * as fc from 'fast-check';
import type { AsyncBackend, BackendOp } from '../backend.js';
import { cpuBackend } from '../cpu/backend.js';
import { COMPARE_LIMIT, LAYER_LIMIT, compareBackends } from '../nn/compare.js';
import { CONFIGS } from '../nn/config.js';
import type { GoldenFile } from '../nn/golden-format.js';
import { runGoldenFile } from '../nn/golden.js';
import { type GradientReport, checkGradients, hasFloat64 } from './gradients.js';
import { type FullBackend, OP_CHECKS, type Outputs } from './ops.js';

/** How verifyBackend runs. */
export interface VerifyOptions {
  /** The ops to check (default: all of OP_CHECKS). */
  ops?: readonly BackendOp[];
  /** Generated cases per op (default 40). */
  runs?: number;
  /** fast-check's seed (default: drawn from the clock, and reported, so a failure can be replayed). */
  seed?: number;
  /** With seed: the path fast-check reported, to replay one shrunk counterexample directly. */
  path?: string;
  /** Per-op tolerance relative to each expected tensor's max, overriding the defaults of ops.ts. */
  tolerance?: Partial<Record<BackendOp, number>>;
  /** The expected side (default: the CPU reference in float32, whose sums run in double precision). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  reference?: AsyncBackend<any>;
  /** Called as each op's report is ready (progress). */
  onOp?: (r: OpReport) => void;
  /** PyTorch golden files (docs/golden-format.md) to run on the backend as well (they need every op, forward and backward). */
  goldens?: readonly { file: string; golden: GoldenFile }[];
  /**
   * Configurations whose whole forward and backward (seeded weights, input,
   * labels, dropout masks) are compared layer by layer with the reference
   * (src/nn/compare.ts), when the backend has every op they use (forward
   * alone: a forward comparison); default ['tiny', 'small'].
   */
  models?: readonly string[];
  /** The float64 finite-difference gradient check (gradients.ts), run when the backend has upload64 and download64; default true. */
  gradients?: boolean;
}

/** A whole-model comparison: its configuration, the tensors judged, and the worst one. */
export interface ModelReport {
  config: string;
  status: 'pass' | 'fail' | 'skipped';
  judged: number;
  /** The backend has the forward ops alone: activations, loss and each layer's output were compared, no gradient. */
  forwardOnly?: boolean;
  /** Every judged tensor beyond its limit, as 'TABLE NAME KIND' (layer pool1 dx). */
  failures?: string[];
  /** The worst judged tensor (name, kind, relative difference), or why it was skipped. */
  worst?: { name: string; kind: string; table: string; relDiff: number; limit: number };
  reason?: string;
}

/** The golden cases run on the backend. */
export interface GoldenReport {
  status: 'pass' | 'fail' | 'skipped';
  passed: number;
  failed: number;
  /** The first failing case and tensor, or why the goldens were skipped. */
  firstFailure?: string;
  /** Every failing case, as 'FILE: ID'. */
  failures?: string[];
  reason?: string;
}

/** Where a case's outputs disagree most: the output, the element, the two values. */
export interface Mismatch {
  output: string;
  shape: number[];
  /** Flat index of the worst element (row-major), or -1 when the output is missing or has another shape. */
  index: number;
  got: number;
  want: number;
  /** max |got - want| / max |want| of the output. */
  relError: number;
  tolerance: number;
  /** What is wrong when it is not a number: a missing output, another shape, a non-finite value. */
  reason?: string;
}

/** One op's result. */
export interface OpReport {
  op: BackendOp;
  status: 'pass' | 'fail' | 'not implemented';
  /** Generated cases run (shrinking not counted). */
  cases: number;
  /** The largest relative error over the cases run (for a failure: the shrunk counterexample's). */
  worst: number;
  tolerance: number;
  covers: string;
  /** For 'not implemented': the Backend methods that are missing, or that the backend's `ops` leaves the op out; for a forward-only pass, the backward methods missing. */
  missing?: string[];
  /** Only the forward outputs were checked: the backend has the op's forward method(s) but not its backward ones. */
  forwardOnly?: boolean;
  /** Generated cases the backend declined with an UnsupportedCaseError (skipped, not counted in `cases`), and the first of them with its reason. */
  unsupported?: { cases: number; first: string };
  /** For 'fail': the shrunk case, where it disagrees (or the error the backend threw), and how to replay it. */
  counterexample?: { case: unknown; mismatch?: Mismatch; error?: string; seed: number; path: string };
}

/** What verifyBackend found. */
export interface KitReport {
  backend: string;
  ok: boolean;
  seed: number;
  runs: number;
  ops: OpReport[];
  models: ModelReport[];
  goldens?: GoldenReport;
  /** The finite-difference check of each op's backward against the backend's own forward, in float64; or why it did not run. */
  gradients?: GradientReport[] | { skipped: string };
}

/** The worst element of each output of `got` against `want`; the first output beyond its tolerance, or the worst overall. */
export function compareOutputs(want: Outputs, got: Outputs, tolerance: number): { worst: Mismatch | undefined; failed: boolean } {
  let worst: Mismatch | undefined;
  for (const [name, w] of Object.entries(want)) {
    const g = got[name];
    if (!g || g.data.length !== w.data.length || g.shape.join() !== w.shape.join()) {
      return { worst: { output: name, shape: w.shape, index: -1, got: NaN, want: NaN, relError: Infinity, tolerance, reason: g ? `shape [${g.shape.join(', ')}], expected [${w.shape.join(', ')}]` : 'missing' }, failed: true };
    }
    let scale = 0, err = 0, at = 0;
    for (let i = 0; i < w.data.length; i++) {
      scale = Math.max(scale, Math.abs(w.data[i]));
      const e = Math.abs(g.data[i] - w.data[i]);
      if (!(e <= err)) { err = Number.isNaN(e) ? Infinity : e; at = i; }
      if (err === Infinity) break;
    }
    const rel = err === 0 ? 0 : scale === 0 ? Infinity : err / scale;
    const m: Mismatch = { output: name, shape: w.shape, index: at, got: g.data[at], want: w.data[at], relError: rel, tolerance, ...(Number.isFinite(g.data[at]) ? {} : { reason: 'not finite' }) };
    if (rel > tolerance) return { worst: m, failed: true };
    if (!worst || rel > worst.relError) worst = m;
  }
  return { worst, failed: false };
}

/** The Backend methods every op needs besides its own. */
const BASICS = ['upload', 'download', 'shape', 'dispose', 'disposeCache'] as const;

/** Checks every op of `backend` against the CPU reference; see VerifyOptions and OpReport. */
export async function verifyBackend<T>(backend: AsyncBackend<T>, o: VerifyOptions = {}): Promise<KitReport> {
  const missingBasics = BASICS.filter((m) => typeof (backend as unknown as Record<string, unknown>)?.[m] !== 'function');
  if (missingBasics.length) throw new TypeError(`verifyBackend: the backend lacks ${missingBasics.join(', ')}; every Backend needs upload, download, shape, dispose and disposeCache`);
  const known = OP_CHECKS.map((c) => c.op);
  for (const op of o.ops ?? []) if (!known.includes(op)) throw new RangeError(`verifyBackend: unknown op '${op}'; the ops are ${known.join(', ')}`);
  const runs = o.runs ?? 40;
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`verifyBackend: runs must be a positive integer, got ${runs}`);
  const seed = o.seed ?? (Date.now() % 2 ** 31);
  const ref = (o.reference ?? cpuBackend('float32')) as unknown as FullBackend, be = backend as unknown as FullBackend;
  const reports: OpReport[] = [];
  for (const check of OP_CHECKS.filter((c) => !o.ops || o.ops.includes(c.op))) {
    const tolerance = o.tolerance?.[check.op] ?? check.tolerance;
    const base = { op: check.op, tolerance, covers: check.covers };
    const has = (m: string) => typeof (backend as unknown as Record<string, unknown>)[m] === 'function';
    const missing = check.methods.filter((m) => !has(m));
    const declaredOut = backend.ops !== undefined && !backend.ops.includes(check.op);
    // A forward-only engine (ONNX Runtime, say) is checked on what it has: the forward outputs.
    const forwardOnly = !declaredOut && missing.length > 0 && check.forward.every(has);
    if (declaredOut) missing.push(`(not in the backend's ops)`);
    if (missing.length && !forwardOnly) {
      reports.push({ ...base, status: 'not implemented', cases: 0, worst: NaN, missing });
      o.onOp?.(reports[reports.length - 1]);
      continue;
    }
    let worst = 0, cases = 0, shrinking = false;
    const unsupported = { cases: 0, first: '' };
    const property = fc.asyncProperty(check.arbitrary, async (c) => {
      const want = await check.scenario(ref, c, !forwardOnly);
      let got: Outputs;
      try {
        got = await check.scenario(be, c, !forwardOnly);
      } catch (e) {
        if (!isUnsupportedCase(e)) throw e;
        // The backend says it cannot express this case (an even LRN window on tfjs): skipped and counted, not failed.
        if (!shrinking) { unsupported.cases++; unsupported.first ||= `${JSON.stringify(c)}: ${(e as Error).message}`; }
        fc.pre(false);
        throw e;
      }
      const r = compareOutputs(want, got, tolerance);
      if (!shrinking) { cases++; worst = Math.max(worst, r.worst?.relError ?? 0); }
      if (r.failed) shrinking = true;
      return !r.failed;
    });
    const details = await fc.check(property, { numRuns: runs, seed, ...(o.path ? { path: o.path } : {}) });
    const skipped = unsupported.cases ? { unsupported: { cases: unsupported.cases, first: unsupported.first } } : {};
    if (!details.failed) {
      reports.push({ ...base, status: 'pass', cases, worst, ...(forwardOnly ? { forwardOnly, missing } : {}), ...skipped });
    } else if (details.counterexample === null && unsupported.cases > 0) {
      // Every case drawn was one the backend cannot express.
      reports.push({ ...base, status: 'not implemented', cases: 0, worst: NaN, missing: [`(no case the backend supports: ${unsupported.first})`], ...skipped });
    } else {
      const shrunk = details.counterexample?.[0];
      let mismatch: Mismatch | undefined, error: string | undefined;
      try {
        mismatch = compareOutputs(await check.scenario(ref, shrunk, !forwardOnly), await check.scenario(be, shrunk, !forwardOnly), tolerance).worst;
      } catch (e) {
        error = (e as Error)?.message ?? String(e);
      }
      reports.push({
        ...base, status: 'fail', cases, worst: mismatch?.relError ?? NaN, ...(forwardOnly ? { forwardOnly, missing } : {}), ...skipped,
        counterexample: { case: shrunk, mismatch, error, seed: details.seed, path: details.counterexamplePath ?? '' },
      });
    }
    o.onOp?.(reports[reports.length - 1]);
  }
  // The whole suite beyond the ops: whole models and goldens, through the model code (src/nn/), which awaits
  // every call. They run when every op they use is there (a failing op included: the model check then
  // shows whether the net as a whole still agrees); a forward-only backend gets the forward comparison.
  const implemented = new Set(reports.filter((r) => r.status !== 'not implemented').map((r) => r.op));
  const backwardToo = new Set(reports.filter((r) => r.status !== 'not implemented' && !r.forwardOnly).map((r) => r.op));
  const models: ModelReport[] = [];
  for (const name of o.models ?? ['tiny', 'small']) {
    const make = CONFIGS[name];
    if (!make) throw new RangeError(`verifyBackend: unknown configuration '${name}'; known: ${Object.keys(CONFIGS).join(', ')}`);
    const c = make();
    const needs: BackendOp[] = ['conv2d', c.activation, 'maxpool', 'dropout', 'linear', 'softmax-xent', ...(c.lrn ? ['lrn' as const] : [])];
    const missing = needs.filter((op) => !implemented.has(op));
    if (missing.length) {
      models.push({ config: name, status: 'skipped', judged: 0, reason: `needs ${missing.join(', ')}` });
      continue;
    }
    const backward = needs.every((op) => backwardToo.has(op));
    let rows: Awaited<ReturnType<typeof compareBackends>>;
    try {
      rows = await compareBackends(ref, be, c, 2, seed, undefined, backward);
    } catch (e) {
      // The backend threw on the model's shapes: a failure of the model check, with the backend's message.
      models.push({ config: name, status: 'fail', judged: 0, ...(backward ? {} : { forwardOnly: true }), reason: `the backend threw: ${(e as Error)?.message ?? String(e)}` });
      continue;
    }
    const judged = rows.filter((r) => r.judged);
    const bad = judged.filter((r) => !r.ok);
    // The worst judged tensor relative to its table's limit (end to end and layer by layer have different ones).
    const limit = (r: (typeof rows)[number]) => (r.table === 'layer' ? LAYER_LIMIT : COMPARE_LIMIT);
    const w = (bad.length ? bad : judged).reduce((a, b) => (b.relDiff / limit(b) > a.relDiff / limit(a) ? b : a), judged[0]);
    models.push({
      config: name, status: bad.length ? 'fail' : 'pass', judged: judged.length, ...(backward ? {} : { forwardOnly: true }),
      ...(bad.length ? { failures: bad.map((r) => `${r.table} ${r.name} ${r.kind}`) } : {}),
      worst: w && { name: w.name, kind: w.kind, table: w.table, relDiff: w.relDiff, limit: w.table === 'layer' ? LAYER_LIMIT : COMPARE_LIMIT },
    });
  }
  let goldens: GoldenReport | undefined;
  if (o.goldens) {
    const absent = reports.filter((r) => r.status === 'not implemented' || r.forwardOnly).map((r) => r.op);
    if (absent.length) goldens = { status: 'skipped', passed: 0, failed: 0, reason: `the golden cases need every op forward and backward; not implemented: ${absent.join(', ')}` };
    else {
      let ok = 0, failed = 0, firstFailure: string | undefined;
      const failures: string[] = [];
      for (const g of o.goldens) {
        for (const r of await runGoldenFile(be, g.golden, undefined, g.file)) {
          if (r.pass) ok++;
          else {
            failed++;
            failures.push(`${g.file.replace(/^.*\//, '')}: ${r.id}`);
            const bad = r.checks.filter((k) => !k.pass);
            firstFailure ??= `${g.file}: ${r.id} (${r.op}): ${r.error ?? bad.slice(0, 3).map((k) => `${k.tensor} ${k.relErr.toExponential(2)}`).join(', ') + (bad.length > 3 ? ` and ${bad.length - 3} more tensors` : '')}`;
          }
        }
      }
      goldens = { status: failed ? 'fail' : ok ? 'pass' : 'skipped', passed: ok, failed, firstFailure, ...(failed ? { failures } : {}), ...(ok + failed ? {} : { reason: 'no golden case' }) };
    }
  }
  let gradients: KitReport['gradients'];
  if (o.gradients !== false) {
    gradients = hasFloat64(backend) ? await checkGradients(backend, { ops: o.ops, seed })
      : { skipped: 'the backend has no float64 transfers (upload64, download64); the finite-difference check needs double precision' };
  }
  const gradientsOk = !Array.isArray(gradients) || gradients.every((g) => g.status !== 'fail');
  const ok = reports.every((r) => r.status !== 'fail') && models.every((m) => m.status !== 'fail') && goldens?.status !== 'fail' && gradientsOk;
  return { backend: backend.name, ok, seed, runs, ops: reports, models, goldens, gradients };
}

/**
 * What a backend throws for a case it cannot express (tfjs's LRN takes odd
 * window sizes only): the kit skips the case and reports how many were
 * skipped and why, instead of a failure. Recognised by its name, so a backend
 * that does not import this class can throw any Error named so.
 */
export class UnsupportedCaseError extends Error {
  override name = 'UnsupportedCaseError';
}

/** Whether an error is a backend's UnsupportedCaseError (by name). */
function isUnsupportedCase(e: unknown): boolean {
  return (e as { name?: unknown } | null)?.name === 'UnsupportedCaseError';
}
