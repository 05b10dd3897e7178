// The `alexnet` command line: train, eval, predict, verify, summary, serve.

import { parseArgs } from 'node:util';
import type { Backend } from '../backend.js';
import { cpuBackend } from '../cpu/backend.js';
import { CONFIGS, withoutGroups } from '../nn/config.js';
import { summaryText } from './summary.js';
import { evalCommand, predictCommand } from './evaluate.js';
import { trainCommand } from './train.js';
import { compareCommand, verifyGoldens } from './verify.js';

const USAGE = `usage: alexnet <command> [options]

commands:
  train   [--config small] [--data DIR] [--backend gpu|cpu] [--partitions 2|1] [--epochs 10] [--batch 128]
          [--lr 0.01] [--patience 2] [--min-delta 0] [--seed 1] [--val 5000] [--limit N] [--test-limit N] [--ten-crop]
          [--input-scale S] [--init-std 0.01|he] [--bias-one B] [--widths 16,32,48,48,32] [--fc 256,256]
          [--dropout 0.3] [--pad 2] [--out runs/latest] [--resume]
                                            train (default: Fashion-MNIST from Debian, two GPU contexts)
  eval    [--checkpoint runs/latest/checkpoint.bin] [--ten-crop] [--backend cpu|gpu]
                                            top-1 and top-5 of a checkpoint on its test set
  predict IMAGE... [--checkpoint ...] [--ten-crop] [--top 5]
                                            the most probable classes of PNG or JPEG images
  verify  --goldens DIR [--backend cpu|gpu]  run golden cases (alexnet-golden/1) and compare
  verify  --compare cpu,gpu [--config paper] [--batch 2] [--seed 1]
                                            one forward and backward on both backends, every tensor compared
  summary [--config paper|tiny] [--no-groups]  layers, output shapes, parameter counts
  serve   [--port 8080] [--data DIR] [--slice 7000] [--out dist/web]
                                            build the browser page and serve it on 127.0.0.1
  help                                    this text
`;

function configByName(name: string) {
  const make = CONFIGS[name];
  if (!make) throw new Error(`--config ${name} is unknown; known: ${Object.keys(CONFIGS).join(', ')}`);
  return make();
}

async function backendByName(name: string): Promise<Backend<unknown>> {
  if (name === 'cpu') return cpuBackend() as Backend<unknown>;
  if (name === 'gpu') {
    // Loaded on demand: the CPU path must not need WebGL (or the gl addon) at all.
    const { gpuBackend } = await import('../gpu/backend.js');
    return gpuBackend() as unknown as Backend<unknown>;
  }
  throw new Error(`--backend ${name} is unknown; known: cpu, gpu`);
}

/** Runs the command line; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'verify': {
        const { values } = parseArgs({
          args: rest,
          options: {
            goldens: { type: 'string' }, backend: { type: 'string', default: 'cpu' }, compare: { type: 'string' },
            config: { type: 'string', default: 'paper' }, batch: { type: 'string', default: '2' }, seed: { type: 'string', default: '1' },
          },
        });
        if (values.compare) {
          const names = values.compare.split(',');
          if (names.length !== 2) throw new Error(`--compare takes two backends, as in --compare cpu,gpu; got '${values.compare}'`);
          const batch = Number(values.batch), seed = Number(values.seed);
          if (!Number.isInteger(batch) || batch < 1) throw new Error(`--batch must be an integer >= 1, got '${values.batch}'`);
          if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got '${values.seed}'`);
          return compareCommand(await backendByName(names[0]), await backendByName(names[1]), configByName(values.config!), batch, seed);
        }
        if (!values.goldens) throw new Error('verify needs --goldens DIR (for example ../shared/goldens) or --compare A,B');
        return verifyGoldens(await backendByName(values.backend!), values.goldens) === 0 ? 0 : 1;
      }
      case 'train':
        return await trainCommand(rest);
      case 'eval':
        return await evalCommand(rest);
      case 'predict':
        return await predictCommand(rest);
      case 'serve': {
        // Loaded on demand: esbuild is needed by this command only.
        const { serveCommand } = await import('./web.js');
        return await serveCommand(rest);
      }
      case 'summary': {
        const { values } = parseArgs({ args: rest, options: { config: { type: 'string', default: 'paper' }, 'no-groups': { type: 'boolean', default: false } } });
        const c = configByName(values.config!);
        console.log(summaryText(values['no-groups'] ? withoutGroups(c) : c));
        return 0;
      }
      case undefined:
      case 'help':
      case '--help':
        console.log(USAGE);
        return cmd === undefined ? 2 : 0;
      default:
        console.error(`alexnet: unknown command '${cmd}'\n\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    console.error(`alexnet ${cmd}: ${(e as Error).message}`);
    return 1;
  }
}
