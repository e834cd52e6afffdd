// wasm.js — picks, loads and caches the WebAssembly module:
//   dist/qwasm.{mjs,wasm}     single-threaded; runs everywhere;
//   dist/qwasm-mt.{mjs,wasm}  pthreads (+ qwasm-mt.worker.js); needs
//                             SharedArrayBuffer and Workers: cross-origin
//                             isolated pages and their workers, and Node;
//   dist/qwasm-tools.{mjs,wasm} the runtime plus converter and quantizer,
//                             fetched only by convert(), quantize() and
//                             load() of an ONNX file.
//
// Emscripten's own loader cannot fetch the .wasm by file path under Node 20,
// so the bytes are always handed over by us: in Node read from disk, in
// browsers and workers compiled while streaming from the URL next to this
// package (bundlers see the `new URL(..., import.meta.url)` pattern).
import { QwasmError } from './errors.js';

const isNode = typeof process === 'object' && process.versions != null && process.versions.node != null;

/** Default thread count: more rarely pays off for models of this size. */
const DEFAULT_MAX_THREADS = 4;

const VARIANTS = {
  st: { file: 'qwasm.wasm', importModule: () => import('../dist/qwasm.mjs') },
  mt: { file: 'qwasm-mt.wasm', importModule: () => import('../dist/qwasm-mt.mjs') },
  tools: { file: 'qwasm-tools.wasm', importModule: () => import('../dist/qwasm-tools.mjs') },
};
const cached = { st: null, mt: null, tools: null };
let mtFailed = false;  // once the pthreads module failed to start, it is not tried again

/** True when the multi-threaded module can run here. */
export function threadsSupported() {
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') return false;
  if (isNode) return true;  // worker_threads
  return globalThis.crossOriginIsolated === true && typeof Worker === 'function';
}

async function logicalCores() {
  if (isNode) {
    const os = await import('node:os');
    return os.availableParallelism?.() ?? os.cpus().length;
  }
  return globalThis.navigator?.hardwareConcurrency || 1;
}

/**
 * How many threads load() uses for these options: `threads` (default
 * min(cores, 4)), at most the logical core count, and 1 where the
 * multi-threaded module cannot run or `wasmBinary` (qwasm.wasm's bytes) is
 * given.
 */
export async function resolveThreads(options = {}) {
  const { threads } = options;
  if (threads != null && !(Number.isInteger(threads) && threads >= 1)) {
    throw new QwasmError(`option threads must be a positive integer, got ${threads}`);
  }
  if (threads === 1 || options.wasmBinary || mtFailed || !threadsSupported()) return 1;
  return Math.max(1, Math.min(threads ?? DEFAULT_MAX_THREADS, await logicalCores()));
}

/**
 * The module and thread count load() uses for these options. A
 * multi-threaded module that fails to start falls back to the
 * single-threaded one (threads: 1).
 * @returns {Promise<{module: object, threads: number}>}
 */
export async function prepare(options = {}) {
  const threads = await resolveThreads(options);
  if (threads > 1) {
    try {
      // Worker threads for this load and for the default of later ones.
      const workers = Math.max(threads, await resolveThreads({})) - 1;
      return { module: await instantiate('mt', options, workers), threads };
    } catch (e) {
      mtFailed = true;
      if (options.threads > 1) console.warn(`qwasm: threads unavailable, running single-threaded: ${e.message}`);
    }
  }
  return { module: await instantiate('st', options), threads: 1 };
}

/** The tools module (single-threaded): converter and quantizer. */
export function prepareTools(options = {}) {
  return instantiate('tools', options);
}

/** The initialised module that load() would use with these options. */
export async function getModule(options = {}) {
  return (await prepare(options)).module;
}

function instantiate(variant, options, workers = 0) {
  if (cached[variant]) return cached[variant];
  const defaultUrl = new URL(`../dist/${VARIANTS[variant].file}`, import.meta.url);
  // options.wasmUrl names qwasm.wasm; qwasm-mt.wasm lies next to it.
  const url = options.wasmUrl ? new URL(VARIANTS[variant].file, new URL(options.wasmUrl, defaultUrl)) : defaultUrl;
  let fail;
  const failed = new Promise((_, reject) => {
    fail = (e) => reject(new QwasmError(`could not load ${VARIANTS[variant].file} from ${url}: ${e.message ?? e}`, { cause: e }));
  });
  const settings = {};
  if (options.wasmBinary && variant === 'st') {
    settings.wasmBinary = options.wasmBinary;
  } else {
    const load = isNode && url.protocol === 'file:'
      ? (imports) => import('node:fs/promises').then((fs) => fs.readFile(url)).then((b) => WebAssembly.instantiate(b, imports))
      : (imports) => instantiateFromUrl(url, imports);
    settings.instantiateWasm = (imports, receive) => {
      load(imports).then((r) => receive(r.instance, r.module), fail);
      return {};
    };
  }
  if (variant === 'mt') {
    // Every worker thread is started with the module (see CMakeLists.txt).
    settings.pthreadPoolSize = workers;
    // A Worker whose script fails to load reports only here.
    settings.printErr = (text) => {
      if (/worker sent an error/.test(text)) fail(new Error(text));
      console.warn(text);
    };
  }
  const start = async () => {
    const { default: create } = await VARIANTS[variant].importModule();
    let module;
    try {
      module = await Promise.race([variant === 'mt' && isNode ? createInNode(create, settings) : create(settings), failed]);
    } catch (e) {
      settings.PThread?.terminateAllThreads();  // the Workers of a module that did not start
      throw e;
    }
    // Node must not wait for idle worker threads before exiting (unref()
    // before the Workers have loaded does not stick).
    if (variant === 'mt' && isNode) for (const w of module.PThread.unusedWorkers) w.unref();
    return module;
  };
  cached[variant] = start();
  cached[variant].catch(() => { cached[variant] = null; });  // allow a retry after a failure
  return cached[variant];
}

// Emscripten 3.1.6's Node code for the pthreads module expects CommonJS
// globals (require, __dirname) while creating the module, defines a global
// Worker and adds process-wide 'uncaughtException' / 'unhandledRejection'
// handlers that rethrow. All of that is only needed during the synchronous
// start-up (every Worker is created then), so it is undone right after.
async function createInNode(create, settings) {
  const [{ createRequire }, { fileURLToPath }] = await Promise.all([import('node:module'), import('node:url')]);
  const added = [];
  const define = (name, value) => {
    if (!(name in globalThis)) {
      globalThis[name] = value;
      added.push(name);
    }
  };
  define('require', createRequire(import.meta.url));
  define('__dirname', fileURLToPath(new URL('../dist/', import.meta.url)));
  define('Worker', undefined);  // so that the one Emscripten sets is removed again
  const events = ['uncaughtException', 'unhandledRejection'];
  const before = events.map((e) => process.listeners(e));
  try {
    return create(settings);
  } finally {
    for (const name of added) delete globalThis[name];
    events.forEach((e, i) => {
      for (const l of process.listeners(e)) if (!before[i].includes(l)) process.off(e, l);
    });
  }
}

async function instantiateFromUrl(url, imports) {
  const response = await fetch(url, { credentials: 'same-origin' });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  if (WebAssembly.instantiateStreaming && response.headers.get('content-type') === 'application/wasm') {
    return WebAssembly.instantiateStreaming(response, imports);
  }
  return WebAssembly.instantiate(await response.arrayBuffer(), imports);
}
