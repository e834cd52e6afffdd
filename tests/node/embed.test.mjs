// Models that are not only classifiers: model.embed() (the output as
// dequantized floats, optionally L2-normalised), cosineSimilarity(), and what
// a model says about its output (outputKind, metadata.notes, classify()'s
// one-time warning) — on the default model, a TFLite classifier, and small
// ONNX embedding models built here.
import assert from 'node:assert/strict';
import { describe, it, before, after } from 'node:test';
import { cosineSimilarity, load, quantize, QwasmError } from 'qwasm';
import * as onnx from './helpers/onnx.mjs';

const ROOT = new URL('../../', import.meta.url);
const SAMPLE = (name) => new URL(`demo/samples/fashion-mnist/${name}.png`, ROOT).pathname;
const SHARED = new URL('../../../shared/', import.meta.url);
const MOBILENET = new URL('models/mobilenet_v1_0.25_128_quant.tflite', SHARED).pathname;

/**
 * x [1, 3, 16, 16] -> Conv 3x3 (pads 1) -> Relu -> GlobalAveragePool ->
 * Flatten: an embedding [1, dim] with no labels; `softmax` adds a Softmax
 * (class probabilities), `featureMap` stops at the Relu ([1, 16, 16, dim]).
 */
function tinyModel({ dim = 64, softmax = false, featureMap = false } = {}) {
  const nodes = [
    onnx.node('Conv', ['x', 'w', 'b'], ['c'], [onnx.attrInts('pads', [1, 1, 1, 1])]),
    onnx.node('Relu', ['c'], [featureMap ? 'y' : 'r']),
  ];
  if (!featureMap) {
    nodes.push(onnx.node('GlobalAveragePool', ['r'], ['p']), onnx.node('Flatten', ['p'], [softmax ? 'f' : 'y']));
    if (softmax) nodes.push(onnx.node('Softmax', ['f'], ['y'], [onnx.attrInt('axis', 1)]));
  }
  return onnx.model({
    nodes,
    initializers: [onnx.floats('w', [dim, 3, 3, 3], onnx.pseudoRandom(dim * 27, 7)), onnx.floats('b', [dim], onnx.pseudoRandom(dim, 9))],
    inputs: [onnx.valueInfo('x', [1, 3, 16, 16])],
    outputs: [onnx.valueInfo('y', featureMap ? [1, dim, 16, 16] : [1, dim])],
  });
}

/** A 16x16 RGB picture; different seeds give different pictures. */
function picture(seed) {
  const noise = onnx.pseudoRandom(16 * 16 * 3, seed);
  return { data: Uint8Array.from(noise, (v) => Math.round((v + 1) * 127.5)), width: 16, height: 16, channels: 3 };
}

/** Calls `fn` with console.warn captured; returns the warnings. */
async function warnings(t, fn) {
  const warn = t.mock.method(console, 'warn', () => {});
  try {
    await fn();
    return warn.mock.calls.map((c) => c.arguments.join(' '));
  } finally {
    warn.mock.restore();
  }
}

const norm = (v) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

describe('model.embed on the default model (int8 output)', () => {
  let model;
  before(async () => { model = await load(undefined, { threads: 1 }); });
  after(() => model?.dispose());

  it('describes its output: class logits [1, 10] over its 10 labels, int8', () => {
    assert.deepEqual(model.outputShape, [1, 10]);
    assert.equal(model.outputKind, 'logits');
    assert.equal(model.outputType, 'int8');
    assert.ok(model.outputQuantization.scale > 0, JSON.stringify(model.outputQuantization));
    assert.ok(Number.isInteger(model.outputQuantization.zeroPoint));
    assert.ok(!model.metadata.notes.some((n) => /output|labels/.test(n)), model.metadata.notes.join('\n'));
  });

  it('equals the dequantized output of run(): (q - zeroPoint) * scale, whose softmax classify() reports', async () => {
    const image = SAMPLE('0000-ankle-boot');
    const e = await model.embed(image);
    assert.ok(e instanceof Float32Array);
    assert.equal(e.length, model.outputSize);
    const q = model.run(await model.preprocess(image));
    assert.ok(q instanceof Int8Array);
    const { scale, zeroPoint } = model.outputQuantization;
    assert.deepEqual(e, Float32Array.from(q, (v) => (v - zeroPoint) * scale));
    const top = await model.classify(image, { topK: 10 });
    const sum = e.reduce((s, x) => s + Math.exp(x), 0);
    for (const { index, score } of top) assert.ok(Math.abs(score - Math.exp(e[index]) / sum) < 1e-12, `${index}: ${score}`);
    assert.equal(top[0].label, 'Ankle boot');
  });

  it('normalize: true gives the unit vector in the same direction', async () => {
    const image = SAMPLE('0002-trouser');
    const raw = await model.embed(image);
    const unit = await model.embed(image, { normalize: true });
    assert.ok(Math.abs(norm(unit) - 1) < 1e-6, `norm ${norm(unit)}`);
    const n = norm(raw);
    for (let i = 0; i < raw.length; i++) assert.ok(Math.abs(unit[i] - raw[i] / n) < 1e-6);
    assert.deepEqual(await model.embed(image, { normalize: false }), raw);
  });

  it('cosine similarity: 1 for an image with itself, higher within a class than across classes', async () => {
    const [trouser, trouser2, boot, boot2] = await Promise.all(['0002-trouser', '0003-trouser', '0000-ankle-boot', '0023-ankle-boot']
      .map((s) => model.embed(SAMPLE(s))));
    assert.ok(Math.abs(cosineSimilarity(trouser, trouser) - 1) < 1e-6);
    const same = [cosineSimilarity(trouser, trouser2), cosineSimilarity(boot, boot2)];
    const across = [cosineSimilarity(trouser, boot), cosineSimilarity(trouser2, boot2), cosineSimilarity(trouser, boot2)];
    for (const c of [...same, ...across]) assert.ok(c >= -1 && c <= 1, c);
    assert.ok(Math.min(...same) > Math.max(...across), `same class ${same}, different classes ${across}`);
  });

  it('rejects a bad normalize option, and works only until dispose()', async () => {
    await assert.rejects(model.embed(SAMPLE('0002-trouser'), { normalize: 'yes' }),
      (e) => e instanceof QwasmError && e.message === 'option normalize must be true or false, got "yes"');
    const m = await load(undefined, { threads: 1 });
    m.dispose();
    await assert.rejects(m.embed(SAMPLE('0002-trouser')), (e) => e instanceof QwasmError && /disposed/.test(e.message));
  });
});

