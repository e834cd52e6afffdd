// model.js — the Model class shared by the browser and Node entry points.
//
// A Model owns one WasmModel handle inside the wasm module; dispose() frees
// it. Platform specifics (reading a source, turning an image into pixels)
// come in through the `platform` object of web/index.js or web/node.js.
import { QwasmError } from './errors.js';
import { convertOnnx, looksLikeOnnx } from './convert.js';
import { uncache } from './fetch.js';
import { classifyOptions, rankClasses } from './classify.js';
import { EMBED_OPTIONS, LOAD_OPTIONS, pick } from './options.js';
import { sumProgress } from './progress.js';
import { checkImageSize, stage, toBytes } from './staging.js';
import { describeOutput, l2Normalize } from './vectors.js';
import { classifyVideo } from './video.js';
import { describeValue, maxPixelsOption } from './image-header.js';

const DEFAULT_CROP = 0.875;

export function parseLabels(text) {
  const lines = text.split(/\r?\n/);
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Indices of the k largest values; ties go to the lower index. */
export function topK(values, k) {
  const idx = Array.from({ length: values.length }, (_, i) => i);
  idx.sort((a, b) => values[b] - values[a] || a - b);
  return idx.slice(0, k);
}

// The typed arrays run() takes for each input dtype.
const INPUT_ARRAYS = { int8: [Int8Array], uint8: [Uint8Array, Uint8ClampedArray], float32: [Float32Array] };

export class Model {
  /** @internal use load() */
  constructor(module, handle, { labels, cropFraction, mean, std, maxPixels, platform }) {
    this._module = module;
    this._handle = handle;
    this._platform = platform;
    const info = handle.info();
    const input = info.input;
    this.inputShape = [input.batch, input.height, input.width, input.channels];
    this.inputType = input.dtype;
    this.inputQuantization = input.scale ? { scale: input.scale, zeroPoint: input.zeroPoint } : null;
    this.outputSize = info.outputSize;
    this.outputType = info.outputType;
    this.outputShape = info.outputShape;
    this.outputQuantization = info.outputScale ? { scale: info.outputScale, zeroPoint: info.outputZeroPoint } : null;
    this.metadata = info.metadata;
    this.labels = labels ?? (this.metadata.labels.length ? this.metadata.labels : null);
    // Whether classify() means what it says: class probabilities or logits
    // over the labels (softmaxed by classify()), or an embedding or some
    // other tensor (web/vectors.js describeOutput). Decided once, here.
    const output = describeOutput(this.outputShape, this.labels, info.outputOps);
    this.outputKind = output.kind;
    if (output.note) this.metadata.notes.push(output.note);
    this._classifyWarning = output.warn ? `qwasm: ${output.note}` : null;
    // The crop the model file states (e.g. 1 for Fashion-MNIST), else ImageNet's.
    this.cropFraction = cropFraction ?? this.metadata.cropFraction ?? DEFAULT_CROP;
    this.lastInferenceMs = 0;
    /** Threads that run inference (1 with the single-threaded module). */
    this.threads = info.threads;
    /** The kernel table inference runs on: 'wasmrelaxed' (relaxed SIMD, where the engine has it and its self-test passed), 'wasmrelaxed-signed' (the same on engines that read the dot's operand signed), or 'wasmsimd'. */
    this.kernels = info.kernels;
    /** Peak activation memory: the one arena all intermediate tensors share. */
    this.arenaBytes = info.arenaBytes;
    this._norm = { mean: mean ?? null, std: std ?? null };
    /** The largest image (width * height) accepted, checked before decoding (load() option maxPixels). */
    this.maxPixels = maxPixelsOption(maxPixels);
  }

  _toPixels(image) {
    return this._platform.toPixels(image, { maxPixels: this.maxPixels });
  }

  _live() {
    if (!this._handle) throw new QwasmError('this model was disposed');
    return this._handle;
  }

  /**
   * Crops, resizes and converts an image into the model's input tensor.
   * Returns a copy of the tensor (Uint8Array, Int8Array or Float32Array).
   */
  async preprocess(image) {
    const px = await this._toPixels(image);
    const handle = this._setImage(px);
    return this._copyTyped(handle.inputView(), this.inputType);
  }

  /** Runs the model on a raw input tensor; returns a copy of output 0. */
  run(input) {
    const handle = this._live();
    const bytes = toBytes(input);
    const view = handle.inputView();
    if (bytes.length !== view.length) throw new QwasmError(`input tensor needs ${view.length} bytes, got ${bytes.length}`);
    const types = INPUT_ARRAYS[this.inputType];
    if (types && !types.some((T) => input instanceof T)) {
      throw new QwasmError(`input tensor must be ${types.map((T) => `${/^[AEIO]/.test(T.name) ? 'an' : 'a'} ${T.name}`).join(' or ')} for this ${this.inputType} model,`
        + ` got ${input?.constructor?.name ?? typeof input}`);
    }
    view.set(bytes);
    this._invoke(handle);
    return this._copyTyped(handle.outputView(), this.outputType);
  }

  /**
   * Top-k classes of an image: [{index, label, score}], best first. Scores
   * are probabilities: a softmax of the output when it is logits (outputKind
   * 'logits'), the output itself when the model computes probabilities.
   */
  async classify(image, options = {}) {
    const opts = classifyOptions(options, this.outputSize);
    this._live();
    const px = await this._toPixels(image);
    // From here on everything is synchronous, so concurrent classify() calls
    // on one model cannot interleave between writing the input and reading
    // the output.
    const handle = this._setImage(px);
    this._invoke(handle);
    const values = finiteScores(handle.scores().slice());
    if (this._classifyWarning) {
      console.warn(this._classifyWarning);  // once per model
      this._classifyWarning = null;
    }
    return rankClasses(values, opts, { logits: this.outputKind === 'logits', labels: this.labels });
  }

  /** Classifies a playing video's frames as they are shown (web/video.js). Browsers only. */
  classifyVideo(video, callback, options) {
    return classifyVideo(this, video, callback, options);
  }

  /**
   * The model's output for an image as real values: a Float32Array of
   * outputSize values (dequantized: (q - zeroPoint) * scale for int8 and
   * uint8 outputs), preprocessed as classify() does. With normalize: true,
   * divided by its L2 norm (a vector of zeros stays zeros).
   */
  async embed(image, options = {}) {
    const { normalize = false } = pick(options, EMBED_OPTIONS);
    if (typeof normalize !== 'boolean') throw new QwasmError(`option normalize must be true or false, got ${describeValue(normalize)}`);
    this._live();
    const px = await this._toPixels(image);
    const handle = this._setImage(px);  // synchronous from here, as in classify()
    this._invoke(handle);
    const values = finiteScores(handle.scores().slice());
    return normalize ? l2Normalize(values) : values;
  }

  /**
   * Runs the model `runs` times on its current input, timing every node.
   * @returns {{op: string, output: string, ms: number}[]} mean ms per node
   */
  profile(runs = 10) {
    if (!(Number.isInteger(runs) && runs >= 1)) throw new QwasmError(`runs must be a positive integer, got ${runs}`);
    return this._live().profile(runs);
  }

  /** Frees the model's memory inside the wasm module. Idempotent. */
  dispose() {
    if (this._handle) {
      this._handle.delete();
      this._handle = null;
    }
  }

  _setImage(px) {
    const handle = this._live();
    const mean = normTriple(this._norm.mean, 'mean');
    const std = normTriple(this._norm.std, 'std');
    checkImageSize(px.width, px.height);
    // setImage() frees a large staging buffer again: no call leaves an image in wasm memory.
    stage(handle, px.data, 'image');
    const norm = mean == null ? {} : { mean, std };
    const err = handle.setImage({ width: px.width, height: px.height, channels: px.channels, cropFraction: this.cropFraction, ...norm });
    if (err) throw new QwasmError(err);
    return handle;
  }

  _invoke(handle) {
    const t0 = performance.now();
    handle.run();
    this.lastInferenceMs = performance.now() - t0;
  }

  _copyTyped(view, dtype) {
    const bytes = view.slice();  // the view aliases wasm memory: copy now
    if (dtype === 'int8') return new Int8Array(bytes.buffer);
    if (dtype === 'float32') return new Float32Array(bytes.buffer);
    return bytes;
  }
}

// A float model whose arithmetic overflowed (an extreme weight or attribute,
// e.g. LeakyRelu alpha 1e38) gives NaN scores; ranking them would be noise.
function finiteScores(values) {
  let bad = 0;
  for (const v of values) if (!Number.isFinite(v)) bad++;
  if (bad) {
    throw new QwasmError(`the model's output has ${bad} non-finite value${bad > 1 ? 's' : ''} (NaN or infinity) among ${values.length}:`
      + ' its float arithmetic overflowed (an extreme weight or attribute); run() returns the raw output');
  }
  return values;
}

function normTriple(v, name) {
  if (v == null) return null;
  const a = typeof v === 'number' ? [v, v, v] : Array.from(v);
  if (a.length === 1) a.push(a[0], a[0]);
  if (a.length !== 3 || !a.every(Number.isFinite) || (name === 'std' && !a.every((x) => x > 0))) {
    throw new QwasmError(`option ${name} must be a number or 3 finite numbers${name === 'std' ? ' > 0' : ''}`);
  }
  return a;
}

/**
 * Shared implementation of load() for both entry points.
 * @param source model bytes, or something `platform.readSource` understands
 */
export async function loadWith(platform, source, options) {
  const o = pick(options, LOAD_OPTIONS);
  maxPixelsOption(o.maxPixels);
  if (o.onProgress != null && typeof o.onProgress !== 'function') {
    throw new QwasmError(`option onProgress must be a function, got ${typeof o.onProgress}`);
  }
  if (o.cache != null && typeof o.cache !== 'boolean') throw new QwasmError(`option cache must be true or false, got ${typeof o.cache}`);
  // One progress for the model file and, on the first load, the .wasm.
  const progress = sumProgress(o.onProgress);
  const read = platform.readSource(source, 'model', { onProgress: progress.part(), cache: o.cache });
  const [{ module, threads }, bytes] = await Promise.all([platform.runtime.prepare({ ...o, onWasmProgress: progress.part() }), read]);
  progress.finish();
  let labels = o.labels;
  if (typeof labels === 'string' || labels instanceof URL) {
    labels = parseLabels(new TextDecoder().decode(await platform.readSource(labels, 'labels')));
  }
  if (labels != null && !Array.isArray(labels)) throw new QwasmError('option labels must be an array, a path or a URL');
  if ((o.mean == null) !== (o.std == null)) throw new QwasmError('options mean and std must be given together');
  normTriple(o.mean, 'mean');
  normTriple(o.std, 'std');
  const handle = new module.WasmModel();
  try {
    // The runtime reads .qwm and TFLite; an ONNX file is converted first by
    // the tools module (fetched only then).
    const modelBytes = looksLikeOnnx(toBytes(bytes)) ? await convertOnnx(platform, toBytes(bytes), o) : toBytes(bytes);
    stage(handle, modelBytes, 'model');
    const err = handle.load(threads);
    if (err) throw new QwasmError(err);
  } catch (e) {
    handle.delete();
    // Keep no cached bytes that are not a model (e.g. an HTML page served with 200).
    if (o.cache) await uncache(source);
    throw e;
  }
  return new Model(module, handle, { ...o, labels, platform });
}
