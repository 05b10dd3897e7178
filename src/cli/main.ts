// The `alexnet` command line: train, eval, predict, verify, summary, serve.
// Every command declares its options in one table (src/cli/options.ts) that
// gives its parser, the validation of every value before any work starts,
// and its --help. Exit codes: 0 success, 1 a failure while working, 2 a usage error.

import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { backendNamed } from '../api/backends.js';
import { CONFIGS, withoutGroups } from '../nn/config.js';
import { layerShapes, parameterCount } from '../nn/layers.js';
import { summaryText } from '../report/summary.js';
import { VERSION } from '../version.js';
import { EVAL_COMMAND, PREDICT_COMMAND, evalCommand, predictCommand } from './evaluate.js';
import { type CommandSpec, type OptionSpec, UsageError, helpText, parseCommand, usageLine } from './options.js';
import { EXPERIMENT_COMMAND, experimentCommand } from './experiment.js';
import { FILTERS_COMMAND, filtersCommand } from './filters.js';
import { NEIGHBOURS_COMMAND, neighboursCommand } from './neighbours.js';
import { TRAIN_COMMAND, trainCommand } from './train.js';
import { compareCommand, kitCommand, loadBackendModule, parseOps, parseTolerances, readGoldenDir, verifyGoldens } from './verify.js';
import { EXPORT_COMMAND, RUN_COMMAND, WEIGHTS_OPTIONS, exportCommand, runCommand } from './weights.js';
import { readWeightsFile } from '../api/weights.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The project's own golden cases (PyTorch float64, written by scripts/goldens.py), shipped with the package. */
export const BUNDLED_GOLDENS = resolve(ROOT, 'goldens');

const SUMMARY_COMMAND = {
  name: 'summary',
  summary: 'Every layer of a configuration with its output shape, parameters and multiply-adds, and the totals.',
  options: {
    config: { type: 'enum', values: Object.keys(CONFIGS), default: 'paper', help: 'network configuration' },
    ...WEIGHTS_OPTIONS,
    'no-groups': { type: 'boolean', help: 'the same net with groups = 1 (checks that the two-GPU grouping is applied)' },
    json: { type: 'boolean', help: 'print one JSON object instead of the table' },
  },
} as const satisfies CommandSpec<Record<string, OptionSpec>>;

const VERIFY_COMMAND = {
  name: 'verify',
  summary: 'Runs PyTorch golden cases (format: docs/golden-format.md) through a backend and compares every tensor;\n' +
    'or, with --compare A,B, one seeded forward and backward on two backends, every tensor compared.',
  options: {
    goldens: { type: 'string', arg: 'DIR[,DIR...]', help: 'folders of alexnet-golden/1 files (default: the goldens shipped with alexnet-ts)' },
    backend: { type: 'string', arg: 'cpu|cpu-float32-sums|cpu-threads|cpu-float64|gpu|MODULE', default: 'cpu', help: 'cpu, cpu-float32-sums (float32 sums, checked against the reference by the kit), cpu-threads (those sums over every core), cpu-float64 (the reference in double precision: the kit adds the finite-difference gradient check), gpu, or an ES module (path or package) whose default export is a Backend, a function returning one, or a Promise of one' },
    ops: { type: 'string', arg: 'OP[,OP...]|all', help: 'run the op properties against the CPU reference for these ops (default for a MODULE: all)' },
    runs: { type: 'int', min: 1, default: 40, help: 'generated cases per op' },
    seed: { type: 'int', min: 0, help: 'fast-check seed of the op properties (default: from the clock, printed), or of --compare (default 1)' },
    path: { type: 'string', arg: 'PATH', help: 'with --seed: the path a failure printed, to replay its shrunk case' },
    tolerance: { type: 'string', arg: 'OP=X[,...]', help: 'tolerances of the op properties, relative to the expected max (defaults: docs/verification.md)' },
    models: { type: 'string', arg: 'CONFIG[,...]', default: 'tiny,small', help: 'with the op properties: configurations compared whole, forward and backward (none: no model)' },
    compare: { type: 'string', arg: 'A,B', help: 'two backends to compare instead, as in cpu,gpu' },
    config: { type: 'enum', values: Object.keys(CONFIGS), default: 'paper', help: 'configuration of --compare' },
    batch: { type: 'int', min: 1, default: 2, help: 'batch of --compare' },
    json: { type: 'boolean', help: 'print one JSON object instead of the tables' },
    quiet: { type: 'boolean', help: 'list failing tensors only' },
  },
} as const satisfies CommandSpec<Record<string, OptionSpec>>;

