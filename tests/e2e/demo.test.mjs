// demo.test.mjs — the demo page (demo/) end to end in Debian Chromium:
// upload an image, the ?model=&image= links, and bad input shown as an error.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startBrowser } from './browser.mjs';

const SHARED = fileURLToPath(new URL('../../../shared/', import.meta.url));
const V1_025 = '/shared/models/mobilenet_v1_0.25_128_quant.tflite';
const CAT_CLASSES = [286, 282, 283];  // Egyptian cat, tabby, tiger cat
const MACAW = 89;

let env;
before(async () => { env = await startBrowser(); });
after(async () => { await env?.close(); });

async function openDemo(query = '') {
  const page = await env.newPage();
  await page.goto(`${env.url}/demo/${query}`);
  return page;
}

/** Waits until #app[data-state] is `state` (idle | loading | classifying | done | error). */
async function waitForState(page, state, timeout = 20_000) {
  await page.waitForSelector(`#app[data-state="${state}"]`, { timeout });
}

// From the default (Fashion-MNIST) model to MobileNet v1 0.25, for ImageNet photos.
async function useV1(page) {
  await waitForState(page, 'idle');
  await page.selectOption('#model-select', V1_025);
  await page.waitForFunction(() => /128×128 input/.test(document.getElementById('model-info').textContent));
  await waitForState(page, 'idle');
}

const results = (page) => page.$$eval('#results li', (items) => items.map((li) => ({
  index: Number(li.dataset.index), score: Number(li.dataset.score), text: li.textContent,
})));

test('upload a photo through the file input and see the top 5', { timeout: 30_000 }, async () => {
  const page = await openDemo();
  try {
    await waitForState(page, 'idle');  // the default model has loaded
    assert.equal(await page.inputValue('#model-select'), '/models/fashion-mnist/fashion-mnist.qwm');
    assert.match(await page.textContent('#model-info'), /28×28 input, 10 labels/);
    // The embedded Fashion-MNIST model classifies one of its sample photos.
    await page.setInputFiles('#image-file', new URL('../../demo/samples/fashion-mnist/0002-trouser.png', import.meta.url).pathname);
    await waitForState(page, 'done');
    assert.match((await results(page))[0].text, /Trouser/);
    await page.selectOption('#model-select', V1_025);
    await page.setInputFiles('#image-file', `${SHARED}images/cat.bmp`);
    await waitForState(page, 'done');

    const top = await results(page);
    assert.equal(top.length, 5);
    assert.ok(CAT_CLASSES.includes(top[0].index), `top-1 is ${top[0].text}`);
    assert.match(top[0].text, /cat/i);
    assert.match(top[0].text, /\d+\.\d%/);
    for (let i = 1; i < top.length; i++) assert.ok(top[i - 1].score >= top[i].score, 'sorted best first');

    assert.match(await page.textContent('#timing'), /Inference \d+\.\d ms · total \d+\.\d ms/);
    const inferenceMs = Number(await page.getAttribute('#timing', 'data-inference-ms'));
    assert.ok(inferenceMs > 0, `inference time ${inferenceMs}`);
    assert.equal(await page.isVisible('#preview'), true);
    assert.equal(await page.isVisible('#error'), false);
    assert.match(await page.textContent('#isolation'), /isolated: yes/);
  } finally {
    await page.close();
  }
});

test('?model=&image= loads and classifies on its own', { timeout: 30_000 }, async () => {
  const page = await openDemo(`?model=${V1_025}&image=/shared/images/parrot.jpg`);
  try {
    await waitForState(page, 'done');
    const top = await results(page);
    assert.equal(top.length, 5);
    assert.equal(top[0].index, MACAW, `top-1 is ${top[0].text}`);
    assert.match(top[0].text, /macaw/);
    assert.match(await page.textContent('#preview-caption'), /parrot\.jpg/);
  } finally {
    await page.close();
  }
});

test('a ?model= link to a missing file shows the error and keeps the image', { timeout: 30_000 }, async () => {
  const page = await openDemo('?model=/shared/models/no-such-model.tflite&image=/shared/images/cat.bmp');
  try {
    await page.waitForFunction(() => document.getElementById('preview-caption').textContent === 'cat.bmp');
    assert.equal(await page.getAttribute('#app', 'data-state'), 'error');
    assert.equal(await page.textContent('#error'),
      'Could not load model no-such-model.tflite: could not fetch model from /shared/models/no-such-model.tflite: HTTP 404');
    // Picking a working model classifies the image already on show.
    await page.selectOption('#model-select', V1_025);
    await waitForState(page, 'done');
    assert.equal(await page.isVisible('#error'), false);
    assert.ok(CAT_CLASSES.includes((await results(page))[0].index));
  } finally {
    await page.close();
  }
});

