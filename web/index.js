// index.js — the browser / worker entry point: `import { load } from 'qwasm'`
// (what package.json's "exports" gives every bundler, and what an unbundled
// page imports). Its files lie next to this package, or inside it for
// bundlers that emit none (web/assets.js). Models load from a URL, a Blob /
// File, a Response or bytes; images are listed in web/browser.js.
import * as assets from './assets.js';
import { browserEntry } from './browser.js';

export { clearCache, cosineSimilarity, QwasmError, topK } from './entry.js';

export const { load, convert, quantize, DEFAULT_MODEL } = browserEntry(assets);
