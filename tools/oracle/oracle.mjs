// oracle.mjs — compares qwasm with TensorFlow Lite's own WASM build (the
// oracle: npm @tensorflow/tfjs-tflite, TFLite + XNNPACK) on real photos, in
// headless Chromium.
//
// For every photo the browser decodes the JPEG once and qwasm's preprocessing
// makes the input tensor once; the SAME bytes go to both runtimes (page.js
// reads TFLite's input buffer back after inference to prove it). Results are
// raw quantized outputs, so every comparison below is in quantization steps
// (1 step = 1/256 of probability for these models).
//
// Optionally (node: true) the same photos also go through qwasm in Node.js
// (web/node.js, JPEG decoded by jpeg-js) in a worker thread, concurrently, to
// measure how much the JPEG decoder changes inputs and predictions.
//
//   const result = await runOracle({ models, every: 25, onProgress });
//   const summary = analyzeModel(result.models[0]);
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { startBrowser } from '../../tests/e2e/browser.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHARED = path.resolve(ROOT, '..', 'shared');
export const MODELS = [
  'mobilenet_v1_0.25_128_quant',
  'mobilenet_v1_0.5_160_quant',
  'mobilenet_v1_0.75_192_quant',
  'mobilenet_v2_1.0_224_quant',
  'tf2_mobilenet_v2_1.0_224_ptq',
];
/** Buckets of the per-photo max |qwasm - tflite| histogram, in quantization steps. */
export const DIFF_BUCKETS = ['0', '1', '2', '3', '4+'];

// ---------------------------------------------------------------- photos --

/** Reads imagenet-sample/labels.csv: [{index, file, class, synset, name, expected}]; expected = class + 1. */
export async function readPhotos(dir = path.join(SHARED, 'imagenet-sample')) {
  const lines = (await readFile(path.join(dir, 'labels.csv'), 'utf8')).trim().split(/\r?\n/);
  const head = lines.shift().split(',');
  const col = (name) => {
    const i = head.indexOf(name);
    if (i < 0) throw new Error(`labels.csv has no column ${name}`);
    return i;
  };
  const [f, c, s, n] = ['file', 'class', 'synset', 'name'].map(col);
  return lines.map((line, index) => {
    const v = line.split(',');
    return { index, file: v[f], class: Number(v[c]), synset: v[s], name: v[n], expected: Number(v[c]) + 1 };
  });
}

/** Every `every`-th photo (indices 0, every, 2*every, ...), then the first `limit` of those. */
export function selectPhotos(photos, { every = 1, limit = Infinity } = {}) {
  return photos.filter((p, i) => i % every === 0).slice(0, limit ?? Infinity);
}

// -------------------------------------------------------------- analysis --

// Indices of the k largest values; ties go to the lower index (for both
// runtimes): the package's own topK, so the harness ranks as classify() does.
import { topK } from '../../web/model.js';

export { topK };

export const argmax = (values) => {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;  // strict: lower index wins ties
  return best;
};

function maxAbsDiff(a, b) {
  let max = 0, at = -1, count = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d) count++;
    if (d > max) { max = d; at = i; }
  }
  return { max, at, count };
}

/** The i-th output vector of a model result. */
export function outputs(r, i) {
  const K = r.outputSize;
  return {
    qwasm: r.qwasmOut.subarray(i * K, (i + 1) * K),
    tflite: r.tfliteOut.subarray(i * K, (i + 1) * K),
    node: r.node ? r.node.out.subarray(i * K, (i + 1) * K) : null,
  };
}

function describe(values, labels, expected, k = 3) {
  const top = topK(values, Math.max(k, 2));
  return {
    top: top.slice(0, k).map((index) => ({ index, value: values[index], label: labels?.[index] ?? `class ${index}` })),
    margin: values[top[0]] - values[top[1]],  // steps between top-1 and top-2 (0: decided by the index tie-break)
    correct: top[0] === expected,
  };
}

/**
 * Summary of one model's result: agreement, accuracies, diff histogram and
 * the top-1 disagreements (with both runtimes' top-3, margins, max diff).
 */
