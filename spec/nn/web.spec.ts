// The page's build step and server (src/cli/web.ts), without a browser:
// IDX slices that parse back to the same images, and a server that serves
// its folder and nothing outside it.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeIdx, startServer } from '../../src/cli/web.js';
import { parseIdx } from '../../src/nn/data/dataset.js';

test('encodeIdx writes what parseIdx reads back; a size mismatch is an error naming both', () => {
  const data = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => (i * 37) & 255);
  const back = parseIdx(encodeIdx([2, 3, 4], data), 'x');
  assert.equal(back.dims, [2, 3, 4]);
  assert.equal(Array.from(back.data), Array.from(data));
  assert.throws(() => encodeIdx([2, 3], data), /24 bytes for dims \[2, 3\] \(6 expected\)/);
});

test('startServer serves files of its folder on 127.0.0.1, index.html at /, and 404s paths outside it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'alexnet-serve-'));
  writeFileSync(join(dir, 'index.html'), '<p>hello</p>');
  writeFileSync(join(tmpdir(), 'alexnet-secret.txt'), 'secret');
  const { url, server } = await startServer(dir, 0);
  try {
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const home = await fetch(url);
    assert.is(home.status, 200);
    assert.is(home.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.is(await home.text(), '<p>hello</p>');
    assert.is((await fetch(`${url}missing.js`)).status, 404);
    assert.is((await fetch(`${url}..%2Falexnet-secret.txt`)).status, 404);
    assert.is((await fetch(`${url}%2E%2E/alexnet-secret.txt`)).status, 404);
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
