// The committed goldens are what scripts/goldens.py writes: regenerated with
// Debian's python3-torch into a temporary folder and compared, value by
// value. Float64 values may differ in their last bits under another torch
// build (summation order inside its kernels): 1e-12 of (1 + |value|) allows
// that and is seven orders of magnitude below the 1e-5 the goldens test at.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GOLDENS } from '../helpers.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PY = '/usr/bin/python3';
const hasTorch = existsSync(PY) && spawnSync(PY, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

/** The first place two parsed JSON values differ (numbers within the tolerance above), or undefined. */
function firstDifference(a: unknown, b: unknown, path: string): string | undefined {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= 1e-12 * (1 + Math.abs(b)) ? undefined : `${path}: ${a} vs ${b}`;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path}: length ${a.length} vs ${b.length}`;
    for (let i = 0; i < a.length; i++) { const d = firstDifference(a[i], b[i], `${path}[${i}]`); if (d) return d; }
    return undefined;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).sort(), kb = Object.keys(b).sort();
    if (ka.join() !== kb.join()) return `${path}: keys ${ka.join(',')} vs ${kb.join(',')}`;
    for (const k of ka) { const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`); if (d) return d; }
    return undefined;
  }
  return a === b ? undefined : `${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
}

test('the committed goldens/ match a regeneration by scripts/goldens.py (when python3-torch is installed)', () => {
  if (!hasTorch) {
    // .ci/run installs python3-torch (scripts/setup.sh): there the check must run, not pass by being skipped.
    assert.not.ok(process.env.CI, 'CI=true but /usr/bin/python3 cannot import torch: scripts/setup.sh should have installed python3-torch');
    console.log('  (no python3-torch at /usr/bin/python3: regeneration not checked)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'goldens-regen-'));
  const r = spawnSync(PY, [join(root, 'scripts/goldens.py'), dir], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const committed = readdirSync(GOLDENS).filter((f) => f.endsWith('.json')).sort();
  assert.equal(readdirSync(dir).sort(), committed);
  for (const f of committed) {
    const a = JSON.parse(readFileSync(join(GOLDENS, f), 'utf8')), b = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    delete a.generator; delete b.generator;
    const d = firstDifference(a, b, f);
    assert.is(d, undefined, `goldens/${f} differs from a regeneration: ${d} (run npm run goldens)`);
  }
});

test.run();
