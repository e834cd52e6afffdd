// convert.js — convert() and quantize(), shared by the browser and Node
// entry points: a model file in, the bytes of a qwasm model file (.qwm) out.
//
// convert: TFLite, ONNX (QDQ int8 or float) or .qwm -> .qwm, as it is.
// quantize: a float model (ONNX) + calibration images -> int8 .qwm, with a
//   per-layer report. Calibration images go through the same preprocessing
//   as classify() (crop, resize, normalisation), so the ranges the quantizer
//   sees are the ones inference will meet.
// Both run in the tools module (WasmConverter / WasmQuantizer in
// src/bindings/embind_tools.cc); the work is the C++ core's.
import { QwasmError } from './errors.js';
import { AUTO_MIXED_OPTIONS, CONVERT_OPTIONS, METADATA_OPTIONS, QUANTIZE_OPTIONS, pick } from './options.js';
import { checkImageSize, stage, toBytes } from './staging.js';

const COLOR_ORDERS = ['RGB', 'BGR', 'gray'];

/** Metadata overrides written into the model file (labels may be a path/URL). */
async function metadataOverrides(platform, options) {
  const meta = {};
  for (const k of METADATA_OPTIONS) if (options[k] != null) meta[k] = options[k];
  if (typeof meta.labels === 'string' || meta.labels instanceof URL) {
    const text = new TextDecoder().decode(await platform.readSource(meta.labels, 'labels'));
    meta.labels = text.split(/\r?\n/).filter((l, i, a) => l !== '' || i < a.length - 1);
  }
  if (meta.labels != null && !(Array.isArray(meta.labels) && meta.labels.every((l) => typeof l === 'string'))) {
    throw new QwasmError('option labels must be an array of strings, a path or a URL');
  }
  for (const k of ['mean', 'std']) {
    if (meta[k] == null) continue;
    const v = typeof meta[k] === 'number' ? [meta[k]] : Array.from(meta[k]);
    if (!(v.length === 1 || v.length === 3) || !v.every(Number.isFinite) || (k === 'std' && !v.every((x) => x > 0))) {
      throw new QwasmError(`option ${k} must be a number or 3 numbers${k === 'std' ? ' > 0' : ''}`);
    }
    meta[k] = v;
  }
  if ((meta.mean == null) !== (meta.std == null)) throw new QwasmError('options mean and std must be given together');
  if (meta.cropFraction != null && !(meta.cropFraction > 0 && meta.cropFraction <= 1)) {
    throw new QwasmError('option cropFraction must be in (0, 1]');
  }
  if (meta.colorOrder != null && !COLOR_ORDERS.includes(meta.colorOrder)) {
    throw new QwasmError(`option colorOrder must be one of ${COLOR_ORDERS.join(', ')}`);
  }
  return meta;
}

const triple = (v) => (v.length === 1 ? [v[0], v[0], v[0]] : v);

function check(err) {
  if (err) throw new QwasmError(err);
}

/**
 * Converts a model file to the qwasm format.
 * @returns {Promise<Uint8Array>} the .qwm bytes
 */
export async function convertWith(platform, source, options = {}) {
  const o = pick(options, CONVERT_OPTIONS);
  const bytes = await platform.readSource(source, 'model');
  return convertBytes(platform, toBytes(bytes), await metadataOverrides(platform, o), o);
}

/** True for bytes that start like an ONNX ModelProto (see onnx_reader.h). */
export function looksLikeOnnx(b) {
  return b.length >= 2 && b[0] === 0x08 && b[1] >= 1 && b[1] <= 0x7f;
}

/** ONNX bytes -> .qwm bytes, for load() (the runtime module reads no ONNX). */
export function convertOnnx(platform, bytes, options = {}) {
  return convertBytes(platform, bytes, {}, options);
}

