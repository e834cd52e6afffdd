#!/usr/bin/env node
// quantize.mjs — post-training int8 quantization of a float model (ONNX) on
// calibration images, with a progress bar and a per-layer report
// (precision, weight bytes, output SQNR against the float model).
//
//   node tools/quantize.mjs <model.onnx> --calibration <dataset> -o out.qwm [--range 0:100]
//        [--method minmax|moving-average|percentile|mse|kl] [--percentile P]
//        [--weights F] [--layer-weights node=F,node=F] [--float-weights float32|float16]
//        [--max-drop POINTS] [--min-sqnr DB]
//        [--per-tensor] [--equalize] [--bias-correction]
//        [--keep-float node,node] [--threads N] [--report report.json]
//        [--labels labels.txt] [--mean M --std S] [--crop F] [--name N] ...
//
// F: a weight format: int8 (default), int4, lut4 (= lut4/channel), lut4/layer,
// lut8, lut8/layer, float16, float32 (docs/quantization.md).
// --max-drop / --min-sqnr: automatic mixed precision; each weighted layer not
// in --layer-weights gets the smallest of --weights (lut4 if int8), int8 and
// float16 that keeps the model within the budget on the calibration images
// (at most POINTS % of them changing top-1 class; output SQNR >= DB).
//
// --equalize: cross-layer equalization of the float model before calibration;
// --bias-correction: biases absorb the mean shift of rounded weights. Together
// they make per-tensor int8 work on depthwise networks (docs/quantization.md).
//
// dataset: a folder with labels.csv, a .csv of files, or an IDX images file
// (tools/lib/datasets.mjs); --range start:end picks its items (0-based).
import { writeFileSync } from 'node:fs';
import { quantize, QwasmError } from 'qwasm';
import { METADATA_OPTIONS, kB, metadataOptions, parseCli } from './lib/cli.mjs';
import { DatasetError, openDataset, sliceItems } from './lib/datasets.mjs';
import { Progress } from './lib/progress.mjs';

function usage(message) {
  if (message) console.error(`error: ${message}\n`);
  console.error('usage: quantize.mjs <model.onnx> --calibration <dataset> -o out.qwm [--range 0:100] [--per-tensor]\n' +
    '                   [--method minmax|moving-average|percentile|mse|kl] [--percentile P]\n' +
    '                   [--weights F] [--layer-weights node=F,...] [--float-weights float32|float16]\n' +
    '                   [--max-drop POINTS] [--min-sqnr DB] [--equalize] [--bias-correction]\n' +
    '                   [--keep-float a,b] [--threads N] [--report report.json] [--labels file] [--mean M --std S] [--crop F] ...');
  process.exit(2);
}

const o = parseCli(process.argv.slice(2), {
  values: ['-o', '--out', '--calibration', '--range', '--keep-float', '--threads', '--report', '--method', '--percentile',
    '--weights', '--layer-weights', '--float-weights', '--max-drop', '--min-sqnr', ...METADATA_OPTIONS],
  flags: ['--per-tensor', '--equalize', '--bias-correction'],
  usage,
});
const out = o.o ?? o.out;
if (o._.length !== 1) usage('give one float model');
if (!out) usage('give the output file with -o');
if (!o.calibration) usage('give calibration images with --calibration');
const threads = o.threads == null ? 1 : Number(o.threads);
if (!(threads >= 1)) usage('--threads needs a positive number');
const layerWeights = {};
for (const pair of o['layer-weights'] ? o['layer-weights'].split(',') : []) {
  const eq = pair.lastIndexOf('=');
  if (eq <= 0) usage(`--layer-weights needs node=format pairs, got "${pair}"`);
  layerWeights[pair.slice(0, eq)] = pair.slice(eq + 1);
}
if (o.percentile != null && !Number.isFinite(Number(o.percentile))) usage('--percentile needs a number');
let autoMixed;
if (o['max-drop'] != null || o['min-sqnr'] != null) {
  autoMixed = {};
  if (o['max-drop'] != null) {
    autoMixed.maxDrop = Number(o['max-drop']);
    if (!(autoMixed.maxDrop >= 0)) usage('--max-drop needs a number >= 0');
  }
  if (o['min-sqnr'] != null) {
    autoMixed.minSqnrDb = Number(o['min-sqnr']);
    if (!Number.isFinite(autoMixed.minSqnrDb)) usage('--min-sqnr needs a number');
  }
}

