#!/usr/bin/env node
// serve.mjs — a small static file server for the demo page, the browser
// tests and the benchmarks.
//
//   node tools/serve.mjs [--port 8080] [--no-isolation]
//
// Serves the repository root at / (so /demo/, /web/, /dist/ and
// /node_modules/ resolve) and ../shared at /shared/ (read-only data used by
// tests and benchmarks). Sends COOP/COEP headers by default so pages are
// cross-origin isolated (threads need it); --no-isolation turns them off.
// startServer({root}) serves another directory instead (a bundler's output
// in tests/e2e/bundlers.test.mjs), without /shared/ unless asked for;
// --root DIR does the same from the command line.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = path.resolve(ROOT, '..', 'shared');

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.cjs': 'text/javascript',
  '.css': 'text/css', '.json': 'application/json', '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8', '.csv': 'text/csv; charset=utf-8', '.svg': 'image/svg+xml',
  '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png', '.bmp': 'image/bmp',
  '.tflite': 'application/octet-stream', '.onnx': 'application/octet-stream', '.map': 'application/json',
};

function resolve(urlPath, root, shared) {
  const clean = decodeURIComponent(urlPath.split('?')[0]);
  const [base, rel] = shared && clean.startsWith('/shared/') ? [shared, clean.slice('/shared/'.length)] : [root, clean.slice(1)];
  const file = path.resolve(base, rel);
  // Refuse anything that escapes its base directory (../ tricks).
  if (file !== base && !file.startsWith(base + path.sep)) return null;
  return file;
}

/**
 * Starts the server; resolves to {server, url, close()}.
 * root: the directory served at / (default: the repository, with ../shared
 * at /shared/); shared: the directory served at /shared/ (default: ../shared
 * with the default root, none with another root); onRequest(url, status):
 * called after each request is answered.
 * @param {{port?: number, isolation?: boolean, quiet?: boolean, root?: string, shared?: string | null,
 *   onRequest?: (url: string, status: number) => void}} [options]
 */
export async function startServer({
  port = 0, isolation = true, quiet = true, root = ROOT, shared = root === ROOT ? SHARED : null, onRequest,
} = {}) {
  root = path.resolve(root);
  shared = shared && path.resolve(shared);
  const server = createServer(async (req, res) => {
    let status = 200;
    let file = resolve(req.url, root, shared);
    try {
      if (!file) throw Object.assign(new Error('forbidden'), { status: 403 });
      let info = await stat(file);
      if (info.isDirectory()) {
        file = path.join(file, 'index.html');
        info = await stat(file);
      }
      const headers = {
        'Content-Type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
        'Content-Length': info.size,
        'Cache-Control': 'no-cache',
      };
      // The demo's service worker may control the whole site (demo/sw.js).
      if (req.url.split('?')[0] === '/demo/sw.js') headers['Service-Worker-Allowed'] = '/';
      if (isolation) {
        headers['Cross-Origin-Opener-Policy'] = 'same-origin';
        headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
        headers['Cross-Origin-Resource-Policy'] = 'same-origin';
      }
      res.writeHead(200, headers);
      if (req.method === 'HEAD') res.end();
      else createReadStream(file).pipe(res);
    } catch (e) {
      status = e.status ?? (e.code === 'ENOENT' || e.code === 'ENOTDIR' ? 404 : 500);
      res.writeHead(status, { 'Content-Type': 'text/plain' });
      res.end(`${status}\n`);
    }
    if (!quiet) console.log(`${req.method} ${req.url}`);
    onRequest?.(req.url, status);
  });
  await new Promise((ok, fail) => server.once('error', fail).listen(port, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${server.address().port}`;
  return { server, url, close: () => new Promise((ok) => server.close(ok)) };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const portArg = args.indexOf('--port');
  const port = portArg >= 0 ? Number(args[portArg + 1]) : 8080;
  const rootArg = args.indexOf('--root');
  const root = rootArg >= 0 ? path.resolve(args[rootArg + 1]) : ROOT;
  const { url } = await startServer({ port, root, isolation: !args.includes('--no-isolation'), quiet: false });
  console.log(root === ROOT ? `qwasm demo: ${url}/demo/   (Ctrl-C to stop)` : `serving ${root} at ${url}/   (Ctrl-C to stop)`);
}