const SERVE_COMMAND = {
  name: 'serve',
  summary: 'Writes the browser page (built with the package) and a Fashion-MNIST slice to --out and serves it on 127.0.0.1.',
  options: {
    port: { type: 'int', min: 0, max: 65535, default: 8080, help: 'port (0: any free one)' },
    data: { type: 'string', arg: 'DIR', help: 'Fashion-MNIST IDX folder (default: Debian\'s)' },
    slice: { type: 'int', min: 1001, default: 7000, help: 'training images written for the page (1000 of them validate)' },
    out: { type: 'string', arg: 'DIR', default: 'runs/web', help: 'folder the page and its data are written to' },
  },
} as const satisfies CommandSpec<Record<string, OptionSpec>>;

/** One command: its option table and what runs it. */
interface Command {
  spec: CommandSpec<Record<string, OptionSpec>>;
  run: (argv: string[]) => Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  train: { spec: TRAIN_COMMAND, run: (a) => trainCommand(parseCommand(TRAIN_COMMAND, a)) },
  eval: { spec: EVAL_COMMAND, run: (a) => evalCommand(parseCommand(EVAL_COMMAND, a)) },
  predict: { spec: PREDICT_COMMAND, run: (a) => predictCommand(parseCommand(PREDICT_COMMAND, a)) },
  experiment: { spec: EXPERIMENT_COMMAND, run: (a) => experimentCommand(parseCommand(EXPERIMENT_COMMAND, a)) },
  filters: { spec: FILTERS_COMMAND, run: (a) => filtersCommand(parseCommand(FILTERS_COMMAND, a)) },
  neighbours: { spec: NEIGHBOURS_COMMAND, run: (a) => neighboursCommand(parseCommand(NEIGHBOURS_COMMAND, a)) },
  run: { spec: RUN_COMMAND, run: (a) => runCommand(parseCommand(RUN_COMMAND, a)) },
  export: { spec: EXPORT_COMMAND, run: (a) => exportCommand(parseCommand(EXPORT_COMMAND, a)) },
  verify: {
    spec: VERIFY_COMMAND,
    async run(a) {
      const { values: v } = parseCommand(VERIFY_COMMAND, a);
      if (v.compare !== undefined) {
        const names = v.compare.split(',');
        if (names.length !== 2 || names.some((n) => n !== 'cpu' && n !== 'gpu')) throw new UsageError(`--compare takes two backends of cpu, gpu, as in --compare cpu,gpu; got '${v.compare}'`);
        return compareCommand(await backendNamed(names[0]), await backendNamed(names[1]), CONFIGS[v.config](), v.batch, v.seed ?? 1, console.log, v);
      }
      const named = ['cpu', 'gpu', 'cpu-float64', 'cpu-float32-sums', 'cpu-threads'].includes(v.backend);
      if (v.ops !== undefined || !named) {
        const ops = parseOps(v.ops ?? 'all'), tolerance = parseTolerances(v.tolerance);
        const models = v.models === 'none' ? [] : v.models.split(',').filter(Boolean);
        for (const m of models) if (!CONFIGS[m]) throw new UsageError(`--models takes configurations of ${Object.keys(CONFIGS).join(', ')} (or none); got '${m}'`);
        const be = named ? await backendNamed(v.backend) : await loadBackendModule(v.backend);
        try {
          const entries = (v.goldens === undefined ? [BUNDLED_GOLDENS] : v.goldens.split(',').filter(Boolean)).flatMap(readGoldenDir);
          for (const e of entries.filter((x) => x.error)) console.error(`verify: ${e.error}`);
          const goldens = entries.filter((e) => e.golden).map((e) => ({ file: e.file, golden: e.golden! }));
          const code = await kitCommand(be, { ops, runs: v.runs, seed: v.seed, path: v.path, tolerance, models, goldens, json: v.json, quiet: v.quiet, backendArg: v.backend });
          return entries.some((x) => x.error) ? 1 : code;
        } finally {
          if (named) await (be as { destroy?: () => Promise<void> }).destroy?.();
        }
      }
      const dirs = v.goldens === undefined ? [BUNDLED_GOLDENS] : v.goldens.split(',').filter(Boolean);
      if (dirs.length === 0) throw new UsageError('--goldens needs a folder');
      if (v.goldens === undefined && !existsSync(BUNDLED_GOLDENS)) throw new Error(`the bundled goldens are missing at ${BUNDLED_GOLDENS}; pass --goldens DIR`);
      return verifyGoldens(await backendNamed(v.backend), dirs, console.log, v);
    },
  },
  summary: {
    spec: SUMMARY_COMMAND,
    async run(a) {
      const { values: v } = parseCommand(SUMMARY_COMMAND, a);
      const w = v.weights === undefined ? undefined : await readWeightsFile(v.weights, { prototxt: v.prototxt });
      const base = w?.config ?? CONFIGS[v.config]();
      const c = v['no-groups'] ? withoutGroups(base) : base;
      if (w && !v.json) console.log(`${v.weights}: ${w.found}; configuration ${c.name}${w.preset ? `, input convention ${w.preset}` : ''}\n`);
      if (v.json) {
        const layers = layerShapes(c).map((l) => ({ name: l.layer.name, kind: l.layer.kind, outShape: l.outShape, params: l.params, macs: l.macs }));
        console.log(JSON.stringify({ ...(w ? { weights: v.weights, format: w.format, found: w.found, preset: w.preset } : {}), config: c, parameters: parameterCount(c), macs: layers.reduce((s, l) => s + l.macs, 0), layers }));
      } else console.log(summaryText(c));
      return 0;
    },
  },
  serve: {
    spec: SERVE_COMMAND,
    async run(a) {
      const { values: v } = parseCommand(SERVE_COMMAND, a);
      const { serveCommand } = await import('./web.js');
      return serveCommand(v);
    },
  },
};

