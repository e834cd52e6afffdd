#!/usr/bin/env node
// quantize.mjs — post-training int8 quantization of a float model (ONNX) on
// calibration images, with a progress bar and a per-layer report
// (precision, weight bytes, output SQNR against the float model).
//
//   qwasm-quantize <model.onnx> --calibration <dataset> -o out.qwm [--range 0:100]
//        [--method minmax|moving-average|percentile|mse|kl|output] [--percentile P]
//        [--weights F] [--layer-weights node=F,node=F] [--float-weights float32|float16]
//        [--max-drop POINTS] [--min-sqnr DB] [--confidence C] [--budget-range a:b]
//        [--per-tensor] [--equalize] [--bias-correction]
//        [--rounding nearest|learned] [--rounding-iterations N] [--rounding-budget SECONDS]
//        [--keep-float node,node] [--threads N] [--report report.json]
//        [--labels labels.txt] [--mean M --std S] [--crop F] [--name N] ...
//
// F: a weight format: int8 (default), int4, lut4 (= lut4/channel), lut4/layer,
// lut8, lut8/layer, float16, float32 (docs/quantization.md).
// --max-drop / --min-sqnr: automatic mixed precision; each weighted layer not
// in --layer-weights gets the smallest of --weights (lut4 if int8), int8 and
// float16 that keeps the model within the budget (top-1 drop <= POINTS
// against the float model, measured against the labels, or the share of
// changed answers without them; output SQNR >= DB). The drop must hold with
// confidence C (default 0.95; 0 = the measured drop): its one-sided upper
// confidence bound from the paired lost / gained counts must be <= POINTS.
// --budget-range a:b: judge the budget on these items of the calibration
// dataset instead of the calibration images (they do not set ranges; a
// disjoint, larger slice, e.g. 1000:21000, makes a small budget certifiable;
// up to 64 MB of input tensors are kept).
//
// --equalize: cross-layer equalization of the float model before calibration;
// --bias-correction: biases absorb the mean shift of rounded weights. Together
// they make per-tensor int8 work on depthwise networks (docs/quantization.md).
// --rounding learned: each weight rounds up or down to minimise its layer's
// output error against the float model's on the calibration images, layer
// by layer with the layers before it quantized (AdaRound; N steps per layer,
// default 1000; --rounding-budget caps the seconds for all layers); the
// report then gives each layer's output SQNR with nearest and learned
// rounding.
//
// dataset: a folder with labels.csv, a .csv of files, or an IDX images file
// (tools/lib/datasets.mjs); --range start:end picks its items (0-based).
import { writeFileSync } from 'node:fs';
import { quantize, QwasmError } from 'qwasm';
import { METADATA_OPTIONS, fail, kB, metadataOptions, parseCli, usageOf } from './lib/cli.mjs';
import { DatasetError, openDataset, sliceItems } from './lib/datasets.mjs';
import { Progress } from './lib/progress.mjs';

const BIN = 'qwasm-quantize';
const usage = usageOf(BIN,
  '<model.onnx> --calibration <dataset> -o out.qwm [--range 0:100] [--per-tensor]',
  '[--method minmax|moving-average|percentile|mse|kl|output] [--percentile P]',
  '[--weights F] [--layer-weights node=F,...] [--float-weights float32|float16]',
  '[--max-drop POINTS] [--min-sqnr DB] [--confidence C] [--budget-range a:b]',
  '[--equalize] [--bias-correction] [--rounding nearest|learned] [--rounding-iterations N] [--rounding-budget S]',
  '[--keep-float a,b] [--threads N] [--report report.json] [--labels file] [--mean M --std S] [--crop F] ...');

