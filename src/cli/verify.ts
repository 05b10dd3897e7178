// `alexnet verify`: runs golden cases through a backend and prints a table;
// with --ops or --backend MODULE, the op properties of the kit (src/verify/).

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type CaseResult, GOLDEN_SCHEMA, GOLDEN_TOLERANCE, type GoldenFile, validateGoldenFile } from '../nn/golden-format.js';
import { runGoldenFile } from '../nn/golden.js';
import type { AlexNetConfig } from '../nn/config.js';
import { COMPARE_LIMIT, LAYER_LIMIT, compareBackends } from '../nn/compare.js';
import { formatTable, sci } from '../report/table.js';
import type { AsyncBackend, AwaitableBackend, BackendOp } from '../backend.js';
import { type OpReport, type VerifyOptions, verifyBackend } from '../verify/kit.js';
import { OP_CHECKS } from '../verify/ops.js';
import { UsageError } from './options.js';

/** A golden file of a folder: parsed, or the reason it cannot be run (reported as one failed row). */
export interface GoldenDirEntry {
  file: string;
  golden?: GoldenFile;
  error?: string;
}

/**
 * Reads every .json file of a folder that declares the alexnet-golden/1
 * schema (others, such as a manifest without it, are skipped). A file that
 * is not JSON, or declares the schema but has no usable list of cases, is
 * kept as an entry with its error, so the other files still run.
 */
export function readGoldenDir(dir: string): GoldenDirEntry[] {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a folder');
    names = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  } catch (e) {
    throw new Error(`verify: --goldens ${dir} is not a readable folder (${(e as Error).message})`);
  }
  const out: GoldenDirEntry[] = [];
  for (const name of names) {
    const path = join(dir, name);
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      out.push({ file: path, error: `${path} is not valid JSON (${(e as Error).message})` });
      continue;
    }
    if ((parsed as GoldenFile)?.schema !== GOLDEN_SCHEMA) continue;
    try {
      out.push({ file: path, golden: validateGoldenFile(parsed, path) });
    } catch (e) {
      out.push({ file: path, error: (e as Error).message });
    }
  }
  return out;
}

/** The outcome of `alexnet verify --goldens`: every case's result and the files that could not run. */
export interface VerifyReport {
  backend: string;
  passed: number;
  failed: number;
  fileErrors: { file: string; error: string }[];
  cases: (CaseResult & { file: string })[];
}

/** Runs every case of every golden file in the folders; zero cases run, or a file that cannot run, is a failure. */
export async function runGoldenDirs<T>(be: AwaitableBackend<T>, dirs: readonly string[]): Promise<VerifyReport> {
  const entries = dirs.flatMap(readGoldenDir);
  const cases: VerifyReport['cases'] = [];
  const fileErrors: VerifyReport['fileErrors'] = [];
  for (const e of entries) {
    if (e.error) fileErrors.push({ file: e.file, error: e.error });
    else for (const r of await runGoldenFile(be, e.golden!, undefined, e.file)) cases.push({ ...r, file: e.file });
  }
  const failedCases = cases.filter((r) => !r.pass).length;
  return { backend: be.name, passed: cases.length - failedCases, failed: failedCases + fileErrors.length, fileErrors, cases };
}

/** Runs the golden folders and prints the table (or JSON) and `N passed, M failed`; returns the exit code. */
export async function verifyGoldens<T>(be: AwaitableBackend<T>, dirs: string | readonly string[], log: (s: string) => void = console.log, o: { json?: boolean; quiet?: boolean } = {}): Promise<number> {
  const list = typeof dirs === 'string' ? [dirs] : dirs;
  const rep = await runGoldenDirs(be, list);
  const none = rep.cases.length === 0;
  if (o.json) {
    log(JSON.stringify({ ...rep, ok: rep.failed === 0 && !none, tolerance: GOLDEN_TOLERANCE, folders: list }));
    return rep.failed === 0 && !none ? 0 : 1;
  }
  const rows: string[][] = [];
  for (const f of rep.fileErrors) rows.push([basename(f.file), '(file)', '', '', `FAIL: ${f.error}`]);
  for (const r of rep.cases) {
    if (r.error) rows.push([r.id, '(case)', '', '', `FAIL: ${r.error}`]);
    for (const k of r.checks) {
      if (o.quiet && k.pass) continue;
      rows.push([r.id, k.tensor, sci(k.maxAbsErr), sci(k.relErr), k.pass ? 'pass' : `FAIL${k.note ? `: ${k.note}` : ''}`]);
    }
  }
  log(`backend ${be.name}; goldens from ${list.join(', ')}; tolerance: |err| <= ${GOLDEN_TOLERANCE.atolRel} max|golden| + ${GOLDEN_TOLERANCE.rtol} |golden| per element\n`);
  if (rows.length) log(formatTable(['case', 'tensor', 'max abs err', 'err / max|golden|', 'result'], rows, [2, 3]));
  if (none) log(`\nno golden case ran: ${list.join(', ')} hold${list.length > 1 ? '' : 's'} no ${GOLDEN_SCHEMA} case`);
  log(`\n${rep.passed} passed, ${rep.failed} failed`);
  return rep.failed === 0 && !none ? 0 : 1;
}