async function convertBytes(platform, bytes, meta, options) {
  const module = await platform.runtime.prepareTools(options);
  const tool = new module.WasmConverter();
  try {
    stage(tool, bytes, 'model');
    check(tool.convert(meta));
    return tool.result().slice();
  } finally {
    tool.delete();
  }
}

function labelOffset(v) {
  if (v !== 'auto' && !Number.isInteger(v)) throw new QwasmError("option labelOffset must be an integer or 'auto'");
  return v;
}

/**
 * quantize()'s options (`o`, picked), type-checked here (names are checked
 * by the core): what the WasmQuantizer takes, plus what stays in JS.
 */
function ptqOptions(o) {
  const str = (k, d) => {
    const v = o[k] ?? d;
    if (typeof v !== 'string') throw new QwasmError(`option ${k} must be a string`);
    return v;
  };
  const keepFloat = o.keepFloat ?? [];
  if (!Array.isArray(keepFloat) || !keepFloat.every((n) => typeof n === 'string')) {
    throw new QwasmError('option keepFloat must be an array of node names');
  }
  const layerWeights = o.layerWeights ?? {};
  if (typeof layerWeights !== 'object' || Array.isArray(layerWeights) ||
      !Object.values(layerWeights).every((v) => typeof v === 'string')) {
    throw new QwasmError('option layerWeights must map node names to weight format names');
  }
  const percentile = o.percentile ?? 99.99;
  if (typeof percentile !== 'number') throw new QwasmError('option percentile must be a number');
  if (o.autoMixed != null && (typeof o.autoMixed !== 'object' || (o.autoMixed.maxDrop == null && o.autoMixed.minSqnrDb == null))) {
    throw new QwasmError('option autoMixed needs {maxDrop} (top-1 points) and/or {minSqnrDb}');
  }
  const auto = o.autoMixed == null ? null : pick(o.autoMixed, AUTO_MIXED_OPTIONS);
  const maxDrop = auto?.maxDrop ?? -1;
  const minSqnrDb = auto?.minSqnrDb ?? NaN;
  if (typeof maxDrop !== 'number' || (auto?.maxDrop != null && !(maxDrop >= 0))) {
    throw new QwasmError('autoMixed.maxDrop must be a number >= 0');
  }
  if (typeof minSqnrDb !== 'number' || (auto?.minSqnrDb != null && !Number.isFinite(minSqnrDb))) {
    throw new QwasmError('autoMixed.minSqnrDb must be a finite number');
  }
  for (const k of ['perChannel', 'equalize', 'biasCorrection']) {
    if (o[k] != null && typeof o[k] !== 'boolean') throw new QwasmError(`option ${k} must be a boolean`);
  }
  const roundingIterations = o.roundingIterations ?? 1000;
  if (!Number.isInteger(roundingIterations) || roundingIterations < 1 || roundingIterations > 100000) {
    throw new QwasmError('option roundingIterations must be an integer in [1, 100000]');
  }
  const roundingTimeBudget = o.roundingTimeBudget ?? 0;
  if (typeof roundingTimeBudget !== 'number' || !Number.isFinite(roundingTimeBudget) || roundingTimeBudget < 0) {
    throw new QwasmError('option roundingTimeBudget must be a number of seconds >= 0 (0: no limit)');
  }
  for (const k of ['onProgress', 'onBudgetProgress', 'onSearchProgress', 'onRoundingProgress', 'onRangeProgress']) {
    if (o[k] != null && typeof o[k] !== 'function') throw new QwasmError(`option ${k} must be a function`);
  }
  const confidence = auto?.confidence ?? 0.95;
  if (typeof confidence !== 'number' || !(confidence === 0 || (confidence >= 0.5 && confidence < 1))) {
    throw new QwasmError('autoMixed.confidence must be 0 (no bound) or lie in [0.5, 1)');
  }
  const budgetItems = auto?.budgetItems ?? null;
  if (budgetItems != null && typeof budgetItems[Symbol.iterator] !== 'function' &&
      typeof budgetItems[Symbol.asyncIterator] !== 'function') {
    throw new QwasmError('autoMixed.budgetItems must be an iterable of calibration items');
  }
  return {
    // QuantizeOptions (src/ptq/quantizer.h); metadata is added once read.
    core: {
      threads: 1,  // the tools module is single-threaded
      calibration: str('calibration', 'minmax'),
      percentile,
      equalize: o.equalize ?? false,
      perChannel: o.perChannel ?? true,
      biasCorrection: o.biasCorrection ?? false,
      rounding: str('rounding', 'nearest'),
      roundingIterations,
      roundingTimeBudget,
      keepFloat,
      weights: str('weights', 'int8'),
      layerWeights,
      floatWeights: str('floatWeights', 'float32'),
      maxDrop,
      minSqnrDb,
      confidence,
    },
    budgetItems,
    labelOffset: labelOffset(o.labelOffset ?? 0),
  };
}

