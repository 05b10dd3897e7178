// Runs the fuzzer's children (child.ts), one process per reader, and gathers
// their reports: for the spec (spec/io/fuzz.spec.ts) and for the docs'
// table (scripts/fuzz.ts).

import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');

/** What one child reports. */
export interface FuzzReport {
  target: string; what: string; bytes: number; cases: number; read: number; refused: number; slowestMs: number; peakMB: number;
  failure: { counterexample: unknown; error: string; seed: number; path: string } | null;
}

/** The targets that need scripts/fixtures.py's files (PyTorch, ONNX, Caffe); the others need nothing. */
export const FIXTURE_TARGETS = ['pth-zip', 'pth-legacy', 'safetensors', 'onnx', 'caffe', 'caffe-v1', 'caffe-mean', 'prototxt'];
/** Every target, in the report's order. */
export const TARGETS = ['idx', 'idx-gzip', 'cifar-10', 'checkpoint', 'png', 'jpeg', 'npy', 'golden', ...FIXTURE_TARGETS];

/** The command that replays one target's run. */
export function replay(target: string, runs: number, seed: number, dir: string): string {
  return `node --import tsx spec/io/fuzz/child.ts ${target} ${runs} ${seed} ${dir}`;
}

/** Fuzzes one target in a child process; a child that crashes or runs past `timeoutMs` is reported as a failure. */
export function fuzzTarget(target: string, runs: number, seed: number, dir: string, timeoutMs = 300_000): FuzzReport {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'child.ts'), target, String(runs), String(seed), dir], { cwd: root, encoding: 'utf8', timeout: timeoutMs });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as FuzzReport;
  } catch {
    const why = r.error ? `${r.error.message} (a hang or a run past ${timeoutMs / 1000} s)` : `exit ${r.status}, signal ${r.signal}: ${r.stderr.slice(-600)}`;
    return { target, what: target, bytes: 0, cases: 0, read: 0, refused: 0, slowestMs: 0, peakMB: 0, failure: { counterexample: null, error: why, seed, path: '' } };
  }
}