/** `alexnet verify --compare A,B`: prints both tables; returns 1 if any judged tensor is flagged. */
export async function compareCommand<A, B>(
  a: AwaitableBackend<A>, b: AwaitableBackend<B>, c: AlexNetConfig, batch: number, seed: number, log: (s: string) => void = console.log, o: { json?: boolean; quiet?: boolean } = {},
): Promise<number> {
  const t0 = Date.now();
  const progress = o.quiet || o.json ? () => {} : (s: string) => process.stderr.write(`  ${s} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
  const rows = await compareBackends(a, b, c, batch, seed, progress);
  if (o.json) {
    const bad = rows.filter((r) => r.judged && !r.ok).length;
    log(JSON.stringify({ config: c.name, batch, seed, a: a.name, b: b.name, limits: { endToEnd: COMPARE_LIMIT, layer: LAYER_LIMIT }, passed: rows.filter((r) => r.judged).length - bad, failed: bad, rows }));
    return bad === 0 ? 0 : 1;
  }
  const table = (rs: typeof rows) => formatTable(['tensor', 'kind', 'shape', 'max abs diff', `diff / max|${a.name}|`, ''],
    rs.map((r) => [r.name, r.kind, `[${r.shape.join(', ')}]`, sci(r.maxAbsDiff), sci(r.relDiff), !r.judged ? '(reported)' : r.ok ? 'ok' : 'FLAG']), [3, 4]);
  log(`configuration ${c.name}, batch ${batch}, seed ${seed}: ${a.name} against ${b.name}\n`);
  log(`End to end (activations and loss flagged above ${COMPARE_LIMIT}; gradients reported: pooling near-ties may route them differently):\n`);
  log(table(rows.filter((r) => r.table === 'end-to-end')));
  log(`\nLayer by layer (same input, same upstream gradient; flagged above ${LAYER_LIMIT}):\n`);
  log(table(rows.filter((r) => r.table === 'layer')));
  const judged = rows.filter((r) => r.judged), bad = judged.filter((r) => !r.ok).length;
  log(`\n${judged.length - bad} passed, ${bad} failed`);
  return bad === 0 ? 0 : 1;
}

/**
 * Loads the backend of `alexnet verify --backend MODULE`: a path (relative to
 * the working folder) or a package name of an ES module whose default export
 * is a Backend, a function returning one, or a Promise of one.
 */
export async function loadBackendModule(spec: string): Promise<AsyncBackend<unknown>> {
  const { existsSync } = await import('node:fs');
  const { resolve } = await import('node:path');
  const { pathToFileURL } = await import('node:url');
  const local = spec.startsWith('.') || spec.startsWith('/') || existsSync(spec);
  let mod: { default?: unknown };
  try {
    mod = await import(local ? pathToFileURL(resolve(spec)).href : spec);
  } catch (e) {
    throw new Error(`--backend ${spec}: cannot import the module (${(e as Error).message})`);
  }
  let b: unknown = mod.default;
  if (typeof b === 'function') b = await (b as () => unknown)();
  b = await b;
  if (!b || typeof b !== 'object' || typeof (b as { name?: unknown }).name !== 'string' || typeof (b as { upload?: unknown }).upload !== 'function') {
    throw new Error(`--backend ${spec}: the module's default export is not a Backend (an object with name, upload, download, ...), a function returning one, or a Promise of one`);
  }
  return b as AsyncBackend<unknown>;
}

/** Parses --tolerance op=x,op=y. */
export function parseTolerances(s: string | undefined): Partial<Record<BackendOp, number>> {
  if (s === undefined) return {};
  const known = OP_CHECKS.map((c) => c.op) as string[];
  const out: Partial<Record<BackendOp, number>> = {};
  for (const part of s.split(',').filter(Boolean)) {
    const [op, v] = part.split('=');
    const x = Number(v);
    if (!known.includes(op) || !(x >= 0) || !Number.isFinite(x)) throw new UsageError(`--tolerance takes op=number pairs of the ops ${known.join(', ')}; got '${part}'`);
    out[op as BackendOp] = x;
  }
  return out;
}

/** Parses --ops a,b (or all). */
export function parseOps(s: string): BackendOp[] | undefined {
  if (s === 'all') return undefined;
  const known = OP_CHECKS.map((c) => c.op) as string[];
  const ops = s.split(',').filter(Boolean);
  const bad = ops.filter((o) => !known.includes(o));
  if (bad.length || ops.length === 0) throw new UsageError(`--ops takes a list of ${known.join(', ')} (or all); got '${s}'`);
  return ops as BackendOp[];
}