function overview(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((k) => k.length)) + 2;
  return [
    'usage: alexnet <command> [options]', '',
    'AlexNet (Krizhevsky, Sutskever, Hinton 2012): train, evaluate, classify, verify. `alexnet <command> --help` lists a command\'s options.', '',
    'commands:',
    ...Object.entries(COMMANDS).map(([k, c]) => `  ${k.padEnd(w)}${c.spec.summary.split('\n')[0]}`),
    `  ${'help'.padEnd(w)}this text`, '',
    'options: --version, --help', '',
    'exit codes: 0 success, 1 a failure while working, 2 a usage error',
  ].join('\n');
}

/** Runs the command line; returns the exit code (0 success, 1 failure while working, 2 usage error). */
export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === '--version' || cmd === '-v' || cmd === 'version') {
    console.log(VERSION);
    return 0;
  }
  if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    const sub = cmd === 'help' ? rest[0] : undefined;
    if (sub && COMMANDS[sub]) console.log(helpText(COMMANDS[sub].spec));
    else (cmd === undefined ? console.error : console.log)(overview());
    return cmd === undefined ? 2 : 0;
  }
  const c = COMMANDS[cmd];
  if (!c) {
    console.error(`alexnet: unknown command '${cmd}'\n\n${overview()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(helpText(c.spec));
    return 0;
  }
  try {
    return await c.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`alexnet ${cmd}: ${e.message}\n${usageLine(c.spec)}  (alexnet ${cmd} --help lists the options)`);
      return 2;
    }
    console.error(`alexnet ${cmd}: ${(e as Error).message}`);
    return 1;
  }
}
