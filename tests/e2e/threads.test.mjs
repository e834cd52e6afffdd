// threads.test.mjs — threads in Chromium. On a cross-origin isolated page
// (and in a module worker of one) load() uses the pthreads module and gives
// the single-threaded results byte for byte; on a plain page it falls back
// to one thread and still works. Pages and workers run
// fixtures/threads-run.js.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBrowser } from './browser.mjs';

const MODEL = '/shared/models/mobilenet_v2_1.0_224_quant.tflite';
const CAT = '/shared/images/cat.bmp';
const CAT_CLASSES = [286, 282, 283];  // Egyptian cat, tabby, tiger cat

/** An empty same-origin page (isolated or not, as the server is). */
async function blankPage(env, isolation) {
  const page = await env.newPage();
  const messages = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') messages.push(m.text()); });
  await page.route(`${env.url}/__blank`, (route) => route.fulfill({
    contentType: 'text/html',
    headers: isolation ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } : {},
    body: '<!doctype html><title>blank</title>',
  }));
  await page.goto(`${env.url}/__blank`);
  return { page, messages };
}

function inPage(page, threads) {
  return page.evaluate(async (args) => {
    const { runWithThreads } = await import('/tests/e2e/fixtures/threads-run.js');
    return runWithThreads(args);
  }, { model: MODEL, image: CAT, threads });
}

function inWorker(page, threads) {
  return page.evaluate((args) => new Promise((resolve, reject) => {
    const w = new Worker('/tests/e2e/fixtures/threads-worker.js', { type: 'module' });
    w.onmessage = ({ data }) => { w.terminate(); data.ok ? resolve(data.runs) : reject(new Error(data.message)); };
    w.onerror = (e) => { w.terminate(); reject(new Error(`worker error: ${e.message}`)); };
    w.postMessage(args);
  }), { model: MODEL, image: CAT, threads });
}

const top1 = (output) => output.indexOf(Math.max(...output));

/** Every run gives the first run's output, which is a cat. */
function assertSameCat(runs) {
  assert.ok(CAT_CLASSES.includes(top1(runs[0].output)), `top-1 is ${top1(runs[0].output)}`);
  for (const r of runs.slice(1)) assert.deepEqual(r.output, runs[0].output, `threads ${r.asked} vs ${runs[0].asked}`);
}

describe('cross-origin isolated page', () => {
  let env;
  let page;
  let messages;
  let cores;
  before(async () => {
    env = await startBrowser({ isolation: true });
    ({ page, messages } = await blankPage(env, true));
    cores = await page.evaluate(() => navigator.hardwareConcurrency);
  });
  after(async () => { await env?.close(); });

  test('is isolated, with at least two cores', async () => {
    assert.equal(await page.evaluate(() => crossOriginIsolated), true);
    assert.ok(cores >= 2, `Chromium reports ${cores} cores`);
  });

  test('threads on the main thread give the single-threaded output', { timeout: 60_000 }, async () => {
    const runs = await inPage(page, [1, 2, undefined]);
    assert.deepEqual(runs.map((r) => r.threads), [1, 2, Math.min(cores, 4)]);
    assertSameCat(runs);
    assert.deepEqual(messages, []);
  });

  test('every live model gets its threads, not only the first (issue 14)', { timeout: 60_000 }, async () => {
    const threads = await page.evaluate(async ({ model }) => {
      const { load } = await import('/web/index.js');
      const models = [await load(), await load(model, { threads: 2 }), await load(model)];
      const t = models.map((m) => m.threads);
      for (const m of models) m.dispose();
      return t;
    }, { model: MODEL });
    assert.deepEqual(threads, [2, 2, Math.min(cores, 4)].map((n) => Math.min(n, cores)));
    assert.deepEqual(messages, []);
  });

  test('threads in a module worker give the same output', { timeout: 60_000 }, async () => {
    const [inMain] = await inPage(page, [1]);
    const runs = await inWorker(page, [2, 1]);
    assert.deepEqual(runs.map((r) => r.threads), [2, 1]);
    assertSameCat([inMain, ...runs]);
    assert.deepEqual(messages, []);
  });
});

describe('non-isolated page', () => {
  let env;
  let page;
  let messages;
  before(async () => {
    env = await startBrowser({ isolation: false });
    ({ page, messages } = await blankPage(env, false));
  });
  after(async () => { await env?.close(); });

  test('falls back to one thread, quietly, and still classifies', { timeout: 60_000 }, async () => {
    assert.equal(await page.evaluate(() => crossOriginIsolated), false);
    const runs = await inPage(page, [2, undefined]);
    assert.deepEqual(runs.map((r) => r.threads), [1, 1]);
    assertSameCat(runs);
    const [inWorkerRun] = await inWorker(page, [2]);
    assert.equal(inWorkerRun.threads, 1);
    assertSameCat([runs[0], inWorkerRun]);
    assert.deepEqual(messages, []);
  });

  test('never fetches the pthreads module', async () => {
    const fetched = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name));
    assert.ok(fetched.some((u) => u.endsWith('/dist/qwasm.wasm')));
    assert.ok(!fetched.some((u) => u.includes('qwasm-mt')), fetched.join('\n'));
  });
});
