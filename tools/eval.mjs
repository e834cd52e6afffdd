#!/usr/bin/env node
// eval.mjs — accuracy of one or more models on a labelled image set, with
// progress; models run side by side on the same images, so their top-1
// agreement is reported too.
//
//   qwasm-eval <dataset> --model A [--model B ...] [--range 100:] [--offset auto|N]
//              [--threads N] [--crop F] [--json out.json]
//
// dataset: a folder with labels.csv (file,class), a .csv, or an IDX images
// file (labels found beside it). --range start:end picks items (0-based,
// end exclusive), e.g. 100: to skip a calibration split. --offset: model
// output index = class + offset; auto = 1 for 1001-way ImageNet models
// (index 0 = background), else 0. A model given as ort:file.onnx runs in
// ONNX Runtime Web (wasm) on the input qwasm's own loading of that file
// prepares, to cross-check a float model's accuracy.
import { writeFileSync } from 'node:fs';
import { load, QwasmError } from 'qwasm';
import { fail, usageOf } from './lib/cli.mjs';
import { openDataset, sliceItems, DatasetError } from './lib/datasets.mjs';
import { Progress } from './lib/progress.mjs';

const BIN = 'qwasm-eval';
const usage = usageOf(BIN, '<dataset> --model A [--model B ...] [--range start:end] [--offset auto|N] [--threads N] [--crop F]',
  '[--json out.json]');

function parseArgs(argv) {
  const o = { models: [], offset: 'auto', threads: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
    if (a === '--model') o.models.push(value());
    else if (a === '--range') o.range = value();
    else if (a === '--offset') o.offset = value();
    else if (a === '--threads') o.threads = Number(value());
    else if (a === '--crop') o.crop = Number(value());
    else if (a === '--json') o.json = value();
    else if (a === '-h' || a === '--help') usage();
    else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else if (o.dataset) usage(`unexpected argument ${a}`);
    else o.dataset = a;
  }
  if (!o.dataset) usage('give a dataset');
  if (!o.models.length) usage('give at least one --model');
  if (o.offset !== 'auto' && !Number.isInteger(Number(o.offset))) usage('--offset needs auto or an integer');
  if (!(o.threads >= 1)) usage('--threads needs a positive number');
  if (o.crop !== undefined && !(o.crop > 0 && o.crop <= 1)) usage('--crop needs a number in (0, 1]');
  return o;
}

/** A qwasm model, or ONNX Runtime Web fed with qwasm's preprocessing of the same file. */
async function openRunner(spec, o) {
  const ort = spec.startsWith('ort:');
  const file = ort ? spec.slice(4) : spec;
  const model = await load(file, { threads: o.threads, cropFraction: o.crop });
  const offset = o.offset === 'auto' ? (model.outputSize % 1000 === 1 ? 1 : 0) : Number(o.offset);
  if (!ort) {
    return {
      name: spec, model, offset,
      async top5(image) {
        return (await model.classify(image, { topK: 5 })).map((r) => r.index);
      },
      ms: () => model.lastInferenceMs,
    };
  }
  const ortModule = await import('onnxruntime-web');
  ortModule.env.wasm.numThreads = 1;
  const session = await ortModule.InferenceSession.create(file);
  const inputName = session.inputNames[0];
  let last = 0;
  return {
    name: spec, model, offset,
    async top5(image) {
      const x = await model.preprocess(image);
      const type = x instanceof Float32Array ? 'float32' : x instanceof Int8Array ? 'int8' : 'uint8';
      const t0 = performance.now();
      const out = await session.run({ [inputName]: new ortModule.Tensor(type, x, model.inputShape) });
      last = performance.now() - t0;
      const scores = out[session.outputNames[0]].data;
      return [...scores.keys()].sort((a, b) => scores[b] - scores[a] || a - b).slice(0, 5);
    },
    ms: () => last,
  };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const items = sliceItems(openDataset(o.dataset).items, o.range);
  if (items.some((it) => it.label == null)) throw new DatasetError(`${o.dataset} has items without a class`);
  const runners = [];
  for (const spec of o.models) runners.push(await openRunner(spec, o));
  const stats = runners.map(() => ({ top1: 0, top5: 0, ms: 0, agree: 0 }));
  const progress = new Progress('eval', items.length);
  for (const it of items) {
    let first = null;
    for (let r = 0; r < runners.length; r++) {
      const top = await runners[r].top5(it.image);
      const want = it.label + runners[r].offset;
      const s = stats[r];
      if (top[0] === want) s.top1++;
      if (top.includes(want)) s.top5++;
      s.ms += runners[r].ms();
      if (r === 0) first = top[0];
      if (top[0] === first) s.agree++;
    }
    progress.tick(1, `top-1 ${runners.map((_, r) => ((100 * stats[r].top1) / (progress.done + 1)).toFixed(1)).join(' / ')}%`);
  }
  progress.finish();
  const n = items.length;
  const rows = runners.map((r, i) => ({
    model: r.name,
    images: n,
    top1: (100 * stats[i].top1) / n,
    top5: (100 * stats[i].top5) / n,
    agreeWithFirst: (100 * stats[i].agree) / n,
    msPerImage: stats[i].ms / n,
  }));
  const pad = (s, w) => String(s).padEnd(w);
  const width = Math.max(5, ...rows.map((r) => r.model.length));
  console.log(`\n${o.dataset}${o.range ? ` [${o.range}]` : ''}: ${n} images`);
  console.log(`${pad('model', width)}  top-1    top-5    vs first  ms/image`);
  for (const r of rows) {
    const drop = r.top1 - rows[0].top1;
    console.log(`${pad(r.model, width)}  ${r.top1.toFixed(2).padStart(6)}%  ${r.top5.toFixed(2).padStart(6)}%  ` +
      `${r === rows[0] ? '     -  ' : `${drop >= 0 ? '+' : ''}${drop.toFixed(2)} pt`} ${r.msPerImage.toFixed(2).padStart(8)}` +
      `${r === rows[0] ? '' : `   (top-1 agrees ${r.agreeWithFirst.toFixed(1)}%)`}`);
  }
  if (o.json) writeFileSync(o.json, `${JSON.stringify({ dataset: o.dataset, range: o.range ?? null, rows }, null, 2)}\n`);
  for (const r of runners) r.model.dispose();
}

main().catch((e) => {
  if (e instanceof QwasmError || e instanceof DatasetError) fail(BIN, e.message);
  throw e;
});
