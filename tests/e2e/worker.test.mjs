// worker.test.mjs — the public API inside a module Web Worker
// (fixtures/classify-worker.js), on cross-origin isolated pages and on plain
// ones (no COOP/COEP headers: no SharedArrayBuffer).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBrowser } from './browser.mjs';

const MODEL = '/shared/models/mobilenet_v1_0.25_128_quant.tflite';
const CAT = '/shared/images/cat.bmp';
const CAT_CLASSES = [286, 282, 283];  // Egyptian cat, tabby, tiger cat
const WORKER = '/tests/e2e/fixtures/classify-worker.js';

const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** An empty same-origin page, with the same isolation headers as the server. */
async function blankPage(env, isolation) {
  const page = await env.newPage();
  await page.route(`${env.url}/__blank`, (route) => route.fulfill({
    contentType: 'text/html',
    headers: isolation ? ISOLATION_HEADERS : {},
    body: '<!doctype html><title>blank</title>',
  }));
  await page.goto(`${env.url}/__blank`);
  return page;
}

/** Runs the worker once in the page; resolves to its reply. */
function classifyInWorker(page, model, image) {
  return page.evaluate(({ worker, model, image }) => new Promise((resolve, reject) => {
    const w = new Worker(worker, { type: 'module' });
    w.onmessage = ({ data }) => { w.terminate(); resolve(data); };
    w.onerror = (e) => { w.terminate(); reject(new Error(`worker error: ${e.message}`)); };
    w.postMessage({ model, image });
  }), { worker: WORKER, model, image });
}

function assertCat(reply) {
  assert.equal(reply.ok, true, `worker failed: ${reply.name}: ${reply.message}`);
  assert.equal(reply.results.length, 5);
  const [top] = reply.results;
  assert.ok(CAT_CLASSES.includes(top.index), `top-1 is ${top.index} ${top.label}`);
  assert.match(top.label, /cat/);
  assert.ok(reply.inferenceMs > 0);
}

for (const isolation of [true, false]) {
  describe(isolation ? 'cross-origin isolated page' : 'non-isolated page', () => {
    let env;
    let page;
    before(async () => {
      env = await startBrowser({ isolation });
      page = await blankPage(env, isolation);
    });
    after(async () => { await env?.close(); });

    test('the page is as isolated as expected', async () => {
      assert.equal(await page.evaluate(() => crossOriginIsolated), isolation);
    });

    test('classifies a cat in a module worker', { timeout: 30_000 }, async () => {
      const reply = await classifyInWorker(page, MODEL, CAT);
      assertCat(reply);
      assert.equal(reply.isolated, isolation);
      assert.deepEqual(reply.imageSize, [512, 341]);
    });

    test('a missing model comes back from the worker as a QwasmError', { timeout: 30_000 }, async () => {
      const reply = await classifyInWorker(page, '/shared/models/no-such-model.tflite', CAT);
      assert.equal(reply.ok, false);
      assert.equal(reply.name, 'QwasmError');
      assert.match(reply.message, /could not fetch model from \/shared\/models\/no-such-model\.tflite: HTTP 404/);
    });

    test('classifies on the main thread too, with the same result', { timeout: 30_000 }, async () => {
      const [inWorker, inPage] = await Promise.all([
        classifyInWorker(page, MODEL, CAT),
        page.evaluate(async ({ model: url, image }) => {
          const { load } = await import('/web/index.js');
          const model = await load(url);
          try {
            const bitmap = await createImageBitmap(await (await fetch(image)).blob());
            return await model.classify(bitmap, { topK: 5 });
          } finally {
            model.dispose();
          }
        }, { model: MODEL, image: CAT }),
      ]);
      assertCat(inWorker);
      assert.deepEqual(inPage, inWorker.results);
    });
  });
}
