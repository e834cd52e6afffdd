#!/usr/bin/env node
// run.mjs — `npm run bench`: qwasm against TensorFlow Lite's WASM build
// (tfjs-tflite), LiteRT.js (@litertjs/core, XNNPACK) and ONNX Runtime Web
// (wasm EP) in headless Chromium, plus the int8 GEMM microkernels against
// this machine's dot ceilings. Prints figures, asserts nothing.
//
//   npm run bench -- [--quick] [--models a,b] [--seconds S] [--parts latency,load,gemm] [--busy] [--out FILE]
//
// latency  per model, 1 and 2 threads: same input bytes to every runtime;
//          warm-up, then the runtimes take turns in rounds so machine noise
//          hits all of them alike; median and p90 of single runs. Warns when
//          a runtime's top-1 class differs from qwasm's.
//          --busy: one CPU-bound background process per core runs meanwhile.
//          Before and after: how fast two threads of a plain loop run next to
//          one (bench/core-scaling.mjs), the ceiling of any 2-thread speedup.
// load     fresh page (own browser context) -> first inference result, for
//          MobileNetV2 and V1 0.25; median of 3; bytes each runtime fetched.
// gemm     build/wasm/bench/gemm-bench (bench/CMakeLists.txt) in Chromium, and in
//          Node without and with --experimental-wasm-relaxed-simd: the SIMD128
//          and relaxed-SIMD GEMMs per shape, each against its dot's ceiling.
// Writes reports/local/bench-<stamp>.{md,json} (--out FILE: FILE.md, FILE.json).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { startBrowser } from '../tests/e2e/browser.mjs';
import { load as loadQwasm } from '../web/node.js';
import { coreScaling } from './core-scaling.mjs';
import { GEMM_SHAPES } from './gemm.mjs';
import { formatReport, summarize } from './report.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = path.resolve(ROOT, '..', 'shared');
const MODELS = [  // onnx: a QDQ twin exists in ../shared/models/onnx
  { name: 'mobilenet_v1_0.25_128_quant', onnx: true },
  { name: 'mobilenet_v1_0.5_160_quant', onnx: false },
  { name: 'mobilenet_v1_0.75_192_quant', onnx: false },
  { name: 'mobilenet_v2_1.0_224_quant', onnx: true },
  { name: 'tf2_mobilenet_v2_1.0_224_ptq', onnx: true },
];
const LOAD_MODELS = ['mobilenet_v2_1.0_224_quant', 'mobilenet_v1_0.25_128_quant'];
const RUNTIMES = ['qwasm', 'tflite', 'ort', 'litert'];
const IMAGE = 'images/cat.bmp';

function usage(message) {
  if (message) console.error(`error: ${message}\n`);
  console.error('usage: run.mjs [--quick] [--models a,b] [--seconds S] [--parts latency,load,gemm] [--busy] [--out FILE]');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { models: MODELS.map((m) => m.name), parts: ['latency', 'load', 'gemm'], quick: false, busy: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
    if (a === '--quick') o.quick = true;
    else if (a === '--models') o.models = value().split(',').filter(Boolean);
    else if (a === '--seconds') o.seconds = Number(value());
    else if (a === '--parts') o.parts = value().split(',').filter(Boolean);
    else if (a === '--out') o.out = value();
    else if (a === '--busy') o.busy = true;
    else if (a === '-h' || a === '--help') usage();
    else usage(`unknown argument ${a}`);
  }
  // A model may be named by a unique prefix or part of its name ("mobilenet_v2", "0.25", "tf2").
  o.models = o.models.map((q) => {
    const names = MODELS.map((m) => m.name);
    const hits = [names.filter((n) => n === q), names.filter((n) => n.startsWith(q)), names.filter((n) => n.includes(q))]
      .find((h) => h.length) ?? [];
    if (hits.length !== 1) usage(`--models: "${q}" matches ${hits.length} models (known: ${names.join(', ')})`);
    return hits[0];
  });
  for (const p of o.parts) if (!['latency', 'load', 'gemm'].includes(p)) usage(`unknown part ${p}`);
  if (o.busy && !o.parts.includes('latency')) usage('--busy loads the machine during the latency part, which --parts leaves out');
  o.seconds ??= o.quick ? 1 : 4;             // timed runs per runtime, model and thread count
  if (!(o.seconds > 0)) usage('--seconds needs a positive number');
  o.warmup = o.quick ? 0.3 : 1;              // seconds of untimed runs after loading
  // Turns each runtime gets, at least: one per 0.4 s of timed runs (10 at
  // the least). The host's speed steps every few seconds, and paired ratios
  // (report.mjs) compare slices of one round, so shorter slices pair closer
  // in time, and more rounds give their median more pairs.
  o.rounds = o.quick ? 4 : Math.max(10, Math.ceil(o.seconds / 0.4));
  o.minRuns = o.quick ? 3 : 5;
  o.loadReps = o.quick ? 1 : 3;
  o.gemmSeconds = o.quick ? 0.2 : 0.5;
  return o;
}