// SQNR is null when the int8 output equals the float one (no noise at all).
const fmtDb = (x) => (x === null ? ' exact' : x.toFixed(1).padStart(6));

try {
  const items = sliceItems(openDataset(o.calibration).items, o.range);
  const progress = new Progress('calibrate', items.length);
  let search = null;
  const t0 = performance.now();
  // With labels, mixed precision measures its accuracy drop on them.
  const { model, report } = await quantize(o._[0], items.map((it) => (it.label == null ? it.image : { image: it.image, label: it.label })), {
    labelOffset: 'auto',
    ...metadataOptions(o, usage),
    threads,
    perChannel: !o['per-tensor'],
    equalize: !!o.equalize,
    biasCorrection: !!o['bias-correction'],
    keepFloat: o['keep-float'] ? o['keep-float'].split(',') : [],
    calibration: o.method ?? 'minmax',
    ...(o.percentile != null ? { percentile: Number(o.percentile) } : {}),
    weights: o.weights ?? 'int8',
    layerWeights,
    floatWeights: o['float-weights'] ?? 'float32',
    autoMixed,
    onSearchProgress: (done, total) => {
      if (!search) { progress.finish(); search = new Progress('mixed precision', total); }
      search.tick(1);
    },
    onProgress: () => progress.tick(),
  });
  if (search) search.finish(); else progress.finish();
  writeFileSync(out, model);
  const w = Math.max(4, ...report.layers.map((l) => l.name.length));
  console.log(`\n${'node'.padEnd(w)}  ${'op'.padEnd(18)} precision  format        weights     SQNR dB`);
  for (const l of report.layers) {
    console.log(`${l.name.padEnd(w)}  ${l.op.padEnd(18)} ${l.precision.padEnd(9)}  ${(l.weightFormat || '-').padEnd(12)}  ${kB(l.weightBytes).padStart(9)}  ${fmtDb(l.sqnrDb)}` +
      `${l.reason ? `   (${l.reason})` : ''}${l.choice ? `   ${l.choice}` : ''}`);
  }
  if (report.mixed) {
    console.log(`\nmixed precision: ${report.mixed.evaluations} evaluations; on the calibration images the chosen model ` +
      `${report.mixed.labelled ? 'loses' : 'changes'} ${report.mixed.drop.toFixed(2)} points of top-1 ` +
      `(${report.mixed.labelled ? 'measured against the labels' : 'answers changed, unlabelled images'}), agrees with the float ` +
      `model on ${(100 * report.mixed.agreement).toFixed(2)}%, output SQNR ${fmtDb(report.mixed.outputSqnrDb).trim()} dB`);
  }
  if (report.equalization) {
    const e = report.equalization;
    console.log(`\nequalization: ${e.pairs} layer pairs, settled in ${e.sweeps} sweeps; ${e.channelClamps} ReLU6 layers now clamp ` +
      `per channel; widest / mean channel range ${e.spreadBefore.toFixed(1)} -> ${e.spreadAfter.toFixed(1)}`);
  }
  const int8 = report.layers.filter((l) => l.precision === 'int8').length;
  const kept = report.layers.filter((l) => l.precision !== 'removed').length;
  console.log(`\n${int8} of ${kept} layers int8; weights ${kB(report.floatWeightBytes)} -> ${kB(report.quantWeightBytes)}; ` +
    `file ${kB(model.length)}; output SQNR ${fmtDb(report.outputSqnrDb).trim()} dB over ${report.sqnrSamples} of ` +
    `${report.samples} calibration images (${report.calibration}${report.biasCorrection ? ', bias-corrected' : ''}); ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`wrote ${out}`);
  if (o.report) writeFileSync(o.report, `${JSON.stringify(report, null, 2)}\n`);
} catch (e) {
  if (!(e instanceof QwasmError) && !(e instanceof DatasetError)) throw e;
  console.error(`error: ${e.message}`);
  process.exit(1);
}