/** `alexnet verify --ops ...` or `--backend MODULE`: the op properties against the CPU reference; prints the table or JSON; returns the exit code. */
export async function kitCommand(be: AsyncBackend<unknown>, o: VerifyOptions & { json?: boolean; quiet?: boolean; backendArg?: string }, log: (s: string) => void = console.log): Promise<number> {
  const t0 = Date.now();
  const progress = o.json || o.quiet ? undefined : (r: OpReport) => process.stderr.write(`  ${r.op}: ${r.status} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
  const rep = await verifyBackend(be, { ...o, onOp: progress });
  if (o.json) {
    log(JSON.stringify(rep));
    return rep.ok ? 0 : 1;
  }
  log(`backend ${rep.backend} against the CPU reference: ${rep.runs} generated cases per op, seed ${rep.seed}\n`);
  log(formatTable(['op', 'result', 'cases', 'worst error / max', 'tolerance'], rep.ops.map((r) => [
    r.op, r.status === 'not implemented' ? `not implemented (${r.missing!.join(', ')})` : `${r.status === 'pass' ? 'pass' : 'FAIL'}${r.forwardOnly ? ' (forward only)' : ''}`,
    String(r.cases), Number.isNaN(r.worst) ? '' : sci(r.worst), sci(r.tolerance),
  ]), [2, 3, 4]));
  for (const r of rep.ops.filter((x) => x.unsupported)) log(`\n${r.op}: ${r.unsupported!.cases} generated case${r.unsupported!.cases > 1 ? 's' : ''} the backend declined as unsupported, skipped; the first: ${r.unsupported!.first}`);
  for (const r of rep.ops.filter((x) => x.status === 'fail')) {
    const c = r.counterexample!, m = c.mismatch;
    log(`\n${r.op} FAILS. Smallest case found: ${JSON.stringify(c.case)}`);
    if (c.error) log(`  the backend threw: ${c.error}`);
    else if (m) log(`  ${m.output} [${m.shape.join(', ')}]${m.index >= 0 ? ` at element ${m.index}: got ${m.got}, expected ${m.want}` : `: ${m.reason}`}; error ${sci(m.relError)} of the expected max, tolerance ${sci(m.tolerance)}`);
    log(`  replay: alexnet verify --backend ${o.backendArg ?? rep.backend} --ops ${r.op} --seed ${c.seed} --path ${c.path}`);
  }
  if (rep.models.length) {
    log('\nWhole models against the reference (seeded weights, batch 2, forward and backward, or forward alone on a forward-only backend; src/nn/compare.ts):\n');
    log(formatTable(['configuration', 'result', 'tensors judged', 'worst (table, tensor, difference / max)'], rep.models.map((m) => [
      m.config, m.status === 'skipped' ? `skipped: ${m.reason}` : `${m.status === 'pass' ? 'pass' : 'FAIL'}${m.forwardOnly ? ' (forward only)' : ''}${m.reason ? `: ${m.reason}` : ''}`, String(m.judged),
      m.worst ? `${m.worst.table} ${m.worst.name} ${m.worst.kind}: ${sci(m.worst.relDiff)} (limit ${sci(m.worst.limit)})` : '',
    ]), [2]));
  }
  if (rep.goldens) {
    const g = rep.goldens;
    log(`\nPyTorch goldens: ${g.status === 'skipped' ? `skipped (${g.reason})` : `${g.passed} cases passed, ${g.failed} failed${g.firstFailure ? `; first failure ${g.firstFailure}` : ''}`}`);
  }
  if (Array.isArray(rep.gradients)) {
    log('\nFinite differences in float64 (each backward against the backend\'s own forward; src/verify/gradients.ts):\n');
    log(formatTable(['op', 'result', 'coordinates', 'worst error / max gradient', 'tolerance'], rep.gradients.map((g) => [
      g.op, g.status === 'fail' ? `FAIL${g.error ? ` (${g.error})` : g.where ? ` (${g.where.input}[${g.where.index}]: backward ${g.where.analytic}, differences ${g.where.numeric})` : ''}` : g.status,
      String(g.coordinates), Number.isNaN(g.worst) ? '' : sci(g.worst), sci(g.tolerance),
    ]), [2, 3, 4]));
  } else if (rep.gradients) log(`\nFinite differences: skipped (${rep.gradients.skipped})`);
  const gradientRows = Array.isArray(rep.gradients) ? rep.gradients.map((g) => g.status) : [];
  const rows = [...rep.ops.map((r) => r.status), ...rep.models.map((m) => m.status), ...(rep.goldens ? [rep.goldens.status] : []), ...gradientRows];
  const failed = rows.filter((r) => r === 'fail').length, passed = rows.filter((r) => r === 'pass').length;
  log(`\n${passed} passed, ${failed} failed${rows.length - passed - failed ? `, ${rows.length - passed - failed} not implemented or skipped` : ''}`);
  return rep.ok ? 0 : 1;
}
