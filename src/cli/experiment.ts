// `alexnet experiment NAME`: one of the paper's claims as matched trainings
// (src/experiments/), with a PNG of the curves, a JSON of the numbers and a
// table row beside the paper's figure with the verdict.

import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { EXPERIMENTS, type Experiment } from '../experiments/catalog.js';
import { type ExperimentResult, armsBase, resultRows, runExperiment } from '../experiments/run.js';
import { formatTable } from '../report/table.js';
import type { Panel, Series } from '../viz/charts.js';
import { loadDataset } from './datasets.js';
import { writeAtomic } from './files.js';
import { machine } from './machine.js';
import { type CommandSpec, type OptionSpec, type Parsed, UsageError } from './options.js';
import { writePanelsPng } from './plots.js';

/** The options of `alexnet experiment`. */
export const EXPERIMENT_COMMAND = {
  name: 'experiment',
  summary: 'Tests one of the paper\'s claims with matched trainings (same data, seeds and budget; one thing differs):\n' +
    `${Object.keys(EXPERIMENTS).join(', ')}. Writes curves.png and result.json to --out and prints the row: claim, paper, measured, verdict.`,
  positionals: { usage: 'NAME', min: 1, max: 1 },
  options: {
    quick: { type: 'boolean', help: 'fewer images (4,000 of Fashion-MNIST, 2,000 test) to fit in 10 minutes; said in the output' },
    seeds: { type: 'int', min: 1, max: 20, default: 3, help: 'seeds per arm (the spread decides "within noise")' },
    out: { type: 'string', arg: 'DIR', help: 'folder for curves.png and result.json (default runs/experiments/NAME)' },
    data: { type: 'string', arg: 'DIR', help: 'IDX files or CIFAR-10 batches (default Fashion-MNIST from Debian)' },
    backend: { type: 'enum', values: ['cpu-float32-sums', 'cpu-threads', 'cpu', 'gpu'], default: 'cpu-float32-sums', help: 'what trains the nets' },
    images: { type: 'int', min: 128, help: 'training images per run (overrides the budget)' },
    epochs: { type: 'int', min: 1, help: 'epochs per run (overrides the budget)' },
    'test-images': { type: 'int', min: 1, help: 'test images (overrides the budget)' },
    overwrite: { type: 'boolean', help: 'replace an earlier result in --out' },
    redraw: { type: 'boolean', help: 'train nothing: draw curves.png again from the result.json in --out (after a change to the charts) and print its row' },
  },
} as const satisfies CommandSpec<Record<string, OptionSpec>>;

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];

/** The curves of an experiment, mean over seeds per arm: validation error per epoch, or Figure 1's training error. */
function panels(e: Experiment, r: ExperimentResult): Panel[] {
  const names = [...new Set(r.runs.map((x) => x.variant))];
  const mean = (rows: number[][]) => rows[0].map((_, j) => rows.reduce((s, row) => s + (row[j] ?? NaN), 0) / rows.length);
  const byArm = (f: (x: ExperimentResult['runs'][number]) => number[]): Series[] =>
    names.map((n, i) => ({ name: n, color: COLOURS[i % COLOURS.length], values: mean(r.runs.filter((x) => x.variant === n).map(f)) }));
  if (e.metric === 'epochs-to-25') {
    const xs = r.runs[0].trainCurve.map((p) => p.epoch);
    return [{ title: 'training error (%), 500 training images', series: byArm((x) => x.trainCurve.map((p) => 100 * p.error)), xs, xLabel: 'epoch' }];
  }
  const xs = r.runs[0].history.map((h) => h.epoch);
  // ten-crop: one set of nets, measured both ways at test time; its curves are those nets' training.
  const of = e.metric === 'ten-crop' ? ' (one set of nets, both views)' : '';
  return [
    { title: `training loss${of}`, series: byArm((x) => x.history.map((h) => h.trainLoss)), xs, xLabel: 'epoch' },
    { title: 'validation top-1 error (%)', series: byArm((x) => x.history.map((h) => 100 * (1 - h.valTop1))), xs, xLabel: 'epoch' },
  ];
}

/** What `alexnet experiment` writes to result.json: the result, and how and where it was measured (the README's tables come from it: scripts/bench-tables.ts). */
export interface SavedExperiment extends ExperimentResult {
  quick: boolean;
  data: string;
  command: string;
  date: string;
  machine: string;
}

/** The command as a user would type it again: the name, --quick, and every budget or seed count that differs from the preset. */
function experimentCommandLine(name: string, v: Parsed<typeof EXPERIMENT_COMMAND.options>['values']): string {
  const parts = ['alexnet experiment', name];
  if (v.quick) parts.push('--quick');
  if (v.seeds !== 3) parts.push(`--seeds ${v.seeds}`);
  for (const k of ['images', 'epochs', 'test-images'] as const) if (v[k] !== undefined) parts.push(`--${k} ${v[k]}`);
  if (v.backend !== 'cpu-float32-sums') parts.push(`--backend ${v.backend}`);
  return parts.join(' ');
}

