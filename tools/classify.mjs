#!/usr/bin/env node
// classify.mjs — classify images with a model, from the command line.
//
//   qwasm-classify [model] <image> [image...] [--top N] [--labels file] [--crop F]
//   (in a checkout: node tools/classify.mjs ...)
//
// model: a .qwm, .tflite or .onnx file; without one, the embedded default
// model (Fashion-MNIST, models/fashion-mnist/fashion-mnist.qwm).
// Prints the top-N labels with scores for each image, and the time taken by
// the model (inference only) and by the whole call (decode + preprocess too).
// It imports the package exactly as a user would.
import { DEFAULT_MODEL, load, QwasmError } from 'qwasm';
import { fail, usageOf } from './lib/cli.mjs';

const BIN = 'qwasm-classify';
const usage = usageOf(BIN, '[model.qwm|.tflite|.onnx] <image> [image...] [--top N] [--labels labels.txt] [--crop 0.875]');

function parseArgs(argv) {
  const opts = { top: 5, files: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
    if (a === '--top') opts.top = Number(value());
    else if (a === '--labels') opts.labels = value();
    else if (a === '--crop') opts.crop = Number(value());
    else if (a === '-h' || a === '--help') usage();
    else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else opts.files.push(a);
  }
  if (!/\.(qwm|tflite|onnx)$/i.test(opts.files[0] ?? '')) opts.files.unshift(null);  // the default model
  if (opts.files.length < 2) usage('give at least one image');
  if (!(Number.isInteger(opts.top) && opts.top >= 1)) usage('--top needs a positive integer');
  if (opts.crop !== undefined && !(opts.crop > 0 && opts.crop <= 1)) usage('--crop needs a number in (0, 1]');
  return opts;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const [modelPath, ...images] = opts.files;
  const t0 = performance.now();
  const model = await load(modelPath ?? DEFAULT_MODEL, { labels: opts.labels, cropFraction: opts.crop });
  const loadMs = performance.now() - t0;
  const [, h, w, c] = model.inputShape;
  console.log(`model ${modelPath ?? 'default (Fashion-MNIST)'}: input ${w}x${h}x${c} ${model.inputType}, ${model.outputSize} outputs, ` +
    `${model.labels ? `${model.labels.length} labels` : 'no labels'}, loaded in ${loadMs.toFixed(1)} ms`);
  let failed = 0;
  for (const image of images) {
    try {
      const t1 = performance.now();
      const top = await model.classify(image, { topK: opts.top });
      const totalMs = performance.now() - t1;
      console.log(`\n${image}  (inference ${model.lastInferenceMs.toFixed(1)} ms, total ${totalMs.toFixed(1)} ms)`);
      for (const { index, label, score } of top) {
        console.log(`  ${score.toFixed(4)}  ${String(index).padStart(4)}  ${label}`);
      }
    } catch (e) {
      if (!(e instanceof QwasmError)) throw e;
      console.error(`\n${image}: ${e.message}`);
      failed++;
    }
  }
  model.dispose();
  process.exitCode = failed ? 1 : 0;
}

main().catch((e) => fail(BIN, e.message));
