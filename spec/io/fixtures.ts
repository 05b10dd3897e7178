// The weights fixtures of scripts/fixtures.py, written once per test run into
// a temporary folder by the tools that own each format (PyTorch, onnx,
// Python's protobuf), and read back here. Without /usr/bin/python3 and torch
// the suites that need them fail under CI (setup.sh installs them) and are
// skipped elsewhere.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readNpy } from '../../src/io/npy.js';
import type { HostTensor } from '../../src/io/tensors.js';

/** One case of the manifest: weights file(s), an input batch, PyTorch's float64 logits. */
export interface FixtureCase { name: string; files: string[]; input: string; logits: string; format: string; config: string; prototxt?: string }

let made: { dir: string; cases: FixtureCase[] } | null | undefined;

/** Whether the fixture tools are installed (python3 with torch, onnx, protobuf and protoc). */
export function fixtureToolsPresent(): boolean {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import torch, torchvision, onnx, google.protobuf'], { stdio: 'ignore' });
  const p = spawnSync('protoc', ['--version'], { stdio: 'ignore' });
  return r.status === 0 && p.status === 0;
}

/** The fixtures folder and its cases (made on first use), or null when the tools are missing outside CI. */
export function fixtures(): { dir: string; cases: FixtureCase[] } | null {
  if (made !== undefined) return made;
  if (!fixtureToolsPresent()) {
    if (process.env.CI) throw new Error('CI=true but /usr/bin/python3 lacks torch, torchvision, onnx or protobuf, or protoc is missing: scripts/setup.sh installs them');
    console.warn('spec/io: python3-torch, python3-onnx, python3-protobuf or protobuf-compiler missing; weights fixtures skipped');
    return (made = null);
  }
  const dir = mkdtempSync(join(tmpdir(), 'alexnet-fixtures-'));
  execFileSync('/usr/bin/python3', [resolve('scripts/fixtures.py'), dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { cases: FixtureCase[] };
  return (made = { dir, cases: m.cases });
}

/** A .npy file of the fixtures folder. */
export function npyAt(dir: string, file: string): HostTensor {
  const b = readFileSync(join(dir, file));
  return readNpy(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), file);
}

/** max |a - b| / max |b|: the agreement measure of the weights specs. */
export function relToMax(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} and ${b.length}`);
  let m = 0, e = 0;
  for (let i = 0; i < a.length; i++) { m = Math.max(m, Math.abs(b[i])); e = Math.max(e, Math.abs(a[i] - b[i])); }
  return e / m;
}