export function analyzeModel(r) {
  const n = r.photos.length;
  const s = {
    model: r.name, photos: n,
    top1Agree: 0, top5SetAgree: 0, identicalOutputs: 0,
    qwasm: { top1: 0, top5: 0 }, tflite: { top1: 0, top5: 0 },
    diffHistogram: Object.fromEntries(DIFF_BUCKETS.map((b) => [b, 0])),
    maxAbsDiff: 0, meanDifferingOutputs: 0,
    sameInputBytes: r.sameInput.filter(Boolean).length,
    timing: {
      qwasmMedianMs: median(r.qwasmMs), tfliteMedianMs: median(r.tfliteMs), preprocessMedianMs: median(r.preMs),
    },
    disagreements: [],
  };
  const perPhotoMax = [];
  for (let i = 0; i < n; i++) {
    const p = r.photos[i];
    const { qwasm: q, tflite: t } = outputs(r, i);
    const q5 = topK(q, 5), t5 = topK(t, 5);
    const d = maxAbsDiff(q, t);
    perPhotoMax.push(d.max);
    s.maxAbsDiff = Math.max(s.maxAbsDiff, d.max);
    s.diffHistogram[DIFF_BUCKETS[Math.min(d.max, 4)]]++;
    s.meanDifferingOutputs += d.count / n;
    if (d.max === 0) s.identicalOutputs++;
    if (q5[0] === p.expected) s.qwasm.top1++;
    if (q5.includes(p.expected)) s.qwasm.top5++;
    if (t5[0] === p.expected) s.tflite.top1++;
    if (t5.includes(p.expected)) s.tflite.top5++;
    if (sameSet(q5, t5)) s.top5SetAgree++;
    if (q5[0] === t5[0]) {
      s.top1Agree++;
      continue;
    }
    s.disagreements.push({
      index: p.index, file: p.file,
      expected: { index: p.expected, label: r.labels?.[p.expected] ?? p.name },
      qwasm: describe(q, r.labels, p.expected),
      tflite: describe(t, r.labels, p.expected),
      // each runtime's value at the other's top-1 (how close the call was)
      qwasmAtTfliteTop1: q[t5[0]], tfliteAtQwasmTop1: t[q5[0]],
      maxAbsDiff: d.max, maxAbsDiffAt: d.at, differingOutputs: d.count,
    });
  }
  s.perPhotoMaxAbsDiff = perPhotoMax;
  return s;
}

/**
 * Node (jpeg-js decode) vs Chromium (browser decode) for qwasm on the same
 * photos: input-tensor identity and pixel differences, top-1 / top-5 equality.
 */
export function analyzeNodeVsChromium(r) {
  if (!r.node) return null;
  const n = r.photos.length;
  const s = {
    model: r.name, photos: n,
    identicalInputs: 0, meanAbsPixelDiff: 0, maxAbsPixelDiff: 0, meanFractionPixelsDiffering: 0,
    top1Equal: 0, top5SetEqual: 0, top5OrderEqual: 0, identicalOutputs: 0,
    identicalOutputsGivenIdenticalInputs: 0,
    nodeTop1: 0, nodeTop5: 0, chromiumTop1: 0, chromiumTop5: 0,
    nodeMedianMs: median(r.node.ms),
  };
  for (let i = 0; i < n; i++) {
    const p = r.photos[i];
    const st = r.node.inputStats[i];
    const { qwasm: c, node: o } = outputs(r, i);
    const c5 = topK(c, 5), o5 = topK(o, 5);
    if (st.identical) s.identicalInputs++;
    s.meanAbsPixelDiff += st.meanAbs / n;
    s.maxAbsPixelDiff = Math.max(s.maxAbsPixelDiff, st.maxAbs);
    s.meanFractionPixelsDiffering += st.fractionDiffering / n;
    if (o5[0] === c5[0]) s.top1Equal++;
    if (sameSet(o5, c5)) s.top5SetEqual++;
    if (o5.every((v, j) => v === c5[j])) s.top5OrderEqual++;
    const same = maxAbsDiff(c, o).max === 0;
    if (same) s.identicalOutputs++;
    if (same && st.identical) s.identicalOutputsGivenIdenticalInputs++;
    if (o5[0] === p.expected) s.nodeTop1++;
    if (o5.includes(p.expected)) s.nodeTop5++;
    if (c5[0] === p.expected) s.chromiumTop1++;
    if (c5.includes(p.expected)) s.chromiumTop5++;
  }
  return s;
}

