// classify() scores are probabilities: decided at load from the graph
// (Model.outputKind), a float64 softmax of logits (the default Fashion-MNIST
// model), the model's own values when it computes probabilities (MobileNet's
// quantized softmax, a sigmoid); and the options topK, minScore, exclude.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it, before, after } from 'node:test';
import { load, QwasmError } from 'qwasm';
import * as onnx from './helpers/onnx.mjs';

const ROOT = new URL('../../', import.meta.url);
const SAMPLES = new URL('demo/samples/fashion-mnist/', ROOT);
const SAMPLE_FILES = readdirSync(SAMPLES).filter((f) => f.endsWith('.png')).map((f) => new URL(f, SAMPLES).pathname);
const SHARED = new URL('../../../shared/', import.meta.url);
const MOBILENET = new URL('models/mobilenet_v1_0.25_128_quant.tflite', SHARED).pathname;
const CAT = new URL('images/cat.bmp', SHARED).pathname;
const PARROT = new URL('images/parrot.jpg', SHARED).pathname;

/** exp(x_i) / sum exp(x_j) by log-sum-exp: the reference the test holds classify() to. */
function referenceSoftmax(x) {
  const m = Math.max(...x);
  const lse = m + Math.log(x.reduce((s, v) => s + Math.exp(v - m), 0));
  return Array.from(x, (v) => Math.exp(v - lse));
}

const isError = (message) => (e) => e instanceof QwasmError && e.message === message;

describe('the default model (logits): classify() gives softmax probabilities', () => {
  let model;
  before(async () => { model = await load(undefined, { threads: 1 }); });
  after(() => model?.dispose());

  it('is read as logits at load: its output comes from a fully connected layer, not a softmax', () => {
    assert.equal(model.outputKind, 'logits');
  });

  it(`scores over all 10 classes sum to 1 on each of the ${SAMPLE_FILES.length} committed samples`, async () => {
    assert.ok(SAMPLE_FILES.length >= 30);
    for (const file of SAMPLE_FILES) {
      const top = await model.classify(file, { topK: 10 });
      assert.equal(top.length, 10);
      const sum = top.reduce((s, r) => s + r.score, 0);
      assert.ok(Math.abs(sum - 1) <= 1e-3, `${file}: sum ${sum}`);
      for (const r of top) assert.ok(r.score >= 0 && r.score <= 1, `${file}: ${r.score}`);
      for (let i = 1; i < top.length; i++) assert.ok(top[i - 1].score >= top[i].score);
    }
  });

  it('each score is the softmax of the raw output embed() gives, ranked as the logits are', async () => {
    for (const file of SAMPLE_FILES.slice(0, 8)) {
      const logits = await model.embed(file);
      const want = referenceSoftmax(logits);
      const top = await model.classify(file, { topK: 10 });
      for (const { index, score } of top) assert.ok(Math.abs(score - want[index]) < 1e-12, `${file} class ${index}`);
      const byLogit = [...logits.keys()].sort((a, b) => logits[b] - logits[a] || a - b);
      assert.deepEqual(top.map((r) => r.index), byLogit);
    }
  });

  it('the top class of an ankle boot is confident, no longer a logit above 1', async () => {
    const [top] = await model.classify(new URL('0000-ankle-boot.png', SAMPLES).pathname, { topK: 1 });
    assert.equal(top.label, 'Ankle boot');
    assert.ok(top.score > 0.5 && top.score <= 1, top.score);
    assert.ok(Math.max(...await model.embed(new URL('0000-ankle-boot.png', SAMPLES).pathname)) > 1);
  });

  it('exclude drops classes before ranking; the others keep their probabilities (no renormalisation)', async () => {
    const file = new URL('0002-trouser.png', SAMPLES).pathname;
    const all = await model.classify(file, { topK: 10 });
    const rest = await model.classify(file, { topK: 10, exclude: [all[0].index, all[3].index] });
    assert.deepEqual(rest, all.filter((_, i) => i !== 0 && i !== 3));
    assert.deepEqual(await model.classify(file, { topK: 2, exclude: [all[0].index] }), all.slice(1, 3));
    assert.deepEqual(await model.classify(file, { exclude: all.map((r) => r.index) }), []);
  });

  it('minScore drops results under it (fewer than topK, or none)', async () => {
    const file = new URL('0018-bag.png', SAMPLES).pathname;
    const all = await model.classify(file, { topK: 10 });
    const cut = all[2].score;
    assert.deepEqual(await model.classify(file, { topK: 10, minScore: cut }), all.filter((r) => r.score >= cut));
    assert.equal((await model.classify(file, { topK: 10, minScore: cut })).length, 3);
    assert.deepEqual(await model.classify(file, { topK: 2, minScore: cut }), all.slice(0, 2));
    assert.deepEqual(await model.classify(file, { minScore: 0 }), all.slice(0, 5));
    assert.deepEqual(await model.classify(file, { minScore: 1 }), all.filter((r) => r.score >= 1));
  });
});

