// The Node.js API on real models and photos: loading from every source kind,
// classification, raw tensors, labels, errors and disposal.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it, before, after } from 'node:test';
import { PNG } from 'pngjs';
import { decodeImage, load, QwasmError, topK } from 'qwasm';

const SHARED = new URL('../../../shared/', import.meta.url);
const MODEL = new URL('models/mobilenet_v1_0.25_128_quant.tflite', SHARED);
const CAT = new URL('images/cat.bmp', SHARED).pathname;
const CATS = new Set([282, 283, 286]); // tabby, tiger cat, Egyptian cat

describe('load + classify', () => {
  let model;
  before(async () => { model = await load(MODEL.pathname); });
  after(() => model?.dispose());

  it('describes the model', () => {
    assert.deepEqual(model.inputShape, [1, 128, 128, 3]);
    assert.equal(model.inputType, 'uint8');
    assert.deepEqual(model.inputQuantization, { scale: 0.0078125, zeroPoint: 128 });
    assert.equal(model.outputSize, 1001);
    assert.equal(model.outputType, 'uint8');
    assert.equal(model.metadata.producer, 'tflite');
  });

  it('reads the labels embedded in the model file', async () => {
    const file = (await readFile(new URL('models/imagenet_labels.txt', SHARED), 'utf8')).trimEnd().split('\n');
    assert.deepEqual(model.labels, file);
    assert.equal(model.labels[0], 'background');
  });

  it('classifies a photo of a cat as a cat', async () => {
    const top = await model.classify(CAT);
    assert.equal(top.length, 5);
    assert.ok(CATS.has(top[0].index), `top-1 was ${top[0].index} ${top[0].label}`);
    assert.equal(top[0].label, model.labels[top[0].index]);
    for (let i = 1; i < top.length; i++) assert.ok(top[i - 1].score >= top[i].score);
    // Scores are dequantized softmax outputs: multiples of 1/256 summing to ~1.
    for (const { score } of top) assert.equal(Math.round(score * 256), score * 256);
    assert.ok(model.lastInferenceMs > 0);
  });

  it('honours topK, clamps it to the number of classes, and refuses one that is no positive integer', async () => {
    assert.equal((await model.classify(CAT, { topK: 1 })).length, 1);
    assert.equal((await model.classify(CAT, { topK: 5000 })).length, 1001);
    await assert.rejects(model.classify(CAT, { topK: 0 }),
      (e) => e instanceof QwasmError && e.message === 'option topK must be a positive integer, got 0');
  });

  it('accepts a path, a Buffer, an ArrayBuffer and decoded pixels alike', async () => {
    const bytes = await readFile(CAT);
    const expected = await model.classify(CAT);
    assert.deepEqual(await model.classify(bytes), expected);
    assert.deepEqual(await model.classify(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)), expected);
    const px = await decodeImage(bytes);
    assert.deepEqual(await model.classify(px), expected);
    // RGB without alpha gives the same answer.
    const rgb = new Uint8Array(px.width * px.height * 3);
    for (let i = 0, j = 0; i < px.data.length; i += 4, j += 3) rgb.set(px.data.subarray(i, i + 3), j);
    assert.deepEqual(await model.classify({ data: rgb, width: px.width, height: px.height }), expected);
  });

  it('decodes PNG losslessly: same result as the BMP', async () => {
    const px = await decodeImage(await readFile(CAT));
    const png = new PNG({ width: px.width, height: px.height });
    png.data.set(px.data);
    const bytes = PNG.sync.write(png);
    assert.deepEqual(await model.classify(bytes), await model.classify(CAT));
  });

  it('classifies a JPEG photo', async () => {
    const top = await model.classify(new URL('images/parrot.jpg', SHARED).pathname, { topK: 1 });
    assert.equal(top[0].label, 'macaw');
  });

  it('exposes the input tensor and raw outputs', async () => {
    const input = await model.preprocess(CAT);
    assert.ok(input instanceof Uint8Array);
    assert.equal(input.length, 128 * 128 * 3);
    const out = model.run(input);
    assert.ok(out instanceof Uint8Array);
    assert.equal(out.length, 1001);
    const top = await model.classify(CAT, { topK: 3 });
    assert.deepEqual(topK(out, 3), top.map((t) => t.index));
    assert.equal(out[top[0].index] / 256, top[0].score);
  });

  it('reports its activation arena and a per-node profile', () => {
    // MobileNetV1 0.25 at 128: its largest op reads 64x64x8 and writes
    // 64x64x16 bytes, so the shared arena holds at least that, and far less
    // than all 30 activation tensors together (~460 KB).
    assert.ok(model.arenaBytes >= 64 * 64 * 8 + 64 * 64 * 16, `arena ${model.arenaBytes}`);
    assert.ok(model.arenaBytes < 200000, `arena ${model.arenaBytes}`);
    const nodes = model.profile(2);
    assert.equal(nodes.length, 31);
    assert.deepEqual([...new Set(nodes.map((n) => n.op))].sort(),
      ['AVERAGE_POOL_2D', 'CONV_2D', 'DEPTHWISE_CONV_2D', 'RESHAPE', 'SOFTMAX']);
    assert.ok(nodes.every((n) => n.ms >= 0 && typeof n.output === 'string'));
    assert.ok(nodes.reduce((a, n) => a + n.ms, 0) > 0);
    assert.throws(() => model.profile(0), QwasmError);
  });

  it('crop fraction changes what the model sees', async () => {
    const full = await model.preprocess(CAT);
    model.cropFraction = 1.0;
    const wide = await model.preprocess(CAT);
    model.cropFraction = 0.875;
    assert.notDeepEqual(full, wide);
  });
});

