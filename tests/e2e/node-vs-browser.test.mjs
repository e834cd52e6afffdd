// node-vs-browser.test.mjs — the same model and the same photo give the same
// answer in Node and in Chromium: byte-identical input tensors and identical
// top-5 (indices, labels and scores; int8 results admit no tolerance), and
// identical embed() vectors and cosineSimilarity() between photos.
//
// BMPs decode to the file's exact pixels everywhere; JPEGs decode in Node
// with libjpeg-turbo's algorithm (web/jpeg-node.js), as Chromium does, so
// they must match byte for byte too.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cosineSimilarity, load } from 'qwasm';
import { startBrowser } from './browser.mjs';

const SHARED = fileURLToPath(new URL('../../../shared/', import.meta.url));
const MODELS = [
  'mobilenet_v1_0.25_128_quant', 'mobilenet_v1_0.5_160_quant', 'mobilenet_v1_0.75_192_quant',
  'mobilenet_v2_1.0_224_quant', 'tf2_mobilenet_v2_1.0_224_ptq',  // per-channel int8
];
const IMAGES = [
  { file: 'cat.bmp', top1: [286, 282, 283] },  // Egyptian cat, tabby, tiger cat
  { file: 'sunflower.bmp', top1: [986] },      // daisy (ImageNet has no sunflower)
  { file: 'parrot.jpg', top1: [89] },          // macaw
  { file: 'owl.jpg' },                         // a JPEG with no sure answer
];

let env;
let page;
before(async () => {
  env = await startBrowser();
  page = await env.newPage();
  // An empty same-origin page to run the public API in.
  await page.route(`${env.url}/__blank`, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>blank</title>' }));
  await page.goto(`${env.url}/__blank`);
});
after(async () => { await env?.close(); });

async function inNode(modelName) {
  const model = await load(`${SHARED}models/${modelName}.tflite`);
  try {
    const out = [];
    let first;
    for (const { file } of IMAGES) {
      const path = `${SHARED}images/${file}`;
      const tensor = await model.preprocess(path);
      const top5 = await model.classify(path, { topK: 5 });
      const embedding = await model.embed(path, { normalize: true });
      first ??= embedding;
      out.push({ file, inputType: model.inputType, tensor: Buffer.from(tensor.buffer, tensor.byteOffset, tensor.byteLength), top5,
        embedding: Array.from(embedding), cosine: cosineSimilarity(first, embedding) });
    }
    return out;
  } finally {
    model.dispose();
  }
}

function inBrowser(modelName) {
  return page.evaluate(async ({ modelUrl, imageUrls }) => {
    const { cosineSimilarity, load } = await import('/web/index.js');
    const model = await load(modelUrl);
    try {
      const out = [];
      let first;
      for (const url of imageUrls) {
        const blob = await (await fetch(url)).blob();
        const tensor = await model.preprocess(blob);
        const top5 = await model.classify(blob, { topK: 5 });
        const embedding = await model.embed(blob, { normalize: true });
        first ??= embedding;
        const bytes = new Uint8Array(tensor.buffer, tensor.byteOffset, tensor.byteLength);
        // Base64 keeps the 150 KB tensors cheap to hand back to Node.
        let binary = '';
        for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
        out.push({ inputType: model.inputType, tensor: btoa(binary), top5, embedding: Array.from(embedding),
          cosine: cosineSimilarity(first, embedding) });
      }
      return out;
    } finally {
      model.dispose();
    }
  }, {
    modelUrl: `/shared/models/${modelName}.tflite`,
    imageUrls: IMAGES.map(({ file }) => `/shared/images/${file}`),
  });
}

for (const modelName of MODELS) {
  test(`${modelName}: Node and Chromium agree exactly`, { timeout: 45_000 }, async () => {
    const [node, browser] = await Promise.all([inNode(modelName), inBrowser(modelName)]);
    IMAGES.forEach(({ file, top1 }, i) => {
      const n = node[i];
      const b = browser[i];
      assert.equal(b.inputType, n.inputType, `${file}: input type`);
      const bTensor = Buffer.from(b.tensor, 'base64');
      assert.equal(bTensor.length, n.tensor.length, `${file}: input tensor size`);
      if (!bTensor.equals(n.tensor)) {
        const at = n.tensor.findIndex((v, k) => v !== bTensor[k]);
        assert.fail(`${file}: input tensors differ, first at byte ${at}: node ${n.tensor[at]}, browser ${bTensor[at]}`);
      }
      assert.deepEqual(b.top5, n.top5, `${file}: top-5 (indices, labels, scores)`);
      assert.equal(n.top5.length, 5);
      assert.equal(n.embedding.length, 1001);
      assert.deepEqual(b.embedding, n.embedding, `${file}: embed()`);
      assert.equal(b.cosine, n.cosine, `${file}: cosineSimilarity()`);
      if (top1) assert.ok(top1.includes(n.top5[0].index), `${file}: top-1 is ${n.top5[0].index} ${n.top5[0].label}`);
    });
  });
}
