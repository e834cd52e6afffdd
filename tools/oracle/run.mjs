#!/usr/bin/env node
// run.mjs — qwasm vs TensorFlow Lite WASM (the oracle) on imagenet-sample,
// in headless Chromium; plus qwasm in Node vs qwasm in Chromium.
//
//   npm run eval:oracle -- [--models a,b] [--limit N] [--every K] [--out FILE]
//                          [--no-node] [--threads N] [--resume DIR]
//
// Prints a progress line per model, a markdown table per model and the top-1
// disagreements, and writes reports/local/oracle-<timestamp>.{json,md}
// (--out FILE: FILE.json and FILE.md). Each finished model is checkpointed in
// <out>.ckpt/; --resume DIR reuses matching checkpoints of an earlier run
// (same photos, same dist/qwasm.wasm). A full run (5 models x 500 photos)
// took 1m42s on 2 cores with --no-node (2026-12-06); the Node pass adds its own time.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  DIFF_BUCKETS, MODELS, ROOT, analyzeModel, analyzeNodeVsChromium, runOracle, serializeResult,
} from './oracle.mjs';

function usage(message) {
  if (message) console.error(`error: ${message}\n`);
  console.error('usage: run.mjs [--models a,b] [--limit N] [--every K] [--out FILE] [--no-node] [--threads N] [--resume DIR]');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { models: MODELS, every: 1, limit: Infinity, node: true, threads: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
    if (a === '--models') o.models = value().split(',').map((s) => s.trim()).filter(Boolean);
    else if (a === '--limit') o.limit = Number(value());
    else if (a === '--every') o.every = Number(value());
    else if (a === '--out') o.out = value();
    else if (a === '--threads') o.threads = Number(value());
    else if (a === '--resume') o.resume = value();
    else if (a === '--no-node') o.node = false;
    else if (a === '-h' || a === '--help') usage();
    else usage(`unknown argument ${a}`);
  }
  for (const m of o.models) if (!MODELS.includes(m)) usage(`unknown model ${m} (known: ${MODELS.join(', ')})`);
  if (!(o.limit >= 1)) usage('--limit needs a positive number');
  if (!(Number.isInteger(o.every) && o.every >= 1)) usage('--every needs a positive integer');
  if (!(Number.isInteger(o.threads) && o.threads >= 1)) usage('--threads needs a positive integer');
  return o;
}

// ------------------------------------------------------------ formatting --

const pct = (k, n) => `${((100 * k) / n).toFixed(1)}%`;
const frac = (k, n) => `${k}/${n} (${pct(k, n)})`;
const short = (label) => String(label).split(',')[0];
const ms = (v) => (v == null ? '-' : `${v.toFixed(1)} ms`);

