// index-inline.js — web/index.js for bundlers that do not emit
// `new URL(..., import.meta.url)` assets (esbuild, Rollup): the same API,
// with its files inside JavaScript modules (web/assets-inline.js).
import * as assets from './assets-inline.js';
import { browserEntry } from './browser.js';

export { clearCache, cosineSimilarity, QwasmError, topK } from './entry.js';

export const { load, convert, quantize, DEFAULT_MODEL } = browserEntry(assets);
