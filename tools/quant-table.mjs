#!/usr/bin/env node
// quant-table.mjs — one float model quantized several ways, each evaluated
// on the same held-out images: top-1, drop against the FP32 model, model
// file size and latency, as a table (and JSON). The numbers behind
// docs/quantization.md's method comparison.
//
//   node tools/quant-table.mjs <model.onnx> --calibration <dataset> [--range 0:100]
//        --eval <dataset> [--eval-range 100:] [--methods 'a;b;...'] [--offset auto|N]
//        [--budget-range a:b] [--confidence C]
//        [--json out.json] [--markdown out.md] [--labels F] [--mean M --std S] [--crop F]
//
// Metadata options (normalisation, crop, labels) go into every model, as
// with quantize.mjs, so the float and quantized models see the same input.
// Methods (default: all): see METHODS below; `fp32` is the float model run
// by qwasm's float path, the reference for "drop". Auto-mixed rows judge their
// budget on --budget-range items of the calibration dataset when given (else
// on the calibration images) with --confidence (quantize.mjs); the
// "judged" column gives that set's measured drop and its upper bound. Rows with
// learned rounding give the layers it rounded, their output SQNR (float
// inputs) nearest -> learned as the median over layers, and its seconds;
// "quantize" is the whole quantize() call (calibration included). Output
// SQNR against the FP32 model: "calibration" is the quantize report's (the
// first 16 calibration images, which a method can fit), "held out" is on the
// evaluation images' scores, beside their top-1 agreement. Latency:
// median of 30 single-threaded runs on one image after a warm-up, in this
// process.
import { writeFileSync } from 'node:fs';
import { convert, load, quantize, QwasmError } from 'qwasm';
import { METADATA_OPTIONS, kB, metadataOptions, parseCli } from './lib/cli.mjs';
import { DatasetError, openDataset, sliceItems } from './lib/datasets.mjs';
import { Progress } from './lib/progress.mjs';

// name -> quantize() options (null: the float model itself).
export const METHODS = {
  fp32: null,
  'int8 per-channel, min-max': { perChannel: true },
  'int8 per-tensor, min-max': { perChannel: false },
  'int8 per-tensor, bias correction': { perChannel: false, biasCorrection: true },
  'int8 per-tensor, equalized': { perChannel: false, equalize: true },
  'int8 per-tensor, equalized + bias correction': { perChannel: false, equalize: true, biasCorrection: true },
  'int8 per-channel, equalized + bias correction': { equalize: true, biasCorrection: true },
  'int8 per-channel, moving-average': { calibration: 'moving-average' },
  'int8 per-channel, percentile 99.99': { calibration: 'percentile', percentile: 99.99 },
  'int8 per-channel, mse': { calibration: 'mse' },
  'int8 per-channel, kl': { calibration: 'kl' },
  'int8 per-channel, ranges by output error': { calibration: 'output' },
  'int4 per-channel': { weights: 'int4' },
  'lut4 (k-means, 16 entries per channel)': { weights: 'lut4/channel' },
  'lut4 (k-means, 16 entries per layer)': { weights: 'lut4/layer' },
  'lut4 per layer + bias correction': { weights: 'lut4/layer', biasCorrection: true },
  'lut4 per layer, equalized + bias correction': { weights: 'lut4/layer', equalize: true, biasCorrection: true },
  'int4 per-channel, equalized + bias correction': { weights: 'int4', equalize: true, biasCorrection: true },
  'fp16 weights (float layers)': { weights: 'float16' },
  'int8 per-channel, learned rounding': { rounding: 'learned' },
  'int8 per-channel, bias correction + learned rounding': { biasCorrection: true, rounding: 'learned' },
  'int8 per-channel, ranges by output error + bias correction + learned rounding': { calibration: 'output', biasCorrection: true, rounding: 'learned' },
  'int8 per-channel, equalized + bias correction + learned rounding': { equalize: true, biasCorrection: true, rounding: 'learned' },
  'int4 per-channel, learned rounding': { weights: 'int4', rounding: 'learned' },
  'int4 per-channel, equalized + bias correction + learned rounding': { weights: 'int4', equalize: true, biasCorrection: true, rounding: 'learned' },
  'lut4 per channel, equalized + bias correction + learned rounding': { weights: 'lut4/channel', equalize: true, biasCorrection: true, rounding: 'learned' },
  'auto-mixed lut4/int8/fp16, max-drop 0.2': { weights: 'lut4', autoMixed: { maxDrop: 0.2 } },
  'auto-mixed lut4/int8/fp16, max-drop 1.0': { weights: 'lut4', autoMixed: { maxDrop: 1.0 } },
};