/** Runs `alexnet experiment`; returns the exit code. */
export async function experimentCommand({ values: v, positionals }: Parsed<typeof EXPERIMENT_COMMAND.options>): Promise<number> {
  const name = positionals[0];
  const e = EXPERIMENTS[name];
  if (!e) throw new UsageError(`unknown experiment '${name}': one of ${Object.keys(EXPERIMENTS).join(', ')}`);
  const out = v.out ?? join('runs', 'experiments', name);
  if (v.redraw) return redrawExperiment(name, e, out, v);
  if (existsSync(join(out, 'result.json')) && !v.overwrite) throw new UsageError(`${out} holds an earlier result (result.json): --overwrite replaces it, or choose another --out`);
  const preset = v.quick ? e.quick : e.full;
  const budget = { ...preset, images: v.images ?? preset.images, epochs: v.epochs ?? preset.epochs, testImages: v['test-images'] ?? preset.testImages };
  if (v.images !== undefined) budget.val = Math.min(budget.val, Math.max(100, Math.floor(v.images / 5)));
  const split = loadDataset(v.data);
  if (budget.images + budget.val > split.train.n) throw new UsageError(`--images ${budget.images} and ${budget.val} validation images exceed the ${split.train.n} training images of ${split.source}`);
  const seeds = Array.from({ length: v.seeds }, (_, i) => i + 1);
  const arms = e.metric === 'ten-crop' ? 1 : 1 + e.ablations.length;
  const net = armsBase(e, split.train).name;
  console.log(`alexnet experiment ${name} (section ${e.section}): ${arms * seeds.length} trainings of the ${net} net on ${v.backend}, ` +
    `${budget.images} training images x ${budget.epochs} epoch${budget.epochs > 1 ? 's' : ''}, ${budget.testImages} test images` +
    `${v.quick ? ' (--quick: a reduced budget, not the full run)' : ''}; seeds ${seeds.join(', ')}`);
  mkdirSync(out, { recursive: true });
  const r = await runExperiment(e, split, { backend: v.backend, seeds, budget, log: (s) => console.log(s) });
  const command = experimentCommandLine(name, v);
  const saved: SavedExperiment = { ...r, quick: Boolean(v.quick), data: split.source, command, date: new Date().toISOString().slice(0, 10), machine: machine() };
  writeAtomic(join(out, 'result.json'), JSON.stringify(saved, null, 2));
  await writePanelsPng(join(out, 'curves.png'), curvesTitle(name, e, seeds.length), panels(e, r));
  console.log(`\n${rowTable(r, command)}`);
  console.log(`\nwrote ${join(out, 'curves.png')} and ${join(out, 'result.json')}`);
  return 0;
}

/** The rows `alexnet experiment` prints for a result: claim, paper, measured, verdict, command. */
function rowTable(r: ExperimentResult, command: string): string {
  return formatTable(['claim', 'paper', 'measured here (mean ± sd over seeds)', 'verdict', 'command'], resultRows(r, command));
}

/** The title of an experiment's curves.png. */
function curvesTitle(name: string, e: Experiment, seeds: number): string {
  return `${name} (section ${e.section}), mean of ${seeds} seed${seeds > 1 ? 's' : ''}`;
}

/**
 * `alexnet experiment NAME --redraw`: curves.png drawn again from the
 * result.json a run left in `out`, so that a change to the charts does not
 * cost the hours of training behind it. Only curves.png is written: the
 * numbers stay as they were measured.
 */
async function redrawExperiment(name: string, e: Experiment, out: string, v: Parsed<typeof EXPERIMENT_COMMAND.options>['values']): Promise<number> {
  const training = (['quick', 'images', 'epochs', 'test-images', 'data', 'overwrite'] as const).filter((k) => v[k] !== undefined && v[k] !== false);
  if (training.length > 0) throw new UsageError(`--redraw trains nothing, so it takes no ${training.map((k) => `--${k}`).join(', ')}`);
  const file = join(out, 'result.json');
  if (!existsSync(file)) throw new UsageError(`--redraw: ${file} does not exist; it draws from the result.json an earlier \`alexnet experiment ${name} --out ${out}\` left there`);
  const size = statSync(file).size;
  if (size > MAX_RESULT_BYTES) throw new UsageError(`--redraw: ${file} has ${size} bytes, more than the ${MAX_RESULT_BYTES} a result.json of \`alexnet experiment\` can have`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`--redraw: ${file} is not valid JSON (${(err as Error).message})`);
  }
  const saved = checkSaved(parsed, name, e, `--redraw: ${file}`);
  await writePanelsPng(join(out, 'curves.png'), curvesTitle(name, e, saved.seeds.length), panels(e, saved));
  console.log(rowTable(saved, saved.command));
  console.log(`\nwrote ${join(out, 'curves.png')} from ${file} (measured ${saved.date}; nothing trained)`);
  return 0;
}