describe('MobileNet (a quantized softmax): classify() gives its probabilities unchanged', () => {
  let model;
  before(async () => { model = await load(MOBILENET, { threads: 1 }); });
  after(() => model?.dispose());

  it('is read as probabilities at load: its output comes from SOFTMAX (behind a RESHAPE)', () => {
    assert.equal(model.outputKind, 'probabilities');
  });

  it('scores are its dequantized uint8 outputs, (q - zeroPoint) * scale: multiples of 1/256', async () => {
    const { scale, zeroPoint } = model.outputQuantization;
    assert.equal(scale, 1 / 256);
    for (const image of [CAT, PARROT]) {
      const q = model.run(await model.preprocess(image));
      const all = await model.classify(image, { topK: 1001 });
      assert.equal(all.length, 1001);
      for (const { index, score } of all) assert.equal(score, (q[index] - zeroPoint) * scale);
      // Not renormalised either: the quantized values sum to about 1, as they were.
      const sum = all.reduce((s, r) => s + r.score, 0);
      assert.ok(Math.abs(sum - 1) < 0.05, `sum ${sum}`);
    }
    const [top] = await model.classify(CAT, { topK: 1 });
    assert.equal(top.label, 'Egyptian cat');
    assert.equal(top.score, 187 / 256);
  });

  it('exclude: [0] drops the background class; the other scores stay', async () => {
    const all = await model.classify(PARROT, { topK: 1001 });
    const fg = await model.classify(PARROT, { topK: 1000, exclude: [0] });
    assert.equal(fg.length, 1000);
    assert.ok(!fg.some((r) => r.index === 0));
    assert.deepEqual(fg, all.filter((r) => r.index !== 0));
  });

  it('minScore: only classes scoring at least that', async () => {
    const top = await model.classify(CAT, { topK: 10, minScore: 0.1 });
    assert.deepEqual(top.map((r) => r.label), ['Egyptian cat', 'tiger cat']);
    assert.ok(top.every((r) => r.score >= 0.1));
  });
});

describe('a sigmoid output with labels (multi-label): probabilities, not softmaxed', () => {
  it('scores are the sigmoid values embed() gives', async () => {
    const model = await load(onnx.model({
      nodes: [
        onnx.node('GlobalAveragePool', ['x'], ['p']),
        onnx.node('Flatten', ['p'], ['f']),
        onnx.node('Sigmoid', ['f'], ['y']),
      ],
      initializers: [],
      inputs: [onnx.valueInfo('x', [1, 3, 8, 8])],
      outputs: [onnx.valueInfo('y', [1, 3])],
    }), { threads: 1, labels: ['red', 'green', 'blue'], mean: 0, std: 255 });
    try {
      assert.equal(model.outputKind, 'probabilities');
      const image = { data: new Uint8Array(8 * 8 * 3).map((_, i) => [255, 128, 0][i % 3]), width: 8, height: 8, channels: 3 };
      const e = await model.embed(image);
      const top = await model.classify(image, { topK: 3 });
      assert.deepEqual(top.map((r) => r.label), ['red', 'green', 'blue']);
      for (const { index, score } of top) assert.equal(score, e[index]);
      assert.ok(Math.abs(top[0].score - 1 / (1 + Math.exp(-1))) < 1e-6, top[0].score);
      assert.ok(top.reduce((s, r) => s + r.score, 0) > 1.5);  // independent per class: no distribution
    } finally {
      model.dispose();
    }
  });
});

describe('classify() options are checked first, with clear errors', () => {
  let model;
  before(async () => { model = await load(undefined, { threads: 1 }); });
  after(() => model?.dispose());
  const image = new URL('0000-ankle-boot.png', SAMPLES).pathname;

  it('topK: a positive integer', async () => {
    for (const [topK, shown] of [[0, '0'], [-1, '-1'], [2.5, '2.5'], ['3', '"3"'], [NaN, 'NaN'], [null, 'null']]) {
      await assert.rejects(model.classify(image, { topK }), isError(`option topK must be a positive integer, got ${shown}`));
    }
  });

  it('minScore: a number from 0 to 1', async () => {
    for (const [minScore, shown] of [[-0.1, '-0.1'], [1.5, '1.5'], [NaN, 'NaN'], [Infinity, 'Infinity'], ['0.5', '"0.5"']]) {
      await assert.rejects(model.classify(image, { minScore }), isError(`option minScore must be a number from 0 to 1, got ${shown}`));
    }
  });

  it('exclude: an array of class indices of this model', async () => {
    await assert.rejects(model.classify(image, { exclude: 0 }), isError('option exclude must be an array of class indices, got 0'));
    await assert.rejects(model.classify(image, { exclude: [10] }),
      isError('option exclude: 10 is not a class index (the model has classes 0 to 9)'));
    await assert.rejects(model.classify(image, { exclude: [1, '2'] }),
      isError('option exclude: "2" is not a class index (the model has classes 0 to 9)'));
    await assert.rejects(model.classify(image, { exclude: [-1] }), QwasmError);
  });

  it('bad options are reported before the image is read', async () => {
    await assert.rejects(model.classify('/nonexistent.png', { topK: 0 }), /topK/);
  });
});
