// The embedded default model (models/fashion-mnist, made by
// tools/fashion-mnist/make-default-model.sh) on the real Fashion-MNIST test
// set (Debian's dataset-fashion-mnist): qwasm's float path reproduces
// PyTorch's logits; the int8 model qwasm's quantizer made keeps its
// accuracy; load() without a source and the committed samples use it.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it, before, after } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { DEFAULT_MODEL, load, quantize } from 'qwasm';

const ROOT = new URL('../../', import.meta.url);
const FP32 = new URL('models/fashion-mnist/fashion-mnist.fp32.onnx', ROOT).pathname;
const DATA = '/usr/share/datasets/fashion-mnist/';
const SAMPLES = new URL('demo/samples/fashion-mnist/', ROOT);

function idx(file, headerBytes) {
  return gunzipSync(readFileSync(DATA + file)).subarray(headerBytes);
}
const images = idx('t10k-images-idx3-ubyte.gz', 16);
const labels = idx('t10k-labels-idx1-ubyte.gz', 8);
const image = (i) => images.subarray(i * 784, (i + 1) * 784);

describe('default model', () => {
  let fp32;
  let int8;
  before(async () => {
    fp32 = await load(FP32, { cropFraction: 1 });
    int8 = await load();
  });
  after(() => {
    fp32?.dispose();
    int8?.dispose();
  });

  it('the FP32 ONNX through the float path matches PyTorch on 100 test images (max |diff| < 1e-4)', () => {
    const ref = JSON.parse(readFileSync(new URL('tests/data/fashion-mnist/pytorch-logits.json', ROOT), 'utf8'));
    assert.equal(ref.cases.length, 100);
    assert.deepEqual(fp32.inputShape, [1, 28, 28, 1]);
    let worst = 0;
    for (const { index, label, logits } of ref.cases) {
      assert.equal(label, labels[index]);
      const x = Float32Array.from(image(index), (p) => (p - 127.5) / 127.5);
      const y = fp32.run(x);
      assert.equal(y.length, 10);
      for (let k = 0; k < 10; k++) worst = Math.max(worst, Math.abs(y[k] - logits[k]));
    }
    assert.ok(worst < 1e-4, `max |qwasm - PyTorch| = ${worst}`);
  });

  it('load() without a source is the int8 default model, described by its metadata', () => {
    assert.equal(DEFAULT_MODEL.pathname, new URL('models/fashion-mnist/fashion-mnist.qwm', ROOT).pathname);
    assert.deepEqual(int8.inputShape, [1, 28, 28, 1]);
    assert.equal(int8.inputType, 'int8');
    assert.equal(int8.cropFraction, 1);
    assert.deepEqual(int8.labels.slice(0, 2), ['T-shirt/top', 'Trouser']);
    assert.equal(int8.labels.length, 10);
  });

  it('int8 top-1 on the 10k test set is within 0.3 points of FP32 (>= 92.0%)', async () => {
    let f = 0;
    let q = 0;
    for (let i = 0; i < 10000; i++) {
      const px = { data: image(i), width: 28, height: 28, channels: 1 };
      if ((await fp32.classify(px, { topK: 1 }))[0].index === labels[i]) f++;
      if ((await int8.classify(px, { topK: 1 }))[0].index === labels[i]) q++;
    }
    assert.ok(f >= 9200, `FP32 top-1 ${f / 100}%`);
    assert.ok(q >= f - 30, `int8 ${q / 100}% vs FP32 ${f / 100}%`);
  });

  it('classifies the committed sample photos (PNG files) by their names', async () => {
    const files = readdirSync(SAMPLES).filter((f) => f.endsWith('.png'));
    assert.ok(files.length >= 30, `${files.length} samples`);
    let right = 0;
    for (const f of files) {
      const [top] = await int8.classify(new URL(f, SAMPLES).pathname, { topK: 1 });
      const slug = top.label.toLowerCase().replace(/[^a-z]+/g, '-');
      if (f.slice(5, -4) === slug) right++;
    }
    assert.ok(right >= files.length - 4, `${right} of ${files.length} right`);
  });
});

