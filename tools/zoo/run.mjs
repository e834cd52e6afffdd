#!/usr/bin/env node
// run.mjs — the model zoo check (issue 13): torchvision architectures
// exported to ONNX by tools/zoo/export.py, each loaded, compared with ONNX
// Runtime Web in FP32, quantized with default options, and timed. Prints a
// markdown table (stdout), writes build/zoo/results.json and, for a full run,
// the table in docs/models.md (between its zoo markers). Not part of
// `npm test`: a full run takes 20-30 minutes on two cores (docs/models.md).
//
//   npm run zoo [-- options]     (= node tools/zoo/run.mjs)
//     --models a,b       architectures (default: all 12; see export.py)
//     --opsets 13,17     ONNX opsets (default 13,17)
//     --dynamic a,b      also test these exported with a dynamic batch dimension
//                        (default resnet18,shufflenet_v2_x1_0; "" for none)
//     --photos C,Q,S     photos for the FP32 comparison, calibration and the int8
//                        SQNR (default 5,100,20: items 100-104, 0-99, 100-119 of
//                        the dataset)
//     --runs N           timed runs per latency (median; default 10)
//     --quick            --photos 2,10,4 --runs 3, opset 13 only unless --opsets
//     --dataset DIR      photos (default ../shared/imagenet-sample)
//     --timeout MIN      per model and opset (default 45)
//     --no-export        use build/zoo as it is (do not call export.py)
//     --no-reference     export.py skips PyTorch's own int8 quantization of each
//                        architecture (the reference SQNR column; also with --quick)
//     --docs / --no-docs write docs/models.md even for a partial run / never
//     --json FILE        results (default build/zoo/results.json)
//
// Each model runs in a child process, so a crash, an abort of the wasm module
// or a hang costs one row, never the run: a failing stage is reported in the
// row's notes (its error shortened) and the next model starts.
import { execFileSync, fork, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const OUT = path.join(ROOT, 'build', 'zoo');
const DOCS = path.join(ROOT, 'docs', 'models.md');
const BEGIN = '<!-- zoo:begin (tools/zoo/run.mjs writes this part) -->';
const END = '<!-- zoo:end -->';

export const ARCHS = ['resnet18', 'resnet50', 'squeezenet1_1', 'mobilenet_v2', 'mobilenet_v3_small',
  'mobilenet_v3_large', 'efficientnet_b0', 'shufflenet_v2_x1_0', 'mnasnet0_5', 'regnet_x_400mf',
  'googlenet', 'densenet121'];
const DEFAULT_DYNAMIC = ['resnet18', 'shufflenet_v2_x1_0'];
// ImageNet normalisation in pixel units, the same as export.py's (0-1 units).
const MEAN = [123.675, 116.28, 103.53];
const STD = [58.395, 57.12, 57.375];
const CROP = 0.875;  // resize 256 + centre crop 224
// torchvision's 1000 ImageNet classes, as a user would pass them: the shared
// 1001-line list without its 'background' line (null when it is missing).
function imagenetLabels() {
  try {
    const lines = readFileSync(path.join(ROOT, '..', 'shared', 'models', 'imagenet_labels.txt'), 'utf8').split(/\r?\n/);
    return lines.slice(1, 1001).length === 1000 ? lines.slice(1, 1001) : null;
  } catch {
    return null;
  }
}
// Acceptance thresholds of issue 13.
const MAX_DELTA = 1e-4;
const MIN_INT8_SHARE = 0.95;
const MIN_SQNR_DB = 20;
// Weighted layers: convolutions (any kind), fully connected layers, and
// element-wise arithmetic with a constant operand (the channel affine MUL /
// ADD a standalone BatchNormalization becomes). Other constants the quantizer
// counts as weight bytes (MEAN's axes, shapes) do not make a layer weighted.
const WEIGHTED_OPS = /CONV|FULLY_CONNECTED/;
const AFFINE_OPS = /^(MUL|ADD|SUB|DIV)$/;
export const isWeighted = (l) => Boolean(l.weightFormat) || WEIGHTED_OPS.test(l.op) || (AFFINE_OPS.test(l.op) && l.weightBytes > 0);

/** A float layer's reason without its node's name and sizes, so that layers
 * held back by the same rule group together: "inputs [1, n, n, n] and
 * [1, 1, 1, n] ... (broadcasting ADD is not supported)". */
export function reasonKind(l) {
  const r = (l.reason || 'no reason given').replace(/^node \d+ '[^']*' \([A-Z0-9_]+\):\s*/, '')
    .replace(/\b(?:[2-9]|\d{2,})\b/g, 'n');
  return `${l.op} ${shorten(r, 110)}`;
}

function usage(message) {
  if (message) console.error(`error: ${message}\n`);
  console.error('usage: run.mjs [--models a,b] [--opsets 13,17] [--dynamic a,b] [--photos C,Q,S] [--runs N] [--quick]\n' +
    '              [--dataset DIR] [--timeout MIN] [--no-export] [--no-reference] [--docs|--no-docs] [--json FILE]');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { models: ARCHS, opsets: null, dynamic: DEFAULT_DYNAMIC, photos: null, runs: null, quick: false,
    dataset: path.resolve(ROOT, '..', 'shared', 'imagenet-sample'), timeout: 45, export: true, reference: null, docs: null,
    json: path.join(OUT, 'results.json') };
  const list = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => { if (i + 1 >= argv.length) usage(`${a} needs a value`); return argv[++i]; };
    switch (a) {
      case '--models': o.models = list(val()); break;
      case '--opsets': o.opsets = list(val()).map(Number); break;
      case '--dynamic': o.dynamic = list(val()); break;
      case '--photos': o.photos = list(val()).map(Number); break;
      case '--runs': o.runs = Number(val()); break;
      case '--quick': o.quick = true; break;
      case '--dataset': o.dataset = path.resolve(val()); break;
      case '--timeout': o.timeout = Number(val()); break;
      case '--no-export': o.export = false; break;
      case '--no-reference': o.reference = false; break;
      case '--docs': o.docs = true; break;
      case '--no-docs': o.docs = false; break;
      case '--json': o.json = path.resolve(val()); break;
      case '-h': case '--help': usage(); break;
      default: usage(`unknown option ${a}`);
    }
  }
  const unknown = o.models.filter((m) => !ARCHS.includes(m));
  if (unknown.length) usage(`unknown architecture ${unknown.join(', ')} (known: ${ARCHS.join(', ')})`);
  if (!o.models.length) usage('--models selects nothing');
  o.opsets ??= o.quick ? [13] : [13, 17];
  if (!o.opsets.every((x) => Number.isInteger(x) && x >= 7 && x <= 20)) usage('--opsets needs opset numbers');
  o.photos ??= o.quick ? [2, 10, 4] : [5, 100, 20];
  if (o.photos.length !== 3 || !o.photos.every((x) => Number.isInteger(x) && x >= 1)) usage('--photos needs three positive counts C,Q,S');
  o.runs ??= o.quick ? 3 : 10;
  o.reference ??= !o.quick;
  if (!(Number.isInteger(o.runs) && o.runs >= 1)) usage('--runs needs a positive integer');
  if (!(o.timeout > 0)) usage('--timeout needs minutes > 0');
  return o;
}