const modelUrl = (name, runtime) => (runtime === 'ort' ? `/shared/models/onnx/${name}.qdq.onnx` : `/shared/models/${name}.tflite`);
const b64 = (u8) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength).toString('base64');
const log = (line) => (process.stdout.isTTY ? process.stdout.write(`\r\x1b[K${line}`) : console.log(line));
const endLog = () => process.stdout.isTTY && process.stdout.write('\n');

/** The input tensor of each model: ../shared/images/cat.bmp through qwasm's preprocessing. */
async function prepareInputs(names) {
  const inputs = {};
  for (const name of names) {
    const model = await loadQwasm(path.join(SHARED, 'models', `${name}.tflite`));
    const tensor = await model.preprocess(path.join(SHARED, IMAGE));
    inputs[name] = { shape: model.inputShape, type: model.inputType, b64: b64(tensor),
      sha256: createHash('sha256').update(tensor).digest('hex') };
    model.dispose();
  }
  return inputs;
}

async function benchPage(session, query = '') {
  const page = await session.newPage();
  await page.goto(`${session.url}/bench/page.html${query}`);
  await page.waitForFunction(() => window.bench);
  return page;
}

// ------------------------------------------------------------- latency --

async function latency(session, o, inputs) {
  const threadCounts = [1, 2];
  const pages = new Map();  // "runtime/threads" -> page, kept across models
  const results = [];
  for (const [mi, name] of o.models.entries()) {
    const { shape, b64: input } = inputs[name];
    const entries = [];
    for (const threads of threadCounts) {
      for (const runtime of RUNTIMES) {
        const e = { runtime, threads, times: [], slices: [], note: null };
        entries.push(e);
        if (runtime === 'ort' && !MODELS.find((m) => m.name === name).onnx) { e.note = 'no ONNX file'; continue; }
        const key = `${runtime}/${threads}`;
        if (!pages.has(key)) {
          const page = await benchPage(session);
          await page.evaluate(([r, t]) => window.bench.open(r, t), [runtime, threads]);
          pages.set(key, page);
        }
        e.page = pages.get(key);
        const info = await e.page.evaluate(([u, x, s]) => window.bench.load(u, x, s), [modelUrl(name, runtime), input, shape]);
        e.top1 = info.top1;
        e.build = info.build;
        if (info.threads !== threads) e.note = `asked for ${threads} threads, runs ${info.threads}`;
      }
    }
    const active = entries.filter((e) => !e.note);
    const prefix = `latency [${mi + 1}/${o.models.length}] ${name}`;
    for (const e of active) {
      log(`${prefix}: warming up ${e.runtime} ${e.threads}t`);
      await e.page.evaluate(([s, n]) => window.bench.measure(s, n), [o.warmup, 2]);
    }
    // Rounds: every runtime runs for one slice per round, starting with a
    // different one each round, until each has `seconds` and `minRuns`.
    // qwasm's thread pool counters around the timed rounds: how many jobs
    // ran shared or solo there, and why solo periods started.
    for (const e of active) e.stats0 = await e.page.evaluate(() => window.bench.threadStats());
    const slice = o.seconds / o.rounds;
    const done = (e) => e.times.length >= o.minRuns && e.times.reduce((a, b) => a + b, 0) >= o.seconds * 1000;
    for (let round = 0; !active.every(done); round++) {
      for (let i = 0; i < active.length; i++) {
        const e = active[(round + i) % active.length];
        const times = await e.page.evaluate(([s]) => window.bench.measure(s, 1), [slice]);
        e.times.push(...times);
        e.slices.push(summarize(times).medianMs);  // this round's median, for paired ratios (report.mjs)
        // Let the runtime's worker threads stop spinning before the next one
        // runs: on 2 cores a peer's spinning thread would take a core away.
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      log(`${prefix}: round ${round + 1} · ${active.map((e) => `${e.runtime} ${e.threads}t ${e.times.length}`).join(' · ')} runs`);
    }
    endLog();
    for (const e of active) {
      const end = await e.page.evaluate(() => window.bench.threadStats());
      if (e.stats0 && end) e.pool = Object.fromEntries(Object.keys(end).map((k) => [k, end[k] - e.stats0[k]]));
    }
    for (const e of entries) {
      if (e.page) await e.page.evaluate(() => window.bench.unload());
      const reference = entries.find((x) => x.runtime === 'qwasm' && x.threads === e.threads)?.top1;
      if (e.top1 != null && reference != null && e.top1 !== reference) {
        console.warn(`warning: ${name}: ${e.runtime} ${e.threads}t says class ${e.top1}, qwasm says ${reference}`);
      }
      results.push({ model: name, runtime: e.runtime, threads: e.threads, note: e.note, top1: e.top1 ?? null, build: e.build ?? null,
        ...(e.pool && e.threads > 1 ? { pool: e.pool } : {}), ...summarize(e.times), sliceMedians: e.slices });
    }
  }
  for (const page of pages.values()) await page.close();
  return results;
}

// ----------------------------------------------------------------- busy --

// --busy: one CPU-bound process per core at normal priority, as if the page
// shared the machine with other work. Killed when the latency part ends or
// fails, on exit and on signals; a child also quits by itself once its parent
// is gone (its ppid changes), so not even a SIGKILLed run leaves one behind.
const SPIN = 'const p = process.ppid; for (let i = 1; ; i++) if (i % 1e8 === 0 && process.ppid !== p) process.exit();';
const spinners = new Set();

function stopBusy() {
  for (const child of spinners) child.kill('SIGKILL');  // kill() only sends: safe in an 'exit' handler
  spinners.clear();
}

function onSignal(signal) {
  stopBusy();
  // Playwright's own handler closes Chromium and exits; without one, exit here.
  if (process.listenerCount(signal) === 1) process.exit(128 + os.constants.signals[signal]);
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function startBusy() {
  process.on('exit', stopBusy);
  for (const signal of SIGNALS) process.on(signal, onSignal);
  for (let i = 0; i < os.cpus().length; i++) {
    spinners.add(spawn(process.execPath, ['-e', SPIN], { stdio: 'ignore' }));
  }
  return spinners.size;
}

/** Runs fn with the spinners going; notes them in meta.busy for the report. */
async function whileBusy(fn, meta) {
  const processes = startBusy();
  try {
    const result = await fn();
    meta.busy = { processes, loadavgAtStop: os.loadavg() };
    return result;
  } finally {
    stopBusy();
    process.off('exit', stopBusy);
    for (const signal of SIGNALS) process.off(signal, onSignal);
  }
}

// ---------------------------------------------------------- load, sizes --

// What a page fetched, by kind; gzip sizes computed from the served files.
function fetchedFiles(responses) {
  const files = [];
  for (const { url, status } of responses) {
    const p = decodeURIComponent(new URL(url).pathname);
    if (files.some((f) => f.path === p)) continue;
    if (p.startsWith('/bench/') || p.startsWith('/shared/')) continue;  // harness and model
    const ext = path.extname(p);
    if (!['.wasm', '.js', '.mjs'].includes(ext)) continue;
    const kind = ext === '.wasm' ? 'wasm' : 'js';
    if (status !== 200) { files.push({ path: p, kind, status }); continue; }  // reported, not counted
    const body = readFileSync(path.join(ROOT, p));
    files.push({ path: p, kind, status, bytes: body.length, gzip: gzipSync(body).length });
  }
  return files;
}

async function loadTimes(session, o, inputs) {
  const names = LOAD_MODELS.filter((n) => o.models.includes(n));
  const results = [], sizes = {};
  for (const name of names) {
    const shape = inputs[name].shape;
    for (const runtime of RUNTIMES) results.push({ model: name, runtime, runs: [] });
    for (let rep = 0; rep < o.loadReps; rep++) {
      for (const runtime of RUNTIMES) {
        log(`load ${name}: ${runtime}, fresh page ${rep + 1}/${o.loadReps}`);
        const urls = [];
        const query = `?cold=${runtime}&threads=1&shape=${shape}&model=${encodeURIComponent(modelUrl(name, runtime))}`;
        const page = await session.newPage();
        page.context().on('response', (r) => urls.push({ url: r.url(), status: r.status() }));  // page and workers
        await page.goto(`${session.url}/bench/page.html${query}`);
        await page.waitForFunction(() => window.coldResult, null, { timeout: 120_000 });
        const r = await page.evaluate(() => window.coldResult);
        await page.close();
        if (r.error) throw new Error(`${runtime} cold start on ${name}: ${r.error}`);
        results.find((x) => x.model === name && x.runtime === runtime).runs.push(r);
        sizes[runtime] ??= fetchedFiles(urls);
      }
    }
    endLog();
  }
  const distWasm = readdirSync(path.join(ROOT, 'dist')).filter((f) => f.endsWith('.wasm'))
    .map((f) => ({ path: `/dist/${f}`, bytes: statSync(path.join(ROOT, 'dist', f)).size }));
  return { results, sizes, distWasm };
}

// ----------------------------------------------------------------- gemm --

function buildGemm() {
  if (!existsSync(path.join(ROOT, 'build/wasm/CMakeCache.txt'))) return 'build/wasm is not configured (run npm run build)';
  log('gemm: building build/wasm target gemm-bench');
  const r = spawnSync('cmake', ['--build', 'build/wasm', '--target', 'gemm-bench', `-j${os.cpus().length}`], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_PATH: ['/usr/share/nodejs', process.env.NODE_PATH].filter(Boolean).join(':') },
  });
  endLog();
  if (r.status === 0) return null;
  const lines = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /error/i.test(l));
  return `build failed: ${lines.slice(0, 3).join(' | ') || `exit ${r.status}`}`;
}