// Automatic mixed precision on the default model's float source: labelled
// calibration images (400 from the training split) let the search measure
// its accuracy drop; the chosen model keeps to the budget on them,
// is smaller than all-int8, and says why each layer got its format.
describe('automatic mixed precision', () => {
  const train = idx('train-images-idx3-ubyte.gz', 16);
  const trainLabels = idx('train-labels-idx1-ubyte.gz', 8);
  const items = Array.from({ length: 400 }, (_, i) => ({
    image: { data: train.subarray(i * 784, (i + 1) * 784), width: 28, height: 28, channels: 1 },
    label: trainLabels[i],
  }));
  const meta = { mean: 127.5, std: 127.5, cropFraction: 1 };

  // The drop bound from the paired counts (mixed_precision.h).
  const bound = (m) => {
    const n = m.samples + 2;
    const z = 1.6448536269514715;
    return (100 * ((m.lost - m.gained) + z * Math.sqrt(m.lost + m.gained + 1 - (m.lost - m.gained) ** 2 / n))) / n;
  };

  it('meets a 1-point budget with 4-bit layers, smaller than int8, with reasons', async () => {
    const int8 = await quantize(FP32, items, meta);
    // confidence 0: the measured drop on the 400 images is judged as it is
    // (400 images cannot certify 1 point at 95% with any 4-bit layer).
    const { model, report } = await quantize(FP32, items, { ...meta, weights: 'lut4', autoMixed: { maxDrop: 1.0, confidence: 0 } });
    assert.ok(report.mixed.labelled);
    assert.equal(report.mixed.confidence, 0);
    assert.equal(report.mixed.dropBound, report.mixed.drop);
    assert.equal(report.mixed.heldOut, false);
    assert.equal(report.mixed.samples, 400);
    assert.ok(report.mixed.drop <= 1.0, `drop ${report.mixed.drop}`);
    assert.ok(report.mixed.evaluations > 10);
    const weighted = report.layers.filter((l) => l.weightFormat);
    assert.ok(weighted.every((l) => typeof l.choice === 'string' && l.choice.length > 0));
    assert.ok(weighted.some((l) => l.weightFormat.startsWith('lut4')), weighted.map((l) => l.weightFormat).join());
    assert.ok(model.length < int8.model.length, `${model.length} vs int8 ${int8.model.length}`);
    // Its accuracy on the same 400 labelled images, run by the runtime, is
    // within the budget of the float model's.
    const f = await load(FP32, { cropFraction: 1 });
    const q = await load(model);
    let fr = 0;
    let qr = 0;
    for (const it of items) {
      if ((await f.classify(it.image, { topK: 1 }))[0].index === it.label) fr++;
      if ((await q.classify(it.image, { topK: 1 }))[0].index === it.label) qr++;
    }
    f.dispose();
    q.dispose();
    assert.ok((100 * (fr - qr)) / items.length <= 1.0 + 1e-9, `float ${fr}, mixed ${qr} of 400`);
  });

  it('judges a guarded budget on held-out budget images: the bound from the paired counts', async () => {
    const budgetItems = Array.from({ length: 3000 }, (_, k) => {
      const i = 400 + k;
      return { image: { data: train.subarray(i * 784, (i + 1) * 784), width: 28, height: 28, channels: 1 }, label: trainLabels[i] };
    });
    let taken = 0;
    const { report } = await quantize(FP32, items.slice(0, 200), {
      ...meta, weights: 'lut4', autoMixed: { maxDrop: 1.0, budgetItems }, onBudgetProgress: (done) => { taken = done; },
    });
    const m = report.mixed;
    assert.equal(taken, 3000);
    assert.ok(m.labelled && m.heldOut);
    assert.equal(m.samples, 3000);
    assert.equal(m.budgetItems, 3000);
    assert.equal(m.confidence, 0.95);
    assert.ok(Math.abs(m.drop - (100 * (m.lost - m.gained)) / 3000) < 1e-9);
    assert.ok(Math.abs(m.dropBound - bound(m)) < 1e-9, `${m.dropBound} vs ${bound(m)}`);
    assert.ok(m.dropBound <= 1.0 && m.dropBound > m.drop, `drop ${m.drop}, bound ${m.dropBound}`);
    assert.ok(m.lost + m.gained <= m.changed);
    await assert.rejects(quantize(FP32, items.slice(0, 10), { ...meta, autoMixed: { maxDrop: 1, confidence: 1 } }), /confidence/);
    await assert.rejects(quantize(FP32, items.slice(0, 10), { ...meta, autoMixed: { maxDrop: 1, budgetItems: 5 } }), /budgetItems/);
  });

  it('without labels bounds the drop by the answers that change; an impossible budget is an error', async () => {
    const plain = items.slice(0, 100).map((it) => it.image);
    const { report } = await quantize(FP32, plain, { ...meta, autoMixed: { maxDrop: 10 } });
    assert.equal(report.mixed.labelled, false);
    assert.ok(Math.abs(report.mixed.drop - 100 * (1 - report.mixed.agreement)) < 1e-9);
    assert.equal(report.mixed.lost, report.mixed.changed);
    assert.equal(report.mixed.gained, 0);
    assert.ok(Math.abs(report.mixed.dropBound - bound(report.mixed)) < 1e-9);
    await assert.rejects(quantize(FP32, plain, { ...meta, autoMixed: { minSqnrDb: 200 } }),
      /budget cannot be met even with every weighted layer in float16/);
    await assert.rejects(quantize(FP32, plain, { ...meta, autoMixed: {} }), /autoMixed needs/);
  });
});


