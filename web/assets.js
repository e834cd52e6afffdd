// assets.js — where the browser entry finds its files. First next to this
// package, written as `new URL(<string literal>, import.meta.url)` so that
// bundlers which emit such assets (Vite, webpack 5, Parcel) copy them and
// rewrite the URLs, and unbundled pages (a CDN, a static server) load them
// where they lie; the pthreads Worker with the literal
// `new Worker(new URL(...), { type: 'module' })` those bundlers follow.
// Bundlers that emit no assets (esbuild, Rollup without plugins) leave the
// URLs pointing at files that are not there: each file then comes from its
// inline copy (dist/inline/, base64 in a JavaScript module written by
// tools/web-glue.mjs), imported only then — with code splitting, a chunk
// fetched only by pages that need it.

const bytes = (base64) => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));

/** The embedded default model (see web/entry.js). */
export const DEFAULT_MODEL = new URL('../models/fashion-mnist/fashion-mnist.qwm', import.meta.url);

/** The default model's bytes, for when DEFAULT_MODEL cannot be fetched. */
export const defaultModelInline = async () => bytes((await import('../dist/inline/default-model.qwm.js')).default);

/** Each variant's .wasm: its URL, and its bytes from the inline copy. */
export const wasm = {
  st: {
    url: new URL('../dist/qwasm.wasm', import.meta.url),
    inline: async () => bytes((await import('../dist/inline/qwasm.wasm.js')).default),
  },
  mt: {
    url: new URL('../dist/qwasm-mt.wasm', import.meta.url),
    inline: async () => bytes((await import('../dist/inline/qwasm-mt.wasm.js')).default),
  },
  tools: {
    url: new URL('../dist/qwasm-tools.wasm', import.meta.url),
    inline: async () => bytes((await import('../dist/inline/qwasm-tools.wasm.js')).default),
  },
};

/** Starts one pool Worker of the pthreads module from its file. */
export function pthreadWorker() {
  return new Worker(new URL('../dist/qwasm-mt.worker.mjs', import.meta.url), { type: 'module' });
}

/** Resolves to a function that starts one pool Worker from the inline copy (a blob: URL). */
export async function pthreadWorkerInline() {
  const source = (await import('../dist/inline/qwasm-mt.worker.mjs.js')).default;
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  return () => new Worker(url, { type: 'module' });
}
