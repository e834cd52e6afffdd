// convert() and quantize() through the public API, on real models: a
// converted model computes exactly what its source does; a quantized model
// is smaller, close to its float source, and carries the metadata it was
// given; bad input gives clear errors.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { convert, load, quantize, QwasmError } from 'qwasm';

const SHARED = new URL('../../../shared/', import.meta.url);
const IMAGES = ['cat.bmp', 'bird.bmp', 'sunflower.bmp'].map((f) => new URL(`images/${f}`, SHARED).pathname);
const SAMPLE = new URL('imagenet-sample/', SHARED);
const QWM_MAGIC = [0x89, 0x51, 0x57, 0x4d];

async function outputs(source, images) {
  const model = await load(source, { threads: 1 });
  try {
    const out = [];
    for (const image of images) out.push(model.run(await model.preprocess(image)));
    return out;
  } finally {
    model.dispose();
  }
}

describe('convert', () => {
  for (const file of ['models/mobilenet_v1_0.25_128_quant.tflite', 'models/onnx/mobilenet_v1_0.25_128_quant.qdq.onnx']) {
    it(`${file.split('/').pop()} -> .qwm gives identical outputs`, async () => {
      const src = new URL(file, SHARED).pathname;
      const qwm = await convert(src);
      assert.deepEqual([...qwm.subarray(0, 4)], QWM_MAGIC);
      assert.deepEqual(await outputs(qwm, IMAGES), await outputs(src, IMAGES));
      // Converting the .qwm again changes nothing.
      assert.deepEqual(await convert(qwm), qwm);
    });
  }

  it('writes the metadata it is given', async () => {
    const qwm = await convert(new URL('models/mobilenet_v1_0.25_128_quant.tflite', SHARED).pathname, {
      name: 'tiny', labels: ['a', 'b'], mean: 127.5, std: 127.5, cropFraction: 1, colorOrder: 'BGR',
    });
    const model = await load(qwm);
    assert.equal(model.metadata.name, 'tiny');
    assert.equal(model.metadata.colorOrder, 'BGR');
    assert.deepEqual(model.metadata.labels, ['a', 'b']);
    assert.deepEqual(model.metadata.mean, [127.5]);
    assert.equal(model.cropFraction, 1);
    model.dispose();
  });

  it('rejects what it cannot read, and bad options', async () => {
    await assert.rejects(convert(new TextEncoder().encode('hello')), /unrecognised model format/);
    await assert.rejects(convert(new URL('models/mobilenet_v1_0.25_128_quant.tflite', SHARED).pathname, { mean: 1 }),
      (e) => e instanceof QwasmError && /mean and std must be given together/.test(e.message));
    await assert.rejects(convert(new URL('models/mobilenet_v1_0.25_128_quant.tflite', SHARED).pathname, { colorOrder: 'bgr' }),
      (e) => e instanceof QwasmError && e.message === 'option colorOrder must be one of RGB, BGR, gray');
  });
});

