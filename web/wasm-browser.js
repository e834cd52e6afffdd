// wasm-browser.js — how browsers and workers start the wasm module: the
// .wasm is compiled while it streams in (with progress), and the pthreads
// module's Workers are module Workers that carry their own copy of the glue
// (dist/qwasm-mt.worker.mjs), so nothing depends on where a bundler put the
// main script. Where the files are comes from web/assets.js (next to the
// package, else inline copies), or from options.wasmPaths.
import { QwasmError } from './errors.js';
import { createRuntime, customPath, WASM_FILES } from './wasm.js';

const GLUE = {
  st: () => import('../dist/qwasm.mjs'),
  mt: () => import('../dist/qwasm-mt.mjs'),
  tools: () => import('../dist/qwasm-tools.mjs'),
};
const WORKER_FILE = 'qwasm-mt.worker.mjs';

/**
 * A Worker that does not report for this long is taken as one that will
 * never start (a script blocked without an error event): load() then falls
 * back to one thread. Pool Workers only instantiate an already compiled
 * module, which takes milliseconds.
 */
const WORKER_START_MS = 4000;

/**
 * @param assets {{
 *   wasm: Record<'st'|'mt'|'tools', {url: URL, inline: () => Promise<Uint8Array>}>,
 *   pthreadWorker: () => Worker,
 *   pthreadWorkerInline: () => Promise<() => Worker>,
 * }} (web/assets.js)
 */
export function browserRuntime(assets) {
  return createRuntime({
    threadsSupported: () => typeof SharedArrayBuffer === 'function' && typeof Atomics === 'object'
      && globalThis.crossOriginIsolated === true && typeof Worker === 'function',
    cores: async () => globalThis.navigator?.hardwareConcurrency || 1,
    start: async (variant, options, settings, fail) => {
      const glue = GLUE[variant]();
      glue.catch(() => {});  // awaited below
      const base = globalThis.location?.href;
      let inline = false;
      if (options.wasmBinary && variant === 'st') {
        settings.wasmBinary = options.wasmBinary;
      } else {
        const file = WASM_FILES[variant];
        const custom = customPath(options, file, base);
        const onProgress = options.onWasmProgress;
        // Where the bundler emitted no file (a 404, or an HTML fallback
        // page), the inline copy.
        const module = custom ? await compile(custom, file, onProgress)
          : await compile(assets.wasm[variant].url, file, onProgress).catch(async () => {
            inline = true;
            return compile(await assets.wasm[variant].inline(), file, onProgress);
          });
        // The pthreads module sends the compiled module on to its Workers.
        settings.instantiateWasm = (imports, receive) => {
          WebAssembly.instantiate(module, imports).then((instance) => receive(instance, module), fail);
          return {};
        };
      }
      if (variant === 'mt') {
        // The Worker script comes from where the .wasm came from.
        const custom = customPath(options, WORKER_FILE, base);
        const create = custom ? () => workerFromUrl(custom)
          : inline ? await assets.pthreadWorkerInline() : assets.pthreadWorker;
        settings.createPthreadWorker = () => watchWorker(create(), fail);
      }
      const { default: createQwasm } = await glue;
      return createQwasm(settings);
    },
  });
}

/** A WebAssembly.Module from a URL (streamed, with progress) or bytes. */
async function compile(source, file, onProgress) {
  if (source instanceof Uint8Array) {
    onProgress?.(source.length, source.length);
    return WebAssembly.compile(source);
  }
  let response;
  try {
    response = await fetch(source, { credentials: 'same-origin' });
  } catch (e) {
    throw new QwasmError(`could not load ${file} from ${source}: ${e.message}`, { cause: e });
  }
  if (!response.ok) throw new QwasmError(`could not load ${file} from ${source}: HTTP ${response.status}`);
  if (onProgress) response = withProgress(response, onProgress);
  try {
    const streaming = WebAssembly.compileStreaming && response.headers.get('content-type') === 'application/wasm';
    return await (streaming ? WebAssembly.compileStreaming(response) : WebAssembly.compile(await response.arrayBuffer()));
  } catch (e) {
    throw new QwasmError(`could not load ${file} from ${source}: ${e.message}`, { cause: e });
  }
}

/**
 * The response with its body counted as it streams: onProgress(loaded,
 * total), total null without a Content-Length; the last call has
 * loaded === total.
 */
function withProgress(response, onProgress) {
  const size = Number(response.headers.get('content-length')) || null;
  let loaded = 0;
  const counter = new TransformStream({
    transform(chunk, controller) {
      loaded += chunk.byteLength;
      if (loaded !== size) onProgress(loaded, size && Math.max(size, loaded));
      controller.enqueue(chunk);
    },
    flush() { onProgress(loaded, loaded); },
  });
  return new Response(response.body.pipeThrough(counter), { headers: response.headers });
}

/**
 * A module Worker for a script at any URL: started through a same-origin
 * blob that imports it, since a Worker's own script must be same-origin
 * (CDNs) — the imported script only needs CORS (and CORP when isolated).
 */
function workerFromUrl(url) {
  const blob = new Blob([`import ${JSON.stringify(String(url))};`], { type: 'text/javascript' });
  return new Worker(URL.createObjectURL(blob), { type: 'module' });
}

/**
 * Fails the module start when a pool Worker cannot run: its script is
 * missing or blocked (an error event), or it never reports. Emscripten's own
 * onerror handler (which logs `undefined:undefined` and rethrows the event
 * as an uncaught error) is replaced by this one.
 */
function watchWorker(worker, fail) {
  let started = false;
  const timer = setTimeout(() => fail(new Error(`its Worker did not start within ${WORKER_START_MS} ms`)), WORKER_START_MS);
  const onMessage = () => {
    started = true;
    clearTimeout(timer);
    worker.removeEventListener('message', onMessage);
  };
  worker.addEventListener('message', onMessage);
  worker.addEventListener('error', (e) => {
    clearTimeout(timer);
    if (started) console.error(`qwasm: a thread failed: ${e.message}`);
    else fail(new Error(`its Worker failed to start${e.message ? `: ${e.message}` : ' (script missing or blocked)'}`));
  });
  Object.defineProperty(worker, 'onerror', { configurable: true, get: () => null, set: () => {} });
  return worker;
}
