// wasm.js — picks, starts and caches the WebAssembly module, for one
// platform (a "host": web/wasm-browser.js or web/wasm-node.js says how to
// find the files, fetch the bytes and start Workers). The variants:
//   qwasm.{mjs,wasm}        single-threaded; runs everywhere;
//   qwasm-mt.{mjs,wasm}     pthreads; needs SharedArrayBuffer and Workers
//                           (cross-origin isolated pages and their workers,
//                           Node);
//   qwasm-tools.{mjs,wasm}  the runtime plus converter and quantizer, started
//                           only by convert(), quantize() and load() of ONNX.
// Emscripten's own file loading is never used: the host hands over the
// compiled module (instantiateWasm), so bundlers, CDNs and Node all work the
// same way. Imports nothing platform-specific.
import { QwasmError } from './errors.js';

/** Default thread count: more rarely pays off for models of this size. */
export const DEFAULT_MAX_THREADS = 4;

/** The file name of each variant's .wasm (what wasmPaths maps). */
export const WASM_FILES = { st: 'qwasm.wasm', mt: 'qwasm-mt.wasm', tools: 'qwasm-tools.wasm' };

/**
 * The module cache and thread policy of one platform.
 * @param host {{
 *   threadsSupported(): boolean,
 *   cores(): Promise<number>,
 *   start(variant: 'st'|'mt'|'tools', options: object, settings: object, fail: (e) => void): Promise<object>,
 * }}
 *   start() creates the Emscripten module with `settings` (it adds how the
 *   .wasm is instantiated and, for 'mt', how Workers start); it calls
 *   fail(error) for failures that Emscripten reports only asynchronously.
 */
export function createRuntime(host) {
  const cached = { st: null, mt: null, tools: null };
  let mtFailed = false;  // once the pthreads module failed to start, it is not tried again

  /**
   * How many threads load() uses for these options: `threads` (default
   * min(cores, 4)), at most the logical core count, and 1 where the
   * multi-threaded module cannot run or `wasmBinary` (qwasm.wasm's bytes)
   * is given.
   */
  async function resolveThreads(options = {}) {
    const { threads } = options;
    if (threads != null && !(Number.isInteger(threads) && threads >= 1)) {
      throw new QwasmError(`option threads must be a positive integer, got ${JSON.stringify(threads)}`);
    }
    if (threads === 1 || options.wasmBinary || mtFailed || !host.threadsSupported()) return 1;
    return Math.max(1, Math.min(threads ?? DEFAULT_MAX_THREADS, await host.cores()));
  }

  /**
   * The module and thread count load() uses for these options. A
   * multi-threaded module that fails to start falls back to the
   * single-threaded one (threads: 1) with a warning.
   * @returns {Promise<{module: object, threads: number}>}
   */
  async function prepare(options = {}) {
    const threads = await resolveThreads(options);
    if (threads > 1) {
      try {
        // One Worker pool serves every model of the module (models share
        // it) and cannot grow later, so it is sized once: for this load or
        // the default of later ones, whichever is larger.
        const workers = Math.max(threads, Math.min(DEFAULT_MAX_THREADS, await host.cores())) - 1;
        return { module: await instantiate('mt', options, workers), threads };
      } catch (e) {
        mtFailed = true;
        console.warn(`qwasm: threads unavailable, running single-threaded: ${e.message}`);
      }
    }
    return { module: await instantiate('st', options), threads: 1 };
  }

  function instantiate(variant, options, workers = 0) {
    if (cached[variant]) return cached[variant];
    let fail;
    const failed = new Promise((_, reject) => { fail = reject; });
    failed.catch(() => {});  // observed through the race below
    const settings = variant === 'mt' ? { pthreadPoolSize: workers } : {};
    const started = (async () => {
      try {
        return await Promise.race([host.start(variant, options, settings, fail), failed]);
      } catch (e) {
        settings.PThread?.terminateAllThreads();  // the Workers of a module that did not start
        throw e instanceof QwasmError ? e : new QwasmError(`could not start ${WASM_FILES[variant]}: ${e.message ?? e}`, { cause: e });
      }
    })();
    cached[variant] = started;
    started.catch(() => { cached[variant] = null; });  // allow a retry after a failure
    return started;
  }

  return {
    resolveThreads,
    prepare,
    /** The tools module (single-threaded): converter and quantizer. */
    prepareTools: (options = {}) => instantiate('tools', options),
    /** The initialised module that load() would use with these options. */
    getModule: async (options = {}) => (await prepare(options)).module,
    threadsSupported: () => host.threadsSupported(),
  };
}

/**
 * Where a variant's .wasm lies when options.wasmPaths (or the older
 * wasmUrl, naming qwasm.wasm) says so; null when they do not.
 * wasmPaths: a folder URL (a prefix, as onnxruntime-web's) or an object
 * mapping file names ('qwasm.wasm', 'qwasm-mt.wasm', 'qwasm-tools.wasm',
 * 'qwasm-mt.worker.mjs') to URLs.
 */
export function customPath(options, file, base) {
  const { wasmPaths, wasmUrl } = options;
  if (wasmPaths != null) {
    if (typeof wasmPaths === 'string' || wasmPaths instanceof URL) {
      const dir = String(wasmPaths);
      return new URL(file, new URL(dir.endsWith('/') ? dir : `${dir}/`, base));
    }
    if (typeof wasmPaths === 'object') return wasmPaths[file] != null ? new URL(wasmPaths[file], base) : null;
    throw new QwasmError('option wasmPaths must be a folder URL or an object mapping file names to URLs');
  }
  if (wasmUrl != null) return new URL(file, new URL(wasmUrl, base));
  return null;
}
