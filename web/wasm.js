// wasm.js — loads and caches the WebAssembly module (dist/qwasm.{mjs,wasm}).
//
// Emscripten's own loader cannot fetch the .wasm by file path under Node 20,
// so the bytes are always handed over by us: in Node read from disk, in
// browsers and workers compiled while streaming from the URL next to this
// package (bundlers see the `new URL(..., import.meta.url)` pattern).
import createQwasm from '../dist/qwasm.mjs';
import { QwasmError } from './errors.js';

const defaultWasmUrl = new URL('../dist/qwasm.wasm', import.meta.url);
let cached = null;

const isNode = typeof process === 'object' && process.versions != null && process.versions.node != null;

async function nodeBytes(url) {
  const { readFile } = await import('node:fs/promises');
  return readFile(url);
}

/**
 * Returns the initialised module, creating it on first use.
 * @param {{wasmUrl?: string|URL, wasmBinary?: ArrayBuffer|Uint8Array}} [options]
 */
export function getModule(options = {}) {
  if (cached) return cached;
  const url = options.wasmUrl ? new URL(options.wasmUrl, defaultWasmUrl) : defaultWasmUrl;
  const settings = {};
  if (options.wasmBinary) {
    settings.wasmBinary = options.wasmBinary;
  } else if (isNode && url.protocol === 'file:') {
    settings.instantiateWasm = (imports, receive) => {
      nodeBytes(url)
        .then((bytes) => WebAssembly.instantiate(bytes, imports))
        .then((r) => receive(r.instance, r.module), fail);
      return {};
    };
  } else {
    settings.instantiateWasm = (imports, receive) => {
      instantiateFromUrl(url, imports).then((r) => receive(r.instance, r.module), fail);
      return {};
    };
  }
  let fail;
  const failed = new Promise((_, reject) => { fail = (e) => reject(new QwasmError(`could not load qwasm.wasm from ${url}: ${e.message ?? e}`, { cause: e })); });
  cached = Promise.race([createQwasm(settings), failed]);
  cached.catch(() => { cached = null; });  // allow a retry after a failure
  return cached;
}

async function instantiateFromUrl(url, imports) {
  const response = await fetch(url, { credentials: 'same-origin' });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  if (WebAssembly.instantiateStreaming && response.headers.get('content-type') === 'application/wasm') {
    return WebAssembly.instantiateStreaming(response, imports);
  }
  return WebAssembly.instantiate(await response.arrayBuffer(), imports);
}