describe('cosineSimilarity', () => {
  it('is the cosine of the angle between two vectors, arrays or typed arrays', () => {
    assert.equal(cosineSimilarity([1, 0], [0, 2]), 0);
    assert.equal(cosineSimilarity([1, 2, 3], [2, 4, 6]), 1);
    assert.equal(cosineSimilarity(new Float32Array([1, -2]), [-1, 2]), -1);
    assert.ok(Math.abs(cosineSimilarity(Int8Array.of(3, 4), [4, 3]) - 24 / 25) < 1e-12);
  });

  it('stays within [-1, 1] despite rounding', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const a = onnx.pseudoRandom(97, seed);
      const c = cosineSimilarity(a, a.map((x) => x * 3.7));
      assert.ok(c <= 1 && c > 1 - 1e-9, c);
      assert.ok(cosineSimilarity(a, a.map((x) => -x)) >= -1);
    }
  });

  it('is 0 for a vector of zeros, but not for vectors of tiny values', () => {
    assert.equal(cosineSimilarity([0, 0, 0], [1, 2, 3]), 0);
    assert.equal(cosineSimilarity(new Float32Array(4), new Float32Array(4)), 0);
    assert.ok(Math.abs(cosineSimilarity([1e-200, 1e-200], [1e-200, 0]) - Math.SQRT1_2) < 1e-15);
  });

  it('throws a QwasmError naming both lengths when they differ, and for empty or non-finite vectors', () => {
    assert.throws(() => cosineSimilarity(new Float32Array(512), new Float32Array(256)),
      (e) => e instanceof QwasmError && e.message === 'cosineSimilarity: the vectors differ in length: a has 512 values, b has 256');
    assert.throws(() => cosineSimilarity([], []), (e) => e instanceof QwasmError && /empty/.test(e.message));
    assert.throws(() => cosineSimilarity([1, NaN], [1, 2]), (e) => e instanceof QwasmError && /not finite/.test(e.message));
    assert.throws(() => cosineSimilarity(3, [1]), (e) => e instanceof QwasmError && /a must be an array/.test(e.message));
    assert.throws(() => cosineSimilarity([1], null), (e) => e instanceof QwasmError && /b must be an array/.test(e.message));
  });
});