function sameSet(a, b) {
  return a.length === b.length && a.every((v) => b.includes(v));
}

function median(xs) {
  if (!xs?.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function inputStats(a, b) {
  if (a.length !== b.length) throw new Error(`input tensors differ in size: ${a.length} vs ${b.length}`);
  let sum = 0, max = 0, differing = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    sum += d;
    if (d) differing++;
    if (d > max) max = d;
  }
  return { identical: differing === 0, meanAbs: sum / a.length, maxAbs: max, fractionDiffering: differing / a.length };
}

// ------------------------------------------------------------ checkpoints --

const b64 = (u8) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength).toString('base64');
const unb64 = (s) => new Uint8Array(Buffer.from(s, 'base64'));

/** A model result as JSON-safe data (byte arrays as base64). */
export function serializeResult(r) {
  const out = { ...r, qwasmOut: b64(r.qwasmOut), tfliteOut: b64(r.tfliteOut) };
  if (r.node) out.node = { ...r.node, out: b64(r.node.out) };
  return out;
}

export function deserializeResult(j) {
  const r = { ...j, qwasmOut: unb64(j.qwasmOut), tfliteOut: unb64(j.tfliteOut) };
  if (j.node) r.node = { ...j.node, out: unb64(j.node.out) };
  return r;
}

/** What a checkpoint must match to be reused: the model, the photos, the wasm binary, the Node comparison. */
function checkpointKey(name, photos, node, wasmSha) {
  const h = createHash('sha256');
  h.update(JSON.stringify({ name, files: photos.map((p) => p.file), node: !!node, wasmSha }));
  return h.digest('hex');
}

async function readCheckpoint(file, key) {
  try {
    const j = JSON.parse(await readFile(file, 'utf8'));
    return j.key === key ? deserializeResult(j.result) : null;
  } catch {
    return null;
  }
}

async function writeCheckpoint(file, key, result) {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(`${file}.tmp`, JSON.stringify({ key, result: serializeResult(result) }));
  await rename(`${file}.tmp`, file);
}

// ------------------------------------------------------------------ run --

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

function gitDescribe() {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'web', 'CMakeLists.txt'], { cwd: ROOT, encoding: 'utf8' }).trim();
    return dirty ? `${commit}+dirty` : commit;
  } catch {
    return null;
  }
}

/**
 * qwasm in Node, in one worker thread for the whole run (node-worker.mjs),
 * on the pinned wasm binary. run() resolves when every photo was delivered.
 */
class NodeSide {
  constructor(wasmBinary) {
    this.worker = new Worker(new URL('./node-worker.mjs', import.meta.url), { workerData: { wasmBinary } });
    this.job = null;
    this.worker.on('message', (m) => {
      const job = this.job;
      if (!job) return;
      try {
        if (m.error) throw new Error(`qwasm in Node: ${m.error}`);
        if (m.done) {
          this.job = null;
          job.resolve();
        } else {
          job.onItem(m.index, m.input, m.output, m.ms);
        }
      } catch (e) {
        this.job = null;
        job.reject(e);
      }
    });
    const fail = (e) => {
      const job = this.job;
      this.job = null;
      this.failed = e;
      job?.reject(e);
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`Node worker exited with code ${code}`)));
  }

  /** Runs the photos; calls onItem(i, input, output, ms) for each as it arrives. */
  run(modelPath, photos, imageDir, onItem) {
    if (this.failed) return Promise.reject(this.failed);
    if (this.job) return Promise.reject(new Error('Node side is busy'));
    return new Promise((resolve, reject) => {
      this.job = { resolve, reject, onItem };
      this.worker.postMessage({ modelPath, photos: photos.map((p, i) => ({ index: i, path: path.join(imageDir, p.file) })) });
    });
  }

  async close() {
    this.failed = new Error('closed');
    await this.worker.terminate();
  }
}

