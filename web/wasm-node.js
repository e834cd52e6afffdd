// wasm-node.js — how Node starts the wasm module: the .wasm bytes are read
// from disk (or fetched, for an http(s) wasmPaths), and the pthreads module
// is the Node build of the glue (dist/node/: it runs its threads on
// worker_threads with the CommonJS qwasm-mt.worker.js). Reached only from
// web/node.js, so browser bundles never see a node: module.
import { access, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { QwasmError } from './errors.js';
import { fetchBytes } from './fetch.js';
import { createRuntime, customPath, WASM_FILES } from './wasm.js';

const GLUE = {
  st: () => import('../dist/qwasm.mjs'),
  mt: () => import('../dist/node/qwasm-mt.mjs'),
  tools: () => import('../dist/qwasm-tools.mjs'),
};
const DIST = new URL('../dist/', import.meta.url);

export const runtime = createRuntime({
  threadsSupported: () => typeof SharedArrayBuffer === 'function' && typeof Atomics === 'object',
  cores: async () => os.availableParallelism?.() ?? os.cpus().length,
  start: async (variant, options, settings, fail) => {
    if (options.wasmBinary && variant === 'st') {
      settings.wasmBinary = options.wasmBinary;
    } else {
      const file = WASM_FILES[variant];
      const url = customPath(options, file, DIST) ?? await defaultPath(variant, file);
      const bytes = readBytes(url, file);
      bytes.catch(() => {});  // reported through instantiateWasm
      settings.instantiateWasm = (imports, receive) => {
        bytes.then((b) => WebAssembly.instantiate(b, imports))
          .then((r) => receive(r.instance, r.module), fail);
        return {};
      };
    }
    const { default: create } = await GLUE[variant]();
    if (variant !== 'mt') return create(settings);
    // A Worker whose script fails to load reports only here.
    settings.printErr = (text) => {
      if (/worker sent an error/.test(text)) fail(new Error(text));
      console.warn(text);
    };
    const module = await createInNode(create, settings);
    // Node must not wait for idle worker threads before exiting (unref()
    // before the Workers have loaded does not stick).
    for (const w of module.PThread.unusedWorkers) w.unref();
    return module;
  },
});

// The Node build of qwasm-mt links to the same .wasm as the browser build
// (tests/node/entries.test.mjs checks); the package ships one copy, while a
// checkout built by `npm start` has only the Node build's.
async function defaultPath(variant, file) {
  if (variant !== 'mt') return new URL(file, DIST);
  const own = new URL(`node/${file}`, DIST);
  return access(own).then(() => own, () => new URL(file, DIST));
}

/** A .wasm from disk, or over http(s) through web/fetch.js (its errors name the URL). */
async function readBytes(url, file) {
  if (url.protocol !== 'file:') return fetchBytes(url, { what: file });
  try {
    return await readFile(url);
  } catch (e) {
    throw new QwasmError(`could not load ${file} from ${url}: ${e.code ?? e.message}`, { cause: e });
  }
}

// Emscripten 3.1.6's Node code for the pthreads module expects CommonJS
// globals (require, __dirname) while creating the module, defines a global
// Worker and adds process-wide 'uncaughtException' / 'unhandledRejection'
// handlers that rethrow. All of that is only needed during the synchronous
// start-up (every Worker is created then), so it is undone right after.
function createInNode(create, settings) {
  const added = [];
  const define = (name, value) => {
    if (!(name in globalThis)) {
      globalThis[name] = value;
      added.push(name);
    }
  };
  define('require', createRequire(import.meta.url));
  define('__dirname', fileURLToPath(new URL('node/', DIST)));
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