// Learned rounding (AdaRound) on the default model's float source, 4-bit
// weights everywhere: calibrated on 400 training images, judged on the 10k
// test images against the float model. Each layer's output error only
// falls, and 4-bit models keep accuracy nearest rounding loses.
describe('learned rounding', () => {
  const int8 = { labels: readFileSync(new URL('models/fashion-mnist/labels.txt', ROOT), 'utf8').trim().split('\n') };
  const train = idx('train-images-idx3-ubyte.gz', 16);
  const items = Array.from({ length: 400 }, (_, i) => ({ data: train.subarray(i * 784, (i + 1) * 784), width: 28, height: 28, channels: 1 }));
  const meta = { mean: 127.5, std: 127.5, cropFraction: 1 };

  async function top1(bytes) {
    const m = await load(bytes, { cropFraction: 1, labels: int8.labels });
    let right = 0;
    for (let i = 0; i < 10000; i++) {
      if ((await m.classify({ data: image(i), width: 28, height: 28, channels: 1 }, { topK: 1 }))[0].index === labels[i]) right++;
    }
    m.dispose();
    return right;
  }

  it('4-bit everywhere: every weighted layer rounded, layer SQNR up; lut4 within 0.3 points of FP32', async () => {
    const progress = [];
    const nearest = await quantize(FP32, items, { ...meta, weights: 'int4', biasCorrection: true });
    const learned = await quantize(FP32, items, {
      ...meta, weights: 'int4', biasCorrection: true, rounding: 'learned', onRoundingProgress: (done, total) => progress.push([done, total]),
    });
    assert.equal(nearest.report.rounding, 'nearest');
    assert.equal(learned.report.rounding, 'learned');
    const weighted = learned.report.layers.filter((l) => l.weightFormat);
    assert.ok(weighted.length >= 3);
    assert.deepEqual(progress, weighted.map((_, i) => [i + 1, weighted.length]));
    for (const l of weighted) {
      const r = l.rounding;
      assert.ok(r && r.iterations === 1000 && r.weights > 0, `${l.name}: ${JSON.stringify(r)}`);
      assert.ok(r.learnedSqnrDb >= r.nearestSqnrDb, `${l.name}: ${r.nearestSqnrDb} -> ${r.learnedSqnrDb} dB`);
      assert.ok(r.changed > 0, `${l.name}: no weight changed`);
    }
    assert.ok(nearest.report.layers.every((l) => l.rounding === undefined));
    assert.ok(learned.report.outputSqnrDb > nearest.report.outputSqnrDb + 3,
      `output SQNR ${nearest.report.outputSqnrDb} -> ${learned.report.outputSqnrDb} dB`);
    // lut4 (a 16-entry codebook per channel) with bias correction.
    const lut4 = await quantize(FP32, items, { ...meta, weights: 'lut4', biasCorrection: true, rounding: 'learned' });
    const f = await top1(FP32);
    const n = await top1(nearest.model);
    const q = await top1(learned.model);
    const l4 = await top1(lut4.model);
    console.log(`# Fashion-MNIST 10k: FP32 ${f / 100}%; int4 + bias correction: nearest ${n / 100}%, learned ${q / 100}% ` +
      `(output SQNR ${nearest.report.outputSqnrDb.toFixed(1)} -> ${learned.report.outputSqnrDb.toFixed(1)} dB); lut4 learned ${l4 / 100}%`);
    assert.ok(q >= n + 200, `int4: learned ${q / 100}% vs nearest ${n / 100}%`);
    assert.ok(l4 >= f - 30, `lut4 learned ${l4 / 100}% vs FP32 ${f / 100}%`);
  });

  it("calibration 'output': ranges judged on the first 16 items, with progress; int8 within 0.3 points of FP32", async () => {
    const progress = [];
    const mse = await quantize(FP32, items, { ...meta, calibration: 'mse' });
    const out = await quantize(FP32, items, { ...meta, calibration: 'output', onRangeProgress: (done, total) => progress.push([done, total]) });
    assert.equal(out.report.calibration, 'output');
    assert.deepEqual(progress, Array.from({ length: 16 }, (_, i) => [i + 1, 16]));
    const f = await top1(FP32);
    const m = await top1(mse.model);
    const o = await top1(out.model);
    console.log(`# Fashion-MNIST 10k int8: FP32 ${f / 100}%, mse ${m / 100}% (output SQNR ${mse.report.outputSqnrDb.toFixed(1)} dB), ` +
      `output ${o / 100}% (${out.report.outputSqnrDb.toFixed(1)} dB)`);
    assert.ok(o >= f - 30, `output ${o / 100}% vs FP32 ${f / 100}%`);
    await assert.rejects(quantize(FP32, items.slice(0, 4), { ...meta, calibration: 'output', onRangeProgress: 5 }), /option onRangeProgress must be a function/);
  });

  it('rejects bad rounding options by name', async () => {
    await assert.rejects(quantize(FP32, items.slice(0, 4), { ...meta, rounding: 'stochastic' }), /unknown rounding 'stochastic' \(known: nearest, learned\)/);
    await assert.rejects(quantize(FP32, items.slice(0, 4), { ...meta, rounding: 'learned', roundingIterations: 0 }), /roundingIterations must be an integer in \[1, 100000\]/);
    await assert.rejects(quantize(FP32, items.slice(0, 4), { ...meta, rounding: 'learned', roundingTimeBudget: -1 }), /roundingTimeBudget/);
    await assert.rejects(quantize(FP32, items.slice(0, 4), { ...meta, rounding: 'learned', onRoundingProgress: 5 }), /option onRoundingProgress must be a function/);
  });
});
