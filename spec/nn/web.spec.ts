// The page's build step and server (src/cli/web.ts, src/cli/server.ts),
// without a browser: IDX slices that parse back to the same images, and a
// server that serves its folder and nothing outside it, answers every bad
// request (raw bytes on a socket, so that no client library tidies them up)
// and keeps serving after each.

import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CONTENT_SECURITY_POLICY, isLoopbackHost, startServer } from '../../src/cli/server.js';
import { encodeIdx } from '../../src/cli/web.js';
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

/** Sends `request` as raw bytes and resolves with the status line's code and the whole response text. */
function raw(port: number, request: string): Promise<{ status: number; text: string }> {
  return new Promise((ok, fail) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(request));
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (d) => { text += d; });
    socket.on('error', fail);
    socket.on('close', () => ok({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0), text }));
  });
}

const get = (port: number, path: string, host = `127.0.0.1:${port}`, method = 'GET') =>
  raw(port, `${method} ${path} HTTP/1.1\r\nhost: ${host}\r\nconnection: close\r\n\r\n`);

test('the server answers every bad request and keeps serving: bad escapes, methods, hosts, symlinks out, garbage', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'alexnet-serve-'));
  const outside = mkdtempSync(join(tmpdir(), 'alexnet-outside-'));
  writeFileSync(join(dir, 'index.html'), '<p>hello</p>');
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data/a.txt'), 'inside');
  writeFileSync(join(outside, 'secret.txt'), 'secret');
  symlinkSync(join(outside, 'secret.txt'), join(dir, 'leak.txt'));
  symlinkSync(outside, join(dir, 'leakdir'));
  symlinkSync(join(dir, 'data/a.txt'), join(dir, 'alias.txt'));
  const { url, server } = await startServer(dir, 0);
  const port = Number(new URL(url).port);
  const alive = async (after: string) => {
    const r = await get(port, '/');
    assert.is(r.status, 200, `the server still answers after ${after}`);
    assert.ok(r.text.endsWith('<p>hello</p>'), after);
  };
  try {
    for (const path of ['/%', '/%E0%A4%A', '/data/%zz']) {
      const r = await get(port, path);
      assert.is(r.status, 400, path);
      assert.match(r.text, /not a valid percent-encoded URL path/);
      await alive(path);
    }
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
      const r = await get(port, '/', `127.0.0.1:${port}`, method);
      assert.is(r.status, 405, method);
      assert.match(r.text, /\r\nallow: GET, HEAD\r\n/i);
      await alive(method);
    }
    for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1:${port + 1}`, '127.0.0.1.evil.example']) {
      assert.is((await get(port, '/', host)).status, 421, host);
    }
    assert.is((await raw(port, 'GET / HTTP/1.0\r\n\r\n')).status, 421, 'no Host header');
    for (const host of [`localhost:${port}`, `[::1]:${port}`, '127.0.0.1']) assert.is((await get(port, '/', host)).status, 200, host);
    // Symbolic links: one out of the folder (a file, a folder) is not served; one to a file inside it is.
    for (const path of ['/leak.txt', '/leakdir/secret.txt', '/%2E%2E/' + outside.split('/').pop() + '/secret.txt', '/data%00.txt']) {
      const r = await get(port, path);
      assert.is(r.status, 404, path);
      assert.not.match(r.text, /secret$/);
    }
    assert.ok((await get(port, '/alias.txt')).text.endsWith('inside'));
    // Not HTTP at all: a 400 on that socket.
    assert.is((await raw(port, 'NONSENSE\r\n\r\n')).status, 400);
    await alive('a request that is not HTTP');
    // HEAD: the headers and no body; and the security headers on every answer.
    const head = await get(port, '/', `127.0.0.1:${port}`, 'HEAD');
    assert.is(head.status, 200);
    assert.match(head.text, /\r\ncontent-length: 12\r\n/i);
    assert.ok(head.text.endsWith('\r\n\r\n'), 'no body after the headers');
    for (const r of [head, await get(port, '/missing'), await get(port, '/%')]) {
      assert.match(r.text, /\r\nx-content-type-options: nosniff\r\n/i);
      assert.ok(r.text.toLowerCase().includes(`\r\ncontent-security-policy: ${CONTENT_SECURITY_POLICY.toLowerCase()}\r\n`));
      assert.match(r.text, /\r\ncross-origin-opener-policy: same-origin\r\n/i);
      assert.match(r.text, /\r\ncross-origin-embedder-policy: require-corp\r\n/i);
    }
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  }
});

test('isLoopbackHost: the loopback names on the bound port, nothing else', () => {
  for (const h of ['127.0.0.1:8080', 'LOCALHOST:8080', '[::1]:8080', 'localhost']) assert.ok(isLoopbackHost(h, 8080), h);
  for (const h of [undefined, '', '127.0.0.1:80', 'localhost.evil:8080', '127.0.0.2:8080', '[::2]:8080', 'evil.example', '127.0.0.1:8080:1']) {
    assert.not.ok(isLoopbackHost(h, 8080), String(h));
  }
});

test.run();
