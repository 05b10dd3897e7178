// A thin layer over benchmark.js: run named cases, collect mean times, print tables.

import BenchmarkNode from 'benchmark';
import lodash from 'lodash';
import platform from 'platform';

// benchmark.js finds lodash with a require() that bundlers cannot see; handing it over works in Node and in a page.
const Benchmark = (BenchmarkNode as unknown as { runInContext(c: object): typeof BenchmarkNode }).runInContext({ _: lodash, platform });

/** Timing of one benchmark case. */
export interface Timing {
  name: string;
  ms: number;
  rme: number;
  samples: number;
}

// Node or a browser page (bench/browser/): settings from the environment where there is one, logs to stderr or the console.
const env: Record<string, string | undefined> = typeof process === 'undefined' ? {} : process.env;
const log = (s: string) => (typeof process === 'undefined' ? console.log(s.trimEnd()) : process.stderr.write(s));

/** A call slower than this many seconds is timed once instead of sampled (tfjs's conv backward takes minutes). */
const ONCE_ABOVE_S = Number(env.BENCH_ONCE_ABOVE ?? 8);

/** Runs fn under benchmark.js (at least 2 samples, about maxTime seconds) and returns its mean time. */
export function measure(name: string, fn: () => void, maxTime = Number(env.BENCH_MAX_TIME ?? 2)): Timing {
  let result: Timing | undefined;
  const t0 = performance.now();
  fn();
  const first = performance.now() - t0;
  if (first > ONCE_ABOVE_S * 1000) {
    log(`  ${name}: ${first.toFixed(1)} ms (one run: too slow to sample)\n`);
    return { name, ms: first, rme: NaN, samples: 1 };
  }
  const b = new Benchmark(name, fn, {
    minSamples: 2, maxTime, initCount: 1, minTime: 0.05,
    onComplete(this: BenchmarkNode) {
      result = { name, ms: this.stats.mean * 1000, rme: this.stats.rme, samples: this.stats.sample.length };
    },
    onError(this: BenchmarkNode & { error: unknown }) {
      throw this.error;
    },
  });
  b.run({ async: false });
  if (!result) throw new Error(`benchmark ${name} produced no result`);
  log(`  ${name}: ${result.ms.toFixed(1)} ms +-${result.rme.toFixed(0)}% (${result.samples} samples)\n`);
  return result;
}

/** measure() for an asynchronous fn (benchmark.js's deferred mode: each call's Promise is awaited before the next). */
export async function measureAsync(name: string, fn: () => Promise<unknown>, maxTime = Number(env.BENCH_MAX_TIME ?? 2)): Promise<Timing> {
  const t0 = performance.now();
  await fn();
  const first = performance.now() - t0;
  if (first > ONCE_ABOVE_S * 1000) {
    log(`  ${name}: ${first.toFixed(1)} ms (one run: too slow to sample)\n`);
    return { name, ms: first, rme: NaN, samples: 1 };
  }
  const result = await new Promise<Timing>((resolve, reject) => {
    const b = new Benchmark(name, {
      defer: true, minSamples: 2, maxTime, initCount: 1, minTime: 0.05,
      fn: (deferred: { resolve(): void }) => { fn().then(() => deferred.resolve(), reject); },
      onComplete(this: BenchmarkNode) {
        resolve({ name, ms: this.stats.mean * 1000, rme: this.stats.rme, samples: this.stats.sample.length });
      },
      onError(this: BenchmarkNode & { error: unknown }) {
        reject(this.error);
      },
    });
    b.run({ async: true });
  });
  log(`  ${name}: ${result.ms.toFixed(1)} ms +-${result.rme.toFixed(0)}% (${result.samples} samples)\n`);
  return result;
}

/** Formats rows under a header as a Markdown table. */
export function markdownTable(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** Parses `--name a,b` style options of a bench script. */
export function listOption(argv: string[], name: string, fallback: string[]): string[] {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1].split(',') : fallback;
}
