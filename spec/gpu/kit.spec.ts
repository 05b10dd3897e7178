// The project's own gpu.js backend through the verification kit, as any
// other backend would go through it: every op against the CPU reference with
// the kit's default tolerances (docs/verification.md). Fewer runs than the
// kit's default: every new shape compiles new shaders (tens of ms on llvmpipe).
// spec/gpu/agreement.spec.ts keeps the kernel-form checks the kit cannot see
// (each packed and tiled kernel forced in turn, the SGD step's releases).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gpuBackend } from '../../src/gpu/backend.js';
import { verifyBackend } from '../../src/verify/index.js';
import { FC_SEED_OPTION } from '../helpers.js';
import { sharedContext } from './context.js';

const ctx = await sharedContext();

test('the gpu.js backend passes every op of the kit, and both whole nets', async () => {
  const seed = (FC_SEED_OPTION as { seed?: number }).seed;
  const before = ctx.liveTextures();
  const r = await verifyBackend(gpuBackend(ctx), { runs: 12, seed });
  const failed = r.ops.filter((o) => o.status !== 'pass').map((o) => `${o.op} ${o.status}: ${JSON.stringify(o.counterexample ?? o.missing)}`);
  assert.equal(failed, [], `replay with FC_SEED=${r.seed}`);
  assert.equal(r.models.map((m) => `${m.config} ${m.status}`), ['tiny pass', 'small pass'], JSON.stringify(r.models));
  assert.is(ctx.liveTextures(), before, 'the kit released every texture it made');
});

test.run();
