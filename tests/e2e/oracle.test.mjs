// oracle.test.mjs — qwasm agrees with TensorFlow Lite's own WASM build (the
// oracle, npm @tensorflow/tfjs-tflite) on real photos in headless Chromium.
//
//   node --test tests/e2e/oracle.test.mjs        (~40 s on 2 cores)
//
// 20 photos spread over imagenet-sample (every 25th: one class in 25) x the
// five models, through tools/oracle/oracle.mjs: each photo is decoded by
// Chromium and preprocessed by qwasm once, and the SAME input bytes go to
// both runtimes. The full 500-photo report: `npm run eval:oracle`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MODELS, analyzeModel, runOracle } from '../../tools/oracle/oracle.mjs';

const EVERY = 25;

// qwasm computes requantization multipliers as XNNPACK does, and its TFLite
// imports round AVERAGE_POOL_2D ties as TFLite's builtin pool does (uint8
// half up; OpAttrs::tflite_numerics), so every model's output bytes equal
// TFLite-WASM's: in the full 500-photo run (npm run eval:oracle, 2026-12-06)
// 500/500 photos of all five. Both runtimes are deterministic: any
// difference means qwasm's arithmetic changed. (Before the pool rounding,
// the 4x4 and 6x6 pools of v1 0.25 and v1 0.75 tied: 264/500 and 415/500
// byte-identical, worst photo 10 steps.)

// Reference TFLite top-1 accuracy on imagenet-sample (../shared/README.md).
// Garbage preprocessing would feed both runtimes the same garbage and they
// would still agree, so each runtime must also be roughly as accurate as
// TFLite is known to be: at least n*p - 3*sqrt(n*p*(1-p)) correct.
const REFERENCE_TOP1 = {
  'mobilenet_v1_0.25_128_quant': 0.458,
  'mobilenet_v1_0.5_160_quant': 0.728,
  'mobilenet_v1_0.75_192_quant': 0.804,
  'mobilenet_v2_1.0_224_quant': 0.892,
  'tf2_mobilenet_v2_1.0_224_ptq': 0.900,
};
const accuracyFloor = (n, p) => Math.floor(n * p - 3 * Math.sqrt(n * p * (1 - p)));

const run = runOracle({ models: MODELS, every: EVERY });
run.catch(() => {});  // reported by the first test that awaits it

function explain(d) {
  const top = (x) => x.top.map((t) => `${t.index}=${t.value}`).join(' ');
  return `${d.file} (expected ${d.expected.index}): qwasm ${top(d.qwasm)} margin ${d.qwasm.margin}; ` +
    `TFLite ${top(d.tflite)} margin ${d.tflite.margin}; max |diff| ${d.maxAbsDiff}`;
}

for (const name of MODELS) {
  test(`${name}: qwasm agrees with TFLite-WASM on ${500 / EVERY} photos`, { timeout: 10 * 60_000 }, async () => {
    const result = (await run).models.find((r) => r.name === name);
    const s = analyzeModel(result);
    const n = s.photos;

    assert.equal(n, 500 / EVERY);
    // Both runtimes consumed the same bytes (TFLite's input buffer read back
    // after inference), and the photos really differ from one another.
    assert.equal(s.sameInputBytes, n, 'TFLite and qwasm were fed different input bytes');
    assert.equal(new Set(result.sha256).size, n, 'several photos produced the same input tensor');

    assert.ok(s.top1Agree === n,
      `top-1 agreement ${s.top1Agree}/${n}; disagreements:\n  ${s.disagreements.map(explain).join('\n  ')}`);

    const diffs = s.perPhotoMaxAbsDiff;
    const worst = diffs.map((d, i) => [d, result.photos[i].file]).sort((a, b) => b[0] - a[0]).slice(0, 3);
    assert.equal(s.maxAbsDiff, 0,
      `max |qwasm - TFLite| = ${s.maxAbsDiff} steps; worst: ${worst.map(([d, f]) => `${f} ${d}`).join(', ')}`);

    const floor = accuracyFloor(n, REFERENCE_TOP1[name]);
    assert.ok(s.tflite.top1 >= floor, `TFLite top-1 ${s.tflite.top1}/${n} < ${floor}: the shared input tensors look wrong`);
    assert.ok(s.qwasm.top1 >= floor, `qwasm top-1 ${s.qwasm.top1}/${n} < ${floor}`);
  });
}
