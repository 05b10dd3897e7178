// Training throughput in images per second: the small and the paper
// configurations, CPU against GPU (llvmpipe here), one partition against two,
// in one run.
//
//   xvfb-run -a npm run bench:train -- [--configs small,paper] [--steps 5] [--batch 64]
//
// Each case runs one warm-up step (kernel compilation), then `steps` timed
// steps on random data; the paper net uses batch 8 and one timed step.

import { Rng } from '../src/cpu/random.js';
import { PAPER_SGD } from '../src/cpu/sgd.js';
import { makeNet } from '../src/api/nets.js';
import { CONFIGS } from '../src/nn/config.js';
import { initParams } from '../src/nn/model.js';
import { listOption } from './harness.js';
import { commandLine, report } from './report.js';

const argv = process.argv.slice(2);
const configs = listOption(argv, 'configs', ['small', 'paper']);
const steps = Number(listOption(argv, 'steps', ['5'])[0]);
const smallBatch = Number(listOption(argv, 'batch', ['64'])[0]);

const rows: string[][] = [];
for (const name of configs) {
  const c = CONFIGS[name]();
  const B = name === 'paper' ? 8 : smallBatch, n = name === 'paper' ? 1 : steps;
  for (const [backend, partitions] of [['cpu', 1], ['cpu', 2], ['gpu', 1], ['gpu', 2]] as const) {
    const rng = Rng.seeded(1);
    const net = await makeNet(backend, partitions, c, initParams(c, rng));
    const x = rng.normalArray(B * c.inputChannels * c.inputSize * c.inputSize);
    const labels = Int32Array.from({ length: B }, () => rng.int(c.classes));
    await net.step(x, labels, rng, PAPER_SGD);
    const t0 = performance.now();
    let crossed = 0;
    for (let i = 0; i < n; i++) crossed = (await net.step(x, labels, rng, PAPER_SGD)).crossedBytes;
    const s = (performance.now() - t0) / 1000;
    await net.dispose();
    const ips = (n * B) / s;
    process.stderr.write(`  ${name} ${net.description}: ${ips.toFixed(1)} images/s\n`);
    rows.push([name, String(B), net.description, (s / n).toFixed(2), ips.toFixed(1), partitions === 2 ? `${(crossed / 1024).toFixed(0)} KiB` : '']);
  }
}
report('train', commandLine('bench:train'), ['config', 'batch', 'runs on', 's / step', 'images / s', 'crossed / step'], rows);