async function runModel(page, name, photos, { node, wasmSha, threads, batchMs, imageDir, onProgress, progressBase }) {
  const modelPath = path.join(SHARED, 'models', `${name}.tflite`);
  const info = await page.evaluate(([n, url, t]) => window.harness.loadModel(n, url, { threads: t }),
    [name, `/shared/models/${name}.tflite`, threads]);
  if (info.wasmSha256 !== wasmSha) throw new Error(`${name}: Chromium runs a different qwasm.wasm than the one pinned`);
  if (info.qwasm.inputType !== 'uint8' || info.qwasm.outputType !== 'uint8') {
    throw new Error(`${name}: the harness handles uint8 models only (qwasm says ${info.qwasm.inputType} -> ${info.qwasm.outputType})`);
  }
  if (info.tflite.inputType !== 'uint8' || info.tflite.outputType !== 'uint8') {
    throw new Error(`${name}: TFLite tensors are ${info.tflite.inputType} -> ${info.tflite.outputType}, expected uint8`);
  }
  const n = photos.length, K = info.qwasm.outputSize;
  const r = {
    name, photos: photos.map(({ index, file, class: cls, expected, name: label }) => ({ index, file, class: cls, expected, name: label })),
    outputSize: K, inputShape: info.qwasm.inputShape, labels: info.labels, tfliteFeatures: info.features,
    qwasmOut: new Uint8Array(n * K), tfliteOut: new Uint8Array(n * K),
    sha256: [], sameInput: [], qwasmMs: [], tfliteMs: [], preMs: [],
  };

  // Node side, concurrently: inputs are compared as soon as both sides have one.
  let nodeDone = Promise.resolve();
  const pendingChromium = new Map(), pendingNode = new Map();
  if (node) {
    r.node = { out: new Uint8Array(n * K), inputStats: new Array(n), ms: new Array(n) };
    nodeDone = node.run(modelPath, photos, imageDir, (i, input, output, ms) => {
      r.node.out.set(output, i * K);
      r.node.ms[i] = ms;
      if (pendingChromium.has(i)) {
        r.node.inputStats[i] = inputStats(pendingChromium.get(i), input);
        pendingChromium.delete(i);
      } else {
        pendingNode.set(i, input);
      }
    });
    nodeDone.catch(() => {});  // surfaced by the await below
  }

  const t0 = performance.now();
  let done = 0, size = 4;
  while (done < n) {
    const batch = photos.slice(done, done + size);
    const tb = performance.now();
    const res = await page.evaluate(([nm, urls, ret]) => window.harness.runBatch(nm, urls, { returnInputs: ret }),
      [name, batch.map((p) => `/shared/imagenet-sample/${encodeURIComponent(p.file)}`), !!node]);
    const q = Buffer.from(res.qwasmOut, 'base64'), t = Buffer.from(res.tfliteOut, 'base64');
    if (q.length !== batch.length * K || t.length !== batch.length * K) throw new Error(`${name}: unexpected output sizes`);
    r.qwasmOut.set(q, done * K);
    r.tfliteOut.set(t, done * K);
    for (const key of ['sha256', 'sameInput', 'qwasmMs', 'tfliteMs', 'preMs']) r[key].push(...res[key]);
    if (node) {
      const inputs = Buffer.from(res.inputs, 'base64'), L = inputs.length / batch.length;
      for (let j = 0; j < batch.length; j++) {
        const i = done + j, input = inputs.subarray(j * L, (j + 1) * L);
        if (pendingNode.has(i)) {
          r.node.inputStats[i] = inputStats(input, pendingNode.get(i));
          pendingNode.delete(i);
        } else {
          pendingChromium.set(i, input);
        }
      }
    }
    done += batch.length;
    const elapsedMs = performance.now() - t0;
    const perPhoto = (performance.now() - tb) / batch.length;
    size = Math.max(1, Math.min(50, Math.round(batchMs / perPhoto)));
    onProgress?.({ ...progressBase, model: name, done, total: n, elapsedMs, etaMs: (elapsedMs / done) * (n - done), phase: 'chromium' });
  }
  await page.evaluate((nm) => window.harness.unload(nm), name);
  if (node) {
    if (pendingChromium.size) onProgress?.({ ...progressBase, model: name, done: n, total: n, elapsedMs: performance.now() - t0, etaMs: null, phase: 'node' });
    await nodeDone;
    if (pendingChromium.size || pendingNode.size) throw new Error(`${name}: Node side did not deliver every photo`);
  }
  r.elapsedMs = performance.now() - t0;
  return r;
}