const o = parseCli(process.argv.slice(2), {
  values: ['-o', '--out', '--calibration', '--range', '--keep-float', '--threads', '--report', '--method', '--percentile',
    '--weights', '--layer-weights', '--float-weights', '--max-drop', '--min-sqnr', '--confidence', '--budget-range',
    '--rounding', '--rounding-iterations', '--rounding-budget', ...METADATA_OPTIONS],
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
const rounding = {};
if (o.rounding != null) rounding.rounding = o.rounding;
if (o['rounding-iterations'] != null) {
  rounding.roundingIterations = Number(o['rounding-iterations']);
  if (!Number.isInteger(rounding.roundingIterations)) usage('--rounding-iterations needs an integer');
}
if (o['rounding-budget'] != null) {
  rounding.roundingTimeBudget = Number(o['rounding-budget']);
  if (!(rounding.roundingTimeBudget >= 0)) usage('--rounding-budget needs a number of seconds >= 0');
}
if ((rounding.roundingIterations != null || rounding.roundingTimeBudget != null) && o.rounding !== 'learned') {
  usage('--rounding-iterations and --rounding-budget go with --rounding learned');
}
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
  if (o.confidence != null) {
    autoMixed.confidence = Number(o.confidence);
    if (!(autoMixed.confidence === 0 || (autoMixed.confidence >= 0.5 && autoMixed.confidence < 1))) {
      usage('--confidence needs 0 or a number in [0.5, 1)');
    }
  }
} else if (o.confidence != null || o['budget-range'] != null) {
  usage('--confidence and --budget-range go with --max-drop or --min-sqnr');
}
const labelled = (it) => (it.label == null ? it.image : { image: it.image, label: it.label });

// "mixed precision: 23 evaluations; judged on 20000 held-out budget images:
// top-1 drop 0.05 points (100 lost, 90 gained against the labels), 95% upper
// bound 0.16; agrees ...".
function mixedSummary(m) {
  const where = m.heldOut ? `${m.samples} held-out budget images${m.budgetItems > m.samples ? ` (of ${m.budgetItems} given; the rest exceed the 64 MB kept)` : ''}`
    : `${m.samples} calibration images`;
  const what = m.labelled ? `top-1 drop ${m.drop.toFixed(2)} points (${m.lost} lost, ${m.gained} gained against the labels)`
    : `${m.drop.toFixed(2)}% of answers changed (${m.changed}; unlabelled, each change counted as a loss)`;
  const bound = m.confidence > 0 ? `, ${(100 * m.confidence).toFixed(0)}% upper bound ${m.dropBound.toFixed(2)} points` : ', no confidence bound';
  return `mixed precision: ${m.evaluations} evaluations; judged on ${where}: ${what}${bound}; agrees with the float model on ` +
    `${(100 * m.agreement).toFixed(2)}%, output SQNR ${m.outputSqnrDb === null ? 'exact' : `${m.outputSqnrDb.toFixed(1)} dB`}`;
}

// SQNR is null when the int8 output equals the float one (no noise at all).
const fmtDb = (x) => (x === null ? ' exact' : x.toFixed(1).padStart(6));

try {
  const dataset = openDataset(o.calibration).items;
  const items = sliceItems(dataset, o.range);
  let budgetProgress = null;
  if (o['budget-range'] != null) {
    const budget = sliceItems(dataset, o['budget-range']);
    const judged = new Set(budget);
    if (items.some((it) => judged.has(it))) console.warn(`${BIN}: warning: --budget-range overlaps --range: the budget is not judged on held-out images`);
    autoMixed.budgetItems = budget.map(labelled);
  }
  const progress = new Progress('calibrate', items.length);
  let ranging = null;
  let search = null;
  let learning = null;
  const t0 = performance.now();
  // With labels, mixed precision measures its accuracy drop on them.
  const { model, report } = await quantize(o._[0], items.map(labelled), {
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
    ...rounding,
    onBudgetProgress: (done, total) => {
      if (!budgetProgress) { progress.finish(); budgetProgress = new Progress('budget images', total, progress.last); }
      budgetProgress.tick(1);
    },
    onRangeProgress: (done, total) => {
      if (!ranging) { const prev = budgetProgress ?? progress; prev.finish(); ranging = new Progress('activation ranges', total, prev.last); }
      ranging.tick(1);
    },
    onSearchProgress: (done, total) => {
      if (!search) { const prev = ranging ?? budgetProgress ?? progress; prev.finish(); search = new Progress('mixed precision', total, prev.last); }
      search.tick(1);
    },
    onRoundingProgress: (done, total) => {
      if (!learning) { const prev = search ?? ranging ?? budgetProgress ?? progress; prev.finish(); learning = new Progress('learned rounding', total, prev.last); }
      learning.tick(1);
    },
    onProgress: () => progress.tick(),
  });
  (learning ?? search ?? ranging ?? budgetProgress ?? progress).finish();
  writeFileSync(out, model);
  const w = Math.max(4, ...report.layers.map((l) => l.name.length));
  // Learned rounding: the layer's output SQNR against float (its input from the layers quantized before) nearest -> learned.
  const learned = report.rounding === 'learned';
  const roundingOf = (r) => (r ? `${fmtDb(r.nearestSqnrDb)} ->${fmtDb(r.learnedSqnrDb)}  ${r.seconds.toFixed(1).padStart(5)} s` : ''.padEnd(23));
  console.log(`\n${'node'.padEnd(w)}  ${'op'.padEnd(18)} precision  format        weights     SQNR dB` +
    `${learned ? '   rounding: layer dB nearest -> learned' : ''}`);
  for (const l of report.layers) {
    console.log(`${l.name.padEnd(w)}  ${l.op.padEnd(18)} ${l.precision.padEnd(9)}  ${(l.weightFormat || '-').padEnd(12)}  ${kB(l.weightBytes).padStart(9)}  ${fmtDb(l.sqnrDb)}` +
      `${learned ? `   ${roundingOf(l.rounding)}` : ''}${l.reason ? `   (${l.reason})` : ''}${l.roundingNote ? `   (${l.roundingNote})` : ''}${l.choice ? `   ${l.choice}` : ''}`);
  }
  if (report.mixed) console.log(`\n${mixedSummary(report.mixed)}`);
  if (report.equalization) {
    const e = report.equalization;
    console.log(`\nequalization: ${e.pairs} layer pairs, settled in ${e.sweeps} sweeps; ${e.channelClamps} ReLU6 layers now clamp ` +
      `per channel; widest / mean channel range ${e.spreadBefore.toFixed(1)} -> ${e.spreadAfter.toFixed(1)}`);
  }
  const int8 = report.layers.filter((l) => l.precision === 'int8').length;
  const kept = report.layers.filter((l) => l.precision !== 'removed').length;
  console.log(`\n${int8} of ${kept} layers int8; weights ${kB(report.floatWeightBytes)} -> ${kB(report.quantWeightBytes)}; ` +
    `file ${kB(model.length)}; output SQNR ${fmtDb(report.outputSqnrDb).trim()} dB over ${report.sqnrSamples} of ` +
    `${report.samples} calibration images (${report.calibration}${report.biasCorrection ? ', bias-corrected' : ''}` +
    `${learned ? ', learned rounding' : ''}); ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`wrote ${out}`);
  if (o.report) writeFileSync(o.report, `${JSON.stringify(report, null, 2)}\n`);
} catch (e) {
  if (!(e instanceof QwasmError) && !(e instanceof DatasetError)) throw e;
  fail(BIN, e.message);
}
