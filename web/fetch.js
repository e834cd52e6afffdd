// fetch.js — files over HTTP for load() (and the wasm loader): progress,
// errors that name the URL, and an optional persistent cache. Platform-
// neutral: global fetch; the Cache API, else IndexedDB, when present.
//
//   fetchBytes(url, { what = 'file', onProgress, cache = false, init }) -> Promise<Uint8Array>
//     url         string | URL (relative ones resolve against the document's base URL).
//     what        names the file in errors: `could not fetch ${what} from ${url}: ${reason}`
//                 (the url as given), reason e.g. 'connection refused (ECONNREFUSED)', 'HTTP 404'.
//     onProgress  (loaded, total) => void as bytes arrive: loaded strictly increases;
//                 total is the Content-Length, or null without one (or for a compressed
//                 body); the last call has loaded === total, the size. From the cache:
//                 one call (size, size).
//     cache       true: an http(s) URL's bytes come from the cache when it has them (no
//                 request at all), else are fetched and stored. Entries are keyed by the
//                 absolute URL and never revalidated: a file changed at the same URL needs
//                 clearCache() or a new URL (e.g. ?v=2). No-op without Cache API and
//                 IndexedDB (Node).
//     init        passed to fetch() (e.g. { credentials: 'same-origin' }).
//   Throws QwasmError on a network failure or an HTTP error status.
//
//   clearCache() -> Promise<number>   removes every cached file; resolves to how many.
//   uncache(url) -> Promise<void>     removes one (load() drops a file it could not load).
//   responseBytes(response, { what, url, onProgress }), reportSize(bytes, onProgress): the same
//   progress for a Response, and the one (size, size) call for bytes already at hand.
import { QwasmError } from './errors.js';

const NAME = 'qwasm-models-v1';

// Node's fetch (undici) says only "fetch failed"; its cause has the code.
const REASONS = {
  ECONNREFUSED: 'connection refused', ECONNRESET: 'connection reset', ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed', ETIMEDOUT: 'timed out', EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable', UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed by the server', UND_ERR_HEADERS_TIMEOUT: 'timed out waiting for the response',
};

function reason(e) {
  const code = e?.cause?.code ?? e?.code;
  const message = e?.cause?.message ?? e?.message ?? String(e);
  if (typeof code !== 'string') return message;
  return `${REASONS[code] ?? message} (${code})`;
}

function absolute(url) {
  try {
    return new URL(String(url), globalThis.document?.baseURI ?? globalThis.location?.href).href;
  } catch {
    return String(url);
  }
}

function failure(what, url, why, cause) {
  return new QwasmError(`could not fetch ${what} from ${url}: ${why}`, cause === undefined ? undefined : { cause });
}

function checkCallback(onProgress) {
  if (onProgress != null && typeof onProgress !== 'function') {
    throw new QwasmError(`option onProgress must be a function, got ${typeof onProgress}`);
  }
}

/** The one progress call for bytes that were not downloaded (a file, a Blob, the cache). */
export function reportSize(bytes, onProgress) {
  checkCallback(onProgress);
  onProgress?.(bytes.length, bytes.length);
  return bytes;
}

/** A Response's body as bytes, with progress; `url` names it in errors. */
export async function responseBytes(response, { what = 'file', url = response.url, onProgress } = {}) {
  checkCallback(onProgress);
  if (!response.ok) {
    response.body?.cancel().catch(() => {});
    throw failure(what, url, `HTTP ${response.status}`);
  }
  const length = response.headers.get('content-length');
  const encoding = response.headers.get('content-encoding');
  let total = /^\d+$/.test(length ?? '') && (!encoding || encoding === 'identity') ? Number(length) : null;
  const chunks = [];
  let loaded = 0;
  if (!response.body) return reportSize(new Uint8Array(await response.arrayBuffer()), onProgress);
  const reader = response.body.getReader();
  try {
    for (;;) {
      let step;
      try {
        step = await reader.read();
      } catch (e) {
        throw failure(what, url, `${reason(e)} after ${loaded}${total === null ? '' : ` of ${total}`} bytes`, e);
      }
      if (step.done) break;
      if (step.value.length === 0) continue;
      // Reported one chunk late, so that only the last call has loaded === total.
      if (loaded > 0) onProgress?.(loaded, total);
      chunks.push(step.value);
      loaded += step.value.length;
      if (total !== null && loaded > total) total = null;
    }
  } catch (e) {
    reader.cancel().catch(() => {});
    throw e;
  }
  const bytes = chunks.length === 1 ? chunks[0] : new Uint8Array(loaded);
  if (chunks.length !== 1) {
    let at = 0;
    for (const c of chunks) { bytes.set(c, at); at += c.length; }
  }
  return reportSize(bytes, onProgress);
}