function duration(msec) {
  if (msec == null || !Number.isFinite(msec)) return '?';
  const s = Math.round(msec / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

function histogram(s) {
  return `${DIFF_BUCKETS.map((b) => `${b}: ${s.diffHistogram[b]}`).join(' · ')} (max ${s.maxAbsDiff})`;
}

function modelTable(s) {
  const n = s.photos;
  return [
    `### ${s.model} (${n} photos)`,
    '',
    '| | qwasm | TFLite-WASM |',
    '|---|---|---|',
    `| top-1 accuracy | ${frac(s.qwasm.top1, n)} | ${frac(s.tflite.top1, n)} |`,
    `| top-5 accuracy | ${frac(s.qwasm.top5, n)} | ${frac(s.tflite.top5, n)} |`,
    `| median inference | ${ms(s.timing.qwasmMedianMs)} | ${ms(s.timing.tfliteMedianMs)} |`,
    '',
    '| qwasm vs TFLite | |',
    '|---|---|',
    `| top-1 agreement | ${frac(s.top1Agree, n)} |`,
    `| top-5 set agreement | ${frac(s.top5SetAgree, n)} |`,
    `| byte-identical outputs | ${frac(s.identicalOutputs, n)} |`,
    `| photos by max \\|Δ\\| (steps) | ${histogram(s)} |`,
    `| mean outputs differing per photo | ${s.meanDifferingOutputs.toFixed(2)} of 1001 |`,
    `| identical input bytes fed to both | ${s.sameInputBytes}/${n} |`,
    '',
  ].join('\n');
}

function summaryTable(summaries) {
  const rows = summaries.map((s) => {
    const n = s.photos;
    return `| ${s.model} | ${s.top1Agree}/${n} | ${pct(s.qwasm.top1, n)} / ${pct(s.qwasm.top5, n)} | ` +
      `${pct(s.tflite.top1, n)} / ${pct(s.tflite.top5, n)} | ${DIFF_BUCKETS.map((b) => s.diffHistogram[b]).join(' | ')} | ${s.maxAbsDiff} | ${s.sameInputBytes}/${n} |`;
  });
  return [
    '| model | top-1 agree | qwasm top-1 / top-5 | TFLite top-1 / top-5 | Δ=0 | 1 | 2 | 3 | 4+ | max Δ | same input |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    'Δ: per photo, max over the 1001 outputs of |qwasm − TFLite| in quantization steps (1/256).',
    '',
  ].join('\n');
}

function disagreementTable(summaries) {
  const rows = [];
  for (const s of summaries) {
    for (const d of s.disagreements) {
      const top = (x) => x.top.map((t) => `${t.index} ${short(t.label)} (${t.value})`).join(', ');
      const mark = (x) => (x.correct ? ' ✔' : '');
      rows.push(`| ${s.model} | ${d.file} | ${d.expected.index} ${short(d.expected.label)} | ` +
        `${top(d.qwasm)}${mark(d.qwasm)} | ${d.qwasm.margin} | ${top(d.tflite)}${mark(d.tflite)} | ${d.tflite.margin} | ` +
        `${d.qwasmAtTfliteTop1} / ${d.tfliteAtQwasmTop1} | ${d.maxAbsDiff} (${d.differingOutputs} differ) |`);
    }
  }
  if (!rows.length) return 'No top-1 disagreements.\n';
  return [
    '| model | photo | expected | qwasm top-3 (value) | qwasm margin | TFLite top-3 (value) | TFLite margin | qwasm@TFLite-top1 / TFLite@qwasm-top1 | max \\|Δ\\| |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    'margin: top-1 minus top-2 value in steps (0 = tie, broken to the lower index); ✔ = that runtime was right.',
    '',
  ].join('\n');
}

function nodeTable(stats) {
  const rows = stats.map((s) => {
    const n = s.photos;
    return `| ${s.model} | ${s.identicalInputs}/${n} | ${s.meanAbsPixelDiff.toFixed(3)} | ${s.maxAbsPixelDiff} | ` +
      `${pct(s.meanFractionPixelsDiffering, 1)} | ${s.top1Equal}/${n} | ${s.top5SetEqual}/${n} | ${s.top5OrderEqual}/${n} | ` +
      `${s.identicalOutputs}/${n} | ${pct(s.nodeTop1, n)} / ${pct(s.nodeTop5, n)} | ${pct(s.chromiumTop1, n)} / ${pct(s.chromiumTop5, n)} |`;
  });
  return [
    '| model | identical inputs | mean \\|Δpixel\\| | max \\|Δpixel\\| | input bytes differing | top-1 equal | top-5 set equal | top-5 order equal | identical outputs | Node top-1 / top-5 | Chromium top-1 / top-5 |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    'Node decodes JPEG with jpeg-js, Chromium with its own libjpeg-turbo: same qwasm preprocessing and kernels, different decoded pixels.',
    '',
  ].join('\n');
}

// ------------------------------------------------------------------ main --

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const stamp = new Date().toISOString().replace(/\.\d+Z$/, '').replace(/[-:]/g, '').replace('T', '-');
  const base = o.out ? path.resolve(o.out.replace(/\.(json|md)$/, '')) : path.join(ROOT, 'reports', 'local', `oracle-${stamp}`);
  const checkpointDir = o.resume ? path.resolve(o.resume) : `${base}.ckpt`;
  await mkdir(path.dirname(base), { recursive: true });

  const tty = process.stdout.isTTY;
  let lastPrint = 0;
  const onProgress = (p) => {
    const now = Date.now();
    const line = `[${p.modelIndex + 1}/${p.modelCount}] ${p.model}: ${p.done}/${p.total} photos, ` +
      (p.cached ? 'from checkpoint'
        : p.phase === 'done' ? `done in ${duration(p.elapsedMs)}`
        : p.phase === 'node' ? `waiting for the Node side, elapsed ${duration(p.elapsedMs)}`
        : `elapsed ${duration(p.elapsedMs)}, ETA ${duration(p.etaMs)}`);
    if (tty) {
      process.stdout.write(`\r\x1b[K${line}${p.phase === 'done' ? '\n' : ''}`);
    } else if (p.phase !== 'chromium' || now - lastPrint > 15000 || p.done === p.total) {
      console.log(line);
      lastPrint = now;
    }
  };

  console.log(`oracle: ${o.models.length} model(s), every ${o.every} photo(s)${Number.isFinite(o.limit) ? `, limit ${o.limit}` : ''}, ` +
    `Node comparison ${o.node ? 'on' : 'off'}; checkpoints in ${path.relative(process.cwd(), checkpointDir)}`);
  const t0 = Date.now();
  const result = await runOracle({ models: o.models, every: o.every, limit: o.limit, node: o.node, threads: o.threads, checkpointDir, onProgress });
  const wallMs = Date.now() - t0;

  const summaries = result.models.map(analyzeModel);
  const nodeStats = result.models.map(analyzeNodeVsChromium).filter(Boolean);
  const m = result.meta;
  const md = [
    `# qwasm vs TFLite-WASM oracle — ${m.date}`,
    '',
    `qwasm ${m.qwasmCommit ?? '?'} (wasm sha256 ${m.qwasmWasmSha256.slice(0, 12)}), oracle ${m.tfliteRuntime} (${m.tfliteThreads} thread), ` +
      `Chromium ${m.chromium ?? '(checkpoints only)'}; ${m.photos} photos of imagenet-sample per model; wall time ${duration(wallMs)}.`,
    'Each photo is decoded once by Chromium and preprocessed once by qwasm; the same input bytes go to both runtimes.',
    '',
    '## Summary',
    '',
    summaryTable(summaries),
    '## Per model',
    '',
    ...summaries.map(modelTable),
    '## Top-1 disagreements',
    '',
    disagreementTable(summaries),
    ...(nodeStats.length ? ['## qwasm: Node vs Chromium', '', nodeTable(nodeStats)] : []),
  ].join('\n');

  console.log(`\n${md}`);
  const json = {
    meta: { ...m, wallMs },
    summaries,
    nodeVsChromium: nodeStats,
    results: result.models.map(serializeResult),  // raw outputs (base64, photo-major, 1001 bytes each)
  };
  await writeFile(`${base}.json`, JSON.stringify(json));
  await writeFile(`${base}.md`, md);
  console.log(`wrote ${path.relative(process.cwd(), base)}.json and .md`);
}

main().catch((e) => {
  console.error(e.stack ?? e);
  process.exit(1);
});