test('bad model and image files show a clear error; the page stays usable', { timeout: 30_000 }, async () => {
  const page = await openDemo();
  try {
    await useV1(page);
    const truncated = (await readFile(`${SHARED}models/mobilenet_v1_0.25_128_quant.tflite`)).subarray(0, 1000);

    // A truncated model: an error, and the previous model is kept.
    await page.setInputFiles('#model-file', { name: 'truncated.tflite', mimeType: 'application/octet-stream', buffer: truncated });
    await waitForState(page, 'error');
    const truncatedError = await page.textContent('#error');
    assert.equal(await page.isVisible('#error'), true);
    assert.match(truncatedError, /^Could not load model truncated\.tflite: .{10,}/);
    assert.match(truncatedError, /still using/);
    assert.equal(await page.inputValue('#model-select'), V1_025);

    // A text file posing as a model.
    await page.setInputFiles('#model-file', { name: 'notes.tflite', mimeType: 'text/plain', buffer: Buffer.from('hello, not a model\n') });
    await page.waitForFunction(() => document.getElementById('error').textContent.includes('notes.tflite'));
    assert.match(await page.textContent('#error'), /^Could not load model notes\.tflite: .{10,}/);

    // A text file posing as an image: a decode error.
    await page.setInputFiles('#image-file', { name: 'photo.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('not a jpeg') });
    await page.waitForFunction(() => document.getElementById('error').textContent.includes('photo.jpg'));
    assert.match(await page.textContent('#error'), /^Could not classify photo\.jpg: could not decode image/);
    assert.equal(await page.locator('#results li').count(), 0);

    // Still usable: a good image classifies with the kept model, and the error goes.
    await page.setInputFiles('#image-file', `${SHARED}images/cat.bmp`);
    await waitForState(page, 'done');
    assert.equal(await page.isVisible('#error'), false);
    const top = await results(page);
    assert.ok(CAT_CLASSES.includes(top[0].index), `top-1 is ${top[0].text}`);

    // And a good model file after the bad ones.
    await page.setInputFiles('#model-file', `${SHARED}models/mobilenet_v1_0.25_128_quant.tflite`);
    await page.waitForFunction(() => document.getElementById('model-info').textContent.startsWith('mobilenet_v1_0.25_128_quant.tflite'));
    await waitForState(page, 'done');
    assert.ok(CAT_CLASSES.includes((await results(page))[0].index));
  } finally {
    await page.close();
  }
});

test('sample buttons, drag and drop, and switching models mid-way', { timeout: 30_000 }, async () => {
  const page = await openDemo();
  try {
    await useV1(page);
    await page.getByRole('button', { name: 'cat' }).click();
    await waitForState(page, 'done');
    assert.ok(CAT_CLASSES.includes((await results(page))[0].index));

    // Drop parrot.jpg on the drop zone.
    const dataTransfer = await page.evaluateHandle(async () => {
      const blob = await (await fetch('/shared/images/parrot.jpg')).blob();
      const dt = new DataTransfer();
      dt.items.add(new File([blob], 'parrot.jpg', { type: 'image/jpeg' }));
      return dt;
    });
    await page.dispatchEvent('#drop-zone', 'drop', { dataTransfer });
    await page.waitForFunction(() => document.getElementById('preview-caption').textContent === 'parrot.jpg');
    await waitForState(page, 'done');
    assert.equal((await results(page))[0].index, MACAW);

    // Pick a bigger model and, while it loads, another image: the page ends
    // with that image classified by the new model.
    const v2 = '/shared/models/mobilenet_v2_1.0_224_quant.tflite';
    await page.selectOption('#model-select', v2);
    await page.setInputFiles('#image-file', `${SHARED}images/cat.bmp`);
    const v2Name = await page.$eval(`#model-select option[value="${v2}"]`, (o) => o.textContent);
    await page.waitForFunction((name) => document.getElementById('app').dataset.state === 'done'
      && document.getElementById('results').dataset.model === name, v2Name);
    assert.equal(await page.inputValue('#model-select'), v2);
    assert.match(await page.textContent('#model-info'), /224×224 input/);
    assert.ok(CAT_CLASSES.includes((await results(page))[0].index));
  } finally {
    await page.close();
  }
});
