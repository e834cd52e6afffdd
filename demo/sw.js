// sw.js — the demo's service worker: after one visit the demo works
// offline. Network first, so changed files are always fetched when online;
// the cache only answers when the network fails. It keeps the demo, the
// library (web/), the wasm builds (dist/) and the default model (models/),
// and leaves every other request (e.g. /shared/ models: the library's own
// model cache is for those) alone.
//
// Registered by main.js with the package root as scope, so that requests
// from workers (worker mode, pthreads) are covered too; that needs the
// server to send `Service-Worker-Allowed: /` with this file (tools/serve.mjs
// does). Without it, main.js falls back to the demo folder's scope.
const CACHE = 'qwasm-demo';
const ROOT = new URL('../', self.location.href);
const KEPT = ['demo/', 'web/', 'dist/', 'models/'].map((p) => new URL(p, ROOT).href);
// Fetched at install; the rest is cached as the page and workers load it.
const PRECACHE = ['demo/', 'demo/main.js', 'demo/view.js', 'demo/style.css', 'web/index.js', 'web/worker-entry.js',
  'dist/qwasm.mjs', 'dist/qwasm.wasm', 'dist/qwasm-mt.mjs', 'dist/qwasm-mt.wasm', 'dist/qwasm-mt.worker.js',
  'models/fashion-mnist/fashion-mnist.qwm'];

const kept = (url) => KEPT.some((prefix) => url.startsWith(prefix));

/** Fetches `request` and stores a good answer; resolves to the response. */
async function fetchAndKeep(request) {
  const response = await fetch(request);
  if (response.ok && response.type === 'basic') {
    const cache = await caches.open(CACHE);
    await cache.put(request, response.clone());
  }
  return response;
}

/** Caches what it can of `urls` (a missing optional build is no failure). */
const keepAll = (urls) => Promise.all(urls.filter(kept).map((u) => fetchAndKeep(new Request(u, { cache: 'no-cache' })).then(
  (r) => r.ok, () => false)));

self.addEventListener('install', (event) => {
  event.waitUntil(keepAll(PRECACHE.map((p) => new URL(p, ROOT).href)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

// main.js sends what the page loaded before this worker controlled it.
self.addEventListener('message', (event) => {
  if (!Array.isArray(event.data?.cache)) return;
  event.waitUntil(keepAll(event.data.cache).then((ok) => event.ports[0]?.postMessage({ cached: ok.filter(Boolean).length })));
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = request.url.split('#')[0];
  if (!kept(url) || !['GET', 'HEAD'].includes(request.method) || request.headers.has('range')) return;
  event.respondWith((async () => {
    try {
      return request.method === 'GET' ? await fetchAndKeep(request) : await fetch(request);
    } catch (e) {
      // Offline: the stored copy (for HEAD, its headers alone).
      const stored = await caches.match(request, { ignoreMethod: true, ignoreSearch: true });
      if (!stored) throw e;
      return request.method === 'GET' ? stored : new Response(null, { status: stored.status, headers: stored.headers });
    }
  })());
});
