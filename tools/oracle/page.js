// page.js — the in-browser half of the oracle harness (see oracle.mjs).
//
// window.harness runs both runtimes on the SAME input tensor: each photo is
// decoded once by the browser (createImageBitmap, no colour-space conversion,
// no premultiplied alpha), turned into the model's uint8 input tensor once by
// qwasm's own preprocessing (model.preprocess), and those bytes are fed to
// qwasm (model.run) and to TensorFlow Lite's WASM build (tfjs-tflite's
// interpreter buffers, bypassing tf.Tensor). Raw quantized outputs of both
// come back to Node as base64 (page.evaluate is slow with plain arrays).
import { load } from '/web/index.js';

const BITMAP_OPTIONS = { colorSpaceConversion: 'none', premultiplyAlpha: 'none' };
const models = new Map();  // name -> {qwasm: Model, tflite: TFLiteModel}
let wasmBinary = null, wasmSha256 = null;  // the qwasm binary pinned by the Node side

/** Sets up tfjs-tflite and pins qwasm's wasm binary (base64 from Node). */
async function init(wasmB64) {
  await tf.setBackend('cpu');
  await tf.ready();
  tflite.setWasmPath('/node_modules/@tensorflow/tfjs-tflite/wasm/');  // trailing slash required
  wasmBinary = Uint8Array.from(atob(wasmB64), (c) => c.charCodeAt(0));
  wasmSha256 = await sha256Hex(wasmBinary);
}

function u8ToB64(u8) {
  let s = '';
  for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode.apply(null, u8.subarray(i, i + 0x8000));
  return btoa(s);
}

function concat(parts) {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) { all.set(p, off); off += p.length; }
  return all;
}

function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

async function sha256Hex(u8) {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', u8));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function loadModel(name, url, { threads = 1 } = {}) {
  if (!wasmBinary) throw new Error('call harness.init() first');
  const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
  const qwasm = await load(bytes, { wasmBinary });
  const tfl = await tflite.loadTFLiteModel(bytes.buffer, { numThreads: threads });
  models.set(name, { qwasm, tflite: tfl });
  const runner = tfl.modelRunner;
  const tin = runner.getInputs()[0], tout = runner.getOutputs()[0];
  return {
    qwasm: { inputShape: qwasm.inputShape, inputType: qwasm.inputType, outputSize: qwasm.outputSize, outputType: qwasm.outputType },
    tflite: { inputShape: tfl.inputs[0].shape, inputType: tin.dataType, outputShape: tfl.outputs[0].shape, outputType: tout.dataType },
    labels: qwasm.labels,
    features: await tflite.getWasmFeatures(),
    wasmSha256,
  };
}

function unload(name) {
  const m = models.get(name);
  if (!m) return;
  m.qwasm.dispose();
  m.tflite.modelRunner.cleanUp();
  models.delete(name);
}

/** TFLite on raw bytes: write the interpreter's input buffer, read its output buffer. */
function runTflite(tfl, input) {
  const runner = tfl.modelRunner;
  const inView = runner.getInputs()[0].data();  // views onto the wasm heap: re-fetch every call
  if (inView.length !== input.length) throw new Error(`TFLite input has ${inView.length} bytes, tensor has ${input.length}`);
  inView.set(input);
  if (!runner.infer()) throw new Error('TFLite infer() failed');
  const out = runner.getOutputs()[0].data().slice();
  // Read back what the interpreter actually consumed (proves identical input bytes).
  const seen = runner.getInputs()[0].data();
  return { out, sameInput: equalBytes(seen, input) };
}

/**
 * Runs a batch of photos through both runtimes.
 * @returns {{qwasmOut, tfliteOut, inputs?: string, sha256: string[], sameInput: boolean[], qwasmMs: number[], tfliteMs: number[], preMs: number[]}}
 */
async function runBatch(name, urls, { returnInputs = false } = {}) {
  const m = models.get(name);
  if (!m) throw new Error(`model ${name} not loaded`);
  const qOuts = [], tOuts = [], inputs = [];
  const res = { sha256: [], sameInput: [], qwasmMs: [], tfliteMs: [], preMs: [] };
  for (const url of urls) {
    try {
      let t = performance.now();
      const r = await fetch(url);
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      const bitmap = await createImageBitmap(await r.blob(), BITMAP_OPTIONS);
      let input;
      try {
        input = await m.qwasm.preprocess(bitmap);
      } finally {
        bitmap.close();
      }
      if (!(input instanceof Uint8Array)) throw new Error(`expected a uint8 input tensor, got ${input.constructor.name}`);
      res.preMs.push(performance.now() - t);

      t = performance.now();
      const q = m.qwasm.run(input);
      res.qwasmMs.push(performance.now() - t);

      t = performance.now();
      const tr = runTflite(m.tflite, input);
      res.tfliteMs.push(performance.now() - t);

      qOuts.push(q);
      tOuts.push(tr.out);
      res.sameInput.push(tr.sameInput);
      res.sha256.push(await sha256Hex(input));
      if (returnInputs) inputs.push(input);
    } catch (e) {
      throw new Error(`${url}: ${e.message}`);
    }
  }
  res.qwasmOut = u8ToB64(concat(qOuts));
  res.tfliteOut = u8ToB64(concat(tOuts));
  if (returnInputs) res.inputs = u8ToB64(concat(inputs));
  return res;
}

window.harness = { init, loadModel, unload, runBatch };
