// quantize() in Chromium with learned rounding: the default model's float
// source (models/fashion-mnist) calibrated on the committed sample PNGs,
// 4-bit weights, rounding: 'learned'. The page reports progress per layer,
// says what each layer's rounding did, and makes byte for byte the model
// Node makes from the same images (the same wasm, deterministic), which
// classifies the samples as their names say.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { quantize } from 'qwasm';
import { blankPage, startBrowser } from './browser.mjs';

const FP32 = '/models/fashion-mnist/fashion-mnist.fp32.onnx';
const SAMPLES = '/demo/samples/fashion-mnist/';
const ROOT = new URL('../../', import.meta.url);
const FILES = readdirSync(new URL(`.${SAMPLES}`, ROOT)).filter((f) => f.endsWith('.png')).sort();
const LABELS = readFileSync(new URL('models/fashion-mnist/labels.txt', ROOT), 'utf8').trim().split('\n');
const OPTIONS = { mean: 127.5, std: 127.5, cropFraction: 1, labels: LABELS, weights: 'int4', biasCorrection: true, rounding: 'learned' };

describe('quantize in the page', () => {
  let env;
  before(async () => { env = await startBrowser(); });
  after(async () => { await env?.close(); });

  test('learned rounding: progress per layer, a report per layer, the same bytes as Node', async () => {
    const page = await blankPage(env);
    const got = await page.evaluate(async ({ model, samples, files, options }) => {
      const { quantize, load } = await import('/web/index.js');
      const progress = [];
      const images = await Promise.all(files.map(async (f) => (await fetch(samples + f)).blob()));
      const t0 = performance.now();
      const { model: bytes, report } = await quantize(model, images, {
        ...options, onRoundingProgress: (done, total) => progress.push([done, total]),
      });
      const seconds = (performance.now() - t0) / 1000;
      const m = await load(bytes);
      const tops = [];
      for (const f of images) tops.push((await m.classify(f, { topK: 1 }))[0].label);
      m.dispose();
      return { bytes: Array.from(bytes), report, progress, tops, seconds };
    }, { model: FP32, samples: SAMPLES, files: FILES, options: OPTIONS });
    await page.close();

    const weighted = got.report.layers.filter((l) => l.weightFormat);
    assert.equal(got.report.rounding, 'learned');
    assert.ok(weighted.length >= 3);
    assert.deepEqual(got.progress, weighted.map((_, i) => [i + 1, weighted.length]));
    // The classifier sees one row of 128 inputs per image: its moments from
    // 40 rows are shrunk by 512 / 552 = 0.93, past 0.9, so it keeps nearest
    // rounding without steps (docs/quantization.md, Few rows); the rest take all 1000.
    const classifier = weighted[weighted.length - 1];
    for (const l of weighted) {
      assert.ok(l.rounding.learnedSqnrDb >= l.rounding.nearestSqnrDb, `${l.name}: ${JSON.stringify(l.rounding)}`);
      assert.equal(l.rounding.iterations, l === classifier ? 0 : 1000, `${l.name}: ${JSON.stringify(l.rounding)}`);
    }
    assert.equal(classifier.rounding.changed, 0);
    assert.match(classifier.roundingNote ?? '', /shrunk by 0\.93 \(over 0\.90\)/);
    assert.deepEqual(weighted.filter((l) => l.roundingNote).map((l) => l.name), [classifier.name]);
    const right = FILES.filter((f, i) => f.slice(5, -4) === got.tops[i].toLowerCase().replace(/[^a-z]+/g, '-')).length;
    assert.ok(right >= FILES.length - 5, `${right} of ${FILES.length} samples right`);

    const node = await quantize(new URL(`.${FP32}`, ROOT).pathname, FILES.map((f) => new URL(`.${SAMPLES}${f}`, ROOT).pathname), OPTIONS);
    assert.equal(got.bytes.length, node.model.length);
    assert.ok(node.model.every((b, i) => b === got.bytes[i]), 'the page and Node made different bytes');
    console.log(`# page: int4 learned rounding of ${weighted.length} layers on ${FILES.length} images in ${got.seconds.toFixed(1)} s; ` +
      `${right}/${FILES.length} samples right; output SQNR ${got.report.outputSqnrDb.toFixed(1)} dB`);
  });
});