/** A result.json holds a few hundred numbers a run: 64 MiB is far beyond any real one, and keeps a wrong file from being read whole. */
const MAX_RESULT_BYTES = 64 << 20;

/**
 * The parsed result.json as a SavedExperiment of experiment `name`, or a
 * UsageError naming the first field (by its path) that is not what
 * `alexnet experiment` writes: every field the curves and the row read.
 */
function checkSaved(o: unknown, name: string, e: Experiment, where: string): SavedExperiment {
  const fail = (path: string, expected: string): never => { throw new UsageError(`${where}: ${path} is not ${expected} (expected what \`alexnet experiment\` writes)`); };
  const obj = (v: unknown, path: string) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Record<string, unknown> : fail(path, 'an object'));
  const num = (v: unknown, path: string) => (typeof v === 'number' && Number.isFinite(v) ? v : fail(path, 'a finite number'));
  const str = (v: unknown, path: string) => (typeof v === 'string' ? v : fail(path, 'a string'));
  const arr = (v: unknown, path: string, min = 0) => (Array.isArray(v) && v.length >= min ? v : fail(path, min > 0 ? `an array of at least ${min}` : 'an array'));
  const nums = (v: unknown, path: string, min = 0) => arr(v, path, min).forEach((x, i) => num(x, `${path}[${i}]`));
  const effect = (v: unknown, path: string) => { const f = obj(v, path); num(f.difference, `${path}.difference`); num(f.standardError, `${path}.standardError`); str(f.verdict, `${path}.verdict`); };
  const r = obj(o, 'the file');
  if (r.experiment !== name) throw new UsageError(`${where} holds the result of experiment '${String(r.experiment)}', not '${name}'`);
  if (r.metric !== e.metric) fail('metric', `'${e.metric}'`);
  for (const k of ['section', 'claim', 'paper', 'baseline', 'command', 'date']) str(r[k], k);
  num(obj(r.budget, 'budget').epochs, 'budget.epochs');
  nums(r.seeds, 'seeds', 1);
  arr(r.runs, 'runs', 1).forEach((v, i) => {
    const run = obj(v, `runs[${i}]`), at = `runs[${i}]`;
    str(run.variant, `${at}.variant`);
    for (const k of ['trainError', 'secondsPerStep', 'crossedBytesPerStep']) num(run[k], `${at}.${k}`);
    for (const t of ['test', ...(run.testTenCrop === undefined ? [] : ['testTenCrop'])]) num(obj(run[t], `${at}.${t}`).top1Error, `${at}.${t}.top1Error`);
    arr(run.history, `${at}.history`, e.metric === 'epochs-to-25' ? 0 : 1).forEach((h, j) => {
      const rec = obj(h, `${at}.history[${j}]`);
      for (const k of ['epoch', 'trainLoss', 'valTop1']) num(rec[k], `${at}.history[${j}].${k}`);
    });
    arr(run.trainCurve, `${at}.trainCurve`, e.metric === 'epochs-to-25' ? 1 : 0).forEach((p, j) => {
      const pt = obj(p, `${at}.trainCurve[${j}]`);
      num(pt.epoch, `${at}.trainCurve[${j}].epoch`); num(pt.error, `${at}.trainCurve[${j}].error`);
    });
  });
  arr(r.ablations, 'ablations', 1).forEach((v, i) => {
    const a = obj(v, `ablations[${i}]`), at = `ablations[${i}]`;
    str(a.variant, `${at}.variant`);
    nums(a.baseline, `${at}.baseline`, 1); nums(a.ablated, `${at}.ablated`, 1);
    effect(a.effect, `${at}.effect`);
    if (a.effectTop5 !== undefined) effect(a.effectTop5, `${at}.effectTop5`);
  });
  // The curves and the row take each arm's runs by name: the paper's arm and every ablation must have some.
  const variants = new Set((r.runs as { variant: string }[]).map((x) => x.variant));
  const arms = e.metric === 'ten-crop' ? [r.baseline] : [r.baseline, ...(r.ablations as { variant: string }[]).map((a) => a.variant)];
  for (const arm of arms) if (!variants.has(arm as string)) fail(`runs`, `a list holding runs of '${String(arm)}'`);
  return r as unknown as SavedExperiment;
}