/** The first line of an error message, without the stack, at most `max` characters. */
export function shorten(message, max = 180) {
  let s = String(message ?? '').split('\n').find((l) => l.trim() !== '') ?? '';
  s = s.replace(/^(QwasmError|Error|RuntimeError):\s*/, '').replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function readPhotos(dataset) {
  const csv = readFileSync(path.join(dataset, 'labels.csv'), 'utf8').split(/\r?\n/).filter((l) => l.trim());
  const col = csv[0].split(',').indexOf('file');
  if (col < 0) throw new Error(`${dataset}/labels.csv has no file column`);
  return csv.slice(1).map((l) => path.join(dataset, l.split(',')[col]));
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// ---------------------------------------------------------------- one model (child)

/** Output values of `model` for a photo as floats (int8 outputs dequantized;
 * embed(), not classify(), whose scores are softmaxed logits). */
async function scoresOf(model, photo) {
  return Float64Array.from(await model.embed(photo));
}

async function runJob(job) {
  const { load, convert, quantize } = await import('qwasm');
  const { Progress } = await import('../lib/progress.mjs');
  const r = { stages: {} };
  const tag = `${job.name} op${job.opset}`;
  // Each progress line also sends what is measured so far to the parent.
  const say = (m) => {
    process.stderr.write(`zoo: ${tag}: ${m}\n`);
    process.send({ partial: r });
  };
  const fail = (stage, e) => {
    r.error = { stage, message: shorten(e?.message ?? e) };
    say(`${stage} failed: ${r.error.message}`);
    return r;
  };
  const meta = { mean: MEAN, std: STD, cropFraction: CROP, name: `${job.name} (torchvision, opset ${job.opset})` };
  const labels = imagenetLabels();
  if (labels) meta.labels = labels;
  const bytes = readFileSync(job.file);
  const { compare, calibration, sqnr } = job.photos;

  // 1. FP32: convert + load.
  let t0 = performance.now();
  let qwm;
  try {
    qwm = await convert(bytes, meta);
  } catch (e) { return fail('convert', e); }
  r.stages.convertMs = performance.now() - t0;
  r.fp32Bytes = qwm.length;
  let fp32;
  try {
    fp32 = await load(qwm, { threads: 1 });
  } catch (e) { return fail('load', e); }
  r.loaded = true;
  r.notes = fp32.metadata.notes.filter((n) => !/^converted by|is NHWC .* in qwasm$/.test(n));
  say(`loaded (${(r.stages.convertMs / 1000).toFixed(1)} s)`);

  // 2. FP32 against onnxruntime-web on the same input tensors.
  let session;
  let ort;
  try {
    ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = 1;
    session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  } catch (e) { return fail('onnxruntime-web', e); }
  const inName = session.inputNames[0];
  const outName = session.outputNames[0];
  const ortShape = (session.inputMetadata?.[0]?.shape ?? []).map((d) => (typeof d === 'number' ? d : 1));
  const [, h, w, c] = fp32.inputShape;
  const nchw = ortShape.length === 4 && ortShape[1] === c && ortShape[2] === h && ortShape[3] === w;
  const toOrt = (x) => {
    if (!nchw) return new ort.Tensor('float32', x, fp32.inputShape);
    const y = new Float32Array(x.length);
    for (let i = 0; i < h * w; i++) for (let k = 0; k < c; k++) y[k * h * w + i] = x[i * c + k];
    return new ort.Tensor('float32', y, [1, c, h, w]);
  };
  let x0;
  let ort0;
  try {
    if (fp32.inputType !== 'float32') throw new Error(`the float model's input is ${fp32.inputType}`);
    let maxDelta = 0;
    let maxAbs = 0;
    let agree = 0;
    for (const photo of compare) {
      const x = await fp32.preprocess(photo);
      const a = fp32.run(x);
      const t = toOrt(x);
      const b = (await session.run({ [inName]: t }))[outName].data;
      if (a.length !== b.length) throw new Error(`qwasm gives ${a.length} outputs, onnxruntime-web ${b.length}`);
      let ia = 0;
      let ib = 0;
      for (let i = 0; i < a.length; i++) {
        maxDelta = Math.max(maxDelta, Math.abs(a[i] - b[i]));
        maxAbs = Math.max(maxAbs, Math.abs(b[i]));
        if (a[i] > a[ia]) ia = i;
        if (b[i] > b[ib]) ib = i;
      }
      if (!Number.isFinite(maxDelta)) maxDelta = Infinity;
      if (ia === ib) agree++;
      x0 ??= x;
      ort0 ??= t;
    }
    Object.assign(r, { maxDelta, maxAbsOutput: maxAbs, top1AgreesWithOrt: agree, comparePhotos: compare.length });
    say(`FP32 max |Δ| ${maxDelta.toExponential(1)} against onnxruntime-web (outputs up to ${maxAbs.toPrecision(3)})`);
  } catch (e) { return fail('compare', e); }

  // 3. Quantize with default options on the calibration photos. A failure
  // here (or in the int8 model) is the row's error, but the FP32 latencies
  // are still measured.
  // The parent passes our stderr through: a progress bar when it goes to a
  // terminal, else one line.
  const progress = new Progress(`zoo: ${tag}: calibrate`, calibration.length);
  if (job.tty) progress.tty = true;
  else {
    say(`calibrating on ${calibration.length} photos`);
    progress.tick = () => {};
    progress.finish = () => {};
  }
  t0 = performance.now();
  let int8;
  let xq;
  try {
    let int8Bytes;
    let report;
    try {
      ({ model: int8Bytes, report } = await quantize(bytes, calibration, { ...meta, onProgress: () => progress.tick() }));
    } finally { progress.finish(); }
    r.stages.quantizeMs = performance.now() - t0;
    r.int8FileBytes = int8Bytes.length;
    const layers = report.layers.filter((l) => l.precision !== 'removed');
    const weighted = layers.filter(isWeighted);
    const floatLayers = layers.filter((l) => l.precision !== 'int8');
    const reasons = {};
    for (const l of floatLayers) reasons[reasonKind(l)] = (reasons[reasonKind(l)] ?? 0) + 1;
    Object.assign(r, {
      layers: layers.length,
      int8Layers: layers.length - floatLayers.length,
      weightedLayers: weighted.length,
      int8WeightedLayers: weighted.filter((l) => l.precision === 'int8').length,
      floatReasons: reasons,
      floatLayers: floatLayers.slice(0, 200).map((l) => ({ name: l.name, op: l.op, weighted: isWeighted(l), reason: l.reason })),
      opCounts: Object.fromEntries([...new Set(layers.map((l) => l.op))].map((op) => [op, layers.filter((l) => l.op === op).length])),
      calibrationSqnrDb: report.outputSqnrDb,
    });
    say(`quantized in ${(r.stages.quantizeMs / 1000).toFixed(1)} s: ${r.int8WeightedLayers} of ${r.weightedLayers} weighted layers int8 ` +
      `(${r.int8Layers} of ${r.layers} layers)`);
    try {
      int8 = await load(int8Bytes, { threads: 1 });
    } catch (e) { throw Object.assign(e, { stage: 'load int8' }); }

    // 4. int8 output SQNR against the FP32 qwasm model (both dequantized
    // scores of the same photos, each model preprocessing them itself).
    let signal = 0;
    let noise = 0;
    let agree = 0;
    for (const photo of sqnr) {
      const a = await scoresOf(fp32, photo);
      const b = await scoresOf(int8, photo);
      let ia = 0;
      let ib = 0;
      for (let i = 0; i < a.length; i++) {
        signal += a[i] * a[i];
        noise += (a[i] - b[i]) ** 2;
        if (a[i] > a[ia]) ia = i;
        if (b[i] > b[ib]) ib = i;
      }
      if (ia === ib) agree++;
    }
    r.sqnrDb = noise === 0 ? null : 10 * Math.log10(signal / noise);
    r.int8Top1AgreesWithFp32 = agree;
    r.sqnrPhotos = sqnr.length;
    xq = await int8.preprocess(compare[0]);
    say(`int8 output SQNR ${r.sqnrDb === null ? 'exact' : `${r.sqnrDb.toFixed(1)} dB`} over ${sqnr.length} photos`);
  } catch (e) {
    fail(e.stage ?? (r.stages.quantizeMs == null ? 'quantize' : 'int8'), e);
    int8 = null;
  }

  // 5. Latency, one thread: qwasm FP32, qwasm int8 and ORT FP32 take turns
  // (one warm-up run each), so a busy machine slows them alike; the median of
  // job.runs runs of model.run() / session.run() on the first photo.
  try {
    const times = { fp32: [], int8: [], ort: [] };
    for (let i = 0; i <= job.runs; i++) {
      fp32.run(x0);
      if (i) times.fp32.push(fp32.lastInferenceMs);
      if (int8) {
        int8.run(xq);
        if (i) times.int8.push(int8.lastInferenceMs);
      }
      const t = performance.now();
      await session.run({ [inName]: ort0 });
      if (i) times.ort.push(performance.now() - t);
    }
    r.fp32Ms = median(times.fp32);
    r.ortMs = median(times.ort);
    if (int8) r.int8Ms = median(times.int8);
    say(`ms fp32 ${r.fp32Ms.toFixed(1)}${int8 ? `, int8 ${r.int8Ms.toFixed(1)}` : ''}, onnxruntime-web fp32 ${r.ortMs.toFixed(1)}`);
  } catch (e) {
    if (!r.error) fail('latency', e);
  }
  await session.release();
  fp32.dispose();
  int8?.dispose();
  return r;
}

// ---------------------------------------------------------------- the table

const pct = (a, b) => (b ? `${a}/${b} (${((100 * a) / b).toFixed(0)}%)` : '–');
const cell = (s) => String(s).replace(/\|/g, '\\|');
const MISS = '✗';

function rowCells(row) {
  const r = row.result ?? {};
  const notes = [];
  if (row.dynamicBatch) notes.push('dynamic batch dimension');
  const what = { timeout: 'timed out', crash: 'crashed' }[r.error?.stage] ?? `${r.error?.stage} failed`;
  if (r.error) notes.push(`**${what}**: ${cell(r.error.message)}`);
  const loads = r.loaded ? 'yes' : r.error ? 'no' : '–';
  let delta = '–';
  if (r.maxDelta != null) {
    delta = r.maxDelta.toExponential(1) + (r.maxDelta > MAX_DELTA ? ` ${MISS}` : '');
    if (r.top1AgreesWithOrt < r.comparePhotos) notes.push(`top-1 differs from onnxruntime-web on ${r.comparePhotos - r.top1AgreesWithOrt} of ${r.comparePhotos} photos`);
  }
  let int8 = '–';
  if (r.weightedLayers != null) {
    int8 = pct(r.int8WeightedLayers, r.weightedLayers) + (r.int8WeightedLayers < MIN_INT8_SHARE * r.weightedLayers ? ` ${MISS}` : '');
    const fl = Object.entries(r.floatReasons ?? {}).sort((a, b) => b[1] - a[1]);
    if (fl.length) notes.push(`float32 layers: ${fl.slice(0, 3).map(([k, n]) => `${n}× ${cell(k)}`).join('; ')}${fl.length > 3 ? '; …' : ''}`);
  }
  let sqnr = '–';
  if (r.sqnrPhotos != null) sqnr = r.sqnrDb === null ? 'exact' : r.sqnrDb.toFixed(1) + (r.sqnrDb < MIN_SQNR_DB ? ` ${MISS}` : '');
  const ref = row.reference;
  const refDb = ref == null ? '–' : ref.error ? 'failed' : ref.sqnrDb === null ? 'exact' : ref.sqnrDb.toFixed(1);
  if (ref?.error) notes.push(`PyTorch reference failed: ${cell(shorten(ref.error, 100))}`);
  if (r.sqnrDb != null && r.sqnrDb < MIN_SQNR_DB && ref?.sqnrDb != null && ref.sqnrDb < MIN_SQNR_DB) {
    notes.push(`PyTorch's own int8 reaches ${ref.sqnrDb.toFixed(1)} dB on this untrained network too (it amplifies noise)`);
  }
  const ms = (x) => (x == null ? '–' : x.toFixed(1));
  for (const n of r.notes ?? []) notes.push(cell(shorten(n, 120)));
  return [row.name, row.opset, loads, delta, int8, sqnr, refDb, ms(r.fp32Ms), ms(r.int8Ms), ms(r.ortMs),
    r.int8Ms != null && r.ortMs ? `${(r.ortMs / r.int8Ms).toFixed(2)}×` : '–', notes.join('; ') || ''];
}

function table(rows) {
  const head = ['model', 'opset', 'loads', 'FP32 max \\|Δ\\| vs ORT', 'weighted layers int8', 'int8 SQNR dB',
    'PyTorch int8 SQNR dB', 'ms FP32', 'ms int8', 'ms ORT FP32', 'ORT / int8', 'notes'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((h, i) => (i >= 3 && i < head.length - 1 ? '---:' : '---')).join('|')}|`];
  for (const row of rows) lines.push(`| ${rowCells(row).join(' | ')} |`);
  return lines.join('\n');
}

function summary(rows) {
  const n = rows.length;
  const res = rows.map((r) => r.result ?? {});
  const count = (f) => res.filter(f).length;
  return [
    `loads: ${count((r) => r.loaded)}/${n}`,
    `FP32 max |Δ| ≤ ${MAX_DELTA}: ${count((r) => r.maxDelta != null && r.maxDelta <= MAX_DELTA)}/${n}`,
    `≥ ${100 * MIN_INT8_SHARE}% weighted layers int8: ${count((r) => r.weightedLayers && r.int8WeightedLayers >= MIN_INT8_SHARE * r.weightedLayers)}/${n}`,
    `int8 SQNR ≥ ${MIN_SQNR_DB} dB: ${count((r) => r.sqnrPhotos != null && (r.sqnrDb === null || r.sqnrDb >= MIN_SQNR_DB))}/${n}` +
      ` (≥ ${MIN_SQNR_DB} dB or within 1 dB of PyTorch's int8: ${rows.filter((row) => {
        const r = row.result ?? {};
        if (r.sqnrPhotos == null) return false;
        if (r.sqnrDb === null || r.sqnrDb >= MIN_SQNR_DB) return true;
        const ref = row.reference?.sqnrDb;
        return ref != null && r.sqnrDb >= ref - 1;
      }).length}/${n})`,
  ].join('; ');
}

function gitDescribe() {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', 'src', 'web', 'CMakeLists.txt'],
      { cwd: ROOT, encoding: 'utf8' }).trim();
    return dirty ? `${sha} + uncommitted changes in src/ or web/` : sha;
  } catch { return 'unknown'; }
}

function writeDocs(block) {
  const text = existsSync(DOCS) ? readFileSync(DOCS, 'utf8') : `# Model zoo\n\n${BEGIN}\n${END}\n`;
  const b = text.indexOf(BEGIN);
  const e = text.indexOf(END);
  if (b < 0 || e < b) throw new Error(`${DOCS} lacks the markers ${BEGIN} ... ${END}`);
  writeFileSync(DOCS, `${text.slice(0, b + BEGIN.length)}\n${block}\n${text.slice(e)}`);
}