/**
 * Runs both runtimes on the photos for each model.
 * @param {object} o
 * @param {string[]} [o.models] model names under ../shared/models (default: all five)
 * @param {object[]} [o.photos] photos as from readPhotos() (default: all of imagenet-sample)
 * @param {number} [o.every] take every `every`-th photo (default 1)
 * @param {number} [o.limit] then at most `limit` photos
 * @param {boolean} [o.node] also run qwasm in Node on the same photos (default false)
 * @param {number} [o.threads] TFLite threads (default 1)
 * @param {number} [o.batchMs] target wall time of one page.evaluate batch (progress granularity)
 * @param {string} [o.checkpointDir] write one JSON per finished model there; reuse matching ones
 * @param {(p: {model, modelIndex, modelCount, done, total, elapsedMs, etaMs, phase, cached?}) => void} [o.onProgress]
 * @returns {Promise<{meta: object, models: object[]}>} one result per model (see analyzeModel)
 */
export async function runOracle({
  models = MODELS, photos, every = 1, limit = Infinity, node = false, threads = 1, batchMs = 4000,
  checkpointDir = null, onProgress = null,
} = {}) {
  const imageDir = path.join(SHARED, 'imagenet-sample');
  const selected = selectPhotos(photos ?? await readPhotos(imageDir), { every, limit });
  if (!selected.length) throw new Error('no photos selected');
  // Pin the wasm binary once: Chromium and the Node worker both run these
  // bytes, even if dist/ is rebuilt during a long run.
  const wasmBinary = new Uint8Array(await readFile(path.join(ROOT, 'dist', 'qwasm.wasm')));
  const wasmSha = sha256(wasmBinary);
  const tflitePkg = JSON.parse(await readFile(path.join(ROOT, 'node_modules/@tensorflow/tfjs-tflite/package.json'), 'utf8'));
  const meta = {
    date: new Date().toISOString(), qwasmCommit: gitDescribe(), qwasmWasmSha256: wasmSha,
    tfliteRuntime: `@tensorflow/tfjs-tflite@${tflitePkg.version}`, tfliteThreads: threads,
    photos: selected.length, every, limit: Number.isFinite(limit) ? limit : null, node: !!node,
  };
  const results = [];
  let session = null, nodeSide = null;
  try {
    for (const [modelIndex, name] of models.entries()) {
      const progressBase = { modelIndex, modelCount: models.length };
      const key = checkpointKey(name, selected, node, wasmSha);
      const ckpt = checkpointDir ? path.join(checkpointDir, `${name}.json`) : null;
      const cached = ckpt ? await readCheckpoint(ckpt, key) : null;
      if (cached) {
        results.push(cached);
        onProgress?.({ ...progressBase, model: name, done: selected.length, total: selected.length, elapsedMs: 0, etaMs: 0, phase: 'done', cached: true });
        continue;
      }
      if (!session) {
        session = await startBrowser();
        session.page = await session.newPage();
        await session.page.goto(`${session.url}/tools/oracle/page.html`);
        await session.page.waitForFunction(() => window.harness);
        await session.page.evaluate((b) => window.harness.init(b), b64(wasmBinary));
        meta.chromium = session.browser.version();
      }
      if (node && !nodeSide) nodeSide = new NodeSide(wasmBinary);
      const r = await runModel(session.page, name, selected,
        { node: node && nodeSide, wasmSha, threads, batchMs, imageDir, onProgress, progressBase });
      onProgress?.({ ...progressBase, model: name, done: selected.length, total: selected.length, elapsedMs: r.elapsedMs, etaMs: 0, phase: 'done' });
      if (ckpt) await writeCheckpoint(ckpt, key, r);
      results.push(r);
    }
  } finally {
    await nodeSide?.close();
    await session?.close();
  }
  return { meta, models: results };
}
