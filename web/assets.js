// assets.js — where the browser entry finds its files: next to this package,
// written as `new URL(<string literal>, import.meta.url)` so that bundlers which
// emit such assets (Vite, webpack 5, Parcel) copy them and rewrite the URLs,
// and unbundled pages (a CDN, a static server) load them where they lie. The
// pthreads Worker is created with the literal `new Worker(new URL(...),
// { type: 'module' })` that the same bundlers follow. web/assets-inline.js
// is the same table for bundlers that emit no assets.

/** The embedded default model (see web/entry.js). */
export const DEFAULT_MODEL = new URL('../models/fashion-mnist/fashion-mnist.qwm', import.meta.url);

/** Each variant's .wasm. */
export const wasm = {
  st: async () => new URL('../dist/qwasm.wasm', import.meta.url),
  mt: async () => new URL('../dist/qwasm-mt.wasm', import.meta.url),
  tools: async () => new URL('../dist/qwasm-tools.wasm', import.meta.url),
};

/** Resolves to a function that starts one pool Worker of the pthreads module. */
export async function pthreadWorker() {
  return () => new Worker(new URL('../dist/qwasm-mt.worker.mjs', import.meta.url), { type: 'module' });
}
