#!/usr/bin/env node
// convert.mjs — any supported model (TFLite, ONNX QDQ/float, .qwm) to a
// qwasm model file, unchanged in what it computes.
//
//   qwasm-convert <model> -o out.qwm [--labels labels.txt] [--mean M --std S] [--crop F]
//                 [--name N] [--description D] [--version V] [--author A] [--license L]
import { writeFileSync, statSync } from 'node:fs';
import { convert, QwasmError } from 'qwasm';
import { METADATA_OPTIONS, fail, kB, metadataOptions, parseCli, usageOf } from './lib/cli.mjs';

const BIN = 'qwasm-convert';
const usage = usageOf(BIN, '<model> -o out.qwm [--labels file] [--mean M --std S] [--crop F] [--name N] [--description D]',
  '[--version V] [--author A] [--license L]');

const o = parseCli(process.argv.slice(2), { values: ['-o', '--out', ...METADATA_OPTIONS], usage });
const out = o.o ?? o.out;
if (o._.length !== 1) usage('give one model');
if (!out) usage('give the output file with -o');
try {
  const t0 = performance.now();
  const bytes = await convert(o._[0], metadataOptions(o, usage));
  writeFileSync(out, bytes);
  console.log(`${o._[0]} (${kB(statSync(o._[0]).size)}) -> ${out} (${kB(bytes.length)}) in ${(performance.now() - t0).toFixed(0)} ms`);
} catch (e) {
  if (!(e instanceof QwasmError)) throw e;
  fail(BIN, e.message);
}
