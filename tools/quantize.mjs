#!/usr/bin/env node
// quantize.mjs — post-training int8 quantization of a float model (ONNX) on
// calibration images, with a progress bar and a per-layer report
// (precision, weight bytes, output SQNR against the float model).
//
//   node tools/quantize.mjs <model.onnx> --calibration <dataset> -o out.qwm [--range 0:100]
//        [--per-tensor] [--keep-float node,node] [--threads N] [--report report.json]
//        [--labels labels.txt] [--mean M --std S] [--crop F] [--name N] ...
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
    '                   [--keep-float a,b] [--threads N] [--report report.json] [--labels file] [--mean M --std S] [--crop F] ...');
  process.exit(2);
}

const o = parseCli(process.argv.slice(2), {
  values: ['-o', '--out', '--calibration', '--range', '--keep-float', '--threads', '--report', ...METADATA_OPTIONS],
  flags: ['--per-tensor'],
  usage,
});
const out = o.o ?? o.out;
if (o._.length !== 1) usage('give one float model');
if (!out) usage('give the output file with -o');
if (!o.calibration) usage('give calibration images with --calibration');
const threads = o.threads == null ? 1 : Number(o.threads);
if (!(threads >= 1)) usage('--threads needs a positive number');

// SQNR is null when the int8 output equals the float one (no noise at all).
const fmtDb = (x) => (x === null ? ' exact' : x.toFixed(1).padStart(6));

try {
  const items = sliceItems(openDataset(o.calibration).items, o.range);
  const progress = new Progress('calibrate', items.length);
  const t0 = performance.now();
  const { model, report } = await quantize(o._[0], items.map((it) => it.image), {
    ...metadataOptions(o, usage),
    threads,
    perChannel: !o['per-tensor'],
    keepFloat: o['keep-float'] ? o['keep-float'].split(',') : [],
    onProgress: () => progress.tick(),
  });
  progress.finish();
  writeFileSync(out, model);
  const w = Math.max(4, ...report.layers.map((l) => l.name.length));
  console.log(`\n${'node'.padEnd(w)}  ${'op'.padEnd(18)} precision  weights     SQNR dB`);
  for (const l of report.layers) {
    console.log(`${l.name.padEnd(w)}  ${l.op.padEnd(18)} ${l.precision.padEnd(9)}  ${kB(l.weightBytes).padStart(9)}  ${fmtDb(l.sqnrDb)}` +
      `${l.reason ? `   (${l.reason})` : ''}`);
  }
  const int8 = report.layers.filter((l) => l.precision === 'int8').length;
  const kept = report.layers.filter((l) => l.precision !== 'removed').length;
  console.log(`\n${int8} of ${kept} layers int8; weights ${kB(report.floatWeightBytes)} -> ${kB(report.quantWeightBytes)}; ` +
    `file ${kB(model.length)}; output SQNR ${fmtDb(report.outputSqnrDb).trim()} dB over ${report.sqnrSamples} of ` +
    `${report.samples} calibration images; ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`wrote ${out}`);
  if (o.report) writeFileSync(o.report, `${JSON.stringify(report, null, 2)}\n`);
} catch (e) {
  if (!(e instanceof QwasmError) && !(e instanceof DatasetError)) throw e;
  console.error(`error: ${e.message}`);
  process.exit(1);
}
