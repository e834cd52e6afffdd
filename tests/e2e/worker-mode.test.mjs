// worker-mode.test.mjs — load(url, { worker: true }) in Chromium: the model
// runs in a module Worker (web/worker-model.js, web/worker-entry.js) and
// answers as the main-thread Model does; errors come back as QwasmError;
// dispose() terminates the worker. Plus the Node entry's refusal.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { load as nodeLoad, QwasmError } from '../../web/node.js';
import { blankPage, startBrowser } from './browser.mjs';

const MODEL = '/shared/models/mobilenet_v2_1.0_224_quant.tflite';
const CAT = '/shared/images/cat.bmp';
const CAT_CLASSES = [286, 282, 283];  // Egyptian cat, tabby, tiger cat

let env;
let page;
before(async () => {
  env = await startBrowser();
  page = await blankPage(env);
});
after(async () => { await env?.close(); });

describe('worker mode', () => {
  test('gives the main thread\'s top 5 for every kind of image', { timeout: 90_000 }, async () => {
    const r = await page.evaluate(async ({ model: url, image }) => {
      const { load } = await import('/web/index.js');
      const blob = await (await fetch(image)).blob();
      const bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
      const canvas = Object.assign(document.createElement('canvas'), { width: bitmap.width, height: bitmap.height });
      canvas.getContext('2d').drawImage(bitmap, 0, 0);
      const imageData = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      const frame = new VideoFrame(bitmap, { timestamp: 0 });
      const offscreen = new OffscreenCanvas(bitmap.width, bitmap.height);
      offscreen.getContext('2d').drawImage(bitmap, 0, 0);
      const img = new Image();
      img.src = image;  // not loaded yet: both sides must wait for it
      const [main, worker] = await Promise.all([load(url), load(url, { worker: true })]);
      const out = { fields: {}, results: {} };
      for (const k of ['inputShape', 'inputType', 'outputShape', 'outputKind', 'threads', 'arenaBytes', 'cropFraction']) {
        out.fields[k] = [main[k], worker[k]];
      }
      out.fields.labels = [main.labels.length, worker.labels.length];
      out.fields.metadata = [main.metadata.producer, worker.metadata.producer];
      for (const [name, input] of Object.entries({ blob, bitmap, frame, canvas, offscreen, imageData, img })) {
        out.results[name] = [await main.classify(input), await worker.classify(input)];
      }
      // The caller's bitmap and frame were not transferred away.
      out.kept = [bitmap.width, frame.displayWidth];
      frame.close();
      out.inferenceMs = worker.lastInferenceMs;
      out.embed = [Array.from(await main.embed(blob)), Array.from(await worker.embed(blob))];
      const tensor = await worker.preprocess(blob);
      out.preprocess = [Array.from(await main.preprocess(blob)), Array.from(tensor)];
      const runPromise = worker.run(tensor);
      out.runIsPromise = runPromise instanceof Promise;
      out.run = [Array.from(main.run(tensor)), Array.from(await runPromise)];
      const profile = await worker.profile(2);
      out.profile = { nodes: profile.length, mainNodes: main.profile(1).length, first: profile[0] };
      worker.cropFraction = 1;  // set here, used there
      main.cropFraction = 1;
      out.cropped = [await main.classify(blob), await worker.classify(blob)];
      main.dispose();
      worker.dispose();
      return out;
    }, { model: MODEL, image: CAT });
    for (const [k, [a, b]] of Object.entries(r.fields)) assert.deepEqual(b, a, k);
    for (const [name, [inMain, inWorker]] of Object.entries(r.results)) {
      assert.equal(inWorker.length, 5, name);
      assert.ok(CAT_CLASSES.includes(inWorker[0].index), `${name}: top-1 is ${inWorker[0].label}`);
      assert.deepEqual(inWorker, inMain, name);  // indices and scores
    }
    assert.deepEqual(r.kept, [512, 512]);
    assert.ok(r.inferenceMs > 0);
    assert.deepEqual(r.embed[1], r.embed[0]);
    assert.deepEqual(r.preprocess[1], r.preprocess[0]);
    assert.equal(r.runIsPromise, true);
    assert.deepEqual(r.run[1], r.run[0]);
    assert.equal(r.profile.nodes, r.profile.mainNodes);
    assert.equal(typeof r.profile.first.op, 'string');
    assert.ok(r.profile.first.ms >= 0);
    assert.deepEqual(r.cropped[1], r.cropped[0]);
  });

  test('errors come back as QwasmError with the main thread\'s message', { timeout: 60_000 }, async () => {
    const r = await page.evaluate(async ({ model: url }) => {
      const { load, QwasmError } = await import('/web/index.js');
      const caught = async (f) => {
        try {
          await f();
          return null;
        } catch (e) {
          return { qwasm: e instanceof QwasmError, name: e.name, message: e.message };
        }
      };
      const missing = '/shared/models/no-such-model.tflite';
      const junk = new TextEncoder().encode('not an image');
      const main = await load(url);
      const worker = await load(url, { worker: true });
      const out = {
        missing: [await caught(() => load(missing)), await caught(() => load(missing, { worker: true }))],
        badModel: [await caught(() => load(junk)), await caught(() => load(junk, { worker: true }))],
        badImage: [await caught(() => main.classify(junk)), await caught(() => worker.classify(junk))],
        badPixels: [await caught(() => main.classify({ data: new Uint8Array(5), width: 2, height: 2 })),
          await caught(() => worker.classify({ data: new Uint8Array(5), width: 2, height: 2 }))],
        badRuns: [await caught(() => main.profile(0)), await caught(() => worker.profile(0))],
        badTensor: [await caught(() => main.run(new Uint8Array(3))), await caught(() => worker.run(new Uint8Array(3)))],
        emptyImage: [await caught(() => main.classify(new Image())), await caught(() => worker.classify(new Image()))],
      };
      const stillWorks = (await worker.classify(await (await fetch('/shared/images/cat.bmp')).blob()))[0].index;
      main.dispose();
      worker.dispose();
      return { errors: out, stillWorks };
    }, { model: MODEL });
    for (const [k, [inMain, inWorker]] of Object.entries(r.errors)) {
      assert.ok(inMain?.qwasm, `${k}: main thread threw ${JSON.stringify(inMain)}`);
      assert.deepEqual(inWorker, inMain, k);
    }
    assert.match(r.errors.missing[1].message, /HTTP 404/);
    assert.ok(CAT_CLASSES.includes(r.stillWorks));
  });

  test('dispose() terminates the worker; pending and later calls reject', { timeout: 60_000 }, async () => {
    const r = await page.evaluate(async ({ model: url }) => {
      const { load, QwasmError } = await import('/web/index.js');
      const terminated = [];
      const terminate = Worker.prototype.terminate;
      Worker.prototype.terminate = function () {
        terminated.push(this);
        return terminate.call(this);
      };
      try {
        const worker = await load(url, { worker: true });
        const pending = worker.profile(50).then(() => 'resolved', (e) => [e instanceof QwasmError, e.message]);
        worker.dispose();
        worker.dispose();  // idempotent
        const later = await worker.classify(new ImageData(8, 8)).then(() => 'resolved', (e) => [e instanceof QwasmError, e.message]);
        return { terminated: terminated.length, pending: await pending, later };
      } finally {
        Worker.prototype.terminate = terminate;
      }
    }, { model: MODEL });
    assert.equal(r.terminated, 1);
    assert.deepEqual(r.pending, [true, 'this model was disposed']);
    assert.deepEqual(r.later, [true, 'this model was disposed']);
  });

  test('the default model and relative URLs load in the worker', { timeout: 60_000 }, async () => {
    const r = await page.evaluate(async () => {
      const { load } = await import('/web/index.js');
      const fashion = await load(undefined, { worker: true });
      const labels = await load('../shared/models/mobilenet_v1_0.25_128_quant.tflite',
        { worker: true, labels: 'shared/models/imagenet_labels.txt' });  // relative to this page, not the worker
      const out = { fashion: fashion.inputShape, labels: labels.labels.length, first: labels.labels[0] };
      fashion.dispose();
      labels.dispose();
      return out;
    });
    assert.deepEqual(r.fashion, [1, 28, 28, 1]);
    assert.equal(r.labels, 1001);
    assert.equal(r.first, 'background');
  });
});

test('Node: worker: true is refused with a QwasmError', async () => {
  await assert.rejects(nodeLoad(undefined, { worker: true }), (e) => e instanceof QwasmError && /worker_threads/.test(e.message));
});