/** A URL's bytes (see the top of this file). */
export async function fetchBytes(url, { what = 'file', onProgress, cache = false, init } = {}) {
  checkCallback(onProgress);
  if (typeof cache !== 'boolean') throw new QwasmError(`option cache must be true or false, got ${typeof cache}`);
  const href = absolute(url);
  const store = cache && /^https?:/i.test(href) ? openStore() : null;
  const hit = store && (await store.get(href).catch(() => null));
  if (hit) return reportSize(hit, onProgress);
  let response;
  try {
    response = await fetch(href, init);
  } catch (e) {
    throw failure(what, url, reason(e), e);
  }
  const bytes = await responseBytes(response, { what, url, onProgress });
  if (store) {
    await store.put(href, bytes, response.headers.get('etag'))
      .catch((e) => console.warn(`qwasm: could not cache ${what} ${href}: ${e?.message ?? e}`));
  }
  return bytes;
}

/** Removes every cached file; resolves to the number removed (0 without a cache). */
export async function clearCache() {
  const store = openStore();
  return store ? store.clear() : 0;
}

/** Removes `url`'s cached bytes, if any. */
export async function uncache(url) {
  const href = absolute(url);
  const store = /^https?:/i.test(href) ? openStore() : null;
  await store?.remove(href).catch(() => {});
}

// ---- the stores: get(url) -> bytes | null, put(url, bytes, etag), remove(url), clear() -> count.
// Each entry records its byte count; an entry that does not match it is a miss.

function openStore() {
  if (typeof caches !== 'undefined') return cacheStore;
  if (typeof indexedDB !== 'undefined') return idbStore;
  return null;
}

const cacheStore = {
  async get(url) {
    const r = await (await caches.open(NAME)).match(url);
    if (!r) return null;
    const bytes = new Uint8Array(await r.arrayBuffer());
    return Number(r.headers.get('x-qwasm-size')) === bytes.length ? bytes : null;
  },
  async put(url, bytes, etag) {
    const headers = { 'content-type': 'application/octet-stream', 'x-qwasm-size': String(bytes.length) };
    if (etag) headers.etag = etag;
    await (await caches.open(NAME)).put(url, new Response(bytes, { headers }));
  },
  async remove(url) {
    if (await caches.has(NAME)) await (await caches.open(NAME)).delete(url);
  },
  async clear() {
    if (!(await caches.has(NAME))) return 0;
    const count = (await (await caches.open(NAME)).keys()).length;
    await caches.delete(NAME);
    return count;
  },
};

/** Runs `request(store)` in a transaction on the one object store; resolves to its result. */
function idb(mode, request) {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(NAME, 1);
    open.onupgradeneeded = () => open.result.createObjectStore('files');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const tx = db.transaction('files', mode);
      const req = request(tx.objectStore('files'));
      tx.oncomplete = () => { db.close(); resolve(req.result); };
      tx.onerror = tx.onabort = () => { db.close(); reject(tx.error); };
    };
  });
}

const idbStore = {
  async get(url) {
    const entry = await idb('readonly', (s) => s.get(url));
    return entry?.bytes instanceof Uint8Array && entry.bytes.length === entry.size ? entry.bytes : null;
  },
  put: (url, bytes, etag) => idb('readwrite', (s) => s.put({ bytes, size: bytes.length, etag }, url)),
  remove: (url) => idb('readwrite', (s) => s.delete(url)),
  clear: () => idb('readwrite', (s) => {
    const count = s.count();
    s.clear();
    return count;
  }),
};