// ---------------------------------------------------------------- the run (parent)

function runChild(job, timeoutMin) {
  return new Promise((resolve) => {
    // The child's stdout joins its stderr, so that only the table is on ours.
    const child = fork(fileURLToPath(import.meta.url), ['--child'], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    // The child reports what it has after every stage ({partial}), then
    // {final}: a crash or a timeout keeps what was measured before it.
    let partial = {};
    let result = null;
    let tail = '';
    const pass = (d) => {
      process.stderr.write(d);
      tail = (tail + d.toString()).slice(-2000);
    };
    child.stdout.on('data', pass);
    child.stderr.on('data', pass);
    // The last thing the child said, without its "zoo: <model> op<N>: " tag.
    const lastWords = () => tail.split('\n').map((l) => l.trim().replace(/^zoo: \S+ op\d+: /, ''))
      .filter((l) => l && !/^at /.test(l) && !/^Node\.js v/.test(l)).pop();
    const timer = setTimeout(() => {
      const last = lastWords();
      result = { ...partial, error: { stage: 'timeout', message: `no result after ${timeoutMin} min${last ? `; last: ${shorten(last, 120)}` : ''}` } };
      child.kill('SIGKILL');
    }, timeoutMin * 60000);
    child.on('message', (m) => {
      if (m.partial) partial = m.partial;
      else result = m.final;
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (!result) {
        const last = lastWords();
        result = { ...partial, error: { stage: 'crash', message: `${signal ? `killed by ${signal}` : `exit code ${code}`}${last ? `; last: ${shorten(last, 120)}` : ''}` } };
      }
      resolve(result);
    });
    child.send(job);
  });
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const t0 = performance.now();
  const loadStart = os.loadavg()[0];
  const photos = readPhotos(o.dataset);
  const [nc, nq, ns] = o.photos;
  if (photos.length < 100 + Math.max(nc, ns) || photos.length < nq) throw new Error(`${o.dataset} has ${photos.length} photos; too few for --photos ${o.photos}`);
  const jobPhotos = { compare: photos.slice(100, 100 + nc), calibration: photos.slice(0, nq), sqnr: photos.slice(100, 100 + ns) };
  const dynamic = o.dynamic.filter((m) => o.models.includes(m));

  let exportSeconds = null;
  if (o.export) {
    const t = performance.now();
    process.stderr.write(`zoo: exporting ${o.models.length} architecture${o.models.length === 1 ? '' : 's'} at opset${o.opsets.length === 1 ? '' : 's'} ${o.opsets.join(', ')} (cached files are kept)\n`);
    const p = spawnSync('/usr/bin/python3', [path.join(HERE, 'export.py'), '--models', o.models.join(','), '--opsets', o.opsets.join(','),
      '--dynamic', dynamic.join(','), '--out', OUT, '--photos', o.dataset, ...(o.reference ? [] : ['--no-reference'])],
    { stdio: ['ignore', 'inherit', 'inherit'] });
    if (p.status !== 0) process.stderr.write(`zoo: export.py ${p.error ? `failed: ${p.error.message}` : `exited with ${p.status ?? p.signal}`}; going on with the files it made\n`);
    exportSeconds = (performance.now() - t) / 1000;
  }
  let manifest = { files: {} };
  try { manifest = JSON.parse(readFileSync(path.join(OUT, 'manifest.json'), 'utf8')); } catch { /* none yet: every row fails */ }

  const jobs = [];
  for (const arch of o.models) {
    for (const [name, dyn] of [[arch, false], ...(dynamic.includes(arch) ? [[`${arch}_dynbatch`, true]] : [])]) {
      for (const opset of o.opsets) jobs.push({ arch, name, opset, dynamicBatch: dyn, file: path.join(OUT, `${name}.op${opset}.onnx`) });
    }
  }
  const rows = [];
  for (const [i, job] of jobs.entries()) {
    const entry = manifest.files?.[path.basename(job.file)];
    let ref = manifest.reference?.[job.arch];
    if (ref && entry && ref.key !== entry.key) ref = null;  // from another version of export.py
    const row = { ...job, file: path.relative(ROOT, job.file), export: entry ? { ops: entry.ops, warnings: entry.warnings, params: entry.params } : null,
      reference: ref ? { sqnrDb: ref.sqnrDb, error: ref.error } : null };
    process.stderr.write(`zoo: [${i + 1}/${jobs.length}] ${job.name} opset ${job.opset}\n`);
    const t = performance.now();
    if (entry?.error) row.result = { error: { stage: 'export', message: shorten(entry.error.replace(/^export: /, ''), 180) } };
    else if (!existsSync(job.file)) row.result = { error: { stage: 'export', message: 'no file (export.py did not make it)' } };
    else row.result = await runChild({ ...job, photos: jobPhotos, runs: o.runs, tty: Boolean(process.stderr.isTTY) }, o.timeout);
    row.seconds = (performance.now() - t) / 1000;
    rows.push(row);
  }

  const seconds = (performance.now() - t0) / 1000;
  const full = ARCHS.every((a) => o.models.includes(a)) && [13, 17].every((x) => o.opsets.includes(x)) && !o.quick &&
    o.photos.join() === '5,100,20';
  const info = {
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    commit: gitDescribe(),
    node: process.version,
    cpu: `${os.cpus()[0]?.model ?? 'unknown'} (${os.cpus().length} cores)`,
    loadAverage: { start: loadStart, end: os.loadavg()[0] },
    torch: manifest.torch ?? null,
    torchvision: manifest.torchvision ?? null,
    onnxruntimeWeb: JSON.parse(readFileSync(path.join(ROOT, 'node_modules', 'onnxruntime-web', 'package.json'), 'utf8')).version,
    photos: { compare: nc, calibration: nq, sqnr: ns, runs: o.runs, dataset: path.relative(ROOT, o.dataset) },
    exportSeconds, seconds,
  };
  const md = [
    `Measured ${info.date} at commit ${info.commit}; Node ${info.node}, ${info.cpu}; torch ${info.torch}, torchvision ${info.torchvision}, ` +
      `onnxruntime-web ${info.onnxruntimeWeb}. FP32 compared on ${nc} photos, calibrated on ${nq}, SQNR over ${ns}, latency the median of ${o.runs} runs ` +
      `(one thread; load average ${loadStart.toFixed(1)} at the start, ${info.loadAverage.end.toFixed(1)} at the end). Run took ${(seconds / 60).toFixed(0)} min${exportSeconds != null ? ` (export ${exportSeconds.toFixed(0)} s of it)` : ''}.`,
    '',
    table(rows),
    '',
    `Acceptance (issue 13): ${summary(rows)}.`,
  ].join('\n');
  console.log(md);
  mkdirSync(path.dirname(o.json), { recursive: true });
  writeFileSync(o.json, `${JSON.stringify({ ...info, rows }, null, 1)}\n`);
  process.stderr.write(`zoo: wrote ${path.relative(ROOT, o.json)}\n`);
  if (o.docs ?? full) {
    writeDocs(md);
    process.stderr.write(`zoo: wrote the table into ${path.relative(ROOT, DOCS)}\n`);
  } else {
    process.stderr.write(`zoo: ${o.docs === false ? '--no-docs' : 'a partial run (--models, --opsets, --photos or --quick)'}: docs/models.md left as it is (--docs writes it)\n`);
  }
}

if (process.argv[2] === '--child') {
  process.once('message', async (job) => {
    let r;
    try {
      r = await runJob(job);
    } catch (e) {
      r = { error: { stage: 'crash', message: shorten(e?.message ?? e) } };
    }
    process.send({ final: r }, () => process.exit(0));
  });
} else {
  main().catch((e) => {
    console.error(`zoo: ${e.stack ?? e}`);
    process.exit(1);
  });
}
