// assets-inline.js — web/assets.js for bundlers that do not emit
// `new URL(..., import.meta.url)` assets (esbuild, Rollup without plugins):
// the files come inside JavaScript modules (dist/inline/, base64, written by
// tools/web-glue.mjs), imported only when needed, so a bundler that splits
// code loads each on first use. package.json's "exports" picks this table
// for every bundler but the ones known to emit assets.
import defaultModel from '../dist/inline/default-model.qwm.js';

/** The embedded default model, as a data: URL (fetch() reads it). */
export const DEFAULT_MODEL = new URL(`data:application/octet-stream;base64,${defaultModel}`);

const bytes = (base64) => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));

/** Each variant's .wasm, as bytes. */
export const wasm = {
  st: async () => bytes((await import('../dist/inline/qwasm.wasm.js')).default),
  mt: async () => bytes((await import('../dist/inline/qwasm-mt.wasm.js')).default),
  tools: async () => bytes((await import('../dist/inline/qwasm-tools.wasm.js')).default),
};

/** Resolves to a function that starts one pool Worker, from a blob: URL of its script. */
export async function pthreadWorker() {
  const source = (await import('../dist/inline/qwasm-mt.worker.mjs.js')).default;
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  return () => new Worker(url, { type: 'module' });
}