// Node runs gemm.mjs in a child process per set of V8 flags: Node 20 has
// relaxed SIMD only behind --experimental-wasm-relaxed-simd (and there its
// x86 code saturates the relaxed dot's pair sums, which the product's probe
// refuses: the report shows the relaxed ceiling and why the GEMM is off).
const NODE_GEMM_FLAGS = [[], ['--experimental-wasm-relaxed-simd']];

function nodeGemm(flags, seconds) {
  const r = spawnSync(process.execPath, [...flags, path.join(ROOT, 'bench/gemm.mjs'), String(seconds)], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) return { error: `node ${flags.join(' ')} bench/gemm.mjs: exit ${r.status} ${r.stderr.split('\n').slice(0, 3).join(' | ')}` };
  return JSON.parse(r.stdout);
}

async function gemm(session, o) {
  const failure = buildGemm();
  if (failure) return { error: failure };
  log('gemm: Chromium');
  const page = await benchPage(session);
  const chromium = await page.evaluate(([s, shapes]) => window.bench.gemm(s, shapes), [o.gemmSeconds, GEMM_SHAPES]);
  await page.close();
  const engines = [{ engine: `Chromium ${session.browser.version()}`, ...chromium }];
  for (const flags of NODE_GEMM_FLAGS) {
    log(`gemm: Node ${flags.join(' ')}`);
    engines.push({ engine: ['Node', process.version, ...flags].join(' '), ...nodeGemm(flags, o.gemmSeconds) });
  }
  endLog();
  return { engines };
}