// Learned rounding in a quantize report: layers rounded, the median over
// them of their output SQNR (float inputs; exact = 99 dB) with nearest and
// learned rounding, and the seconds spent.
export function learnedSummary(report) {
  if (report.rounding !== 'learned') return null;
  const layers = report.layers.filter((l) => l.rounding);
  const median = (v) => {
    const s = v.map((x) => (x === null ? 99 : x)).sort((a, b) => a - b);
    return s.length ? (s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
  };
  return {
    layers: layers.length,
    medianNearestDb: median(layers.map((l) => l.rounding.nearestSqnrDb)),
    medianLearnedDb: median(layers.map((l) => l.rounding.learnedSqnrDb)),
    seconds: layers.reduce((t, l) => t + l.rounding.seconds, 0),
  };
}

function usage(message) {
  if (message) console.error(`error: ${message}\n`);
  console.error('usage: quant-table.mjs <model.onnx> --calibration <dataset> [--range 0:100] --eval <dataset> [--eval-range 100:]\n' +
    `                      [--methods 'a;b'] [--offset auto|N] [--budget-range a:b] [--confidence C] [--json out.json] [--markdown out.md]\n` +
    `methods: ${Object.keys(METHODS).join(' | ')}`);
  process.exit(2);
}

// Top-1, latency and each image's scores (what classify() ranks); with the
// float model's scores `reference`, also the top-1 agreement with it and
// the output SQNR against it on these held-out images.
async function evaluate(bytes, items, offsetOption, label, reference = null) {
  const model = await load(bytes, { threads: 1 });
  try {
    const offset = offsetOption === 'auto' ? (model.outputSize % 1000 === 1 ? 1 : 0) : Number(offsetOption);
    const progress = new Progress(label, items.length);
    let top1 = 0;
    let agree = 0;
    let signal = 0;
    let noise = 0;
    const all = [];
    const argmax = (v) => v.reduce((best, x, i) => (x > v[best] ? i : best), 0);
    for (const [k, it] of items.entries()) {
      const scores = await model.embed(it.image);
      const best = argmax(scores);
      top1 += best === it.label + offset;
      if (reference) {
        const f = reference.scores[k];
        agree += best === argmax(f);
        for (let i = 0; i < f.length; i++) signal += f[i] * f[i], noise += (f[i] - scores[i]) ** 2;
      } else {
        all.push(scores);
      }
      progress.tick(1, `top-1 ${((100 * top1) / (progress.done + 1)).toFixed(1)}%`);
    }
    progress.finish();
    const input = await model.preprocess(items[0].image);
    for (let i = 0; i < 5; i++) model.run(input);
    const ms = [];
    for (let i = 0; i < 30; i++) {
      const t0 = performance.now();
      model.run(input);
      ms.push(performance.now() - t0);
    }
    ms.sort((a, b) => a - b);
    const held = reference ? { agree: (100 * agree) / items.length, heldOutSqnrDb: noise > 0 ? 10 * Math.log10(signal / noise) : null } : { scores: all };
    return { top1: (100 * top1) / items.length, ms: ms[ms.length >> 1], ...held };
  } finally {
    model.dispose();
  }
}

async function main() {
  const o = parseCli(process.argv.slice(2), {
    values: ['--calibration', '--range', '--eval', '--eval-range', '--methods', '--offset', '--json', '--markdown',
      '--budget-range', '--confidence', ...METADATA_OPTIONS],
    usage,
  });
  if (o._.length !== 1) usage('give one float ONNX model');
  if (!o.calibration || !o.eval) usage('give --calibration and --eval datasets');
  const names = o.methods ? o.methods.split(';').map((s) => s.trim()) : Object.keys(METHODS);
  for (const n of names) if (!(n in METHODS)) usage(`unknown method "${n}"`);
  const labelled = (it) => (it.label == null ? it.image : { image: it.image, label: it.label });
  const calibrationSet = openDataset(o.calibration).items;
  const calibration = sliceItems(calibrationSet, o.range ?? '0:100').map(labelled);
  const budgetItems = o['budget-range'] == null ? null : sliceItems(calibrationSet, o['budget-range']).map(labelled);
  const confidence = o.confidence == null ? undefined : Number(o.confidence);
  const items = sliceItems(openDataset(o.eval).items, o['eval-range'] ?? '100:');
  if (items.some((it) => it.label == null)) throw new DatasetError(`${o.eval} has items without a class`);

  const meta = metadataOptions(o, usage);
  const rows = [];
  const reference = await evaluate(await convert(o._[0], meta), items, o.offset ?? 'auto', 'fp32');
  for (const name of names) {
    let bytes;
    let sqnr = null;
    let mixed = null;
    let seconds = null;
    let rounding = null;
    if (METHODS[name] === null) {
      bytes = await convert(o._[0], meta);
    } else {
      const progress = new Progress(`calibrate ${name}`, calibration.length);
      let ranging = null;
      let search = null;
      let learning = null;
      const options = {
        ...meta, labelOffset: 'auto', ...METHODS[name], onProgress: () => progress.tick(),
        onRangeProgress: (done, total) => {
          if (!ranging) { progress.finish(); ranging = new Progress(`activation ranges ${name}`, total, progress.last); }
          ranging.tick(1);
        },
        onSearchProgress: (done, total) => {
          if (!search) { const prev = ranging ?? progress; prev.finish(); search = new Progress(`search ${name}`, total, prev.last); }
          search.tick(1);
        },
        onRoundingProgress: (done, total) => {
          if (!learning) { const prev = search ?? ranging ?? progress; prev.finish(); learning = new Progress(`learned rounding ${name}`, total, prev.last); }
          learning.tick(1);
        },
      };
      if (options.autoMixed) {
        options.autoMixed = { ...options.autoMixed, ...(budgetItems ? { budgetItems } : {}), ...(confidence != null ? { confidence } : {}) };
      }
      let result;
      const t0 = performance.now();
      try {
        result = await quantize(o._[0], calibration, options);
      } catch (e) {
        // One method that cannot be done (a budget the data cannot
        // certify) is a row saying why, not the end of the table.
        if (!(e instanceof QwasmError)) throw e;
        (learning ?? search ?? ranging ?? progress).finish();
        console.error(`${name}: ${e.message}`);
        rows.push({ method: name, error: e.message });
        continue;
      }
      seconds = (performance.now() - t0) / 1000;
      const { model, report } = result;
      (learning ?? search ?? ranging ?? progress).finish();
      bytes = model;
      sqnr = report.outputSqnrDb;
      mixed = report.mixed ?? null;
      rounding = learnedSummary(report);
    }
    const r = name === 'fp32' ? reference : await evaluate(bytes, items, o.offset ?? 'auto', name, reference);
    rows.push({ method: name, top1: r.top1, drop: reference.top1 - r.top1, agree: r.agree ?? null, bytes: bytes.length, ms: r.ms,
      outputSqnrDb: sqnr, heldOutSqnrDb: r.heldOutSqnrDb ?? null, mixed, seconds, rounding });
  }

  const budgetNote = budgetItems ? `, auto-mixed budget judged on [${o['budget-range']}]` : '';
  const header = `${o._[0]}: calibration ${o.calibration} [${o.range ?? '0:100'}]${budgetNote}, evaluation ${o.eval} [${o['eval-range'] ?? '100:'}] (${items.length} images)`;
  // Auto-mixed: the drop the search judged by, on its samples, and its bound.
  const judged = (m) => (m == null ? '-' : `${m.drop.toFixed(2)} pt${m.confidence > 0 ? ` (${(100 * m.confidence).toFixed(0)}% bound ${m.dropBound.toFixed(2)})` : ''}` +
    ` on ${m.samples}${m.heldOut ? ' held-out' : ' calibration'}${m.labelled ? '' : ', changed answers'}`);
  const learnedCell = (l) => (l == null ? '-' : `${l.layers} layers, median ${l.medianNearestDb.toFixed(1)} -> ${l.medianLearnedDb.toFixed(1)} dB, ${l.seconds.toFixed(1)} s`);
  const db = (v) => (v == null ? '-' : `${v.toFixed(1)} dB`);
  const lines = ['| method | top-1 | drop vs FP32 | agree with FP32 | model size | latency (1 thread) | output SQNR (calibration) | output SQNR (held out) | judged (auto-mixed) | learned rounding | quantize |',
    '|---|---|---|---|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    if (r.error) {
      lines.push(`| ${r.method} | - | - | - | - | - | - | - | not made: ${r.error.replaceAll('|', '/')} | - | - |`);
      continue;
    }
    lines.push(`| ${r.method} | ${r.top1.toFixed(2)}% | ${r.method === 'fp32' ? '-' : `${r.drop.toFixed(2)} pt`} | ` +
      `${r.agree == null ? '-' : `${r.agree.toFixed(2)}%`} | ${kB(r.bytes)} | ${r.ms.toFixed(2)} ms | ${db(r.outputSqnrDb)} | ` +
      `${db(r.heldOutSqnrDb)} | ${judged(r.mixed)} | ${learnedCell(r.rounding)} | ${r.seconds == null ? '-' : `${r.seconds.toFixed(1)} s`} |`);
  }
  console.log(`\n${header}\n\n${lines.join('\n')}`);
  if (o.markdown) writeFileSync(o.markdown, `${header}\n\n${lines.join('\n')}\n`);
  if (o.json) writeFileSync(o.json, `${JSON.stringify({ model: o._[0], calibration: o.calibration, range: o.range ?? '0:100', budgetRange: o['budget-range'] ?? null, confidence: confidence ?? 0.95, eval: o.eval, evalRange: o['eval-range'] ?? '100:', rows }, null, 2)}\n`);
}

main().catch((e) => {
  if (e instanceof QwasmError || e instanceof DatasetError) {
    console.error(`error: ${e.message}`);
    process.exit(1);
  }
  throw e;
});
