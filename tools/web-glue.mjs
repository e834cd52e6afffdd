#!/usr/bin/env node
// web-glue.mjs — the build steps after Emscripten (CMakeLists.txt runs them):
//
//   web-glue.mjs pthreads <dist>   adapts the browser pthreads glue
//     (dist/qwasm-mt.mjs) so that bundlers can follow it: Emscripten 3.1.6
//     starts each pool Worker as `new Worker(<url of qwasm-mt.worker.js>)`,
//     a classic script that then imports the glue from wherever the main
//     script was — after bundling, that is the application's bundle. Here
//     the glue asks Module.createPthreadWorker() instead (web/assets.js
//     creates the Worker with a literal bundlers see), and the Worker
//     script becomes dist/qwasm-mt.worker.mjs: a module holding its own
//     copy of the glue, so it imports nothing.
//   web-glue.mjs inline <dist> <model.qwm>   writes dist/inline/*.js: each
//     .wasm, that Worker script and the default model as base64 modules,
//     for bundlers that do not emit `new URL(..., import.meta.url)` assets
//     (esbuild, Rollup; web/assets.js falls back to them).
//
// Each rewrite checks that Emscripten's code looks as expected, so a
// different Emscripten fails the build instead of shipping broken glue.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

function replaceOnce(text, pattern, replacement, what) {
  const matches = text.match(new RegExp(pattern.source, 'g')) ?? [];
  if (matches.length !== 1) throw new Error(`web-glue: expected one ${what} in the Emscripten output, found ${matches.length}`);
  return text.replace(pattern, replacement);
}

async function pthreads(dist) {
  const gluePath = path.join(dist, 'qwasm-mt.mjs');
  const workerPath = path.join(dist, 'qwasm-mt.worker.js');
  let glue = await readFile(gluePath, 'utf8');
  if (!glue.includes('createPthreadWorker')) {  // not yet rewritten (a relink writes it anew)
    glue = replaceOnce(glue, /allocateUnusedWorker:function\(\)\{.*?new Worker\(pthreadMainJs\)\)\}/,
      'allocateUnusedWorker:function(){PThread.unusedWorkers.push(Module["createPthreadWorker"]())}',
      'allocateUnusedWorker');
    if (/require\(|new Worker\(/.test(glue)) throw new Error('web-glue: the browser glue still creates Workers or calls require()');
    await writeFile(gluePath, glue);
  }
  let worker = await readFile(workerPath, 'utf8');
  worker = replaceOnce(worker, /\(e\.data\.urlOrBlob\?import\(e\.data\.urlOrBlob\):import\("\.\/qwasm-mt\.mjs"\)\)/,
    'Promise.resolve({default:createQwasm})', 'glue import');
  // The Node half of worker.js (require('worker_threads') ...) is dead code
  // in a browser but would make bundlers look for Node modules.
  worker = worker.replace(/if\(ENVIRONMENT_IS_NODE\)\{var nodeWorkerThreads=.*?\}\)\}(?=var initializedJS)/, '');
  worker = worker.replace(/if\(ENVIRONMENT_IS_NODE\)\{fs\.writeSync\(2,text\+"\\n"\);return\}/, '');
  // The glue resolves its .wasm against import.meta.url at start even in a
  // Worker, which throws for a blob: script; a Worker gets its compiled
  // module by message and never needs the file.
  worker = replaceOnce(worker, /var Module=\{\};/, 'var Module={locateFile:function(f){return f}};', 'Worker Module');
  if (/require\(/.test(worker)) throw new Error('web-glue: the pthread Worker script still calls require()');
  const body = replaceOnce(glue, /export default createQwasm;\s*$/, '', 'glue export');
  await writeFile(path.join(dist, 'qwasm-mt.worker.mjs'),
    `// qwasm-mt.worker.mjs — a pool Worker of qwasm-mt: the glue, then Emscripten's Worker code (tools/web-glue.mjs).\n${body}\n${worker}\n`);
  await rm(workerPath);
}

async function inline(dist, model) {
  const out = path.join(dist, 'inline');
  await mkdir(out, { recursive: true });
  const write = (name, text) => writeFile(path.join(out, `${name}.js`),
    `// ${name} for bundlers that do not emit asset files (tools/web-glue.mjs).\nexport default ${JSON.stringify(text)};\n`);
  for (const file of ['qwasm.wasm', 'qwasm-mt.wasm', 'qwasm-tools.wasm']) {
    await write(file, (await readFile(path.join(dist, file))).toString('base64'));
  }
  await write('qwasm-mt.worker.mjs', await readFile(path.join(dist, 'qwasm-mt.worker.mjs'), 'utf8'));
  await write('default-model.qwm', (await readFile(model)).toString('base64'));
}

const [step, dist, model] = process.argv.slice(2);
if (step === 'pthreads') await pthreads(dist);
else if (step === 'inline') await inline(dist, model);
else {
  console.error('usage: web-glue.mjs pthreads <dist> | inline <dist> <model.qwm>');
  process.exit(2);
}