describe('quantize', () => {
  const FP32 = new URL('models/onnx/mobilenet_v1_0.25_128_quant.fp32.onnx', SHARED).pathname;
  const photos = readdirSync(SAMPLE).filter((f) => f.endsWith('.JPEG')).sort().slice(0, 12).map((f) => new URL(f, SAMPLE).pathname);

  it('an FP32 ONNX model becomes an int8 .qwm close to it, with a report', async () => {
    const seen = [];
    const { model: qwm, report } = await quantize(FP32, photos.slice(0, 8), { name: 'v1-int8', onProgress: (d, t) => seen.push([d, t]) });
    assert.deepEqual(seen.at(-1), [8, 8]);
    assert.deepEqual([...qwm.subarray(0, 4)], QWM_MAGIC);
    assert.ok(qwm.length < readFileSync(FP32).length / 3, `${qwm.length} bytes`);
    assert.equal(report.samples, 8);
    const conv = report.layers.filter((l) => l.op === 'CONV_2D');
    assert.ok(conv.length > 10 && conv.every((l) => l.precision === 'int8'));
    assert.ok(report.outputSqnrDb > 10, `output SQNR ${report.outputSqnrDb} dB`);
    // The int8 model agrees with its float source on held-out photos.
    const q = await load(qwm);
    const f = await load(FP32);
    assert.equal(q.metadata.name, 'v1-int8');
    let agree = 0;
    for (const p of [...photos.slice(8), ...IMAGES]) {
      if ((await q.classify(p, { topK: 1 }))[0].index === (await f.classify(p, { topK: 1 }))[0].index) agree++;
    }
    assert.ok(agree >= 5, `top-1 agreed on ${agree} of 7`);
    q.dispose();
    f.dispose();
  });

  it('keeps named layers in float and says why', async () => {
    const probe = await quantize(FP32, photos.slice(0, 2));
    const name = probe.report.layers.find((l) => l.op === 'CONV_2D').name;
    const { report } = await quantize(FP32, photos.slice(0, 2), { keepFloat: [name] });
    const layer = report.layers.find((l) => l.name === name);
    assert.equal(layer.precision, 'float32');
    assert.match(layer.reason, /kept in float on request/);
  });

  it('calibration methods, weight formats and float16 storage reach the model and the report', async () => {
    const base = await quantize(FP32, photos.slice(0, 2));
    const convs = base.report.layers.filter((l) => l.op === 'CONV_2D').map((l) => l.name);
    const { model, report } = await quantize(FP32, photos.slice(0, 2), {
      calibration: 'percentile', percentile: 99.9, weights: 'lut4',
      layerWeights: { [convs[0]]: 'int8', [convs[1]]: 'float16' },
    });
    assert.equal(report.calibration, 'percentile');
    const byName = Object.fromEntries(report.layers.map((l) => [l.name, l]));
    assert.equal(byName[convs[0]].weightFormat, 'int8');
    assert.equal(byName[convs[1]].weightFormat, 'float16');
    assert.equal(byName[convs[1]].precision, 'float32');
    assert.equal(byName[convs[2]].weightFormat, 'lut4/channel');
    // 4-bit indices: the pointwise layers' weights shrink to about half of int8's.
    const bytes = (r, n) => r.layers.find((l) => l.name === n).weightBytes;
    const last = convs.at(-1);
    assert.ok(bytes(report, last) < 0.6 * bytes(base.report, last), `${bytes(report, last)} vs ${bytes(base.report, last)}`);
    assert.ok(model.length < base.model.length, `${model.length} vs ${base.model.length}`);
    const m = await load(model);
    assert.equal((await m.classify(IMAGES[0], { topK: 1 })).length, 1);
    m.dispose();
  });

  it('equalization and bias correction reach the model and the report, and help per-tensor int8', async () => {
    const plain = await quantize(FP32, photos.slice(0, 4), { perChannel: false });
    const { model, report } = await quantize(FP32, photos.slice(0, 4), { perChannel: false, equalize: true, biasCorrection: true });
    assert.equal(plain.report.equalization, undefined);
    assert.equal(plain.report.biasCorrection, false);
    assert.equal(report.biasCorrection, true);
    const e = report.equalization;
    assert.ok(e.pairs >= 13 && e.channelClamps >= 13 && e.sweeps > 1, JSON.stringify(e));
    assert.ok(e.spreadAfter < e.spreadBefore, JSON.stringify(e));
    assert.ok(report.layers.some((l) => l.op === 'CLAMP' && l.precision === 'int8'));
    assert.ok(report.outputSqnrDb > plain.report.outputSqnrDb + 3, `${report.outputSqnrDb} vs ${plain.report.outputSqnrDb} dB`);
    const m = await load(model);
    assert.equal((await m.classify(IMAGES[0], { topK: 1 })).length, 1);
    m.dispose();
  });

  it('names what is wrong with calibration and weight options', async () => {
    await assert.rejects(quantize(FP32, photos.slice(0, 1), { equalize: 'yes' }), /option equalize must be a boolean/);
    await assert.rejects(quantize(FP32, photos.slice(0, 1), { calibration: 'median' }),
      (e) => e instanceof QwasmError && /unknown calibration method "median" \(valid: minmax, moving-average, percentile, mse, kl, output\)/.test(e.message));
    await assert.rejects(quantize(FP32, photos.slice(0, 1), { weights: 'int3' }),
      (e) => e instanceof QwasmError && /unknown weight format 'int3'/.test(e.message));
    await assert.rejects(quantize(FP32, photos.slice(0, 1), { layerWeights: { x: 'int2' } }), /layer 'x': unknown weight format 'int2'/);
    await assert.rejects(quantize(FP32, photos.slice(0, 1), { floatWeights: 'int8' }), /floatWeights must be float32 or float16/);
    await assert.rejects(quantize(FP32, photos.slice(0, 1), { calibration: 'percentile', percentile: 0 }), QwasmError);
  });

  it('rejects an empty calibration set and non-iterables', async () => {
    await assert.rejects(quantize(FP32, []), /calibration gave no images/);
    await assert.rejects(quantize(FP32, 42), /calibration must be an iterable/);
  });
});

// A QDQ model imported by qwasm computes ONNX Runtime's int8 arithmetic
// (QLinearConv, QLinearAdd, QLinearSoftmax), so its output bytes equal
// onnxruntime-web's. The photos include those where TFLite's arithmetic and
// ONNX Runtime's pick different classes (tf2: hen, ashcan, barometer, binder,
// football helmet, matchstick) and where their softmax rounding differs
// (v1 0.25: fiddler crab).
describe('QDQ import computes what ONNX Runtime Web computes', () => {
  const photos = ['n01514859_hen', 'n02747177_ashcan', 'n02794156_barometer', 'n02840245_binder',
    'n03379051_football_helmet', 'n03729826_matchstick', 'n01980166_fiddler_crab', 'n09193705_alp']
    .map((p) => new URL(`${p}.JPEG`, SAMPLE).pathname);
  for (const name of ['tf2_mobilenet_v2_1.0_224_ptq', 'mobilenet_v2_1.0_224_quant', 'mobilenet_v1_0.25_128_quant']) {
    it(`${name}.qdq.onnx: output bytes equal onnxruntime-web's`, async () => {
      const ort = await import('onnxruntime-web');
      ort.env.wasm.numThreads = 1;
      const file = new URL(`models/onnx/${name}.qdq.onnx`, SHARED).pathname;
      const session = await ort.InferenceSession.create(file);
      const model = await load(file, { threads: 1 });
      try {
        for (const photo of photos) {
          const x = await model.preprocess(photo);
          assert.ok(x instanceof Uint8Array);
          const want = (await session.run({ [session.inputNames[0]]: new ort.Tensor('uint8', x, model.inputShape) }))[
            session.outputNames[0]].data;
          assert.deepEqual(model.run(x), want, photo);
        }
      } finally {
        model.dispose();
        await session.release();
      }
    });
  }
});