describe('models that are not classifiers', () => {
  it('an ONNX embedding model [1, 64] without labels: outputKind embedding, classify() warns once, embed() works', async (t) => {
    const model = await load(tinyModel(), { threads: 1 });
    try {
      assert.deepEqual(model.outputShape, [1, 64]);
      assert.equal(model.outputType, 'float32');
      assert.equal(model.outputQuantization, null);
      assert.equal(model.outputKind, 'embedding');
      assert.equal(model.labels, null);
      const note = model.metadata.notes.find((n) => n.includes('[1, 64]'));
      assert.match(note, /no labels .* embedding .*model\.embed\(\)/);
      const a = picture(1);
      let top;
      const warned = await warnings(t, async () => {
        top = await model.classify(a, { topK: 3 });
        await model.classify(a);
      });
      assert.deepEqual(warned, [`qwasm: ${note}`]);
      assert.equal(top.length, 3);
      assert.equal(top[0].label, `class ${top[0].index}`);
      const e = await model.embed(a);
      assert.equal(e.length, 64);
      // Float output: embed() is run()'s output itself.
      assert.deepEqual(e, model.run(await model.preprocess(a)));
      for (const { index, score } of top) assert.equal(score, e[index]);
      // embed() never warns.
      assert.deepEqual(await warnings(t, () => model.embed(picture(2))), []);
      const b = await model.embed(picture(2));
      const c = cosineSimilarity(e, b);
      assert.ok(c < 1 && c > -1, c);
      assert.ok(Math.abs(cosineSimilarity(e, await model.embed(a, { normalize: true })) - 1) < 1e-6);
    } finally {
      model.dispose();
    }
  });

  it('the same model quantized to int8: embed() dequantizes its int8 output, close to the float embedding', async () => {
    const float = await load(tinyModel(), { threads: 1 });
    const calibration = Array.from({ length: 8 }, (_, i) => float.preprocess(picture(10 + i)));
    const { model: qwm } = await quantize(tinyModel(), await Promise.all(calibration), { mean: 127.5, std: 127.5 });
    const int8 = await load(qwm, { threads: 1 });
    try {
      assert.equal(int8.outputType, 'int8');
      assert.equal(int8.outputKind, 'embedding');
      const image = picture(3);
      const e = await int8.embed(image);
      const { scale, zeroPoint } = int8.outputQuantization;
      assert.deepEqual(e, Float32Array.from(int8.run(await int8.preprocess(image)), (q) => (q - zeroPoint) * scale));
      const c = cosineSimilarity(e, await float.embed(image));
      assert.ok(c > 0.99, `cosine int8 vs float ${c}`);
    } finally {
      float.dispose();
      int8.dispose();
    }
  });

  it('with as many labels as outputs it is a classifier: no warning, no note', async (t) => {
    const labels = Array.from({ length: 64 }, (_, i) => `thing ${i}`);
    const model = await load(tinyModel(), { threads: 1, labels });
    try {
      assert.equal(model.outputKind, 'logits');
      assert.ok(!model.metadata.notes.some((n) => /labels/.test(n)));
      let top;
      assert.deepEqual(await warnings(t, async () => { top = await model.classify(picture(1), { topK: 1 }); }), []);
      assert.equal(top[0].label, `thing ${top[0].index}`);
    } finally {
      model.dispose();
    }
  });

  it('ending in a softmax without labels it is a classifier: a note, no warning', async (t) => {
    const model = await load(tinyModel({ softmax: true }), { threads: 1 });
    try {
      assert.equal(model.outputKind, 'probabilities');
      assert.ok(model.metadata.notes.includes("the model has no labels: classify() names its 64 classes 'class 0' to 'class 63'"));
      assert.deepEqual(await warnings(t, () => model.classify(picture(1))), []);
      const p = await model.embed(picture(1));
      assert.ok(Math.abs(p.reduce((s, x) => s + x, 0) - 1) < 1e-5);
    } finally {
      model.dispose();
    }
  });

  it('a feature map [1, 16, 16, 8]: outputKind tensor, classify() warns, embed() gives all its values', async (t) => {
    const model = await load(tinyModel({ dim: 8, featureMap: true }), { threads: 1 });
    try {
      assert.deepEqual(model.outputShape, [1, 16, 16, 8]);
      assert.equal(model.outputKind, 'tensor');
      const warned = await warnings(t, () => model.classify(picture(1)));
      assert.equal(warned.length, 1);
      assert.match(warned[0], /^qwasm: the output \[1, 16, 16, 8\] is not a vector of class scores: classify\(\) ranks its 2048 values/);
      const e = await model.embed(picture(1));
      assert.equal(e.length, 2048);
      assert.deepEqual(e, model.run(await model.preprocess(picture(1))));
    } finally {
      model.dispose();
    }
  });

  it('labels that do not match the output: a note and a warning (a missing background class named as such)', async (t) => {
    const full = await load(MOBILENET, { threads: 1 });
    const imagenet = full.labels;
    assert.equal(imagenet.length, 1001);
    assert.equal(full.outputKind, 'probabilities');
    full.dispose();
    const cases = [
      [imagenet.slice(1), /output has 1001 values but there are 1000 labels: value 0 is probably a background class/],
      [['a', 'b'], /output has 1001 values but there are 2 labels: classes 2 to 1000 are named 'class N'/],
    ];
    for (const [labels, message] of cases) {
      const model = await load(MOBILENET, { threads: 1, labels });
      try {
        assert.equal(model.outputKind, 'probabilities');
        assert.ok(model.metadata.notes.some((n) => message.test(n)), model.metadata.notes.join('\n'));
        const warned = await warnings(t, () => model.classify(new URL('images/cat.bmp', SHARED).pathname));
        assert.equal(warned.length, 1);
        assert.match(warned[0], message);
      } finally {
        model.dispose();
      }
    }
  });
});
