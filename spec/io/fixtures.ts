// The weights fixtures of scripts/fixtures.py, written once per test run into
// a temporary folder by the tools that own each format (PyTorch, onnx,
// Python's protobuf), and read back here. Without /usr/bin/python3 and torch
// the suites that need them fail under CI (setup.sh installs them) and are
// skipped elsewhere.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readNpy } from '../../src/io/npy.js';
import type { HostTensor } from '../../src/io/tensors.js';

/** One case of the manifest: weights file(s), an input batch, PyTorch's float64 logits. */
export interface FixtureCase { name: string; files: string[]; input: string; logits: string; format: string; config: string; prototxt?: string }

let made: { dir: string; cases: FixtureCase[] } | null | undefined;
let madeFull: { dir: string; cases: FixtureCase[] } | null | undefined;

/** Whether the fixture tools are installed (python3 with torch, onnx, protobuf and protoc). */
export function fixtureToolsPresent(): boolean {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import torch, torchvision, onnx, google.protobuf'], { stdio: 'ignore' });
  const p = spawnSync('protoc', ['--version'], { stdio: 'ignore' });
  return r.status === 0 && p.status === 0;
}

/** Runs scripts/fixtures.py into a new temporary folder (removed when the run ends) and reads its manifest. */
function generate(prefix: string, args: string[]): { dir: string; cases: FixtureCase[] } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  execFileSync('/usr/bin/python3', [resolve('scripts/fixtures.py'), dir, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { cases: FixtureCase[] };
  return { dir, cases: m.cases };
}

function toolsOrSkip(what: string): boolean {
  if (fixtureToolsPresent()) return true;
  if (process.env.CI) throw new Error('CI=true but /usr/bin/python3 lacks torch, torchvision, onnx or protobuf, or protoc is missing: scripts/setup.sh installs them');
  console.warn(`spec/io: python3-torch, python3-onnx, python3-protobuf or protobuf-compiler missing; ${what} skipped`);
  return false;
}

/** The reduced-width fixtures folder and its cases (made on first use), or null when the tools are missing outside CI. */
export function fixtures(): { dir: string; cases: FixtureCase[] } | null {
  if (made === undefined) made = toolsOrSkip('weights fixtures') ? generate('alexnet-fixtures-', []) : null;
  return made;
}

/** The full-size fixtures (one 244 MB file per format, 1.4 GB in all; made on first use), or null as fixtures(). */
export function fullFixtures(): { dir: string; cases: FixtureCase[] } | null {
  if (madeFull === undefined) madeFull = toolsOrSkip('full-size weights fixtures') ? generate('alexnet-fixtures-full-', ['--full']) : null;
  return madeFull;
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
