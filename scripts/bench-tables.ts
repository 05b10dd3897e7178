// Puts the measured tables of bench/results/*.json into the docs: every block
//   <!-- bench:NAME -->
//   ...
//   <!-- /bench:NAME -->
// of README.md and docs/*.md is replaced by the table of NAME.json, its notes,
// and the command, date and machine that measured it, so that no figure in the
// docs is pasted by hand. `--check` changes nothing and exits 1 if a block is
// stale or names a result that does not exist (a spec runs it).
//
//   node --import tsx scripts/bench-tables.ts [--check]

import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from '../bench/report.js';
import type { SavedExperiment } from '../src/cli/experiment.js';
import { resultRows } from '../src/experiments/run.js';
import { OP_CHECKS } from '../src/verify/ops.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BLOCK = /<!-- bench:([\w-]+) -->\n[\s\S]*?<!-- \/bench:\1 -->/g;

/** The Markdown of one result: the table, its notes, and where it came from. */
export function renderResult(r: BenchResult): string {
  // An empty table says so rather than drawing a header with nothing under it.
  const table = r.rows.length === 0 ? '_No results yet._'
    : [`| ${r.header.join(' | ')} |`, `|${r.header.map(() => '---').join('|')}|`, ...r.rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
  return [table, ...r.notes, r.generatedFrom ? `Generated from ${r.generatedFrom}.` : `Measured ${r.date} with \`${r.command}\` on ${r.machine}.`].join('\n\n');
}

/** A document with every bench block replaced by its result; `missing` collects names with no result. */
export function renderDocument(text: string, results: ReadonlyMap<string, BenchResult>, missing: string[] = []): string {
  return text.replace(BLOCK, (whole, name: string) => {
    const r = results.get(name);
    if (!r) { missing.push(name); return whole; }
    return `<!-- bench:${name} -->\n${renderResult(r)}\n<!-- /bench:${name} -->`;
  });
}

/** Where `alexnet experiment NAME --out docs/experiments/quick/NAME` (or full/NAME) leaves the results the README shows. */
export const EXPERIMENTS_DIR = join(ROOT, 'docs', 'experiments');

/**
 * The experiments' tables, quick and full, from docs/experiments/{quick,full}/NAME/result.json
 * (src/cli/experiment.ts): each row the claim, the paper's figure, what was
 * measured (src/experiments/run.ts, resultRows), the verdict and the run.
 */
export function experimentResults(dir = EXPERIMENTS_DIR): BenchResult[] {
  // docs/experiments/quick/NAME/ and docs/experiments/full/NAME/, each as `alexnet experiment NAME --out` left it.
  const files = ['quick', 'full'].flatMap((k) => (existsSync(join(dir, k)) ? readdirSync(join(dir, k)).sort().map((d) => join(dir, k, d, 'result.json')) : []));
  const saved = files.filter((f) => existsSync(f)).map((f) => ({ ...(JSON.parse(readFileSync(f, 'utf8')) as SavedExperiment), folder: dirname(f) }));
  return [true, false].map((quick) => {
    const mine = saved.filter((r) => r.quick === quick);
    // The curves beside the result, linked from the README (paths from the project's root).
    const curves = (r: { folder: string }) => (existsSync(join(r.folder, 'curves.png')) ? `, [curves](${relative(ROOT, join(r.folder, 'curves.png'))})` : '');
    const budget = (r: SavedExperiment & { folder: string }) =>
      `${r.budget.images.toLocaleString('en-US')} images x ${r.budget.epochs}, ${r.seeds.length} seeds, ${(r.seconds / 60).toFixed(1)} min, ${r.date}${curves(r)}`;
    return {
      name: quick ? 'experiments-quick' : 'experiments-full', command: '', date: '', machine: '', notes: [],
      generatedFrom: `docs/experiments/${quick ? 'quick' : 'full'}/*/result.json` +
        (mine.length ? `, written by the commands in the last column on ${[...new Set(mine.map((r) => r.machine))].join('; ')}` : ' (none yet)'),
      header: ['claim (section)', 'paper', 'measured here (mean ± sd over seeds)', 'verdict', 'command (budget, wall time, date)'],
      rows: mine.flatMap((r) => resultRows(r, r.command).map((row) => [...row.slice(0, 4), `\`${row[4]}\` (${budget(r)})`])),
    };
  });
}

/** Tables made from the code itself: the verification kit's ops, their cases and tolerances (src/verify/ops.ts); the experiments' results. */
export function generatedResults(): BenchResult[] {
  return [...experimentResults(), {
    name: 'verify-ops', command: '', date: '', machine: '', notes: [], generatedFrom: '`OP_CHECKS` in src/verify/ops.ts',
    header: ['op', 'Backend methods', 'what the generated cases cover', 'tolerance (of the expected max)'],
    rows: OP_CHECKS.map((c) => [c.op, c.methods.join(', '), c.covers, c.tolerance.toExponential(0)]),
  }];
}

/** Every result in bench/results/, and the generated tables. */
export function readResults(dir = join(ROOT, 'bench', 'results')): Map<string, BenchResult> {
  const out = new Map<string, BenchResult>(generatedResults().map((r) => [r.name, r]));
  if (!existsSync(dir)) return out;
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const r = JSON.parse(readFileSync(join(dir, f), 'utf8')) as BenchResult;
    if (r.name !== f.slice(0, -5)) throw new Error(`${join(dir, f)}: holds result '${r.name}', not '${f.slice(0, -5)}'`);
    out.set(r.name, r);
  }
  return out;
}

/** The documents that hold bench blocks. */
export function documents(): string[] {
  return [join(ROOT, 'README.md'), ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join(ROOT, 'docs', f))];
}

/** Rewrites (or with check, compares) every document; returns the problems found. */
export function updateDocs(check: boolean): string[] {
  const results = readResults(), problems: string[] = [];
  for (const file of documents()) {
    const text = readFileSync(file, 'utf8'), missing: string[] = [];
    const next = renderDocument(text, results, missing);
    for (const m of missing) problems.push(`${relative(ROOT, file)}: block bench:${m} has no bench/results/${m}.json`);
    if (next === text) continue;
    if (check) problems.push(`${relative(ROOT, file)}: tables differ from bench/results (run node --import tsx scripts/bench-tables.ts)`);
    else { writeFileSync(file, next); console.log(`updated ${relative(ROOT, file)}`); }
  }
  return problems;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const problems = updateDocs(process.argv.includes('--check'));
  for (const p of problems) console.error(p);
  process.exitCode = problems.length ? 1 : 0;
}