// ----------------------------------------------------------------- main --

function machine() {
  const git = (...args) => { try { return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim(); } catch { return null; } };
  return {
    date: new Date().toISOString(),
    commit: git('rev-parse', '--short', 'HEAD'),
    dirty: Boolean(git('status', '--porcelain', '--untracked-files=no')),
    cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version, loadavgStart: os.loadavg(),
  };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const stamp = new Date().toISOString().replace(/\.\d+Z$/, '').replace(/[-:]/g, '').replace('T', '-');
  const base = o.out ? path.resolve(o.out.replace(/\.(json|md)$/, '')) : path.join(ROOT, 'reports', 'local', `bench-${stamp}`);
  const meta = { ...machine(), options: o, image: IMAGE };
  const t0 = Date.now();
  const session = await startBrowser();
  const report = { meta };
  try {
    meta.chromium = session.browser.version();
    if (o.parts.includes('latency') || o.parts.includes('load')) {
      const inputs = await prepareInputs(o.models);
      if (o.parts.includes('latency')) {
        const run = () => latency(session, o, inputs);
        meta.coreScaling = [await coreScaling()];  // what 2 threads can do here, before and after
        report.latency = o.busy ? await whileBusy(run, meta) : await run();
        meta.coreScaling.push(await coreScaling());
      }
      if (o.parts.includes('load')) report.load = await loadTimes(session, o, inputs);
      report.inputs = Object.fromEntries(Object.entries(inputs).map(([k, { b64: _, ...v }]) => [k, v]));
    }
    if (o.parts.includes('gemm')) report.gemm = await gemm(session, o);
  } finally {
    await session.close();
  }
  meta.loadavgEnd = os.loadavg();
  meta.wallSeconds = Math.round((Date.now() - t0) / 1000);
  const md = formatReport(report);
  console.log(`\n${md}`);
  await mkdir(path.dirname(base), { recursive: true });
  await writeFile(`${base}.md`, md);
  await writeFile(`${base}.json`, JSON.stringify(report, null, 1));
  console.log(`wrote ${path.relative(process.cwd(), base)}.md and .json`);
}

main().catch((e) => {
  console.error(e.stack ?? e);
  process.exit(1);
});
