// quantize-page.mjs — quantize() with learned rounding in Chromium against
// the native build, in one run (issue 17: learned rounding of MobileNetV2
// takes <= 10 minutes natively and runs in the page with progress, <= 3x
// the native time). tf2 MobileNetV2 FP32 (../shared), calibrated on photos
// 0..99 of the ImageNet sample; the page fetches the model and photos from
// the static server and quantizes single-threaded (the tools module), the
// native binary (bench/quantize-native.cc, built here if missing) does the
// same and also evaluates on photos 100..499. Prints both times, the page's
// progress as it arrives, and the ratio.
//   node bench/quantize-page.mjs [--weights int4] [--equalize] [--bias-correction] [--iterations N] [--skip-native]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { blankPage, startBrowser } from '../tests/e2e/browser.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const weights = opt('--weights', 'int4');
const iterations = Number(opt('--iterations', 1000));
const equalize = args.includes('--equalize');
const biasCorrection = args.includes('--bias-correction');
const ROOT = new URL('../', import.meta.url).pathname;
const MODEL = 'models/onnx/tf2_mobilenet_v2_1.0_224_ptq.fp32.onnx';
const photos = readFileSync(new URL('../../shared/imagenet-sample/labels.csv', import.meta.url), 'utf8')
  .trim().split('\n').slice(1, 101).map((l) => l.split(',')[0]);

console.log(`load: ${readFileSync('/proc/loadavg', 'utf8').trim()} (2 cores; compare the two times within this run)`);
let native = null;
if (!args.includes('--skip-native')) {
  const bin = `${ROOT}build/native/quantize-native`;
  if (!existsSync(bin)) {
    execFileSync('g++', ['-O2', '-std=c++17', `-I${ROOT}src`, '-I/usr/share/emscripten/third_party', `${ROOT}bench/quantize-native.cc`,
      `${ROOT}build/native/libqwasm_core.a`, `${ROOT}build/native/libqwasm_ref.a`, '-lpthread', '-o', bin], { stdio: 'inherit' });
  }
  const r = spawnSync(bin, [`${ROOT}../shared/${MODEL}`, `weights=${weights}`, 'rounding=learned', `iterations=${iterations}`,
    `equalize=${equalize ? 1 : 0}`, `bias_correction=${biasCorrection ? 1 : 0}`, `shared=${ROOT}../shared`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`quantize-native failed: ${r.stderr}`);
  process.stdout.write(`native: ${r.stdout}`);
  native = Number(/quantize ([\d.]+) s/.exec(r.stdout)[1]) + Number(/calibration ([\d.]+) s/.exec(r.stdout)[1]);
}

const env = await startBrowser();
try {
  const page = await blankPage(env);
  await page.exposeFunction('report', (line) => console.log(`page: ${line}`));
  const got = await page.evaluate(async ({ model, photos, options }) => {
    const { quantize } = await import('/web/index.js');
    const t0 = performance.now();
    const since = () => ((performance.now() - t0) / 1000).toFixed(1);
    let calibrated = null;
    async function* images() {  // fetched as calibration goes
      for (const p of photos) yield await (await fetch(p)).blob();
    }
    const { report } = await quantize(model, images(), {
      ...options,
      onProgress: (done) => { if (done === photos.length) { calibrated = since(); window.report(`calibrated ${done} photos at ${calibrated} s`); } },
      onRoundingProgress: (done, total) => { if (done % 10 === 0 || done === total) window.report(`learned rounding: layer ${done}/${total} at ${since()} s`); },
    });
    return { seconds: (performance.now() - t0) / 1000, calibrated: Number(calibrated), sqnr: report.outputSqnrDb };
  }, {
    model: `/shared/${MODEL}`,
    photos: photos.map((p) => `/shared/imagenet-sample/${p}`),
    options: { weights, rounding: 'learned', roundingIterations: iterations, equalize, biasCorrection },
  });
  console.log(`page: calibration ${got.calibrated.toFixed(1)} s, total ${got.seconds.toFixed(1)} s, output SQNR ${got.sqnr.toFixed(2)} dB`);
  if (native) console.log(`page / native: ${(got.seconds / native).toFixed(2)}x (target <= 3x; native ${native.toFixed(1)} s, target <= 600 s)`);
} finally {
  await env.close();
}