/**
 * Post-training quantization of a float model.
 * @param calibration an iterable or async iterable of images (anything
 *   classify() accepts) or Float32Array input tensors
 * @returns {Promise<{model: Uint8Array, report: object}>}
 */
export async function quantizeWith(platform, source, calibration, options = {}) {
  if (calibration == null || (typeof calibration[Symbol.iterator] !== 'function' && typeof calibration[Symbol.asyncIterator] !== 'function')) {
    throw new QwasmError('calibration must be an iterable of images or Float32Array tensors');
  }
  const o = pick(options, QUANTIZE_OPTIONS);
  const ptq = ptqOptions(o);
  const [module, bytes] = await Promise.all([platform.runtime.prepareTools(o), platform.readSource(source, 'model')]);
  const meta = await metadataOverrides(platform, o);
  const q = new module.WasmQuantizer();
  try {
    stage(q, toBytes(bytes), 'model');
    check(q.start({ ...ptq.core, metadata: meta }));
    const norm = meta.mean == null ? {} : { mean: triple(meta.mean), std: triple(meta.std) };
    const total = typeof calibration.length === 'number' ? calibration.length : null;
    // labelOffset 'auto': 1 for 1001-way ImageNet models (index 0 = background).
    const offset = ptq.labelOffset === 'auto' ? (q.outputSize() % 1000 === 1 ? 1 : 0) : ptq.labelOffset;
    const add = async (entry, budget) => {
      const labelled = entry != null && typeof entry === 'object' && 'image' in entry && 'label' in entry;
      const item = labelled ? entry.image : entry;
      const label = labelled && entry.label != null ? entry.label + offset : -1;
      if (!Number.isInteger(label)) throw new QwasmError(`calibration label ${entry.label} is not an integer class`);
      if (item instanceof Float32Array) {
        stage(q, new Uint8Array(item.buffer, item.byteOffset, item.byteLength), 'tensor');
        check(q.add({ label, budget }));
      } else {
        const px = await platform.toPixels(item);
        checkImageSize(px.width, px.height);
        stage(q, px.data, 'image');
        // cropFraction undefined: the model's own.
        const image = { width: px.width, height: px.height, channels: px.channels, cropFraction: meta.cropFraction, ...norm };
        check(q.add({ image, label, budget }));
      }
    };
    let done = 0;
    for await (const entry of calibration) {
      await add(entry, false);
      done++;
      o.onProgress?.(done, total);
    }
    if (done === 0) throw new QwasmError('calibration gave no images');
    if (ptq.budgetItems != null) {  // judged on, not calibrated on
      const budgetTotal = typeof ptq.budgetItems.length === 'number' ? ptq.budgetItems.length : null;
      let judged = 0;
      for await (const entry of ptq.budgetItems) {
        await add(entry, true);
        judged++;
        o.onBudgetProgress?.(judged, budgetTotal);
      }
    }
    check(q.finish(o.onSearchProgress, o.onRoundingProgress, o.onRangeProgress));
    return { model: q.result().slice(), report: q.report() };
  } finally {
    q.delete();
  }
}