describe('bad input gives QwasmError with a clear message', () => {
  let model;
  before(async () => { model = await load(MODEL); });
  after(() => model?.dispose());

  it('rejects a truncated model', async () => {
    const bytes = await readFile(MODEL);
    await assert.rejects(load(bytes.subarray(0, 300000)), (e) => e instanceof QwasmError && /outside the file/.test(e.message));
  });
  it('rejects a text file and a missing file', async () => {
    await assert.rejects(load(new TextEncoder().encode('hello')), /unrecognised model format/);
    await assert.rejects(load('/nonexistent/model.tflite'), (e) => e instanceof QwasmError && /ENOENT/.test(e.message));
  });
  it('rejects undecodable and mis-sized images', async () => {
    await assert.rejects(model.classify(new Uint8Array([1, 2, 3, 4])), /unrecognised image format/);
    await assert.rejects(model.classify({ data: new Uint8Array(10), width: 2, height: 2 }), /10 bytes/);
    await assert.rejects(model.classify({ data: new Uint8Array(12), width: 0, height: 2 }), /invalid/);
    await assert.rejects(model.classify(42), QwasmError);
    const jpeg = await readFile(new URL('images/parrot.jpg', SHARED));
    await assert.rejects(model.classify(jpeg.subarray(0, 2000)), /could not decode JPEG/);
    await assert.rejects(model.classify(jpeg.subarray(0, 100000)), /truncated/);
  });
  it('rejects an image too large for wasm memory, and byte counts that are not', async (t) => {
    let data;  // 24000 x 24000 RGBA: 2.3 GB, more than 32-bit wasm memory holds (never touched, so never resident)
    try {
      data = new Uint8Array(24000 * 24000 * 4);
    } catch {
      t.skip('this machine will not reserve 2.3 GB');
      return;
    }
    await assert.rejects(model.classify({ data, width: 24000, height: 24000 }), /more than maxPixels \(67108864\)/);
    const big = await load(MODEL.pathname, { maxPixels: 24000 * 24000 });
    t.after(() => big.dispose());
    await assert.rejects(big.classify({ data, width: 24000, height: 24000 }),
      (e) => e instanceof QwasmError && e.message === 'image needs 2197 MB, more than the 2048 MB that wasm memory can hold');
    const { getModule } = (await import('../../web/wasm-node.js')).runtime;
    const handle = new (await getModule()).WasmModel();
    try {
      assert.equal(handle.staging(-1), 'not a byte count');
      assert.equal(handle.staging(1.5), 'not a byte count');
      assert.match(handle.staging(2 ** 31 - 1), /^more than the \d+ MB free in wasm memory \(at most 2048 MB\)$/);
      assert.equal(handle.staging(10).length, 10);
    } finally {
      handle.delete();
    }
  });
  it('rejects a raw input tensor of the wrong size', () => {
    assert.throws(() => model.run(new Uint8Array(10)), /needs 49152 bytes, got 10/);
  });
  it('rejects bad options', async () => {
    await assert.rejects(load(MODEL, { labels: 42 }), /labels/);
    await assert.rejects(load(MODEL, { mean: 0, std: [1, 0, 1] }), /std/);
    await assert.rejects(load(MODEL, { mean: [1, 2] }), /together/);
  });
});

describe('labels option and disposal', () => {
  it('uses labels given as an array or a file', async () => {
    const names = Array.from({ length: 1001 }, (_, i) => `c${i}`);
    const a = await load(MODEL, { labels: names });
    const top = await a.classify(CAT, { topK: 1 });
    assert.equal(top[0].label, `c${top[0].index}`);
    a.dispose();
    const b = await load(MODEL, { labels: new URL('models/imagenet_labels.txt', SHARED).pathname });
    assert.equal(b.labels.length, 1001);
    b.dispose();
  });

  it('throws after dispose, and dispose is idempotent', async () => {
    const m = await load(MODEL);
    m.dispose();
    m.dispose();
    await assert.rejects(m.classify(CAT), /disposed/);
    assert.throws(() => m.run(new Uint8Array(49152)), /disposed/);
  });

  it('frees wasm memory: load/dispose cycles do not grow the heap', async () => {
    const { getModule } = (await import('../../web/wasm-node.js')).runtime;
    const mod = await getModule();
    const bytes = await readFile(MODEL);
    const cycle = async () => { const m = await load(bytes); await m.classify(CAT); m.dispose(); };
    for (let i = 0; i < 3; i++) await cycle();
    const size = mod.HEAPU8.length;
    for (let i = 0; i < 15; i++) await cycle();
    assert.equal(mod.HEAPU8.length, size);
  });
});

describe('concurrency', () => {
  it('concurrent classify() calls on one model each get their own answer', async () => {
    const model = await load(MODEL);
    try {
      const parrot = new URL('images/parrot.jpg', SHARED).pathname;
      const [cat, bird, cat2] = await Promise.all([
        model.classify(CAT, { topK: 1 }), model.classify(parrot, { topK: 1 }), model.classify(CAT, { topK: 1 }),
      ]);
      assert.ok(CATS.has(cat[0].index));
      assert.equal(bird[0].label, 'macaw');
      assert.deepEqual(cat2, cat);
      // Decoded pixels resolve within the same tick: the tightest interleaving.
      const catPx = await decodeImage(await readFile(CAT));
      const parrotPx = await decodeImage(await readFile(parrot));
      const both = await Promise.all([model.classify(catPx, { topK: 1 }), model.classify(parrotPx, { topK: 1 })]);
      assert.deepEqual(both[0], cat);
      assert.equal(both[1][0].label, 'macaw');
    } finally {
      model.dispose();
    }
  });
});
