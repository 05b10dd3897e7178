// The static file server behind `alexnet serve`: the page and its data, on
// the loopback interface only, for a browser on the same machine.
//
// Every request is answered and none can stop the server: a URL that does not
// decode is a 400, a method other than GET or HEAD a 405, a Host header that
// is not a loopback name a 421 (a page on another site that rebinds its DNS
// name to 127.0.0.1 would otherwise read the served files: DNS rebinding), a
// path whose real location (symbolic links followed) lies outside the served
// folder a 404, and a file that cannot be read a 500. Responses carry
// `X-Content-Type-Options: nosniff` and a Content-Security-Policy that the
// page satisfies (scripts and styles from the page's origin only, no inline
// code; 'unsafe-eval' for protobufjs's compiled decoders), and
// the cross-origin isolation headers (COOP, COEP) that SharedArrayBuffer
// needs, so threaded kernels can run in the page.

import { readFileSync, realpathSync, statSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { extname, join, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.map': 'application/json', '.png': 'image/png', '.json': 'application/json',
};

/** The Content-Security-Policy of every response: what the page (web/index.html, dist/page/app.js) needs and nothing more. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  // 'unsafe-eval': protobufjs, which reads ONNX and Caffe files, compiles each message type's decoder with
  // Function (protobufjs/src/util/codegen.js); without it those files fail in the page. It also covers
  // compiling the CPU path's WebAssembly tile (without either, Chromium refuses WebAssembly.instantiate).
  "script-src 'self' 'unsafe-eval'",
  "style-src 'self'",
  // Canvases drawn from decoded files (blob: URLs) and the PNG downloads.
  "img-src 'self' blob: data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

/** Headers on every response. */
const SECURITY_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
  'referrer-policy': 'no-referrer',
};

/** Host names a request may name: the loopback interface the server binds to (with or without the port). */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Whether a Host header names the loopback interface on `port`. */
export function isLoopbackHost(host: string | undefined, port: number): boolean {
  if (!host) return false;
  const m = /^(\[[^\]]*\]|[^:]+)(?::(\d+))?$/.exec(host.trim().toLowerCase());
  return !!m && LOOPBACK_HOSTS.has(m[1]) && (m[2] === undefined || Number(m[2]) === port);
}

function answer(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', ...extra }).end(text);
}

/** The file a request path names inside `root` (already a real path), or undefined when there is none inside it. */
function resolveInside(root: string, path: string): string | undefined {
  if (path.includes('\0')) return undefined;
  let real: string;
  try {
    // realpath follows every symbolic link, so a link that points out of the folder resolves outside it.
    real = realpathSync(join(root, path === '/' ? 'index.html' : path));
  } catch {
    return undefined;
  }
  if (!real.startsWith(root + sep)) return undefined;
  try {
    return statSync(real).isFile() ? real : undefined;
  } catch {
    return undefined;
  }
}

function handle(root: string, port: () => number, req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') return answer(res, 405, `method not allowed: ${req.method} (GET and HEAD only)\n`, { allow: 'GET, HEAD' });
  if (!isLoopbackHost(req.headers.host, port())) return answer(res, 421, `host not served: ${JSON.stringify(req.headers.host ?? '')} (127.0.0.1, localhost or [::1] on port ${port()})\n`);
  let path: string;
  try {
    path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
  } catch {
    return answer(res, 400, `bad request: the path ${JSON.stringify(req.url)} is not a valid percent-encoded URL path\n`);
  }
  const file = resolveInside(root, path);
  if (!file) return answer(res, 404, `not found: ${path}\n`);
  let body: Buffer;
  try {
    body = readFileSync(file);
  } catch (e) {
    return answer(res, 500, `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
  }
  res.writeHead(200, {
    ...SECURITY_HEADERS, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': String(body.length), 'cache-control': 'no-cache',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Serves the files of `dir` on 127.0.0.1 (port 0: any free port); resolves when listening. */
export function startServer(dir: string, port: number): Promise<{ url: string; server: Server }> {
  const root = realpathSync(dir);
  let bound = port;
  const server = createServer((req, res) => {
    try {
      handle(root, () => bound, req, res);
    } catch (e) {
      // Nothing above should throw; if something does, this request fails and the server keeps serving.
      if (!res.headersSent) answer(res, 500, `internal error: ${(e as Error).message}\n`);
      else res.destroy();
    }
  });
  // A request that is not HTTP at all (bad request line, oversized headers): 400 on that socket only.
  server.on('clientError', (_e, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });
  return new Promise((ok, fail) => {
    server.once('error', (e) => fail(new Error(`serve: cannot listen on 127.0.0.1:${port} (${(e as Error).message})`)));
    server.listen(port, '127.0.0.1', () => {
      const a = server.address();
      bound = typeof a === 'object' && a ? a.port : port;
      ok({ url: `http://127.0.0.1:${bound}/`, server });
    });
  });
}
