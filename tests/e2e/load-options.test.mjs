// load(url, { cache, onProgress }) in Chromium: a model loaded with
// cache: true is kept (Cache API, or IndexedDB where there is none), so the
// next page load asks the network for NO model bytes (requests for the model
// URL counted with page.on('request')); progress rises to (size, size), and
// from the cache is that one call; clearCache() empties the cache and the
// next load fetches again; bytes that are not a model are not kept. The
// first load of a page also downloads qwasm.wasm, which its progress
// includes; the other cases start the wasm module first, so that their
// progress is the model's alone.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { blankPage, startBrowser } from './browser.mjs';

const MODEL = '/shared/models/mobilenet_v2_1.0_224_quant.tflite';
const SIZE = readFileSync(new URL(`../../..${MODEL}`, import.meta.url)).length;
const CAT = '/shared/images/cat.bmp';
const CAT_CLASSES = [286, 282, 283];  // Egyptian cat, tabby, tiger cat

const WASM_SIZE = readFileSync(new URL('../../dist/qwasm.wasm', import.meta.url)).length;

/**
 * Loads `model` in the page with onProgress recorded, classifies the cat,
 * disposes. With warm (default), the wasm module is started first.
 */
function loadInPage(page, options, model = MODEL, warm = true) {
  return page.evaluate(async ({ model, image, options, warm }) => {
    const { load } = await import('/web/index.js');
    const calls = [];
    if (warm) (await load(undefined, { threads: 1 })).dispose();
    try {
      const m = await load(model, { ...options, threads: 1, onProgress: (loaded, total) => calls.push([loaded, total]) });
      const top = await m.classify(await (await fetch(image)).blob(), { topK: 3, exclude: [0] });
      m.dispose();
      return { calls, top };
    } catch (e) {
      return { calls, error: `${e.name}: ${e.message}` };
    }
  }, { model, image: CAT, options, warm });
}

const clearCacheInPage = (page) => page.evaluate(async () => (await import('/web/index.js')).clearCache());

/** Progress of a download: loaded strictly increasing, total the size, last (size, size). */
function assertDownloadProgress(calls) {
  assert.ok(calls.length >= 2, JSON.stringify(calls));
  for (let i = 1; i < calls.length; i++) assert.ok(calls[i][0] > calls[i - 1][0], JSON.stringify(calls));
  for (const [, total] of calls) assert.equal(total, SIZE);
  assert.deepEqual(calls.at(-1), [SIZE, SIZE]);
}

for (const store of ['Cache API', 'IndexedDB']) {
  describe(`cache: true with the ${store}`, () => {
    let env;
    let page;
    let modelRequests = 0;
    let firstTop;
    const errors = [];
    before(async () => {
      env = await startBrowser({ isolation: false });
      page = await blankPage(env, { isolation: false });
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('request', (r) => { if (new URL(r.url()).pathname === MODEL) modelRequests++; });
      // Without the Cache API (as on plain-http pages), fetch.js falls back to IndexedDB.
      if (store === 'IndexedDB') await page.addInitScript(() => Object.defineProperty(globalThis, 'caches', { value: undefined }));
      await page.goto(`${env.url}/__blank`);
    });
    after(async () => { await env?.close(); });

    test('the page has the store it is meant to use', async () => {
      assert.deepEqual(await page.evaluate(() => [typeof caches, typeof indexedDB]),
        store === 'Cache API' ? ['object', 'object'] : ['undefined', 'object']);
      assert.equal(await clearCacheInPage(page), 0);
    });

    test('the first load of a page counts qwasm.wasm and the model in one progress', { timeout: 60_000 }, async () => {
      const first = await loadInPage(page, {}, MODEL, false);
      assert.equal(first.error, undefined);
      const { calls } = first;
      for (let i = 1; i < calls.length; i++) assert.ok(calls[i][0] > calls[i - 1][0], JSON.stringify(calls));
      assert.deepEqual(calls.at(-1), [SIZE + WASM_SIZE, SIZE + WASM_SIZE]);
      assert.ok(calls.slice(0, -1).every(([l, t]) => t === null || l < t), 'only the last call is complete');
      assert.equal(modelRequests, 1);
      modelRequests = 0;
      await page.reload();
    });

    test('first load downloads the model once, with progress', { timeout: 60_000 }, async () => {
      const first = await loadInPage(page, { cache: true });
      assert.equal(first.error, undefined);
      assert.ok(CAT_CLASSES.includes(first.top[0].index), JSON.stringify(first.top));
      assertDownloadProgress(first.calls);
      assert.equal(modelRequests, 1);
      for (const r of first.top) assert.ok(r.score > 0 && r.score <= 1);
      firstTop = first.top;
    });

    test('after a page reload, load() fetches no model bytes at all: one progress call (size, size)', { timeout: 60_000 }, async () => {
      await page.reload();
      const again = await loadInPage(page, { cache: true });
      assert.equal(again.error, undefined);
      assert.equal(modelRequests, 1, 'requests for the model URL');
      assert.deepEqual(again.calls, [[SIZE, SIZE]]);
      assert.deepEqual(again.top, firstTop);
    });

    test('without cache: true the model is fetched', { timeout: 60_000 }, async () => {
      const plain = await loadInPage(page, {});
      assert.equal(plain.error, undefined);
      assert.equal(modelRequests, 2);
      assertDownloadProgress(plain.calls);
    });

    test('clearCache() removes the entry; the next cached load fetches again, then not', { timeout: 60_000 }, async () => {
      await page.reload();
      assert.equal(await clearCacheInPage(page), 1);
      assert.equal(await clearCacheInPage(page), 0);
      const refetched = await loadInPage(page, { cache: true });
      assert.equal(refetched.error, undefined);
      assert.equal(modelRequests, 3);
      assertDownloadProgress(refetched.calls);
      await page.reload();
      assert.equal((await loadInPage(page, { cache: true })).error, undefined);
      assert.equal(modelRequests, 3);
      assert.equal(await clearCacheInPage(page), 1);
    });

    test('bytes that are not a model (an HTML page served with 200) are not kept', { timeout: 60_000 }, async () => {
      const fake = '/__not-a-model.tflite';
      let fakeRequests = 0;
      await page.route(`${env.url}${fake}`, (route) => {
        fakeRequests++;
        return route.fulfill({ contentType: 'text/html', body: '<!doctype html><p>Sorry, try again</p>' });
      });
      for (let i = 1; i <= 2; i++) {
        const r = await loadInPage(page, { cache: true }, fake);
        assert.match(r.error, /^QwasmError: unrecognised model format/);
        assert.equal(fakeRequests, i);
      }
      assert.equal(await clearCacheInPage(page), 0);
      assert.deepEqual(errors, []);
    });
  });
}

describe('errors in the browser name the URL', () => {
  let env;
  let page;
  before(async () => {
    env = await startBrowser({ isolation: false });
    page = await blankPage(env, { isolation: false });
    await page.goto(`${env.url}/__blank`);
  });
  after(async () => { await env?.close(); });

  test('HTTP 404', async () => {
    const r = await loadInPage(page, {}, '/shared/models/no-such-model.tflite');
    assert.equal(r.error, 'QwasmError: could not fetch model from /shared/models/no-such-model.tflite: HTTP 404');
    assert.deepEqual(r.calls, []);
  });
});
